//! The task cell: header (state word, hints, statistics) plus the type-erased future.
//!
//! Invariants:
//! - the future is touched only by the core that won `SCHEDULED → RUNNING` (see `state.rs`),
//!   so the `future` lock is never contended and never waited on;
//! - a task is enqueued only by whoever turned `SCHEDULED` on (spawner, first waker, or the
//!   runner that saw `NOTIFIED`), so it is in at most one queue;
//! - the waker is `Arc<TaskCell>` through `alloc::task::Wake`: no unsafe vtable.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};
use alloc::task::Wake;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use futures_util::task::AtomicWaker;

use crate::priority::Priority;
use crate::state::{CANCELLED, State};
use crate::sync::{AtomicU8, AtomicU64, AtomicUsize, Mutex, Ordering};
use crate::task_ref::{Affinity, TaskId};

pub(crate) type Task = Arc<TaskCell>;
type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

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
    fn release(&self, id: TaskId);
}

pub(crate) const AFFINITY_ANY: u64 = 0;
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

pub(crate) struct TaskCell {
    pub(crate) id: TaskId,
    pub(crate) name: Cow<'static, str>,
    pub(crate) state: State,
    pub(crate) join_waker: AtomicWaker,
    priority: AtomicU8,
    affinity: AtomicU64,
    near: Mutex<Option<Weak<TaskCell>>>,
    home: AtomicUsize,
    polls: AtomicU64,
    run_ticks: AtomicU64,
    future: Mutex<Option<BoxFuture>>,
    scheduler: Arc<dyn Schedule>,
}

impl TaskCell {
    pub(crate) fn new(
        id: TaskId,
        name: Cow<'static, str>,
        priority: Priority,
        home: usize,
        future: BoxFuture,
        scheduler: Arc<dyn Schedule>,
    ) -> Self {
        Self {
            id,
            name,
            state: State::new_scheduled(),
            join_waker: AtomicWaker::new(),
            priority: AtomicU8::new(priority as u8),
            affinity: AtomicU64::new(AFFINITY_ANY),
            near: Mutex::new(None),
            home: AtomicUsize::new(home),
            polls: AtomicU64::new(0),
            run_ticks: AtomicU64::new(0),
            future: Mutex::new(Some(future)),
            scheduler,
        }
    }

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
        let word = match affinity {
            Affinity::Any | Affinity::Near => AFFINITY_ANY,
            Affinity::Prefer(core) => AFFINITY_PREFER | (core as u64 & CORE_MASK),
            Affinity::Pinned(core) => AFFINITY_PINNED | (core as u64 & CORE_MASK),
        };
        *self.near.lock() = None;
        self.affinity.store(word, Ordering::Release);
    }

    pub(crate) fn set_near(&self, peer: &Task) {
        *self.near.lock() = Some(Arc::downgrade(peer));
        self.affinity.store(AFFINITY_NEAR, Ordering::Release);
    }

    /// Resolves the hints into a placement for the enqueue happening now.
    pub(crate) fn placement(&self) -> Placement {
        match self.affinity() {
            Affinity::Any => Placement::Any,
            Affinity::Prefer(core) => Placement::Prefer(core),
            Affinity::Pinned(core) => Placement::Pinned(core),
            Affinity::Near => match self.near.lock().as_ref().and_then(Weak::upgrade) {
                Some(peer) => Placement::Prefer(peer.home()),
                None => Placement::Any,
            },
        }
    }

    /// The core this task last ran on (or was spawned for).
    pub(crate) fn home(&self) -> usize {
        self.home.load(Ordering::Relaxed)
    }

    pub(crate) fn polls(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }

    pub(crate) fn run_ticks(&self) -> u64 {
        self.run_ticks.load(Ordering::Relaxed)
    }

    /// Gives the task one turn on `core`; `now` is the clock used for run-time statistics.
    pub(crate) fn run(self: &Arc<Self>, core: usize, now: impl Fn() -> u64) -> RunResult {
        let Some(state) = self.state.start_run() else {
            return RunResult::Stale;
        };
        if state & CANCELLED != 0 {
            self.finish();
            return RunResult::Complete;
        }
        self.home.store(core, Ordering::Relaxed);
        let waker = Waker::from(self.clone());
        let mut cx = Context::from_waker(&waker);
        let start = now();
        let poll = match self.future.lock().as_mut() {
            Some(future) => future.as_mut().poll(&mut cx),
            None => Poll::Ready(()),
        };
        self.run_ticks
            .fetch_add(now().saturating_sub(start), Ordering::Relaxed);
        self.polls.fetch_add(1, Ordering::Relaxed);
        match poll {
            Poll::Ready(()) => {
                self.finish();
                RunResult::Complete
            }
            Poll::Pending if self.state.end_run() => RunResult::Requeue,
            Poll::Pending => RunResult::Idle,
        }
    }

    /// Dequeued after shutdown: drop the future without polling it.
    pub(crate) fn discard(self: &Arc<Self>) {
        if self.state.start_run().is_some() {
            self.finish();
        }
    }

    /// `RUNNING` owner only: drop the future, mark `COMPLETE`, tell the joiner.
    fn finish(&self) {
        let future = self.future.lock().take();
        drop(future);
        // Deregister first: whoever sees COMPLETE must not find the task still listed.
        self.scheduler.release(self.id);
        self.state.complete();
        self.join_waker.wake();
    }

    pub(crate) fn abort(self: &Arc<Self>) {
        if self.state.cancel() {
            Arc::clone(&self.scheduler).schedule(self.clone(), Origin::Wake);
        }
    }
}

impl Wake for TaskCell {
    fn wake(self: Arc<Self>) {
        if self.state.wake() {
            Arc::clone(&self.scheduler).schedule(self, Origin::Wake);
        }
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.state.wake() {
            Arc::clone(&self.scheduler).schedule(self.clone(), Origin::Wake);
        }
    }
}
