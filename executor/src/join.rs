//! `JoinHandle`: the spawner's side of a task, a future yielding its output.
//!
//! Choice: dropping a `JoinHandle` *detaches* the task (it keeps running, its output is
//! dropped); only [`JoinHandle::abort`] (or [`TaskRef::abort`]) cancels.
//!
//! Invariant: the output is written by the task (into its inline stage, `raw.rs`) before the
//! state becomes `COMPLETE`, and the handle reads it only after observing `COMPLETE`
//! (acquire). A handle that does not see `COMPLETE` registers its waker and then sets
//! `JOIN_WAITING` (`state.rs`), which tells it whether the task completed meanwhile, so a
//! completion is never missed; a completion that finds no `JOIN_WAITING` skips the waker.
//! The output is moved out of the stage by the typed function `raw::new_task` returned
//! with the task, so no separate output allocation and no run-time type check is needed.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::raw::TakeOutput;
use crate::state::COMPLETE;
use crate::task_ref::{TaskId, TaskRef};

/// Why a task produced no output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinError {
    /// It was aborted (or the executor shut down) before completing.
    Cancelled,
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task cancelled")
    }
}

/// Owned handle to a spawned task; `.await` it for the output.
pub struct JoinHandle<T> {
    task: TaskRef,
    /// Made by `raw::new_task` with the task, for its stage type.
    take: TakeOutput<T>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: TaskRef, take: TakeOutput<T>) -> Self {
        Self { task, take }
    }

    /// The task's hint and inspection handle.
    pub fn task(&self) -> &TaskRef {
        &self.task
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.task.id()
    }

    /// Cancels the task; awaiting the handle then yields `Err(JoinError::Cancelled)` unless
    /// the task had already completed.
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Whether the task completed or was cancelled.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    /// After it returned `Ready`, polling again yields `Err(JoinError::Cancelled)`.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let cell = &self.task.0;
        // Already complete (the usual case when the joiner was woken): no registration.
        // Spawned by the poll running here and not queued yet: polled right here, once.
        // Otherwise register, then announce the wait, which says whether a completion came
        // in between (so it is not missed).
        if cell.state.load() & COMPLETE == 0
            && !(cell.scheduler().run_inline(cell) && cell.state.load() & COMPLETE != 0)
        {
            cell.join_waker.register(cx.waker());
            if !cell.state.await_completion() {
                return Poll::Pending;
            }
        }
        // COMPLETE (acquire) is set after the owner's last access to the stage; from then on
        // only this handle touches it (`raw.rs`).
        Poll::Ready((self.take)(cell).ok_or(JoinError::Cancelled))
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("JoinHandle").field(&self.task).finish()
    }
}
