//! One capability slot: a packed state word plus the occupant's holder and object, read
//! lock-free with a seqlock-style re-read of the state word.
//!
//! State word: bits 0..32 generation, bits 32..40 rights, bit 40 live.
//!
//! Writers (always under the table lock) follow two rules:
//! - `kill` stores a dead word with the next generation *before* the slot's holder or
//!   object are overwritten (the lock orders a kill before any later `occupy`);
//! - `occupy` stores holder and object with `Release`, then the live word with `Release`.
//!
//! A reader loads the word (`Acquire`), then holder and object (`Acquire`), then the word
//! again. If it read an occupant written by a later `occupy`, that store happened after the
//! kill, so the re-read sees the kill or something newer, which differs from the first word
//! (generations only grow): the reader retries instead of pairing an old generation with a
//! new occupant. Equal words mean the holder and object belong to that word.

use super::ObjectRef;
use super::rights::Rights;
use crate::ids::HolderId;
use crate::sync::{AtomicU32, AtomicU64, Ordering};

const RIGHTS_SHIFT: u32 = 32;
const LIVE: u64 = 1 << 40;

/// A decoded state word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SlotWord(u64);

impl SlotWord {
    const fn live(generation: u32, rights: Rights) -> Self {
        Self(LIVE | ((rights.bits() as u64) << RIGHTS_SHIFT) | generation as u64)
    }

    const fn dead(generation: u32) -> Self {
        Self(generation as u64)
    }

    pub(super) const fn generation(self) -> u32 {
        self.0 as u32
    }

    pub(super) const fn rights(self) -> Rights {
        Rights::from_bits_truncate((self.0 >> RIGHTS_SHIFT) as u8)
    }

    pub(super) const fn is_live(self) -> bool {
        self.0 & LIVE != 0
    }
}

/// A consistent view of one slot.
#[derive(Clone, Copy, Debug)]
pub(super) struct Snapshot {
    pub(super) word: SlotWord,
    pub(super) holder: HolderId,
    pub(super) object: Option<ObjectRef>,
}

/// One slot of the table.
pub(super) struct Slot {
    word: AtomicU64,
    holder: AtomicU32,
    object: AtomicU64,
}

impl Slot {
    /// An empty slot at generation 0.
    pub(super) fn empty() -> Self {
        Self {
            word: AtomicU64::new(0),
            holder: AtomicU32::new(0),
            object: AtomicU64::new(0),
        }
    }

    /// One consistent read of the slot's word, holder and object word, lock-free
    /// (retries while a writer changes the slot).
    #[inline]
    fn read(&self) -> (SlotWord, u32, u64) {
        loop {
            let before = self.word.load(Ordering::Acquire);
            let holder = self.holder.load(Ordering::Acquire);
            let object = self.object.load(Ordering::Acquire);
            if self.word.load(Ordering::Relaxed) == before {
                return (SlotWord(before), holder, object);
            }
        }
    }

    /// A consistent snapshot, lock-free.
    pub(super) fn snapshot(&self) -> Snapshot {
        let (word, holder, object) = self.read();
        Snapshot {
            word,
            holder: HolderId(holder),
            object: ObjectRef::from_word(object),
        }
    }

    /// The state word and the object word (`ObjectRef::to_word`) of the slot if it is
    /// live at `generation`, issued to `holder` with at least `needed`: one consistent
    /// read, nothing decoded; `None` for any refusal (the caller asks the full check for
    /// its reason).
    #[inline]
    pub(super) fn granted(
        &self,
        holder: HolderId,
        generation: u32,
        needed: Rights,
    ) -> Option<(u64, u64)> {
        let (word, owner, object) = self.read();
        (owner == holder.0
            && word.generation() == generation
            && word.is_live()
            && word.rights().contains(needed))
        .then_some((word.0, object))
    }

    /// The state word as it is now. A live word names one occupant for good: `occupy`
    /// stores a live word at a generation once, and `kill` moves on to the next one
    /// (generations only grow), so a live word read again means the same holder, object
    /// and rights.
    #[inline]
    pub(super) fn word(&self) -> u64 {
        self.word.load(Ordering::Acquire)
    }

    /// Makes a dead slot live for `holder` at its current generation; returns that
    /// generation. Table lock held.
    pub(super) fn occupy(&self, holder: HolderId, object: ObjectRef, rights: Rights) -> u32 {
        let generation = SlotWord(self.word.load(Ordering::Relaxed)).generation();
        self.holder.store(holder.0, Ordering::Release);
        self.object.store(object.to_word(), Ordering::Release);
        self.word
            .store(SlotWord::live(generation, rights).0, Ordering::Release);
        generation
    }

    /// Kills a live slot: dead, next generation. Returns the new generation (`u32::MAX`
    /// means the slot is worn out and must not be reused). Table lock held.
    pub(super) fn kill(&self) -> u32 {
        let next = SlotWord(self.word.load(Ordering::Relaxed))
            .generation()
            .saturating_add(1);
        self.word.store(SlotWord::dead(next).0, Ordering::Release);
        next
    }

    /// The occupant's holder. Table lock held (no concurrent writer).
    pub(super) fn holder(&self) -> HolderId {
        HolderId(self.holder.load(Ordering::Relaxed))
    }

    /// Whether the slot is live. Table lock held (no concurrent writer).
    pub(super) fn is_live(&self) -> bool {
        SlotWord(self.word.load(Ordering::Relaxed)).is_live()
    }
}
