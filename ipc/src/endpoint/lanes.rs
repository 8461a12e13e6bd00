//! Five FIFOs, one per priority lane, with a bit mask of the non-empty ones.
//!
//! Invariant: bit `i` of `nonempty` is set exactly when lane `i` holds a message. Used for
//! the receiver's private lanes and for the shared fallback queue (under its lock). Each
//! message carries its source: the id of the ring it came from, or [`FROM_FALLBACK`].

use alloc::collections::VecDeque;

use super::Received;
use crate::Priority;

/// Bit of `lane` in lane masks (bit 0: `Critical`).
#[inline]
pub(super) const fn lane_bit(lane: Priority) -> u32 {
    1 << lane.index()
}

/// Every lane bit.
pub(super) const ALL_LANES: u32 = (1 << Priority::COUNT) - 1;

/// Lanes of priority `lane` or higher.
#[inline]
pub(super) const fn lanes_at_or_above(lane: Priority) -> u32 {
    (lane_bit(lane) << 1) - 1
}

/// Lanes of priority strictly higher than `lane`.
#[inline]
pub(super) const fn lanes_above(lane: Priority) -> u32 {
    lane_bit(lane) - 1
}

/// The highest lane that `signals` may have messages in, as an index (`Priority::COUNT`
/// or more: none): a message of lane `l` has none above it when `l.index() <= top_lane`.
#[inline]
pub(super) const fn top_lane(signals: u32) -> u32 {
    signals.trailing_zeros()
}

/// The source of a message that came through the fallback queue.
pub(super) const FROM_FALLBACK: u64 = u64::MAX;

/// Messages by lane (with their sources), oldest first within a lane.
pub(super) struct Lanes {
    queues: [VecDeque<(Received, u64)>; Priority::COUNT],
    nonempty: u32,
}

impl Lanes {
    pub(super) fn new() -> Self {
        Self {
            queues: Default::default(),
            nonempty: 0,
        }
    }

    /// Mask of the lanes holding messages.
    #[inline]
    pub(super) fn nonempty(&self) -> u32 {
        self.nonempty
    }

    /// The highest lane holding a message.
    #[inline]
    pub(super) fn highest(&self) -> Option<Priority> {
        (self.nonempty != 0).then(|| Priority::from_index(self.nonempty.trailing_zeros() as usize))
    }

    /// Appends `envelope`, which came from `source`, to its lane.
    #[inline]
    pub(super) fn push(&mut self, envelope: Received, source: u64) {
        let lane = envelope.header.priority;
        self.queues[lane.index()].push_back((envelope, source));
        self.nonempty |= lane_bit(lane);
    }

    /// Takes the oldest message of the highest non-empty lane, with its source.
    #[inline]
    pub(super) fn pop(&mut self) -> Option<(Received, u64)> {
        let lane = self.highest()?;
        let queue = &mut self.queues[lane.index()];
        let envelope = queue.pop_front();
        if queue.is_empty() {
            self.nonempty &= !lane_bit(lane);
        }
        envelope
    }

    /// Moves every message of `other` to the back of the same lane here (order kept) and
    /// returns how many moved.
    pub(super) fn append(&mut self, other: &mut Lanes) -> usize {
        let mut moved = 0;
        for (mine, theirs) in self.queues.iter_mut().zip(&mut other.queues) {
            moved += theirs.len();
            mine.append(theirs);
        }
        self.nonempty |= other.nonempty;
        other.nonempty = 0;
        moved
    }
}
