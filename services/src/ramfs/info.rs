//! What the filesystem reports about itself: node metadata, directory listings, usage.

use alloc::string::String;

/// Whether a node is a file or a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// A byte array that can be opened, read and written.
    File,
    /// A sorted set of named entries.
    Directory,
}

/// A node's metadata, from [`stat`](super::RamFs::stat) or [`fstat`](super::RamFs::fstat).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// File or directory.
    pub kind: NodeKind,
    /// Bytes for a file, entries for a directory.
    pub size: u64,
    /// The inode number: unique among live nodes and never reused, so two paths (or a
    /// path and a handle) name the same node exactly when their numbers are equal.
    pub node: u64,
}

/// One entry of a [`readdir`](super::RamFs::readdir) listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name (one path component).
    pub name: String,
    /// File or directory.
    pub kind: NodeKind,
    /// Bytes for a file, entries for a directory.
    pub size: u64,
}

/// How much of the filesystem's limits is in use, from [`usage`](super::RamFs::usage).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    /// File bytes held, including unlinked files that are still open.
    pub used_bytes: u64,
    /// The most file bytes the filesystem will hold.
    pub capacity_bytes: u64,
    /// Live nodes: the root, every linked node, and unlinked files still open.
    pub nodes: usize,
    /// The most nodes the filesystem will hold.
    pub max_nodes: usize,
    /// Handles currently open, over all clients.
    pub open_handles: usize,
    /// The most handles open at once.
    pub max_open: usize,
}
