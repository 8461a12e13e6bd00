//! Statistics snapshot for the `tasks` shell command.
//!
//! Invariant: read-only and lock-light: counters are read with relaxed loads (each value is
//! exact, the set is not one atomic cut); the task list comes from the registry.

use alloc::string::String;
use alloc::vec::Vec;

use crate::core_queues::CoreQueues;
use crate::idle::CoreRunState;
use crate::platform::Platform;
use crate::priority::Priority;
use crate::shared::Shared;
use crate::sync::Ordering;
use crate::task_ref::{Affinity, TaskId, TaskState, state_of};

/// One core's counters.
#[derive(Clone, Debug)]
pub struct CoreStats {
    /// Core index.
    pub core: usize,
    /// What the core published last.
    pub state: CoreRunState,
    /// Tasks in its rings, inbox and pinned queue (the LIFO slot excluded).
    pub queue_len: usize,
    /// Pending timers in its timer queue.
    pub timers: usize,
    /// Successful steals by this core.
    pub steals: u64,
    /// IPIs this core sent.
    pub ipis_sent: u64,
    /// IPIs this core consumed (halts ended by a notify).
    pub ipis_received: u64,
    /// Polls run on this core.
    pub polls: u64,
}

/// One live task.
#[derive(Clone, Debug)]
pub struct TaskStats {
    /// Id.
    pub id: TaskId,
    /// Name given at spawn.
    pub name: String,
    /// Life-cycle state.
    pub state: TaskState,
    /// Whether an abort is pending.
    pub cancelled: bool,
    /// Current lane.
    pub priority: Priority,
    /// Current affinity hint.
    pub affinity: Affinity,
    /// Core it last ran on.
    pub home: usize,
    /// Polls so far.
    pub polls: u64,
    /// Ticks spent in polls.
    pub run_ticks: u64,
}

/// Everything the `tasks` command prints.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Per core, by index.
    pub cores: Vec<CoreStats>,
    /// Tasks in the global injector.
    pub injector_len: usize,
    /// Live tasks, by id.
    pub tasks: Vec<TaskStats>,
}

impl Snapshot {
    pub(crate) fn take<P: Platform>(shared: &Shared<P>) -> Self {
        let cores = shared
            .cores
            .iter()
            .enumerate()
            .map(|(core, q): (usize, &CoreQueues)| CoreStats {
                core,
                state: q.idle.get(),
                queue_len: q.queue_len(),
                timers: q.timers.len(),
                steals: q.steals.load(Ordering::Relaxed),
                ipis_sent: q.ipis_sent.load(Ordering::Relaxed),
                ipis_received: q.idle.ipis_received(),
                polls: q.polls.load(Ordering::Relaxed),
            })
            .collect();
        let tasks = shared
            .registry
            .live()
            .iter()
            .map(|t| TaskStats {
                id: t.id,
                name: String::from(&*t.name),
                state: state_of(t),
                cancelled: t.state.load() & crate::state::CANCELLED != 0,
                priority: t.priority(),
                affinity: t.affinity(),
                home: t.home(),
                polls: t.polls(),
                run_ticks: t.run_ticks(),
            })
            .collect();
        Self {
            cores,
            injector_len: shared.injector.total(),
            tasks,
        }
    }
}
