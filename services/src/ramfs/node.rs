//! Inodes: the files and directories themselves, the tree that names them, and the two
//! limits on them (node count and file bytes).
//!
//! Nodes live in slots, found by inode number in one step, and directories hold their
//! children's numbers, not the children: a node can then outlive its name (an unlinked
//! file that is still open) without any back pointers, and every lookup is a bounded
//! walk. A number is `serial << SLOT_BITS | slot`, the serial counting every node ever
//! created: numbers are never reused (a freed slot's next node has a new serial, so a
//! stale number finds nothing) and a newer node has a larger number.
//!
//! The byte count is kept here, next to the only code that changes file lengths, so it
//! cannot drift from the sum of the files.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::borrow::Borrow;

use super::path::Path;
use super::{FsError, NodeKind, Stat};

/// The root directory's inode number: serial 0 in slot 1 (slot 0 stays empty, so no
/// node is number 0).
const ROOT: u64 = 1;

/// Bits of a node number that name its slot.
const SLOT_BITS: u32 = 32;

/// One slot: the number of the node in it, if any.
struct Slot {
    number: u64,
    node: Option<Node>,
}

/// A directory entry's name: UTF-8 (checked by [`Path::parse`]), looked up by its bytes.
/// Ordered as its bytes are, as `str` is, so `Borrow<[u8]>` keeps the map's order.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Name(String);

impl Borrow<[u8]> for Name {
    fn borrow(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// What a node holds.
enum Contents {
    /// A file's bytes.
    File(Vec<u8>),
    /// A directory's entries, name to inode number; a `BTreeMap` so listings come out
    /// sorted for free.
    Directory(BTreeMap<Name, u64>),
}

/// One inode.
struct Node {
    contents: Contents,
    /// Whether a directory entry names the node. An unlinked node is kept only while
    /// handles are open on it.
    linked: bool,
    /// Open handles on the node (files only; directories cannot be opened).
    open: usize,
}

impl Node {
    fn kind(&self) -> NodeKind {
        match self.contents {
            Contents::File(_) => NodeKind::File,
            Contents::Directory(_) => NodeKind::Directory,
        }
    }

    /// Bytes for a file, entries for a directory.
    fn size(&self) -> u64 {
        let len = match &self.contents {
            Contents::File(data) => data.len(),
            Contents::Directory(entries) => entries.len(),
        };
        u64::try_from(len).unwrap_or(u64::MAX)
    }
}

/// Where a path leads.
pub(super) enum Lookup<'p> {
    /// To an existing node.
    Found(u64),
    /// To a free name in an existing directory.
    Missing {
        /// The directory's inode number.
        parent: u64,
        /// The free name.
        name: &'p [u8],
    },
}

/// Every node, and the limits on them.
pub(super) struct NodeTable {
    slots: Vec<Slot>,
    /// Slots whose node was freed, for the next ones.
    free_slots: Vec<usize>,
    /// Nodes in the slots.
    live: usize,
    /// The serial of the next node (module docs).
    next_serial: u64,
    max_nodes: usize,
    used_bytes: u64,
    capacity_bytes: u64,
}

impl NodeTable {
    /// A table holding only the empty root directory. `max_nodes` counts the root, so
    /// it is raised to at least 1.
    pub(super) fn new(capacity_bytes: u64, max_nodes: usize) -> NodeTable {
        let root = Node {
            contents: Contents::Directory(BTreeMap::new()),
            linked: true,
            open: 0,
        };
        let empty = Slot {
            number: 0,
            node: None,
        };
        let root = Slot {
            number: ROOT,
            node: Some(root),
        };
        NodeTable {
            slots: Vec::from([empty, root]),
            free_slots: Vec::new(),
            live: 1,
            next_serial: 1,
            max_nodes: max_nodes.max(1),
            used_bytes: 0,
            capacity_bytes,
        }
    }

    /// Live nodes, unlinked-but-open files included.
    pub(super) fn len(&self) -> usize {
        self.live
    }

    pub(super) fn max_nodes(&self) -> usize {
        self.max_nodes
    }

    pub(super) fn used_bytes(&self) -> u64 {
        self.used_bytes
    }

    pub(super) fn capacity_bytes(&self) -> u64 {
        self.capacity_bytes
    }

    /// Follows a path to the node it names, or to the free name its last component is.
    /// A missing directory on the way is [`FsError::NotFound`], a file on the way
    /// [`FsError::NotADirectory`].
    pub(super) fn lookup<'p>(&self, path: Path<'p>) -> Result<Lookup<'p>, FsError> {
        let Some((parent_path, name)) = path.split_last() else {
            return Ok(Lookup::Found(ROOT));
        };
        let parent = self.resolve(parent_path)?;
        Ok(match self.entries(parent)?.get(name) {
            Some(&node) => Lookup::Found(node),
            None => Lookup::Missing { parent, name },
        })
    }

    /// The node a path names; [`FsError::NotFound`] if there is none.
    pub(super) fn resolve(&self, path: Path<'_>) -> Result<u64, FsError> {
        path.components().try_fold(ROOT, |dir, name| {
            self.entries(dir)?
                .get(name)
                .copied()
                .ok_or(FsError::NotFound)
        })
    }

    /// The directory holding a path's last component, and that component; `None` for
    /// the root.
    pub(super) fn parent_of<'p>(&self, path: Path<'p>) -> Result<Option<(u64, &'p [u8])>, FsError> {
        let Some((parent_path, name)) = path.split_last() else {
            return Ok(None);
        };
        let parent = self.resolve(parent_path)?;
        // Checks that the parent is a directory.
        self.entries(parent)?;
        Ok(Some((parent, name)))
    }

    /// A node's metadata.
    pub(super) fn stat(&self, node: u64) -> Result<Stat, FsError> {
        let n = self.node(node)?;
        Ok(Stat {
            kind: n.kind(),
            size: n.size(),
            node,
        })
    }

    /// A directory's entries with their kinds and sizes, in name order.
    pub(super) fn list(
        &self,
        dir: u64,
    ) -> Result<impl Iterator<Item = (&str, NodeKind, u64)>, FsError> {
        let entries = self.entries(dir)?;
        Ok(entries.iter().filter_map(|(name, &node)| {
            let n = self.node(node).ok()?;
            Some((name.0.as_str(), n.kind(), n.size()))
        }))
    }

    /// Creates an empty file or directory as `name` in `parent` (a free name, from
    /// [`Lookup::Missing`]). [`FsError::NoSpace`] when the node limit is reached.
    pub(super) fn create(
        &mut self,
        parent: u64,
        name: &[u8],
        kind: NodeKind,
    ) -> Result<u64, FsError> {
        // Valid after `Path::parse`; checked again rather than trusted.
        let name = core::str::from_utf8(name).map_err(|_| FsError::BadPath)?;
        if self.live >= self.max_nodes || self.next_serial >> (u64::BITS - SLOT_BITS) != 0 {
            return Err(FsError::NoSpace);
        }
        let contents = match kind {
            NodeKind::File => Contents::File(Vec::new()),
            NodeKind::Directory => Contents::Directory(BTreeMap::new()),
        };
        let slot = self.free_slots.last().copied().unwrap_or(self.slots.len());
        let number = self.next_serial << SLOT_BITS | slot as u64;
        self.entries_mut(parent)?
            .insert(Name(String::from(name)), number);
        self.free_slots.pop();
        let slot_value = Slot {
            number,
            node: Some(Node {
                contents,
                linked: true,
                open: 0,
            }),
        };
        match self.slots.get_mut(slot) {
            Some(free) => *free = slot_value,
            None => self.slots.push(slot_value),
        }
        self.next_serial += 1;
        self.live += 1;
        Ok(number)
    }

    /// Removes `name` from `parent`. A non-empty directory is
    /// [`FsError::DirectoryNotEmpty`]. The node itself goes at once unless handles are
    /// open on it; then it lives on, nameless, until [`NodeTable::release`] drops the
    /// last one.
    pub(super) fn unlink(&mut self, parent: u64, name: &[u8]) -> Result<(), FsError> {
        let node = *self.entries(parent)?.get(name).ok_or(FsError::NotFound)?;
        let n = self.node_mut(node)?;
        if let Contents::Directory(entries) = &n.contents
            && !entries.is_empty()
        {
            return Err(FsError::DirectoryNotEmpty);
        }
        n.linked = false;
        let open = n.open > 0;
        self.entries_mut(parent)?.remove(name);
        if !open {
            self.free(node);
        }
        Ok(())
    }

    /// Records a new handle on a file. Directories cannot be opened:
    /// [`FsError::IsADirectory`].
    pub(super) fn acquire(&mut self, file: u64) -> Result<(), FsError> {
        let n = self.node_mut(file)?;
        if n.kind() == NodeKind::Directory {
            return Err(FsError::IsADirectory);
        }
        // Bounded by the open-file table's size, so it cannot really saturate.
        n.open = n.open.saturating_add(1);
        Ok(())
    }

    /// Drops a handle's hold on a file; the last one frees an unlinked file and its
    /// bytes.
    pub(super) fn release(&mut self, file: u64) {
        let Ok(n) = self.node_mut(file) else {
            return;
        };
        n.open = n.open.saturating_sub(1);
        if n.open == 0 && !n.linked {
            self.free(file);
        }
    }

    /// A file's length.
    pub(super) fn file_len(&self, file: u64) -> Result<u64, FsError> {
        let n = self.node(file)?;
        match n.contents {
            Contents::File(_) => Ok(n.size()),
            Contents::Directory(_) => Err(FsError::IsADirectory),
        }
    }

    /// Empties a file, giving its bytes (and their memory) back.
    pub(super) fn truncate(&mut self, file: u64) -> Result<(), FsError> {
        let data = self.data_mut(file)?;
        let freed = u64::try_from(data.len()).unwrap_or(u64::MAX);
        *data = Vec::new();
        self.used_bytes = self.used_bytes.saturating_sub(freed);
        Ok(())
    }

    /// Copies bytes from `pos` into `buf`; returns how many (0 at or past the end).
    pub(super) fn read(&self, file: u64, pos: u64, buf: &mut [u8]) -> Result<usize, FsError> {
        let data = match &self.node(file)?.contents {
            Contents::File(data) => data,
            Contents::Directory(_) => return Err(FsError::IsADirectory),
        };
        // A position that does not fit a `usize` is past the end of any `Vec`.
        let available = usize::try_from(pos)
            .ok()
            .and_then(|start| data.get(start..))
            .unwrap_or(&[]);
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        Ok(n)
    }

    /// Writes all of `data` at `pos`, zero-filling any gap past the old end. All or
    /// nothing: if the file's growth would take the filesystem past its capacity (or
    /// past what this machine can address or allocate), [`FsError::NoSpace`] and the
    /// file is unchanged. An empty write changes nothing, even past the end.
    pub(super) fn write(&mut self, file: u64, pos: u64, data: &[u8]) -> Result<usize, FsError> {
        if data.is_empty() {
            return Ok(0);
        }
        let (used, capacity) = (self.used_bytes, self.capacity_bytes);
        let bytes = self.data_mut(file)?;
        let end = u64::try_from(data.len())
            .ok()
            .and_then(|len| pos.checked_add(len))
            .ok_or(FsError::NoSpace)?;
        let old_len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        let used = used
            .checked_add(end.saturating_sub(old_len))
            .filter(|&used| used <= capacity)
            .ok_or(FsError::NoSpace)?;
        let start = usize::try_from(pos).map_err(|_| FsError::NoSpace)?;
        let end = usize::try_from(end).map_err(|_| FsError::NoSpace)?;
        if end > bytes.len() {
            // Reserve first so a failed allocation is an error, not an abort, and
            // leaves the file as it was.
            bytes
                .try_reserve(end - bytes.len())
                .map_err(|_| FsError::NoSpace)?;
            bytes.resize(end, 0);
        }
        // In bounds: `start <= end <= bytes.len()` after the resize.
        bytes[start..end].copy_from_slice(data);
        self.used_bytes = used;
        Ok(data.len())
    }

    /// Where a node number's slot is.
    #[inline]
    fn slot_of(number: u64) -> usize {
        (number & ((1 << SLOT_BITS) - 1)) as usize
    }

    /// The node `number` names, in its slot (`None` once freed: the slot's number moved on
    /// or its node is gone).
    #[inline]
    fn held(&mut self, number: u64) -> Option<&mut Option<Node>> {
        let slot = self.slots.get_mut(Self::slot_of(number))?;
        (slot.number == number).then_some(&mut slot.node)
    }

    #[inline]
    fn node(&self, number: u64) -> Result<&Node, FsError> {
        match self.slots.get(Self::slot_of(number)) {
            Some(Slot {
                number: held,
                node: Some(node),
            }) if *held == number => Ok(node),
            _ => Err(FsError::NotFound),
        }
    }

    #[inline]
    fn node_mut(&mut self, number: u64) -> Result<&mut Node, FsError> {
        self.held(number)
            .and_then(Option::as_mut)
            .ok_or(FsError::NotFound)
    }

    fn entries(&self, dir: u64) -> Result<&BTreeMap<Name, u64>, FsError> {
        match &self.node(dir)?.contents {
            Contents::Directory(entries) => Ok(entries),
            Contents::File(_) => Err(FsError::NotADirectory),
        }
    }

    fn entries_mut(&mut self, dir: u64) -> Result<&mut BTreeMap<Name, u64>, FsError> {
        match &mut self.node_mut(dir)?.contents {
            Contents::Directory(entries) => Ok(entries),
            Contents::File(_) => Err(FsError::NotADirectory),
        }
    }

    fn data_mut(&mut self, file: u64) -> Result<&mut Vec<u8>, FsError> {
        match &mut self.node_mut(file)?.contents {
            Contents::File(data) => Ok(data),
            Contents::Directory(_) => Err(FsError::IsADirectory),
        }
    }

    /// Drops a node (already out of its directory) and uncharges its bytes.
    fn free(&mut self, number: u64) {
        let Some(node) = self.held(number).and_then(Option::take) else {
            return;
        };
        self.free_slots.push(Self::slot_of(number));
        self.live -= 1;
        if let Contents::File(data) = node.contents {
            let freed = u64::try_from(data.len()).unwrap_or(u64::MAX);
            self.used_bytes = self.used_bytes.saturating_sub(freed);
        }
    }
}
