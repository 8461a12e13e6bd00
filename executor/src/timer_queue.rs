//! Per-core timer queue: deadline-ordered wakers; the earliest deadline is what the core
//! programs as its one-shot timer before halting.
//!
//! Invariants: `entries` is sorted by key; `next` always equals the smallest deadline in
//! `entries` (`NONE` when empty) and is updated inside the lock with `SeqCst`, so a core
//! that publishes HALTED and then reads `next` cannot miss an entry whose inserter did
//! not see HALTED; wakers are woken by the caller after the lock is released.
//!
//! A sorted ring, not a tree: most timers are call timeouts, armed with the latest
//! deadline of all (an insert at the back) and cancelled soon after (a removal at the
//! back), and expiries leave from the front, all O(1); an entry in the middle moves the
//! shorter side. A core holds few timers, and the tree's node work was most of the cost
//! of a timeout armed and cancelled per IPC call.

use alloc::collections::VecDeque;
use core::task::Waker;

use crate::sync::{AtomicU64, Mutex, Ordering};

/// (deadline, unique id): unique ordering even for equal deadlines.
pub(crate) type TimerKey = (u64, u64);

const NONE: u64 = u64::MAX;

pub(crate) struct TimerQueue {
    entries: Mutex<VecDeque<(TimerKey, Waker)>>,
    next: AtomicU64,
}

/// Where `key` is in `entries`, or where it would go.
fn search(entries: &VecDeque<(TimerKey, Waker)>, key: TimerKey) -> Result<usize, usize> {
    entries.binary_search_by_key(&key, |(k, _)| *k)
}

impl TimerQueue {
    pub(crate) fn new() -> Self {
        Self {
            entries: Mutex::new(VecDeque::new()),
            next: AtomicU64::new(NONE),
        }
    }

    fn publish_next(&self, entries: &VecDeque<(TimerKey, Waker)>) {
        let next = entries.front().map_or(NONE, |&((deadline, _), _)| deadline);
        self.next.store(next, Ordering::SeqCst);
    }

    pub(crate) fn insert(&self, key: TimerKey, waker: Waker) {
        let mut entries = self.entries.lock();
        // Keys are unique (the id part), so the search never finds one.
        let at = search(&entries, key).unwrap_or_else(|at| at);
        entries.insert(at, (key, waker));
        if at == 0 {
            self.publish_next(&entries);
        }
    }

    /// Replaces the waker of a live entry; false when the entry already fired.
    pub(crate) fn update(&self, key: TimerKey, waker: &Waker) -> bool {
        let mut entries = self.entries.lock();
        match search(&entries, key) {
            Ok(at) => {
                let old = &mut entries[at].1;
                if !old.will_wake(waker) {
                    old.clone_from(waker);
                }
                true
            }
            Err(_) => false,
        }
    }

    pub(crate) fn remove(&self, key: TimerKey) {
        let mut entries = self.entries.lock();
        if let Ok(at) = search(&entries, key) {
            let removed = entries.remove(at);
            if at == 0 {
                self.publish_next(&entries);
            }
            drop(entries);
            // The waker is dropped outside the lock.
            drop(removed);
        }
    }

    /// Removes and returns one waker whose deadline is `<= now`.
    pub(crate) fn pop_expired(&self, now: u64) -> Option<Waker> {
        if self.next.load(Ordering::SeqCst) > now {
            return None;
        }
        let mut entries = self.entries.lock();
        if entries
            .front()
            .is_none_or(|&((deadline, _), _)| deadline > now)
        {
            return None;
        }
        let (_, waker) = entries.pop_front()?;
        self.publish_next(&entries);
        Some(waker)
    }

    /// Whether a timer is due at `now` (one load and a compare).
    #[inline]
    pub(crate) fn is_due(&self, now: u64) -> bool {
        self.next.load(Ordering::SeqCst) <= now
    }

    /// The earliest deadline, if any.
    #[inline]
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        let next = self.next.load(Ordering::SeqCst);
        (next != NONE).then_some(next)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// Removes every entry (shutdown), returning the wakers to drop outside the lock.
    pub(crate) fn clear(&self) -> VecDeque<(TimerKey, Waker)> {
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

    #[test]
    fn stays_sorted_whatever_the_order_of_inserts_and_removals() {
        let q = TimerQueue::new();
        let w = Waker::noop();
        // A pseudo-random mix of deadlines, some removed again.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut live = alloc::vec::Vec::new();
        for id in 0..500u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = (x % 1000, id);
            q.insert(key, w.clone());
            live.push(key);
            if x.is_multiple_of(3) {
                let gone = live.swap_remove((x % live.len() as u64) as usize);
                q.remove(gone);
            }
        }
        live.sort();
        assert_eq!(q.len(), live.len());
        assert_eq!(q.next_deadline(), live.first().map(|k| k.0));
        for key in &live {
            assert!(q.update(*key, w));
        }
        let mut popped = 0;
        while q.pop_expired(u64::MAX - 1).is_some() {
            popped += 1;
        }
        assert_eq!(popped, live.len());
        assert_eq!(q.next_deadline(), None);
    }
}
