//! State shared by all cores, and the routing of every enqueue.
//!
//! Routing at enqueue (spawn, wake, re-queue after a poll), from the task's hints:
//! - `Pinned(c)`: core `c`'s pinned queue (never stolen); IPI `c` if it is halted; a wake
//!   on `c` itself goes to `c`'s pinned LIFO slot instead;
//! - `Prefer(c)` / `Near`: local queue when already on `c`, else `c`'s inbox (+ IPI if halted);
//! - `Any`: the current core's local queue (a wake goes to the LIFO slot), or the global
//!   injector when the caller is not an executor core.
//!
//! Invariants: no lock is held across a poll or a wake; work is published before any core
//! state is read (see `idle.rs`), so no wakeup is lost; an IPI goes only to a core that
//! published HALTED, and a push to a local ring also wakes one halted core when no core is
//! spinning, so idle cores get to steal (work conservation).

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::iter;

use crate::core_queues::CoreQueues;
use crate::idle::IdleCounts;
use crate::irq::IrqWakers;
use crate::lane_queue::LaneQueue;
use crate::platform::{Config, Platform};
use crate::priority::Priority;
use crate::registry::Registry;
use crate::sync::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
use crate::task::{Origin, Placement, RunResult, Schedule, Task, TaskCell};

/// Number of interrupt sources in the executor's [`IrqWakers`] table (x86 vectors).
pub const IRQ_SLOTS: usize = 256;

/// Joins polled inline inside each other at most (bounds the stack a chain of
/// spawn-and-await tasks can take; deeper joins wait the ordinary way).
const MAX_INLINE_DEPTH: u32 = 2;

pub(crate) struct Shared<P> {
    pub(crate) platform: P,
    pub(crate) config: Config,
    pub(crate) cores: Box<[CoreQueues]>,
    pub(crate) injector: LaneQueue<Task>,
    pub(crate) irq: IrqWakers<IRQ_SLOTS>,
    pub(crate) registry: Registry,
    pub(crate) next_task: AtomicU64,
    pub(crate) next_timer: AtomicU64,
    pub(crate) shutdown: AtomicBool,
    /// How many cores are spinning / halted (`idle.rs`).
    pub(crate) idle_counts: IdleCounts,
    /// Rotates the start of the search for a halted core to wake.
    wake_cursor: AtomicUsize,
}

impl<P: Platform> Shared<P> {
    pub(crate) fn new(platform: P, config: Config) -> Self {
        let cores = (0..platform.core_count().max(1))
            .map(|_| CoreQueues::new())
            .collect();
        Self {
            platform,
            config,
            cores,
            injector: LaneQueue::new(),
            irq: IrqWakers::new(),
            registry: Registry::new(),
            next_task: AtomicU64::new(1),
            next_timer: AtomicU64::new(0),
            shutdown: AtomicBool::new(false),
            idle_counts: IdleCounts::new(),
            wake_cursor: AtomicUsize::new(0),
        }
    }

    /// The calling core, if it is one of ours.
    pub(crate) fn here(&self) -> Option<usize> {
        self.platform
            .current_core()
            .filter(|&c| c < self.cores.len())
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    fn valid(&self, core: usize) -> Option<usize> {
        (core < self.cores.len()).then_some(core)
    }

    /// Sends `core` an IPI if (and only if) it published HALTED. Call after publishing work.
    #[inline]
    pub(crate) fn wake_core(&self, core: usize) -> bool {
        if !self.cores[core].idle.claim_wake() {
            return false;
        }
        self.send_wake(core);
        true
    }

    #[inline(never)]
    fn send_wake(&self, core: usize) {
        if let Some(here) = self.here() {
            CoreQueues::count(&self.cores[here].ipis_sent);
        }
        self.platform.notify(core);
    }

    /// Work conservation: new stealable work exists; make sure some other core looks at it.
    ///
    /// Reads the global idle counts instead of every core's state: nothing to do (the common
    /// case) costs a fence and two loads.
    #[inline]
    pub(crate) fn wake_idle_core(&self) {
        fence(Ordering::SeqCst);
        let halted = self.idle_counts.halted();
        if halted == 0 {
            return;
        }
        let here = self.here();
        let spinning_here = here.is_some_and(|c| self.cores[c].idle.is_spinning());
        if self.idle_counts.spinning() > usize::from(spinning_here) {
            return; // a spinning core re-checks all queues before it halts
        }
        self.wake_halted_core(here);
    }

    #[inline(never)]
    fn wake_halted_core(&self, here: Option<usize>) {
        let n = self.cores.len();
        let start = self.wake_cursor.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            let core = (start + i) % n;
            if Some(core) != here && self.wake_core(core) {
                return;
            }
        }
    }

    /// Local ring push by the owning core; overflow moves half the ring to the injector.
    pub(crate) fn push_ring(&self, core: usize, task: Task) {
        let lane = task.priority();
        let queues = &self.cores[core];
        queues.mark_local(lane);
        let ring = queues.rings.get(lane);
        if let Err(task) = ring.push(task) {
            match ring.drain_half() {
                Some(half) => self
                    .injector
                    .push_batch(lane, half.into_iter().chain(iter::once(task))),
                None => self.injector.push(lane, task),
            }
        }
    }

    fn push_local(&self, core: usize, task: Task, origin: Origin) {
        if origin == Origin::Wake && self.config.lifo_limit > 0 {
            // Only a displaced LIFO occupant is new stealable work worth an IPI.
            if let Some(previous) = self.cores[core].lifo.swap(Some(task)) {
                self.push_ring(core, previous);
                self.wake_idle_core();
            }
        } else {
            self.push_ring(core, task);
            self.wake_idle_core();
        }
    }

    /// A task spawned by the poll running on `core` (the caller is that poll): kept in
    /// the core's `spawned` slot until the poll ends (`flush_spawned`), so that a spawner
    /// that awaits it at once polls it inline (`run_inline`). An earlier occupant goes to
    /// the back of the ring first, so spawns keep their order.
    #[inline]
    pub(crate) fn push_spawned(&self, core: usize, task: Task) {
        if let Some(previous) = self.cores[core].spawned.swap(Some(task)) {
            self.queue_spawned(core, previous);
        }
    }

    /// Owner of `core` (whose queues are `queues`), after a poll: a task still in the
    /// `spawned` slot goes to the back of the ring (where a spawn without the slot would
    /// have put it). The common case, an empty slot, is one swap.
    #[inline(always)]
    pub(crate) fn flush_spawned(&self, queues: &CoreQueues, core: usize) {
        if let Some(task) = queues.spawned.take() {
            self.queue_spawned(core, task);
        }
    }

    /// The deferred first enqueue of a spawned task, under the hints it has now.
    #[inline(never)]
    fn queue_spawned(&self, core: usize, task: Task) {
        if task.placement() == Placement::Any {
            self.push_ring(core, task);
            self.wake_idle_core();
        } else {
            self.schedule(task, Origin::Spawn);
        }
    }

    /// A pinned task woken on its own core: its pinned LIFO slot (the previous occupant
    /// moves to the pinned queue). No IPI and no work-conservation wake: the task may run
    /// nowhere else, and this core is running.
    fn push_pinned_here(&self, core: usize, task: Task) {
        let queues = &self.cores[core];
        if let Some(previous) = queues.pinned_lifo.swap(Some(task)) {
            queues.pinned.push(previous.priority(), previous);
        }
    }

    /// `here`: the calling core (`Shared::here`), already known by every caller.
    #[inline(always)]
    fn push_remote(
        &self,
        here: Option<usize>,
        core: usize,
        pinned: bool,
        lane: Priority,
        task: Task,
    ) {
        let queues = &self.cores[core];
        if pinned {
            queues.pinned.push(lane, task);
        } else {
            queues.inbox.push(lane, task);
        }
        // Work conservation: unless pinned, the task is stealable, so when its
        // core is this one (busy) or could not be woken, another idle core is.
        let woken = here != Some(core) && self.wake_core(core);
        if !woken && !pinned {
            self.wake_idle_core();
        }
    }

    pub(crate) fn push_injector(&self, task: Task) {
        self.injector.push(task.priority(), task);
        self.wake_idle_core();
    }

    /// Sends a new task to `core`'s inbox unless its hints say otherwise.
    pub(crate) fn push_to_core(&self, core: usize, task: Task) {
        match (task.placement(), self.valid(core)) {
            (Placement::Any, Some(core)) => {
                self.push_remote(self.here(), core, false, task.priority(), task)
            }
            _ => self.schedule(task, Origin::Spawn),
        }
    }

    /// Shutdown: cancel every task and drop everything queued outside the local rings
    /// (each worker drains its own rings when it stops).
    pub(crate) fn shut_down(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        for core in 0..self.cores.len() {
            self.wake_core(core);
        }
        for task in self.registry.live() {
            task.abort();
        }
        let mut queued = self.injector.drain_all();
        for core in self.cores.iter() {
            queued.extend(core.inbox.drain_all());
            queued.extend(core.pinned.drain_all());
            queued.extend(core.lifo.take());
            queued.extend(core.pinned_lifo.take());
            queued.extend(core.spawned.take());
            drop(core.timers.clear());
        }
        for task in queued {
            task.discard();
        }
        self.irq.clear();
    }
}

impl<P: Platform> Schedule for Shared<P> {
    fn schedule(&self, task: Task, origin: Origin) {
        if self.is_shutdown() {
            task.discard();
            return;
        }
        let here = self.here();
        let lane = task.priority();
        let placement = match task.placement() {
            Placement::Prefer(c) | Placement::Pinned(c) if self.valid(c).is_none() => {
                Placement::Any
            }
            placement => placement,
        };
        match placement {
            Placement::Pinned(core) if here == Some(core) && origin == Origin::Wake => {
                self.push_pinned_here(core, task)
            }
            Placement::Pinned(core) => self.push_remote(here, core, true, lane, task),
            Placement::Prefer(core) if here != Some(core) => {
                self.push_remote(here, core, false, lane, task)
            }
            Placement::Prefer(core) => self.push_local(core, task, origin),
            Placement::Any => match here {
                Some(core) => self.push_local(core, task, origin),
                None => self.push_injector(task),
            },
        }
    }

    fn run_inline(&self, task: &Task) -> bool {
        let Some(core) = self.here() else {
            return false;
        };
        let queues = &self.cores[core];
        let depth = queues.inline_depth.load(Ordering::Relaxed);
        if !queues.polling.load(Ordering::Relaxed) || depth >= MAX_INLINE_DEPTH {
            return false;
        }
        let Some(spawned) = queues.spawned.take() else {
            return false;
        };
        if !Arc::ptr_eq(&spawned, task) || !spawned.stays_on(core) {
            // Someone else's spawn, or hints that send it elsewhere: back in its slot
            // (only this core fills it, and this core is here).
            self.push_spawned(core, spawned);
            return false;
        }
        // Taken from the slot, it is in no queue: this is its dequeue.
        queues.inline_depth.store(depth + 1, Ordering::Relaxed);
        CoreQueues::count_owned(&queues.polls);
        let mut clock = self.platform.now();
        let result = spawned.run(core, &mut clock, || self.platform.now(), |_| false);
        queues.inline_depth.store(depth, Ordering::Relaxed);
        if result == RunResult::Requeue {
            self.schedule(spawned, Origin::Requeue);
        }
        true
    }

    fn register(&self, task: &Task, core: usize) {
        task.set_registry_key(self.registry.insert(core, task));
        // A shutdown that listed the registry before this insertion did not abort the
        // task; the lock of the shard orders the two, so one of them sees the other.
        if self.is_shutdown() {
            task.abort();
        }
    }

    fn release(&self, task: &TaskCell) {
        self.registry.remove(task);
    }
}
