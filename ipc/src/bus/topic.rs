//! One event type's shared ring and its waiting subscribers, under the topic lock.
//!
//! Invariants:
//! - `tail` counts every event ever broadcast; event `n` sits at `ring[n & mask]` until
//!   overwritten by event `n + ring.len()`.
//! - `ring.len()` is a power of two at least the largest capacity any subscriber joined
//!   with, so every subscriber's window (its `capacity` newest events) is still in the ring.
//! - A subscriber slot is in `waiting` exactly when its waker is `Some`; broadcasts only
//!   visit `waiting`, so subscribers that are not parked cost nothing.
//! - Wakers are handed out (`take_waiters`, `park`, `leave`) to be woken or dropped after
//!   the lock is released.

use alloc::vec::Vec;
use core::task::Waker;

use super::Event;
use crate::error::IpcError;
use crate::message::{Header, Message};
use crate::sync::Mutex;

/// One event as stored in the ring: already the `Event::Message` a reader gets, so that
/// a read is a single copy of the whole value into the reader's result (a ring of
/// `(Header, Message)` pairs made every read rebuild the enum field by field and copy it
/// twice).
pub(super) type Stored = Event;

/// An event type with at least one subscriber.
pub(super) struct Topic {
    pub(super) state: Mutex<TopicState>,
}

impl Topic {
    pub(super) fn new() -> Self {
        Self {
            state: Mutex::new(TopicState {
                ring: Vec::new(),
                tail: 0,
                wakers: Vec::new(),
                free_slots: Vec::new(),
                waiting: Vec::new(),
                subscribers: 0,
                closed: false,
            }),
        }
    }
}

/// The ring and the subscriber bookkeeping.
pub(super) struct TopicState {
    ring: Vec<Stored>,
    tail: u64,
    /// Per subscriber slot: its waker while parked.
    wakers: Vec<Option<Waker>>,
    free_slots: Vec<u32>,
    /// Slots whose waker is `Some`.
    waiting: Vec<u32>,
    subscribers: usize,
    closed: bool,
}

impl TopicState {
    /// Adds a subscriber with a window of `capacity` events; returns its slot and cursor
    /// (it sees events broadcast from now on).
    pub(super) fn join(&mut self, capacity: usize) -> (u32, u64) {
        if capacity > self.ring.len() {
            self.grow(capacity.next_power_of_two());
        }
        self.subscribers += 1;
        let slot = self.free_slots.pop().unwrap_or_else(|| {
            self.wakers.push(None);
            (self.wakers.len() - 1) as u32
        });
        (slot, self.tail)
    }

    /// Removes a subscriber; returns how many remain and its waker (drop it unlocked).
    pub(super) fn leave(&mut self, slot: u32) -> (usize, Option<Waker>) {
        let waker = self.wakers[slot as usize].take();
        if waker.is_some()
            && let Some(position) = self.waiting.iter().position(|&waiting| waiting == slot)
        {
            self.waiting.swap_remove(position);
        }
        self.free_slots.push(slot);
        self.subscribers -= 1;
        (self.subscribers, waker)
    }

    /// Stores an event, overwriting the oldest; returns how many subscribers it reached.
    pub(super) fn push(&mut self, header: Header, message: Message) -> usize {
        let mask = self.ring.len() as u64 - 1;
        self.ring[(self.tail & mask) as usize] = Event::Message { header, message };
        self.tail += 1;
        self.subscribers
    }

    /// The next event for a subscriber at `cursor` with window `capacity`, advancing the
    /// cursor: a message, or `Missed` when it lagged past its window (the cursor then jumps
    /// to the window's start). `Ok(None)` when it is up to date, `Closed` when it is and the
    /// bus is gone. (Built as the caller's result type, so a message is copied once.)
    #[inline]
    pub(super) fn next(&self, cursor: &mut u64, capacity: u64) -> Result<Option<Event>, IpcError> {
        let lag = self.tail - *cursor;
        if lag == 0 {
            if self.closed {
                Err(IpcError::Closed)
            } else {
                Ok(None)
            }
        } else if lag > capacity {
            *cursor = self.tail - capacity;
            Ok(Some(Event::Missed(lag - capacity)))
        } else {
            let mask = self.ring.len() as u64 - 1;
            let slot = (*cursor & mask) as usize;
            *cursor += 1;
            Ok(Some(self.ring[slot]))
        }
    }

    /// Parks `slot` with `waker` until the next broadcast; returns a replaced waker.
    pub(super) fn park(&mut self, slot: u32, waker: &Waker) -> Option<Waker> {
        let entry = &mut self.wakers[slot as usize];
        match entry {
            Some(current) if current.will_wake(waker) => None,
            Some(current) => Some(core::mem::replace(current, waker.clone())),
            None => {
                *entry = Some(waker.clone());
                self.waiting.push(slot);
                None
            }
        }
    }

    /// Unparks every waiting subscriber; returns their wakers (wake them unlocked).
    pub(super) fn take_waiters(&mut self) -> Vec<Waker> {
        let wakers = &mut self.wakers;
        self.waiting
            .drain(..)
            .filter_map(|slot| wakers[slot as usize].take())
            .collect()
    }

    /// The bus is gone: subscribers drain what is left, then read `Closed`.
    pub(super) fn close(&mut self) {
        self.closed = true;
    }

    pub(super) fn subscribers(&self) -> usize {
        self.subscribers
    }

    /// Reallocates the ring with `len` slots, keeping the newest events in place.
    fn grow(&mut self, len: usize) {
        // Slots outside every window are never read; `Missed(0)` only fills them.
        let mut ring = alloc::vec![Event::Missed(0); len];
        let kept = self.tail.saturating_sub(self.ring.len() as u64)..self.tail;
        let old_mask = (self.ring.len() as u64).wrapping_sub(1);
        let new_mask = len as u64 - 1;
        for event in kept {
            ring[(event & new_mask) as usize] = self.ring[(event & old_mask) as usize];
        }
        self.ring = ring;
    }
}
