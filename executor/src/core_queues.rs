//! Everything one core owns: its run queues, timer queue, idle state and counters.
//!
//! Invariants: only the core's own worker pushes to or pops from `rings` (other cores only
//! steal); `lifo` holds the task most recently woken on this core and may be taken by
//! anyone; `inbox` receives work sent from elsewhere and may be stolen from; `pinned` holds
//! tasks pinned to this core and is never stolen from.

use crate::idle::IdleState;
use crate::lane_queue::LaneQueue;
use crate::priority::{Lanes, Priority};
use crate::ring::{LOCAL_CAPACITY, Ring};
use crate::sync::{AtomicBool, AtomicU64, Ordering, Slot};
use crate::task::Task;
use crate::timer_queue::TimerQueue;

pub(crate) struct CoreQueues {
    pub(crate) lifo: Slot<Task>,
    pub(crate) rings: Lanes<Ring<Task, LOCAL_CAPACITY>>,
    pub(crate) inbox: LaneQueue<Task>,
    pub(crate) pinned: LaneQueue<Task>,
    pub(crate) timers: TimerQueue,
    pub(crate) idle: IdleState,
    /// A `Worker` exists for this core.
    pub(crate) claimed: AtomicBool,
    /// Written by this core's worker only.
    pub(crate) steals: AtomicU64,
    pub(crate) ipis_sent: AtomicU64,
    /// Written by this core's worker only.
    pub(crate) polls: AtomicU64,
}

impl CoreQueues {
    pub(crate) fn new() -> Self {
        Self {
            lifo: Slot::empty(),
            rings: Lanes::new(|_| Ring::new()),
            inbox: LaneQueue::new(),
            pinned: LaneQueue::new(),
            timers: TimerQueue::new(),
            idle: IdleState::new(),
            claimed: AtomicBool::new(false),
            steals: AtomicU64::new(0),
            ipis_sent: AtomicU64::new(0),
            polls: AtomicU64::new(0),
        }
    }

    /// The lanes with work in this core's inbox or pinned queue (one bit per lane).
    #[inline]
    pub(crate) fn remote_mask(&self) -> u8 {
        self.inbox.mask() | self.pinned.mask()
    }

    /// Queued tasks (excluding the LIFO slot), for statistics.
    pub(crate) fn queue_len(&self) -> usize {
        let rings: usize = Priority::ALL.iter().map(|&l| self.rings.get(l).len()).sum();
        rings + self.inbox.total() + self.pinned.total()
    }

    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts on a counter only this core's worker writes: a load and a store, no RMW.
    #[inline]
    pub(crate) fn count_owned(counter: &AtomicU64) {
        let n = counter.load(Ordering::Relaxed);
        counter.store(n + 1, Ordering::Relaxed);
    }
}
