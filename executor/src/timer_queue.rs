//! Per-core timer queue: deadline-ordered wakers; the earliest deadline is what the core
//! programs as its one-shot timer before halting.
//!
//! Invariants: `next` always equals the smallest deadline in `entries` (`NONE` when empty)
//! and is updated inside the lock with `SeqCst`, so a core that publishes HALTED and then
//! reads `next` cannot miss an entry whose inserter did not see HALTED; wakers are woken
//! by the caller after the lock is released.

use alloc::collections::BTreeMap;
use core::task::Waker;

use crate::sync::{AtomicU64, Mutex, Ordering};

/// (deadline, unique id): unique ordering even for equal deadlines.
pub(crate) type TimerKey = (u64, u64);

const NONE: u64 = u64::MAX;

pub(crate) struct TimerQueue {
    entries: Mutex<BTreeMap<TimerKey, Waker>>,
    next: AtomicU64,
}

impl TimerQueue {
    pub(crate) fn new() -> Self {
        Self {
            entries: Mutex::new(BTreeMap::new()),
            next: AtomicU64::new(NONE),
        }
    }

    fn publish_next(&self, entries: &BTreeMap<TimerKey, Waker>) {
        let next = entries
            .keys()
            .next()
            .map_or(NONE, |&(deadline, _)| deadline);
        self.next.store(next, Ordering::SeqCst);
    }

    pub(crate) fn insert(&self, key: TimerKey, waker: Waker) {
        let mut entries = self.entries.lock();
        entries.insert(key, waker);
        self.publish_next(&entries);
    }

    /// Replaces the waker of a live entry; false when the entry already fired.
    pub(crate) fn update(&self, key: TimerKey, waker: &Waker) -> bool {
        let mut entries = self.entries.lock();
        match entries.get_mut(&key) {
            Some(old) => {
                if !old.will_wake(waker) {
                    old.clone_from(waker);
                }
                true
            }
            None => false,
        }
    }

    pub(crate) fn remove(&self, key: TimerKey) {
        let mut entries = self.entries.lock();
        if entries.remove(&key).is_some() {
            self.publish_next(&entries);
        }
    }

    /// Removes and returns one waker whose deadline is `<= now`.
    pub(crate) fn pop_expired(&self, now: u64) -> Option<Waker> {
        if self.next.load(Ordering::SeqCst) > now {
            return None;
        }
        let mut entries = self.entries.lock();
        let entry = entries.first_entry().filter(|e| e.key().0 <= now)?;
        let waker = entry.remove();
        self.publish_next(&entries);
        Some(waker)
    }

    /// The earliest deadline, if any.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        let next = self.next.load(Ordering::SeqCst);
        (next != NONE).then_some(next)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// Removes every entry (shutdown), returning the wakers to drop outside the lock.
    pub(crate) fn clear(&self) -> BTreeMap<TimerKey, Waker> {
        let mut entries = self.entries.lock();
        self.next.store(NONE, Ordering::SeqCst);
        core::mem::take(&mut *entries)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn expires_in_deadline_order() {
        let q = TimerQueue::new();
        let w = Waker::noop();
        q.insert((30, 0), w.clone());
        q.insert((10, 1), w.clone());
        q.insert((10, 2), w.clone());
        assert_eq!(q.next_deadline(), Some(10));
        assert!(q.pop_expired(9).is_none());
        assert!(q.pop_expired(10).is_some());
        assert!(q.pop_expired(10).is_some());
        assert!(q.pop_expired(10).is_none());
        assert_eq!(q.next_deadline(), Some(30));
        assert!(q.update((30, 0), w));
        q.remove((30, 0));
        assert_eq!(q.next_deadline(), None);
        assert!(!q.update((30, 0), w));
        assert_eq!(q.len(), 0);
    }
}
