//! The task cell: header (state word, hints, statistics) plus the type-erased stage.
//!
//! Invariants:
//! - the stage (future, then output) is touched only by the core that won
//!   `SCHEDULED → RUNNING` (see `state.rs`), and by the `JoinHandle` after it saw `COMPLETE`,
//!   so it needs no lock (`raw.rs`, the crate's only `unsafe`);
//! - a task is enqueued only by whoever turned `SCHEDULED` on (spawner, first waker, or the
//!   runner whose poll ended with `SCHEDULED` set), so it is in at most one queue;
//! - the waker is `Arc<TaskCell>` through `futures_util::task::ArcWake`: no unsafe vtable in
//!   this crate, and a poll borrows the task as its waker (`waker_ref`) instead of cloning it;
//! - one allocation per task: the `Arc<TaskCell>`, with the [`Stage`] (the future and, once it
//!   is done, its output, read by the `JoinHandle`, see `join.rs`) inline in its
//!   [`StageCell`] (a stage bigger than `raw::INLINE_STAGE` bytes, or aligned to more than
//!   16, is boxed: two allocations); `raw::new_task` builds the cell in place.

use alloc::borrow::Cow;
use alloc::sync::{Arc, Weak};
use core::future::Future;
use core::ops::Deref;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_util::task::{ArcWake, waker_ref};
use pin_project::pin_project;

use crate::priority::Priority;
use crate::raw::StageCell;
use crate::state::{CANCELLED, State};
use crate::sync::{AtomicU8, AtomicU64, AtomicUsize, AtomicWaker, Mutex, Ordering};
use crate::task_ref::{Affinity, TaskId};

pub(crate) type Task = Arc<TaskCell>;

/// A task's future, then its output (type-erased in a [`StageCell`]).
pub(crate) trait Stage: Send {
    /// Polls the future; on `Ready` keeps the output and drops the future in place.
    fn poll_stage(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;
    /// Drops the future (cancellation, shutdown) without polling it.
    fn drop_future(self: Pin<&mut Self>);
}

/// The concrete [`Stage`] of a future `F`.
#[pin_project(project = CoreProj, project_replace = CoreReplace)]
pub(crate) enum Core<F: Future> {
    Running(#[pin] F),
    Done(Option<F::Output>),
}

impl<F> Stage for Core<F>
where
    F: Future + Send,
    F::Output: Send + 'static,
{
    fn poll_stage(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let output = match self.as_mut().project() {
            CoreProj::Running(future) => match future.poll(cx) {
                Poll::Ready(output) => output,
                Poll::Pending => return Poll::Pending,
            },
            CoreProj::Done(_) => return Poll::Ready(()),
        };
        self.project_replace(Core::Done(Some(output)));
        Poll::Ready(())
    }

    fn drop_future(mut self: Pin<&mut Self>) {
        if let CoreProj::Running(_) = self.as_mut().project() {
            self.project_replace(Core::Done(None));
        }
    }
}

impl<F: Future> Core<F> {
    /// Moves the output out, leaving nothing behind (`None` before completion, after a
    /// cancellation, or once taken).
    pub(crate) fn take_output(self: Pin<&mut Self>) -> Option<F::Output> {
        match self.project() {
            CoreProj::Done(output) => output.take(),
            CoreProj::Running(_) => None,
        }
    }
}

/// Why a task is being enqueued; decides LIFO-slot use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Freshly spawned: back of the queue.
    Spawn,
    /// Woken by a waker: LIFO slot when woken on its own core.
    Wake,
    /// Woken during its own poll (yield): back of the queue, so it cannot hog the core.
    Requeue,
}

/// What the executor does after giving a task its turn.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RunResult {
    /// Pending, nobody woke it yet.
    Idle,
    /// Woken during the poll: enqueue again.
    Requeue,
    /// Finished or cancelled.
    Complete,
    /// Was not `SCHEDULED` (nothing done).
    Stale,
}

/// The executor side a task needs: where to go when woken, and whom to tell when it ends.
pub(crate) trait Schedule: Send + Sync {
    fn schedule(&self, task: Task, origin: Origin);
    /// A `JoinHandle` of `task` is polled: polls `task` right here if the poll running on
    /// this core spawned it and it has not been queued yet (`shared.rs`). Returns whether
    /// it did.
    fn run_inline(&self, task: &Task) -> bool;
    /// Lists `task` (first poll on `core` just returned `Pending`) in the registry.
    fn register(&self, task: &Task, core: usize);
    fn release(&self, task: &TaskCell);
}

/// `registry_key` of a task not (yet) in the registry.
const UNREGISTERED: u64 = u64::MAX;

const AFFINITY_ANY: u64 = 0;
const AFFINITY_PREFER: u64 = 1 << 32;
const AFFINITY_PINNED: u64 = 2 << 32;
const AFFINITY_NEAR: u64 = 3 << 32;
const CORE_MASK: u64 = u32::MAX as u64;

/// Where the next enqueue should put the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    Any,
    Prefer(usize),
    Pinned(usize),
}

impl Placement {
    /// The placement of an affinity hint alone (a `Near` task without a peer goes
    /// anywhere, as `TaskCell::placement` decides for it).
    #[inline]
    pub(crate) fn of(affinity: Affinity) -> Self {
        match affinity {
            Affinity::Any | Affinity::Near => Self::Any,
            Affinity::Prefer(core) => Self::Prefer(core),
            Affinity::Pinned(core) => Self::Pinned(core),
        }
    }
}

/// One task: the header, then the stage. Built only by `raw::new_task` (in place).
pub(crate) struct TaskCell {
    pub(crate) header: Header,
    /// Touched by the `RUNNING` owner, or by the `JoinHandle` after `COMPLETE` (`raw.rs`).
    pub(crate) stage: StageCell,
}

impl Deref for TaskCell {
    type Target = Header;
    #[inline]
    fn deref(&self) -> &Header {
        &self.header
    }
}

/// Everything about a task but its stage.
pub(crate) struct Header {
    pub(crate) id: TaskId,
    pub(crate) name: Cow<'static, str>,
    pub(crate) state: State,
    pub(crate) join_waker: AtomicWaker,
    priority: AtomicU8,
    affinity: AtomicU64,
    near: Mutex<Option<Weak<TaskCell>>>,
    home: AtomicUsize,
    /// Written only by the `RUNNING` owner (plain load + store, no RMW).
    polls: AtomicU64,
    /// Written only by the `RUNNING` owner (plain load + store, no RMW).
    run_ticks: AtomicU64,
    scheduler: Arc<dyn Schedule>,
    /// Where the registry keeps this task (`registry.rs`, packed shard and slot), or
    /// `UNREGISTERED`. Written only by the `RUNNING` owner: at the end of the first poll that
    /// returns `Pending` (a task that completes in its first poll is never listed).
    registry_key: AtomicU64,
}

impl Header {
    #[inline(always)]
    pub(crate) fn new(
        id: TaskId,
        name: Cow<'static, str>,
        priority: Priority,
        affinity: Affinity,
        home: usize,
        scheduler: Arc<dyn Schedule>,
    ) -> Self {
        Self {
            id,
            name,
            state: State::new_scheduled(),
            join_waker: AtomicWaker::new(),
            priority: AtomicU8::new(priority as u8),
            affinity: AtomicU64::new(affinity_word(affinity)),
            near: Mutex::new(None),
            home: AtomicUsize::new(home),
            polls: AtomicU64::new(0),
            run_ticks: AtomicU64::new(0),
            scheduler,
            registry_key: AtomicU64::new(UNREGISTERED),
        }
    }

    /// Where the registry keeps this task (shard, slot), if it is listed.
    #[inline]
    pub(crate) fn registry_key(&self) -> Option<(u32, u32)> {
        let key = self.registry_key.load(Ordering::Relaxed);
        (key != UNREGISTERED).then_some(((key >> 32) as u32, key as u32))
    }

    /// The `RUNNING` owner, once, when the registry lists the task.
    #[inline]
    pub(crate) fn set_registry_key(&self, (shard, slot): (u32, u32)) {
        self.registry_key
            .store(u64::from(shard) << 32 | u64::from(slot), Ordering::Relaxed);
    }
}

impl TaskCell {
    #[inline]
    pub(crate) fn priority(&self) -> Priority {
        Priority::from_index(usize::from(self.priority.load(Ordering::Relaxed)))
    }

    pub(crate) fn set_priority(&self, priority: Priority) {
        self.priority.store(priority as u8, Ordering::Relaxed);
    }

    pub(crate) fn affinity(&self) -> Affinity {
        let word = self.affinity.load(Ordering::Acquire);
        let core = (word & CORE_MASK) as usize;
        match word & !CORE_MASK {
            AFFINITY_PREFER => Affinity::Prefer(core),
            AFFINITY_PINNED => Affinity::Pinned(core),
            AFFINITY_NEAR => Affinity::Near,
            _ => Affinity::Any,
        }
    }

    pub(crate) fn set_affinity(&self, affinity: Affinity) {
        let word = affinity_word(affinity);
        *self.near.lock() = None;
        self.affinity.store(word, Ordering::Release);
    }

    pub(crate) fn set_near(&self, peer: &Task) {
        *self.near.lock() = Some(Arc::downgrade(peer));
        self.affinity.store(AFFINITY_NEAR, Ordering::Release);
    }

    /// Resolves the hints into a placement for the enqueue happening now.
    #[inline]
    pub(crate) fn placement(&self) -> Placement {
        let word = self.affinity.load(Ordering::Acquire);
        let core = (word & CORE_MASK) as usize;
        match word & !CORE_MASK {
            AFFINITY_ANY => Placement::Any,
            AFFINITY_PREFER => Placement::Prefer(core),
            AFFINITY_PINNED => Placement::Pinned(core),
            _ => match self.near.lock().as_ref().and_then(Weak::upgrade) {
                Some(peer) => Placement::Prefer(peer.home()),
                None => Placement::Any,
            },
        }
    }

    /// Whether the task's next enqueue would keep it on `core` (affinity `Any`, or
    /// `Prefer`/`Pinned` to `core` itself): the yield fast path of `worker.rs`.
    #[inline]
    pub(crate) fn stays_on(&self, core: usize) -> bool {
        let word = self.affinity.load(Ordering::Acquire);
        word == AFFINITY_ANY
            || (word & !CORE_MASK != AFFINITY_NEAR && (word & CORE_MASK) as usize == core)
    }

    /// The executor this task belongs to.
    #[inline]
    pub(crate) fn scheduler(&self) -> &dyn Schedule {
        &*self.scheduler
    }

    /// The core this task last ran on (or was spawned for).
    #[inline]
    pub(crate) fn home(&self) -> usize {
        self.home.load(Ordering::Relaxed)
    }

    pub(crate) fn polls(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }

    pub(crate) fn run_ticks(&self) -> u64 {
        self.run_ticks.load(Ordering::Relaxed)
    }

    /// Gives the task one turn on `core`. `clock` holds the reading taken at (or, on the
    /// worker's hot path, just before) the start of the turn; `now` reads the clock once
    /// more at the end of each poll, and the last reading is left in `clock` (unchanged
    /// when nothing ran).
    ///
    /// Yield fast path: when a poll ends `Pending` with a wake already received (the task
    /// woke itself, or was woken while it ran) and its hints keep it on `core`, the turn
    /// asks `again(now)` whether this core has anything else to do; if not, the wake is
    /// consumed (`RUNNING | SCHEDULED` → `RUNNING`, one RMW) and the task is polled once
    /// more right here: it would have been the next task dequeued anyway, and this skips
    /// the re-queue, the scheduling step and two state transitions.
    #[inline]
    pub(crate) fn run(
        self: &Arc<Self>,
        core: usize,
        clock: &mut u64,
        now: impl Fn() -> u64,
        mut again: impl FnMut(u64) -> bool,
    ) -> RunResult {
        let Some(mut state) = self.state.start_run() else {
            return RunResult::Stale;
        };
        self.home.store(core, Ordering::Relaxed);
        let waker = waker_ref(self);
        let mut cx = Context::from_waker(&waker);
        loop {
            if state & CANCELLED != 0 {
                self.finish();
                return RunResult::Complete;
            }
            let poll = self.poll_stage(&mut cx);
            let end = now();
            // Only the RUNNING owner writes these: load + store, no read-modify-write.
            let run_ticks = self.run_ticks.load(Ordering::Relaxed);
            self.run_ticks.store(
                run_ticks.wrapping_add(end.saturating_sub(*clock)),
                Ordering::Relaxed,
            );
            *clock = end;
            let polls = self.polls.load(Ordering::Relaxed);
            self.polls.store(polls + 1, Ordering::Relaxed);
            if poll.is_ready() {
                // The poll already replaced the future by its output.
                self.complete();
                return RunResult::Complete;
            }
            if self.state.woken_while_running() && self.stays_on(core) && again(end) {
                state = self.state.consume_wake();
                continue;
            }
            if self.registry_key.load(Ordering::Relaxed) == UNREGISTERED {
                // Still RUNNING: an abort from a shutdown that missed the listing is
                // seen by `end_run` as a wake, and the re-queue discards the task.
                self.scheduler.register(self, core);
            }
            return if self.state.end_run() {
                RunResult::Requeue
            } else {
                RunResult::Idle
            };
        }
    }

    /// Dequeued after shutdown: drop the future without polling it.
    pub(crate) fn discard(self: &Arc<Self>) {
        if self.state.start_run().is_some() {
            self.finish();
        }
    }

    /// `RUNNING` owner only, future not finished (cancelled, shutdown): drop it, complete.
    fn finish(&self) {
        self.drop_future();
        self.complete();
    }

    /// `RUNNING` owner only, the future gone: mark `COMPLETE`, tell the joiner if one waits.
    fn complete(&self) {
        // Deregister first: whoever sees COMPLETE must not find the task still listed.
        // (A task that completed in its first poll was never listed.)
        if self.registry_key().is_some() {
            self.scheduler.release(self);
        }
        if self.state.complete() {
            self.join_waker.wake();
        }
    }

    pub(crate) fn abort(self: &Arc<Self>) {
        if self.state.cancel() {
            Arc::clone(&self.scheduler).schedule(self.clone(), Origin::Wake);
        }
    }
}

impl ArcWake for TaskCell {
    fn wake(self: Arc<Self>) {
        if self.state.wake() {
            Arc::clone(&self.scheduler).schedule(self, Origin::Wake);
        }
    }

    #[inline]
    fn wake_by_ref(arc_self: &Arc<Self>) {
        if arc_self.state.wake() {
            arc_self.scheduler.schedule(arc_self.clone(), Origin::Wake);
        }
    }
}

fn affinity_word(affinity: Affinity) -> u64 {
    match affinity {
        Affinity::Any | Affinity::Near => AFFINITY_ANY,
        Affinity::Prefer(core) => AFFINITY_PREFER | (core as u64 & CORE_MASK),
        Affinity::Pinned(core) => AFFINITY_PINNED | (core as u64 & CORE_MASK),
    }
}
