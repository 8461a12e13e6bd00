//! The storage service's RAM filesystem: an in-memory tree of files and directories,
//! bounded in bytes, nodes and open handles, that never panics on client input.
//!
//! The storage service puts it behind IPC, so everything here is shaped for untrusted
//! callers:
//!
//! - **Paths** are absolute, `/`-separated UTF-8 and checked before use: no empty,
//!   `.` or `..` components, no NUL, no trailing `/` (except `/` itself, the root),
//!   components of at most [`MAX_NAME_LEN`] bytes, paths of at most [`MAX_PATH_LEN`].
//! - **Handles** are capabilities: a [`Handle`] works only for the client (`owner`) that
//!   opened it and only until it is closed; a closed handle's value never works again.
//!   Every misuse is the same [`FsError::BadHandle`], so probing reveals nothing.
//!   [`RamFs::close_all`] cleans up after a client that died.
//! - **Limits**: file bytes (`capacity_bytes`, all or nothing per write), nodes
//!   (`max_nodes`, the root included) and handles (`max_open`) are fixed at creation.
//! - **Errors** are one [`FsError`] with stable wire codes.
//!
//! Unlinking follows POSIX: an open file loses its name at once (the name can be
//! reused) but its data stays readable and writable through the handles already open,
//! and stays charged against the capacity, until the last of them closes.
//!
//! ```
//! use services::ramfs::{OpenFlags, RamFs, SeekFrom};
//!
//! let mut fs = RamFs::new(4096, 16, 8);
//! fs.mkdir("/etc").unwrap();
//! let client = 1;
//! let flags = OpenFlags::READ | OpenFlags::WRITE | OpenFlags::CREATE;
//! let handle = fs.open(client, "/etc/motd", flags).unwrap();
//! fs.write(client, handle, b"hello").unwrap();
//! fs.seek(client, handle, SeekFrom::Start(0)).unwrap();
//! let mut buf = [0; 8];
//! assert_eq!(fs.read(client, handle, &mut buf), Ok(5));
//! assert_eq!(&buf[..5], b"hello");
//! fs.close(client, handle).unwrap();
//! ```

mod error;
mod flags;
mod handle;
mod info;
mod io;
mod node;
mod path;

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;

use alloc::string::String;
use alloc::vec::Vec;

pub use error::FsError;
pub use flags::OpenFlags;
pub use handle::{Handle, SeekFrom};
pub use info::{DirEntry, NodeKind, Stat, Usage};
pub use path::{MAX_NAME_LEN, MAX_PATH_LEN};

use handle::HandleTable;
use node::{Lookup, NodeTable};
use path::Path;

/// An in-memory filesystem. See the [module documentation](self) for the rules.
pub struct RamFs {
    nodes: NodeTable,
    handles: HandleTable,
}

impl RamFs {
    /// An empty filesystem (only the root directory `/`) that holds at most
    /// `capacity_bytes` of file data, `max_nodes` nodes counting the root (so at least
    /// 1) and `max_open` open handles over all clients.
    pub fn new(capacity_bytes: u64, max_nodes: usize, max_open: usize) -> RamFs {
        RamFs {
            nodes: NodeTable::new(capacity_bytes, max_nodes),
            handles: HandleTable::new(max_open),
        }
    }

    /// The metadata of the node at `path`.
    pub fn stat(&self, path: impl AsRef<[u8]>) -> Result<Stat, FsError> {
        let node = self.nodes.resolve(Path::parse(path.as_ref())?)?;
        self.nodes.stat(node)
    }

    /// Creates an empty directory. [`FsError::AlreadyExists`] if `path` names anything
    /// (the root included), [`FsError::NotFound`] / [`FsError::NotADirectory`] for a
    /// missing parent or a file on the way, [`FsError::NoSpace`] at the node limit.
    pub fn mkdir(&mut self, path: impl AsRef<[u8]>) -> Result<(), FsError> {
        match self.nodes.lookup(Path::parse(path.as_ref())?)? {
            Lookup::Found(_) => Err(FsError::AlreadyExists),
            Lookup::Missing { parent, name } => self
                .nodes
                .create(parent, name, NodeKind::Directory)
                .map(drop),
        }
    }

    /// Removes a file or an empty directory ([`FsError::DirectoryNotEmpty`] otherwise).
    /// The root cannot be removed: [`FsError::AccessDenied`] (the path is well formed,
    /// the operation is what is refused). An open file stays usable through its
    /// handles until the last one closes; see the [module documentation](self).
    pub fn unlink(&mut self, path: impl AsRef<[u8]>) -> Result<(), FsError> {
        let (parent, name) = self
            .nodes
            .parent_of(Path::parse(path.as_ref())?)?
            .ok_or(FsError::AccessDenied)?;
        self.nodes.unlink(parent, name)
    }

    /// The entries of the directory at `path`, sorted by name (byte order).
    /// [`FsError::NotADirectory`] if `path` is a file.
    pub fn readdir(&self, path: impl AsRef<[u8]>) -> Result<Vec<DirEntry>, FsError> {
        let dir = self.nodes.resolve(Path::parse(path.as_ref())?)?;
        Ok(self
            .nodes
            .list(dir)?
            .map(|(name, kind, size)| DirEntry {
                name: String::from(name),
                kind,
                size,
            })
            .collect())
    }

    /// How much of each limit is in use.
    pub fn usage(&self) -> Usage {
        Usage {
            used_bytes: self.nodes.used_bytes(),
            capacity_bytes: self.nodes.capacity_bytes(),
            nodes: self.nodes.len(),
            max_nodes: self.nodes.max_nodes(),
            open_handles: self.handles.len(),
            max_open: self.handles.max_open(),
        }
    }
}
