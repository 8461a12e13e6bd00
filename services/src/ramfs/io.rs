//! File I/O through handles: open, read, write, seek, fstat, close.

use super::handle::OpenFile;
use super::node::Lookup;
use super::path::Path;
use super::{FsError, Handle, NodeKind, OpenFlags, RamFs, SeekFrom, Stat};

impl RamFs {
    /// Opens the file at `path` for client `owner`, at position 0.
    ///
    /// Checked in this order: the flags ([`FsError::InvalidArgument`] without `READ` or
    /// `WRITE`, for `TRUNCATE`/`APPEND` without `WRITE`, `EXCLUSIVE` without `CREATE`),
    /// the path (`BadPath`, `NameTooLong`), the way to it ([`FsError::NotFound`],
    /// [`FsError::NotADirectory`]), the node: if it exists, `CREATE | EXCLUSIVE` is
    /// [`FsError::AlreadyExists`] and a directory [`FsError::IsADirectory`]; if not,
    /// without `CREATE` it is `NotFound`. Then a full handle table is
    /// [`FsError::TooManyOpen`] and, for a new file, the node limit
    /// [`FsError::NoSpace`]; both are checked before anything changes, so a failed open
    /// creates and truncates nothing.
    pub fn open(
        &mut self,
        owner: u64,
        path: impl AsRef<[u8]>,
        flags: OpenFlags,
    ) -> Result<Handle, FsError> {
        flags.validate()?;
        let node = match self.nodes.lookup(Path::parse(path.as_ref())?)? {
            Lookup::Found(node) => {
                if flags.contains(OpenFlags::CREATE | OpenFlags::EXCLUSIVE) {
                    return Err(FsError::AlreadyExists);
                }
                if self.nodes.stat(node)?.kind == NodeKind::Directory {
                    return Err(FsError::IsADirectory);
                }
                if self.handles.is_full() {
                    return Err(FsError::TooManyOpen);
                }
                if flags.contains(OpenFlags::TRUNCATE) {
                    self.nodes.truncate(node)?;
                }
                node
            }
            Lookup::Missing { parent, name } => {
                if !flags.contains(OpenFlags::CREATE) {
                    return Err(FsError::NotFound);
                }
                if self.handles.is_full() {
                    return Err(FsError::TooManyOpen);
                }
                self.nodes.create(parent, name, NodeKind::File)?
            }
        };
        self.nodes.acquire(node)?;
        let file = OpenFile {
            owner,
            node,
            flags,
            pos: 0,
        };
        self.handles
            .insert(file)
            .inspect_err(|_| self.nodes.release(node))
    }

    /// Reads into `buf` from the handle's position and advances it; returns how many
    /// bytes were read, 0 at or past the end. [`FsError::AccessDenied`] if the handle
    /// was not opened with `READ`.
    pub fn read(&mut self, owner: u64, handle: Handle, buf: &mut [u8]) -> Result<usize, FsError> {
        let file = self.handles.get_mut(owner, handle)?;
        if !file.flags.contains(OpenFlags::READ) {
            return Err(FsError::AccessDenied);
        }
        let n = self.nodes.read(file.node, file.pos, buf)?;
        // Cannot overflow: the file holds at least `pos + n` bytes.
        file.pos = file.pos.saturating_add(n as u64);
        Ok(n)
    }

    /// Writes all of `data` at the handle's position (at the end of the file if it was
    /// opened with `APPEND`) and moves the position past it; a position past the end
    /// zero-fills the gap. [`FsError::AccessDenied`] without `WRITE`;
    /// [`FsError::NoSpace`] if the filesystem's bytes would exceed its capacity, and
    /// then nothing is written. An empty write changes nothing.
    pub fn write(&mut self, owner: u64, handle: Handle, data: &[u8]) -> Result<usize, FsError> {
        let file = self.handles.get_mut(owner, handle)?;
        if !file.flags.contains(OpenFlags::WRITE) {
            return Err(FsError::AccessDenied);
        }
        if data.is_empty() {
            return Ok(0);
        }
        let pos = if file.flags.contains(OpenFlags::APPEND) {
            self.nodes.file_len(file.node)?
        } else {
            file.pos
        };
        let n = self.nodes.write(file.node, pos, data)?;
        // Cannot overflow: `write` checked that `pos + n` fits.
        file.pos = pos.saturating_add(n as u64);
        Ok(n)
    }

    /// Moves the handle's position and returns it. A negative or overflowing result is
    /// [`FsError::InvalidArgument`] (the position is unchanged); past the end is
    /// allowed.
    pub fn seek(&mut self, owner: u64, handle: Handle, from: SeekFrom) -> Result<u64, FsError> {
        let file = self.handles.get_mut(owner, handle)?;
        let len = self.nodes.file_len(file.node)?;
        file.pos = from.target(file.pos, len)?;
        Ok(file.pos)
    }

    /// The metadata of the handle's file, which may since have been unlinked.
    pub fn fstat(&self, owner: u64, handle: Handle) -> Result<Stat, FsError> {
        let file = self.handles.get(owner, handle)?;
        self.nodes.stat(file.node)
    }

    /// Closes a handle; its value is [`FsError::BadHandle`] from now on. Closing the
    /// last handle of an unlinked file frees it.
    pub fn close(&mut self, owner: u64, handle: Handle) -> Result<(), FsError> {
        let file = self.handles.remove(owner, handle)?;
        self.nodes.release(file.node);
        Ok(())
    }

    /// Closes every handle `owner` holds (when that client dies) and returns how many.
    pub fn close_all(&mut self, owner: u64) -> usize {
        self.handles
            .remove_all(owner, |file| self.nodes.release(file.node))
    }
}
