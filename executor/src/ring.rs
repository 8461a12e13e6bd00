//! Per-core bounded run queue: one producer (the owning core), any number of stealers.
//!
//! The tokio-style design: `head` packs two `u32` positions, `steal` (high half) and `real`
//! (low half); `tail` is written only by the owner. Positions wrap; `CAP` is a power of two.
//!
//! Invariants:
//! - slots in `[real, tail)` hold queued tasks; slots in `[steal, real)` were claimed by one
//!   stealer that is still moving them out (at most one steal is in flight: a steal starts
//!   only when `steal == real`), and `steal` catches up with `real` when it is done;
//! - `tail - steal <= CAP`, so the owner never writes a slot a stealer has not emptied yet;
//! - only the owner advances `tail` and only the owner pushes; pops and steals move `real`
//!   with a compare-exchange, so every task leaves the ring exactly once.
//!
//! Slots are [`Slot`]s (atomic swap cells), so a protocol bug could lose or reorder a task
//! but never cause undefined behaviour.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::sync::{AtomicU32, AtomicU64, Ordering, Slot};

/// Capacity of each per-core lane ring.
pub(crate) const LOCAL_CAPACITY: usize = 256;

fn unpack(head: u64) -> (u32, u32) {
    ((head >> 32) as u32, head as u32)
}

fn pack(steal: u32, real: u32) -> u64 {
    (u64::from(steal) << 32) | u64::from(real)
}

/// A single-producer, multi-stealer ring of capacity `CAP`.
pub(crate) struct Ring<T, const CAP: usize> {
    head: AtomicU64,
    tail: AtomicU32,
    slots: Box<[Slot<T>]>,
}

impl<T, const CAP: usize> Ring<T, CAP> {
    const MASK: usize = {
        assert!(CAP.is_power_of_two() && CAP >= 2 && CAP <= (1 << 30));
        CAP - 1
    };

    pub(crate) fn new() -> Self {
        Self {
            head: AtomicU64::new(0),
            tail: AtomicU32::new(0),
            slots: (0..CAP).map(|_| Slot::empty()).collect(),
        }
    }

    fn slot(&self, pos: u32) -> &Slot<T> {
        &self.slots[pos as usize & Self::MASK]
    }

    /// Queued tasks, as seen now (exact for the owner, a hint for anyone else).
    pub(crate) fn len(&self) -> usize {
        let (_, real) = unpack(self.head.load(Ordering::Acquire));
        let tail = self.tail.load(Ordering::Acquire);
        tail.wrapping_sub(real) as usize
    }

    /// Owner only. Appends `task`; gives it back when the ring is full.
    pub(crate) fn push(&self, task: T) -> Result<(), T> {
        let tail = self.tail.load(Ordering::Relaxed);
        let (steal, _) = unpack(self.head.load(Ordering::Acquire));
        if tail.wrapping_sub(steal) as usize >= CAP {
            return Err(task);
        }
        let previous = self.slot(tail).swap(Some(task));
        debug_assert!(previous.is_none(), "ring slot still occupied");
        self.tail.store(tail.wrapping_add(1), Ordering::Release);
        Ok(())
    }

    /// Owner only. Takes the oldest task.
    pub(crate) fn pop(&self) -> Option<T> {
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let (steal, real) = unpack(head);
            if real == self.tail.load(Ordering::Relaxed) {
                return None;
            }
            let next_real = real.wrapping_add(1);
            // While a steal is in flight only `real` moves; the stealer then syncs `steal`.
            let next = if steal == real {
                pack(next_real, next_real)
            } else {
                pack(steal, next_real)
            };
            match self
                .head
                .compare_exchange(head, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return self.slot(real).take(),
                Err(actual) => head = actual,
            }
        }
    }

    /// Owner only, when `push` failed. Removes half of the ring (oldest first) so the caller
    /// can move it to the injector. `None` when a steal is in flight; the ring then has room
    /// again as soon as it finishes, and the caller overflows just its own task.
    pub(crate) fn drain_half(&self) -> Option<Vec<T>> {
        let head = self.head.load(Ordering::Acquire);
        let (steal, real) = unpack(head);
        if steal != real {
            return None;
        }
        let tail = self.tail.load(Ordering::Relaxed);
        let n = (tail.wrapping_sub(real) / 2) as usize;
        if n == 0 {
            return None;
        }
        let end = real.wrapping_add(n as u32);
        self.head
            .compare_exchange(head, pack(end, end), Ordering::AcqRel, Ordering::Acquire)
            .ok()?;
        Some(
            (0..n as u32)
                .filter_map(|i| self.slot(real.wrapping_add(i)).take())
                .collect(),
        )
    }

    /// Called by the owner of `dst`: moves about half of `self` into `dst` and returns one of
    /// the moved tasks to run now. `dst` must be at most half full.
    pub(crate) fn steal_into(&self, dst: &Ring<T, CAP>) -> Option<T> {
        let dst_tail = dst.tail.load(Ordering::Relaxed);
        let (dst_steal, _) = unpack(dst.head.load(Ordering::Acquire));
        if dst_tail.wrapping_sub(dst_steal) as usize > CAP / 2 {
            return None;
        }
        let (first, n) = self.claim_half()?;
        for i in 0..n {
            let task = self.slot(first.wrapping_add(i)).take();
            let previous = dst.slot(dst_tail.wrapping_add(i)).swap(task);
            debug_assert!(previous.is_none(), "stealer overwrote its own ring");
        }
        self.finish_steal(first.wrapping_add(n));
        let last = n - 1;
        let task = dst.slot(dst_tail.wrapping_add(last)).take();
        if last > 0 {
            dst.tail
                .store(dst_tail.wrapping_add(last), Ordering::Release);
        }
        task
    }

    /// Moves `real` forward by half the queued tasks (rounded up) while leaving `steal`
    /// behind, so the owner cannot reuse the claimed slots. Returns (first, count).
    fn claim_half(&self) -> Option<(u32, u32)> {
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let (steal, real) = unpack(head);
            if steal != real {
                return None; // another stealer is at work
            }
            let available = self.tail.load(Ordering::Acquire).wrapping_sub(real);
            // A stale `tail` can make this look larger than CAP; the CAS below then fails.
            let n = available - available / 2;
            if n == 0 || n as usize > CAP {
                return None;
            }
            let next = pack(steal, real.wrapping_add(n));
            match self
                .head
                .compare_exchange(head, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Some((real, n)),
                Err(actual) => head = actual,
            }
        }
    }

    /// Releases the claimed slots: `steal` catches up with `real` (which the owner may have
    /// advanced meanwhile).
    fn finish_steal(&self, claimed_end: u32) {
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let (steal, real) = unpack(head);
            debug_assert_ne!(steal, real, "steal finished twice");
            debug_assert!(real.wrapping_sub(claimed_end) as usize <= CAP);
            match self.head.compare_exchange(
                head,
                pack(real, real),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => head = actual,
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use alloc::sync::Arc;

    type Small = Ring<u32, 8>;

    #[test]
    fn fifo_push_pop() {
        let ring = Small::new();
        for i in 0..8 {
            ring.push(i).unwrap();
        }
        assert_eq!(ring.push(99), Err(99));
        assert_eq!(ring.len(), 8);
        for i in 0..8 {
            assert_eq!(ring.pop(), Some(i));
        }
        assert_eq!(ring.pop(), None);
    }

    #[test]
    fn wraps_many_times() {
        let ring = Small::new();
        for i in 0..1000u32 {
            ring.push(i).unwrap();
            ring.push(i + 1).unwrap();
            assert_eq!(ring.pop(), Some(i));
            assert_eq!(ring.pop(), Some(i + 1));
        }
        assert_eq!(ring.len(), 0);
    }

    #[test]
    fn steal_takes_half_rounded_up() {
        let victim = Small::new();
        let thief = Small::new();
        for i in 0..5 {
            victim.push(i).unwrap();
        }
        assert_eq!(victim.steal_into(&thief), Some(2));
        assert_eq!(thief.len(), 2);
        assert_eq!(victim.len(), 2);
        assert_eq!(thief.pop(), Some(0));
        assert_eq!(thief.pop(), Some(1));
        assert_eq!(victim.pop(), Some(3));
        assert_eq!(victim.pop(), Some(4));
        assert_eq!(victim.steal_into(&thief), None);
    }

    #[test]
    fn drain_half_when_full() {
        let ring = Small::new();
        for i in 0..8 {
            ring.push(i).unwrap();
        }
        assert_eq!(ring.drain_half(), Some(alloc::vec![0, 1, 2, 3]));
        ring.push(8).unwrap();
        assert_eq!(ring.len(), 5);
        assert_eq!(ring.pop(), Some(4));
    }

    #[test]
    fn task_slots_are_lock_free() {
        assert!(Slot::<Arc<crate::task::TaskCell>>::is_lock_free());
    }

    #[test]
    fn concurrent_steals_deliver_each_item_once() {
        extern crate std;
        use std::sync::atomic::{AtomicBool, AtomicUsize};
        use std::thread;

        const ITEMS: u32 = 50_000;
        let victim = Arc::new(Ring::<u32, 64>::new());
        let done = Arc::new(AtomicBool::new(false));
        let seen = Arc::new((0..ITEMS).map(|_| AtomicUsize::new(0)).collect::<Vec<_>>());
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let (victim, done, seen) = (victim.clone(), done.clone(), seen.clone());
                thread::spawn(move || {
                    let own = Ring::<u32, 64>::new();
                    while !done.load(Ordering::Acquire) || victim.len() > 0 {
                        if let Some(v) = victim.steal_into(&own) {
                            seen[v as usize].fetch_add(1, Ordering::Relaxed);
                        }
                        while let Some(v) = own.pop() {
                            seen[v as usize].fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        let mut next = 0;
        while next < ITEMS {
            match victim.push(next) {
                Ok(()) => next += 1,
                Err(_) => {
                    if let Some(v) = victim.pop() {
                        seen[v as usize].fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
        while let Some(v) = victim.pop() {
            seen[v as usize].fetch_add(1, Ordering::Relaxed);
        }
        done.store(true, Ordering::Release);
        for t in thieves {
            t.join().unwrap();
        }
        assert!(seen.iter().all(|c| c.load(Ordering::Relaxed) == 1));
    }
}
