//! The per-core scheduling loop.
//!
//! Order of a scheduling step: IRQ dispatch and expired timers; then the LIFO slot, else the
//! pinned LIFO slot (together at most `lifo_limit` times in a row); then the lanes under the budget policy (`priority.rs`),
//! looking at the injector and inbox first every `remote_interval` steps; then the LIFO slots
//! again; then stealing. Out of work, the core spins `spin_rounds` steps (published as
//! SPINNING), then runs the halt handshake of `idle.rs` and calls `Platform::idle` with the
//! earliest timer deadline.
//!
//! Yield fast path: a task whose poll ended `Pending` with a wake already received (it woke
//! itself, as `yield_now` does) and whose hints keep it on this core is polled again inside
//! the same turn (`TaskCell::run`) when this core has nothing else to do: no IRQ pending, no
//! timer due, nothing in the LIFO slots, the rings (by `local_mask`), the inbox, the pinned
//! queue or the injector, no shutdown. It would have been the next task dequeued in any
//! order. A LIFO-slot occupant found by that check is taken into the worker's `next` and
//! runs next (as `find_task` would have picked it); otherwise the yielding task is
//! re-queued at the back of its ring as any other wake during a poll.
//!
//! Invariants: one `Worker` per core (claimed flag), so the local rings have one producer;
//! no lock is held while a task is polled; the core is published RUNNING before it polls;
//! `next` is `Some` only between a `run_task` and the next `find_task` (or the drop).

use crate::core_queues::CoreQueues;
use crate::lane_queue::bit;
use crate::platform::Platform;
use crate::priority::{Budget, Priority};
use crate::shared::Shared;
use crate::sync::Ordering;
use crate::task::{Origin, RunResult, Schedule, Task};

/// Lane picks `pop_lanes` retries when a picked lane turned out empty (stale bits).
const PICK_RETRIES: usize = Priority::COUNT + 1;

/// Why [`Executor::worker`](crate::Executor::worker) refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerError {
    /// The core index is not below `Platform::core_count()`.
    NoSuchCore,
    /// A worker for this core already exists.
    AlreadyRunning,
}

/// The scheduler of one core. Run it on that core only (`current_core()` must return it).
pub struct Worker<'a, P: Platform> {
    shared: &'a Shared<P>,
    core: usize,
    /// `shared.cores[core]`, looked up once.
    queues: &'a CoreQueues,
    budget: Budget,
    lifo_streak: u32,
    /// Lane dequeues left until the next remote-first one (`remote_interval`).
    remote_countdown: u32,
    rng: u64,
    /// A LIFO-slot task taken by the yield fast path's check (module docs): runs next.
    next: Option<Task>,
    /// The clock at the end of the last poll, when this core has been polling back to back
    /// since (`None` after a `find_task` came back empty): the start of the next poll.
    last_end: Option<u64>,
}

impl<'a, P: Platform> Worker<'a, P> {
    pub(crate) fn claim(shared: &'a Shared<P>, core: usize) -> Result<Self, WorkerError> {
        let queues = shared.cores.get(core).ok_or(WorkerError::NoSuchCore)?;
        if queues.claimed.swap(true, Ordering::AcqRel) {
            return Err(WorkerError::AlreadyRunning);
        }
        Ok(Self {
            shared,
            core,
            queues,
            budget: Budget::new(),
            lifo_streak: 0,
            remote_countdown: shared.config.remote_interval.max(1),
            rng: 0x9E37_79B9_7F4A_7C15 ^ (core as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03),
            next: None,
            last_end: None,
        })
    }

    /// The core this worker schedules.
    pub fn core(&self) -> usize {
        self.core
    }

    #[inline]
    fn queues(&self) -> &'a CoreQueues {
        self.queues
    }

    /// Runs this core until [`Executor::shutdown`](crate::Executor::shutdown).
    pub fn run(&mut self) {
        while !self.shared.is_shutdown() {
            if !self.run_once() {
                self.idle();
            }
        }
    }

    /// One scheduling step without halting: dispatches IRQ wakers and expired timers, then
    /// polls at most one task. Returns whether a task was polled.
    pub fn run_once(&mut self) -> bool {
        self.maintain();
        match self.find_task() {
            Some(task) => {
                self.run_task(task);
                true
            }
            None => {
                self.last_end = None;
                false
            }
        }
    }

    #[inline]
    fn maintain(&self) {
        if self.shared.irq.is_pending() {
            self.shared.irq.dispatch();
        }
        let timers = &self.queues().timers;
        if timers.next_deadline().is_some() {
            let now = self.shared.platform.now();
            // Checked inline first: the common case (nothing due) takes no call.
            if timers.is_due(now) {
                while let Some(waker) = timers.pop_expired(now) {
                    waker.wake();
                }
            }
        }
    }

    fn run_task(&mut self, task: Task) {
        let (shared, queues, core) = (self.shared, self.queues, self.core);
        CoreQueues::count_owned(&queues.polls);
        let platform = &shared.platform;
        // One clock read per poll while polling back to back: the end of the previous poll
        // starts this one (so this task is also charged the scheduling step in between).
        let mut clock = self.last_end.unwrap_or_else(|| platform.now());
        let next = &mut self.next;
        let again = |now: u64| {
            shared.flush_spawned(queues, core);
            let idle_here = !shared.irq.is_pending()
                && !queues.timers.is_due(now)
                && queues.refresh_local() | queues.remote_mask() | shared.injector.mask() == 0
                && !shared.is_shutdown();
            if !idle_here {
                return false;
            }
            // Only this core fills its LIFO slots, so an occupant taken here is the task
            // `find_task` would pick next: it runs next instead of the yielding task.
            let lifo = match queues.lifo.take() {
                None => queues.pinned_lifo.take(),
                taken => taken,
            };
            if lifo.is_some() {
                *next = lifo;
                return false;
            }
            CoreQueues::count_owned(&queues.polls);
            true
        };
        queues.polling.store(true, Ordering::Relaxed);
        let result = task.run(core, &mut clock, || platform.now(), again);
        queues.polling.store(false, Ordering::Relaxed);
        shared.flush_spawned(queues, core);
        self.last_end = Some(clock);
        if result == RunResult::Requeue {
            shared.schedule(task, Origin::Requeue);
        }
    }

    fn find_task(&mut self) -> Option<Task> {
        let queues = self.queues();
        if let Some(task) = self.next.take() {
            self.lifo_streak += 1;
            return Some(task);
        }
        if self.lifo_streak < self.shared.config.lifo_limit
            && let Some(task) = queues.lifo.take().or_else(|| queues.pinned_lifo.take())
        {
            self.lifo_streak += 1;
            return Some(task);
        }
        self.lifo_streak = 0;
        self.pop_lanes()
            .or_else(|| queues.lifo.take())
            .or_else(|| queues.pinned_lifo.take())
            .or_else(|| self.steal())
    }

    fn pop_lanes(&mut self) -> Option<Task> {
        let (queues, injector) = (self.queues(), &self.shared.injector);
        // A set bit may be stale (a stealer or another core emptied the lane): such a lane
        // is cleared from `local` and the pick retried.
        let mut local = queues.local_mask();
        for _ in 0..PICK_RETRIES {
            let remote = queues.remote_mask() | injector.mask();
            let lane = self.budget.pick(|lane| (remote | local) & bit(lane) != 0)?;
            self.budget.charge(lane);
            let ring = || {
                let task = queues.rings.get(lane).pop();
                if task.is_none() && local & bit(lane) != 0 {
                    queues.clear_local(lane);
                }
                task
            };
            let remote = || {
                queues
                    .pinned
                    .pop(lane)
                    .or_else(|| queues.inbox.pop(lane))
                    .or_else(|| injector.pop(lane))
            };
            self.remote_countdown -= 1;
            let task = if self.remote_countdown == 0 {
                self.remote_countdown = self.shared.config.remote_interval.max(1);
                remote().or_else(ring)
            } else {
                ring().or_else(remote)
            };
            if task.is_some() {
                return task;
            }
            local &= !bit(lane);
        }
        None
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64: only needs to spread victims, not be unpredictable.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    /// Takes about half of a pseudo-random victim's work; returns one task to run now.
    fn steal(&mut self) -> Option<Task> {
        let n = self.shared.cores.len();
        if n < 2 {
            return None;
        }
        let start = (self.next_random() % n as u64) as usize;
        let task = (0..n)
            .map(|i| (start + i) % n)
            .filter(|&victim| victim != self.core)
            .find_map(|victim| self.steal_from(victim))?;
        CoreQueues::count_owned(&self.queues().steals);
        Some(task)
    }

    fn steal_from(&self, victim: usize) -> Option<Task> {
        let (own, theirs) = (self.queues(), &self.shared.cores[victim]);
        for lane in Priority::ALL {
            let ring = theirs.rings.get(lane);
            if ring.len() > 0
                && let Some(task) = ring.steal_into(own.rings.get(lane))
            {
                // The rest of the batch (if any) is now in our ring.
                own.mark_local(lane);
                return Some(task);
            }
        }
        if let Some((_, batch)) = theirs.inbox.pop_half() {
            let mut batch = batch.into_iter();
            let first = batch.next();
            for task in batch {
                self.shared.push_ring(self.core, task);
            }
            return first;
        }
        theirs.lifo.take()
    }

    /// Out of work: spin, then run the halt handshake and idle until woken.
    fn idle(&mut self) {
        let idle = &self.queues().idle;
        let counts = &self.shared.idle_counts;
        idle.set_spinning(counts);
        for _ in 0..self.shared.config.spin_rounds {
            self.maintain();
            if let Some(task) = self.find_task() {
                idle.set_running(counts);
                if self.shared.injector.mask() != 0 {
                    self.shared.wake_idle_core();
                }
                self.run_task(task);
                return;
            }
            core::hint::spin_loop();
        }
        idle.prepare_halt(counts);
        self.maintain();
        if let Some(task) = self.find_task() {
            idle.set_running(counts);
            self.run_task(task);
            return;
        }
        let deadline = self.queues().timers.next_deadline();
        let shared = self.shared;
        let may_sleep = || {
            idle.may_sleep()
                && !shared.is_shutdown()
                && !shared.irq.is_pending()
                && deadline.is_none_or(|d| shared.platform.now() < d)
        };
        shared.platform.idle(deadline, &may_sleep);
        idle.set_running(counts);
    }
}

impl<P: Platform> Drop for Worker<'_, P> {
    /// Releases the core; after shutdown also drops what is left in its local rings.
    fn drop(&mut self) {
        let queues = self.queues();
        if let Some(task) = self.next.take() {
            self.shared.schedule(task, Origin::Wake);
        }
        if self.shared.is_shutdown() {
            for lane in Priority::ALL {
                while let Some(task) = queues.rings.get(lane).pop() {
                    task.discard();
                }
            }
        }
        queues.idle.set_running(&self.shared.idle_counts);
        queues.claimed.store(false, Ordering::Release);
    }
}
