//! The open-file table: which client holds which file, opened how, at which position.
//!
//! A handle is a capability. Its value encodes a slot index (low 32 bits) and the slot's
//! generation (high 32 bits); closing bumps the generation, so a closed handle's value
//! never matches again, even after its slot is reused. A slot whose generation is used
//! up is retired rather than wrapped. Every entry also records its owner, and a handle
//! presented by anyone else is refused exactly like a closed one, so a client learns
//! nothing about other clients' handles.

use alloc::vec::Vec;

use super::{FsError, OpenFlags};

/// An open file, as a client names it: an opaque value from
/// [`open`](super::RamFs::open), valid only for the client that opened it and only
/// until it is closed. The field is public so IPC can carry it as a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Handle(pub u64);

impl Handle {
    fn new(index: u32, generation: u32) -> Handle {
        Handle(u64::from(generation) << 32 | u64::from(index))
    }

    fn index(self) -> usize {
        // An index no `usize` can hold names no slot.
        usize::try_from(self.0 & u64::from(u32::MAX)).unwrap_or(usize::MAX)
    }

    fn generation(self) -> u32 {
        // Lossless: the high 32 bits.
        (self.0 >> 32) as u32
    }
}

/// Where a [`seek`](super::RamFs::seek) moves the position to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeekFrom {
    /// This many bytes from the start.
    Start(u64),
    /// This many bytes from the current position (negative: backwards).
    Current(i64),
    /// This many bytes from the end of the file (negative: backwards).
    End(i64),
}

impl SeekFrom {
    /// The new position, given the current one and the file's length. A negative or
    /// overflowing result is [`FsError::InvalidArgument`]; past the end is fine (a
    /// later write zero-fills the gap).
    pub(super) fn target(self, current: u64, len: u64) -> Result<u64, FsError> {
        match self {
            SeekFrom::Start(pos) => Some(pos),
            SeekFrom::Current(delta) => current.checked_add_signed(delta),
            SeekFrom::End(delta) => len.checked_add_signed(delta),
        }
        .ok_or(FsError::InvalidArgument)
    }
}

/// One open file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct OpenFile {
    /// The client that opened it; the only one that may use it.
    pub(super) owner: u64,
    /// The file's inode number.
    pub(super) node: u64,
    /// How it was opened.
    pub(super) flags: OpenFlags,
    /// Where the next read or (non-append) write starts.
    pub(super) pos: u64,
}

/// A slot of the table.
struct Slot {
    /// The generation of the handle the slot holds or will hold next.
    generation: u32,
    file: Option<OpenFile>,
}

/// The open-file table, bounded by `max_open` entries.
pub(super) struct HandleTable {
    slots: Vec<Slot>,
    /// Empty slots that may be reused (retired ones are not here).
    free: Vec<u32>,
    open: usize,
    max_open: usize,
}

impl HandleTable {
    pub(super) fn new(max_open: usize) -> HandleTable {
        HandleTable {
            slots: Vec::new(),
            free: Vec::new(),
            open: 0,
            max_open,
        }
    }

    /// Handles open, over all owners.
    pub(super) fn len(&self) -> usize {
        self.open
    }

    pub(super) fn max_open(&self) -> usize {
        self.max_open
    }

    /// Whether [`HandleTable::insert`] would fail; checked before `open` creates a file,
    /// so a refused open leaves no file behind.
    pub(super) fn is_full(&self) -> bool {
        // Past `u32::MAX` slots (only ever reached by retiring slots) there is no index
        // left to hand out.
        let no_index = self.free.is_empty() && u32::try_from(self.slots.len()).is_err();
        self.open >= self.max_open || no_index
    }

    /// Stores an open file and returns its new handle; [`FsError::TooManyOpen`] when
    /// the table is full.
    pub(super) fn insert(&mut self, file: OpenFile) -> Result<Handle, FsError> {
        if self.is_full() {
            return Err(FsError::TooManyOpen);
        }
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                // Generations start at 1, so `Handle(0)` is never valid.
                let index = u32::try_from(self.slots.len()).map_err(|_| FsError::TooManyOpen)?;
                self.slots.push(Slot {
                    generation: 1,
                    file: None,
                });
                index
            }
        };
        // Free indices always name slots; refuse rather than panic if not.
        let slot = usize::try_from(index)
            .ok()
            .and_then(|i| self.slots.get_mut(i))
            .ok_or(FsError::TooManyOpen)?;
        slot.file = Some(file);
        self.open += 1;
        Ok(Handle::new(index, slot.generation))
    }

    /// The open file behind `owner`'s handle.
    pub(super) fn get(&self, owner: u64, handle: Handle) -> Result<&OpenFile, FsError> {
        self.slots
            .get(handle.index())
            .filter(|slot| slot.generation == handle.generation())
            .and_then(|slot| slot.file.as_ref())
            .filter(|file| file.owner == owner)
            .ok_or(FsError::BadHandle)
    }

    /// The open file behind `owner`'s handle, to move its position.
    pub(super) fn get_mut(&mut self, owner: u64, handle: Handle) -> Result<&mut OpenFile, FsError> {
        self.slots
            .get_mut(handle.index())
            .filter(|slot| slot.generation == handle.generation())
            .and_then(|slot| slot.file.as_mut())
            .filter(|file| file.owner == owner)
            .ok_or(FsError::BadHandle)
    }

    /// Closes `owner`'s handle and returns what it held.
    pub(super) fn remove(&mut self, owner: u64, handle: Handle) -> Result<OpenFile, FsError> {
        self.get(owner, handle)?;
        self.take(handle.index()).ok_or(FsError::BadHandle)
    }

    /// Closes every handle of `owner`, passing each closed file to `closed`; returns
    /// how many.
    pub(super) fn remove_all(&mut self, owner: u64, mut closed: impl FnMut(OpenFile)) -> usize {
        let mut count = 0;
        for index in 0..self.slots.len() {
            let owned = self.slots[index]
                .file
                .is_some_and(|file| file.owner == owner);
            if owned && let Some(file) = self.take(index) {
                closed(file);
                count += 1;
            }
        }
        count
    }

    /// Empties a slot and moves it to its next generation, freeing it for reuse unless
    /// the generation is used up.
    fn take(&mut self, index: usize) -> Option<OpenFile> {
        let slot = self.slots.get_mut(index)?;
        let file = slot.file.take()?;
        self.open = self.open.saturating_sub(1);
        if let Some(next) = slot.generation.checked_add(1) {
            slot.generation = next;
            // `index` came from a `u32` in `insert`.
            if let Ok(index) = u32::try_from(index) {
                self.free.push(index);
            }
        }
        Some(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(owner: u64) -> OpenFile {
        OpenFile {
            owner,
            node: 7,
            flags: OpenFlags::READ,
            pos: 0,
        }
    }

    #[test]
    fn closed_handles_stay_bad_after_their_slot_is_reused() {
        let mut table = HandleTable::new(4);
        let first = table.insert(file(1)).unwrap();
        table.remove(1, first).unwrap();
        let second = table.insert(file(1)).unwrap();
        assert_eq!(second.index(), first.index(), "the slot is reused");
        assert_ne!(second, first);
        assert_eq!(table.get(1, first), Err(FsError::BadHandle));
        assert_eq!(table.remove(1, first), Err(FsError::BadHandle));
        assert!(table.get(1, second).is_ok());
        assert_eq!(table.get(1, Handle(0)), Err(FsError::BadHandle));
        assert_eq!(table.get(1, Handle(u64::MAX)), Err(FsError::BadHandle));
    }

    #[test]
    fn a_used_up_generation_retires_its_slot() {
        let mut table = HandleTable::new(1);
        let handle = table.insert(file(1)).unwrap();
        table.slots[0].generation = u32::MAX;
        let last = Handle::new(0, u32::MAX);
        table.remove(1, last).unwrap();
        assert!(table.free.is_empty());
        let next = table.insert(file(1)).unwrap();
        assert_eq!(next.index(), 1, "a new slot, not the retired one");
        assert_eq!(table.get(1, last), Err(FsError::BadHandle));
        assert_eq!(table.get(1, handle), Err(FsError::BadHandle));
    }

    #[test]
    fn other_owners_cannot_use_or_close_a_handle() {
        let mut table = HandleTable::new(4);
        let handle = table.insert(file(1)).unwrap();
        assert_eq!(table.get_mut(2, handle), Err(FsError::BadHandle));
        assert_eq!(table.remove(2, handle), Err(FsError::BadHandle));
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn remove_all_closes_only_that_owner() {
        let mut table = HandleTable::new(8);
        let mine = [
            table.insert(file(1)).unwrap(),
            table.insert(file(1)).unwrap(),
        ];
        let theirs = table.insert(file(2)).unwrap();
        let mut seen = 0;
        assert_eq!(table.remove_all(1, |f| seen += f.node), 2);
        assert_eq!(seen, 14);
        assert!(mine.iter().all(|&h| table.get(1, h).is_err()));
        assert!(table.get(2, theirs).is_ok());
        assert_eq!(table.remove_all(1, |_| {}), 0);
    }

    #[test]
    fn the_table_is_bounded() {
        let mut table = HandleTable::new(2);
        table.insert(file(1)).unwrap();
        table.insert(file(2)).unwrap();
        assert_eq!(table.insert(file(3)), Err(FsError::TooManyOpen));
        assert_eq!(
            HandleTable::new(0).insert(file(1)),
            Err(FsError::TooManyOpen)
        );
    }

    #[test]
    fn seek_targets() {
        assert_eq!(SeekFrom::Start(9).target(3, 5), Ok(9));
        assert_eq!(SeekFrom::Current(-3).target(3, 5), Ok(0));
        assert_eq!(
            SeekFrom::Current(-4).target(3, 5),
            Err(FsError::InvalidArgument)
        );
        assert_eq!(SeekFrom::End(2).target(3, 5), Ok(7));
        assert_eq!(
            SeekFrom::End(-6).target(3, 5),
            Err(FsError::InvalidArgument)
        );
        assert_eq!(
            SeekFrom::Current(1).target(u64::MAX, 0),
            Err(FsError::InvalidArgument)
        );
        assert_eq!(
            SeekFrom::End(i64::MIN).target(0, u64::MAX),
            Ok(u64::MAX / 2)
        );
    }
}
