//! Public handles on a task: identity, name, and the scheduling hints.
//!
//! Invariant: hints are stored in the task header and read at the task's next enqueue
//! (spawn, wake or re-queue); changing a hint never moves a task that is already queued.

use alloc::sync::Arc;
use core::fmt;

use crate::priority::Priority;
use crate::state::{CANCELLED, COMPLETE, RUNNING, SCHEDULED};
use crate::task::{Task, TaskCell};

/// Unique id of a task within one executor (never reused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(pub u64);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a task may run. Read at each enqueue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Affinity {
    /// Wherever it is woken (the waking core), stealable by idle cores.
    #[default]
    Any,
    /// Enqueued on this core's inbox when woken elsewhere; idle cores may still steal it.
    Prefer(usize),
    /// Runs only on this core: never stolen.
    Pinned(usize),
    /// Follows the core its [`TaskRef::run_near`] peer last ran on (a soft preference).
    Near,
}

/// Life-cycle state of a task, for statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// Waiting for a wake.
    Idle,
    /// In a run queue.
    Scheduled,
    /// Being polled (possibly already woken again).
    Running,
    /// Finished or cancelled.
    Complete,
}

/// A cloneable handle to a task for hints and inspection; does not own the output.
#[derive(Clone)]
pub struct TaskRef(pub(crate) Task);

impl TaskRef {
    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.0.id
    }

    /// The name given at spawn (`"task"` when none was).
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Current lane.
    pub fn priority(&self) -> Priority {
        self.0.priority()
    }

    /// Moves the task to `priority`'s lane from its next enqueue on.
    pub fn set_priority(&self, priority: Priority) {
        self.0.set_priority(priority);
    }

    /// Current affinity hint.
    pub fn affinity(&self) -> Affinity {
        self.0.affinity()
    }

    /// Sets the affinity from the next enqueue on. [`Affinity::Near`] here clears the hint
    /// (use [`TaskRef::run_near`]). Cores out of range are ignored (treated as `Any`).
    pub fn set_affinity(&self, affinity: Affinity) {
        self.0.set_affinity(affinity);
    }

    /// From the next enqueue on, prefer the core `peer` last ran on (e.g. a producer and its
    /// consumer sharing a cache). Holds only a weak reference: once `peer` is gone the hint
    /// falls back to `Any`.
    pub fn run_near(&self, peer: &TaskRef) {
        self.0.set_near(&peer.0);
    }

    /// Requests cancellation: the future is dropped (not polled again) at its next dequeue
    /// and the [`JoinHandle`](crate::JoinHandle) yields `Err(JoinError::Cancelled)`. No effect
    /// once the task completed.
    pub fn abort(&self) {
        self.0.abort();
    }

    /// Whether the task completed or was cancelled and dropped.
    pub fn is_finished(&self) -> bool {
        self.state() == TaskState::Complete
    }

    /// Whether `abort` was called before the task completed.
    pub fn is_cancelled(&self) -> bool {
        self.0.state.load() & CANCELLED != 0
    }

    /// Current life-cycle state.
    pub fn state(&self) -> TaskState {
        state_of(&self.0)
    }

    /// Polls so far.
    pub fn polls(&self) -> u64 {
        self.0.polls()
    }

    /// Time spent in polls, in [`Platform::now`](crate::Platform::now) ticks.
    pub fn run_ticks(&self) -> u64 {
        self.0.run_ticks()
    }

    /// Whether both refer to the same task.
    pub fn ptr_eq(&self, other: &TaskRef) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskRef")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("state", &self.state())
            .finish()
    }
}

pub(crate) fn state_of(task: &TaskCell) -> TaskState {
    let bits = task.state.load();
    if bits & COMPLETE != 0 {
        TaskState::Complete
    } else if bits & RUNNING != 0 {
        TaskState::Running
    } else if bits & SCHEDULED != 0 {
        TaskState::Scheduled
    } else {
        TaskState::Idle
    }
}
