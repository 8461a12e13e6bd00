//! Everything one core owns: its run queues, timer queue, idle state and counters.
//!
//! Invariants: only the core's own worker pushes to or pops from `rings` (other cores only
//! steal); `pinned_lifo` holds the pinned task most recently woken on this core by this
//! core and is taken only by this core's worker (never stolen, so pinning holds, and never
//! needs an IPI: its wakers run on this very core); `lifo` holds the task most recently
//! woken on this core and may be taken by
//! anyone; `inbox` receives work sent from elsewhere and may be stolen from; `pinned` holds
//! tasks pinned to this core and is never stolen from.
//!
//! `spawned` holds the task spawned last by the task this core is polling (`polling`), until
//! that poll ends (or the next spawn): if the spawner awaits it first, its `JoinHandle`
//! polls it right there (`Shared::run_inline`), otherwise the worker moves it to the back
//! of its ring. Only this core's worker and the task it polls touch `spawned`, `polling`
//! and `inline_depth`.
//!
//! `local_mask` has a bit per lane whose ring *may* be non-empty. Only the owner writes it
//! (set on every push into its rings, cleared when its own pop finds the lane empty), and a
//! ring becomes non-empty only through its owner, so a clear bit means an empty ring; a set
//! bit may be stale (a stealer emptied the ring) until the owner's next pop of that lane.

use crate::idle::IdleState;
use crate::lane_queue::LaneQueue;
use crate::lane_queue::bit;
use crate::priority::{Lanes, Priority};
use crate::ring::{LOCAL_CAPACITY, Ring};
use crate::sync::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering, Slot};
use crate::task::Task;
use crate::timer_queue::TimerQueue;

pub(crate) struct CoreQueues {
    pub(crate) lifo: Slot<Task>,
    /// A task pinned here and woken here; only this core's worker takes it (module docs).
    pub(crate) pinned_lifo: Slot<Task>,
    /// The task spawned last by the poll running here, not yet queued (module docs).
    pub(crate) spawned: Slot<Task>,
    /// This core's worker is polling a task (owner only).
    pub(crate) polling: AtomicBool,
    /// Joins being polled inline on this core, nested (owner only).
    pub(crate) inline_depth: AtomicU32,
    pub(crate) rings: Lanes<Ring<Task, LOCAL_CAPACITY>>,
    /// Lanes whose ring may be non-empty (module docs). Written by this core's worker only.
    local_mask: AtomicU8,
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
            pinned_lifo: Slot::empty(),
            spawned: Slot::empty(),
            polling: AtomicBool::new(false),
            inline_depth: AtomicU32::new(0),
            rings: Lanes::new(|_| Ring::new()),
            local_mask: AtomicU8::new(0),
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

    /// Owner: the lanes whose ring may be non-empty (a clear bit is exact).
    #[inline]
    pub(crate) fn local_mask(&self) -> u8 {
        self.local_mask.load(Ordering::Relaxed)
    }

    /// Owner, after pushing into `lane`'s ring: a load and a store, no RMW.
    #[inline]
    pub(crate) fn mark_local(&self, lane: Priority) {
        let mask = self.local_mask.load(Ordering::Relaxed);
        if mask & bit(lane) == 0 {
            self.local_mask.store(mask | bit(lane), Ordering::Relaxed);
        }
    }

    /// Owner: `local_mask` with the bits of lanes whose ring is empty now cleared.
    #[inline]
    pub(crate) fn refresh_local(&self) -> u8 {
        let mask = self.local_mask();
        if mask == 0 {
            return 0;
        }
        self.refresh_local_slow(mask)
    }

    #[inline(never)]
    fn refresh_local_slow(&self, mask: u8) -> u8 {
        let mut fresh = mask;
        for lane in Priority::ALL {
            if fresh & bit(lane) != 0 && self.rings.get(lane).len() == 0 {
                fresh &= !bit(lane);
            }
        }
        if fresh != mask {
            self.local_mask.store(fresh, Ordering::Relaxed);
        }
        fresh
    }

    /// Owner, after its own pop found `lane`'s ring empty.
    #[inline]
    pub(crate) fn clear_local(&self, lane: Priority) {
        let mask = self.local_mask.load(Ordering::Relaxed);
        self.local_mask.store(mask & !bit(lane), Ordering::Relaxed);
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
