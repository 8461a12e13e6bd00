//! Multi-producer, multi-consumer queue with one FIFO per priority lane.
//!
//! Used for the global injector and for each core's inbox (tasks sent to that core by other
//! cores). Invariants: the lock is held only to push or pop, never across a poll or a wake;
//! `len[lane]` is updated inside the lock with `SeqCst`, after the push, so a core that sets
//! HALTED and then reads `len` (the idle handshake) sees every push whose pusher did not
//! see HALTED.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use crate::priority::{Lanes, Priority};
use crate::sync::{AtomicUsize, Mutex, Ordering};

pub(crate) struct LaneQueue<T> {
    lanes: Mutex<Lanes<VecDeque<T>>>,
    len: Lanes<AtomicUsize>,
}

impl<T> LaneQueue<T> {
    pub(crate) fn new() -> Self {
        Self {
            lanes: Mutex::new(Lanes::new(|_| VecDeque::new())),
            len: Lanes::new(|_| AtomicUsize::new(0)),
        }
    }

    pub(crate) fn push(&self, lane: Priority, task: T) {
        let mut lanes = self.lanes.lock();
        lanes.get_mut(lane).push_back(task);
        self.len.get(lane).fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn push_batch(&self, lane: Priority, tasks: impl IntoIterator<Item = T>) {
        let mut lanes = self.lanes.lock();
        let queue = lanes.get_mut(lane);
        let before = queue.len();
        queue.extend(tasks);
        self.len
            .get(lane)
            .fetch_add(queue.len() - before, Ordering::SeqCst);
    }

    pub(crate) fn pop(&self, lane: Priority) -> Option<T> {
        if self.lane_len(lane) == 0 {
            return None;
        }
        let mut lanes = self.lanes.lock();
        let task = lanes.get_mut(lane).pop_front()?;
        self.len.get(lane).fetch_sub(1, Ordering::SeqCst);
        Some(task)
    }

    /// Takes about half (rounded up) of the highest non-empty lane, oldest first.
    pub(crate) fn pop_half(&self) -> Option<(Priority, Vec<T>)> {
        if self.total() == 0 {
            return None;
        }
        let mut lanes = self.lanes.lock();
        let lane = Priority::ALL
            .into_iter()
            .find(|&lane| !lanes.get(lane).is_empty())?;
        let queue = lanes.get_mut(lane);
        let n = queue.len() - queue.len() / 2;
        let batch: Vec<T> = queue.drain(..n).collect();
        self.len.get(lane).fetch_sub(n, Ordering::SeqCst);
        Some((lane, batch))
    }

    /// Removes everything (used at shutdown).
    pub(crate) fn drain_all(&self) -> Vec<T> {
        let mut lanes = self.lanes.lock();
        let mut all = Vec::new();
        for lane in Priority::ALL {
            all.extend(lanes.get_mut(lane).drain(..));
            self.len.get(lane).store(0, Ordering::SeqCst);
        }
        all
    }

    pub(crate) fn lane_len(&self, lane: Priority) -> usize {
        self.len.get(lane).load(Ordering::SeqCst)
    }

    pub(crate) fn total(&self) -> usize {
        Priority::ALL.iter().map(|&l| self.lane_len(l)).sum()
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
