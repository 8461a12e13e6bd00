//! Multi-producer, multi-consumer queue with one FIFO per priority lane.
//!
//! Used for the global injector and for each core's inbox (tasks sent to that core by other
//! cores). Invariants: the lock is held only to push or pop, never across a poll or a wake;
//! the `mask` of non-empty lanes is updated inside the lock with `SeqCst`, after the push, so
//! a core that sets HALTED and then reads `mask` (the idle handshake) sees every push whose
//! pusher did not see HALTED. The mask changes only when a lane turns empty or non-empty.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use crate::priority::{Lanes, Priority};
use crate::sync::{AtomicU8, Mutex, Ordering};

pub(crate) struct LaneQueue<T> {
    lanes: Mutex<Lanes<VecDeque<T>>>,
    /// Bit `lane.index()` set iff that lane is non-empty. Written only under the lock (on an
    /// empty/non-empty transition), read without it.
    mask: AtomicU8,
}

#[inline]
pub(crate) const fn bit(lane: Priority) -> u8 {
    1 << lane.index()
}

impl<T> LaneQueue<T> {
    pub(crate) fn new() -> Self {
        Self {
            lanes: Mutex::new(Lanes::new(|_| VecDeque::new())),
            mask: AtomicU8::new(0),
        }
    }

    /// Under the lock: publishes whether `lane` is now non-empty.
    #[inline]
    fn publish(&self, lane: Priority, non_empty: bool) {
        let mask = self.mask.load(Ordering::Relaxed);
        let next = if non_empty {
            mask | bit(lane)
        } else {
            mask & !bit(lane)
        };
        if next != mask {
            self.mask.store(next, Ordering::SeqCst);
        }
    }

    #[inline]
    pub(crate) fn push(&self, lane: Priority, task: T) {
        let mut lanes = self.lanes.lock();
        let queue = lanes.get_mut(lane);
        queue.push_back(task);
        if queue.len() == 1 {
            self.publish(lane, true);
        }
    }

    pub(crate) fn push_batch(&self, lane: Priority, tasks: impl IntoIterator<Item = T>) {
        let mut lanes = self.lanes.lock();
        let queue = lanes.get_mut(lane);
        queue.extend(tasks);
        let non_empty = !queue.is_empty();
        self.publish(lane, non_empty);
    }

    pub(crate) fn pop(&self, lane: Priority) -> Option<T> {
        if !self.has(lane) {
            return None;
        }
        let mut lanes = self.lanes.lock();
        let queue = lanes.get_mut(lane);
        let task = queue.pop_front()?;
        if queue.is_empty() {
            self.publish(lane, false);
        }
        Some(task)
    }

    /// Takes about half (rounded up) of the highest non-empty lane, oldest first.
    pub(crate) fn pop_half(&self) -> Option<(Priority, Vec<T>)> {
        if self.mask() == 0 {
            return None;
        }
        let mut lanes = self.lanes.lock();
        let lane = Priority::ALL
            .into_iter()
            .find(|&lane| !lanes.get(lane).is_empty())?;
        let queue = lanes.get_mut(lane);
        let n = queue.len() - queue.len() / 2;
        let batch: Vec<T> = queue.drain(..n).collect();
        let non_empty = !queue.is_empty();
        self.publish(lane, non_empty);
        Some((lane, batch))
    }

    /// Removes everything (used at shutdown).
    pub(crate) fn drain_all(&self) -> Vec<T> {
        let mut lanes = self.lanes.lock();
        let mut all = Vec::new();
        for lane in Priority::ALL {
            all.extend(lanes.get_mut(lane).drain(..));
            self.publish(lane, false);
        }
        all
    }

    /// The non-empty lanes, one bit each ([`bit`]).
    #[inline]
    pub(crate) fn mask(&self) -> u8 {
        self.mask.load(Ordering::SeqCst)
    }

    /// Whether `lane` is non-empty.
    #[inline]
    pub(crate) fn has(&self, lane: Priority) -> bool {
        self.mask() & bit(lane) != 0
    }

    /// Queued tasks (takes the lock: statistics only).
    pub(crate) fn total(&self) -> usize {
        let lanes = self.lanes.lock();
        lanes.0.iter().map(VecDeque::len).sum()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn lanes_are_independent_fifos() {
        let q = LaneQueue::new();
        q.push(Priority::Low, 1);
        q.push(Priority::High, 2);
        q.push_batch(Priority::Low, [3, 4]);
        assert_eq!(q.total(), 4);
        assert_eq!(q.pop(Priority::High), Some(2));
        assert_eq!(q.pop(Priority::High), None);
        assert_eq!(q.pop(Priority::Low), Some(1));
        assert_eq!(q.pop_half(), Some((Priority::Low, alloc::vec![3])));
        assert_eq!(q.drain_all(), alloc::vec![4]);
        assert_eq!(q.total(), 0);
    }
}
