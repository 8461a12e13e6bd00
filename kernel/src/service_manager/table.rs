//! The supervisor's table: every service of the catalog with its state, its running
//! instance, its restart history and its events. Locked briefly, never across an
//! `.await`.

use super::journal;
use crate::process::Control;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use executor::TaskRef;
use ipc::LATENCY_BUCKETS;
use services::events::{EventKind, EventLog};
use services::health::Health;
use services::manifest::Manifest;
use services::restart::RestartTracker;

/// Events kept per service.
const EVENTS_KEPT: usize = 128;

/// Where a service is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not started yet (S-INIT has not reached its group).
    Waiting,
    /// Started, not serving yet.
    Starting,
    /// Serving.
    Serving,
    /// Its instance was killed (`crash`); the supervisor has not seen it end yet.
    Ending,
    /// Ended; the supervisor starts it again after the delay.
    Restarting,
    /// Being stopped on request.
    Stopping,
    /// Stopped on request or by its policy.
    Stopped,
    /// Gave up: restarted too often, could not start, or a dependency failed.
    Failed,
}

impl State {
    /// The state's name as `services` shows it.
    pub fn name(self) -> &'static str {
        match self {
            State::Waiting => "waiting",
            State::Starting => "starting",
            State::Serving => "serving",
            State::Ending => "ending",
            State::Restarting => "restarting",
            State::Stopping => "stopping",
            State::Stopped => "stopped",
            State::Failed => "failed",
        }
    }

    /// Whether a supervisor loop owns the service now (it is started or about to be).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            State::Starting | State::Serving | State::Ending | State::Restarting | State::Stopping
        )
    }
}

/// How to end a running instance.
#[derive(Clone)]
pub enum Handle {
    /// A kernel service's task.
    Kernel(TaskRef),
    /// A user service's process.
    User(Arc<Control>),
}

impl Handle {
    /// The executor task of the instance.
    pub fn task(&self) -> Option<&TaskRef> {
        match self {
            Handle::Kernel(task) => Some(task),
            Handle::User(control) => control.task(),
        }
    }

    /// Ends the instance (its supervisor sees it end as a failure).
    pub fn kill(&self) {
        match self {
            Handle::Kernel(task) => task.abort(),
            Handle::User(control) => control.kill(),
        }
    }
}

/// A running instance.
#[derive(Clone)]
pub struct Running {
    /// How to end it.
    pub handle: Handle,
    /// When it started, microseconds since boot.
    pub since_us: u64,
    /// The core it is pinned to, if any.
    pub core: Option<usize>,
    /// Its process, for a user service.
    pub pid: Option<u32>,
}

impl HealthWatch {
    /// A new instance: healthy until seen otherwise (its endpoint's counters are new).
    pub fn fresh() -> Self {
        Self {
            health: Health::Healthy,
            received: 0,
            progress_us: journal::now_us(),
            waits: [0; LATENCY_BUCKETS],
            polls: 0,
        }
    }
}

/// One service.
pub struct Entry {
    /// What it is.
    pub manifest: Manifest,
    /// Where it is.
    pub state: State,
    /// Its running instance.
    pub running: Option<Running>,
    /// Its restart decisions.
    pub tracker: RestartTracker,
    /// What happened to it.
    pub events: EventLog,
    /// Bumped whenever a supervisor loop takes it over; a loop whose generation is
    /// no longer current stops touching it.
    pub generation: u64,
    /// Its index in S-INIT's plan (0 = first group).
    pub group: usize,
    /// Why the kernel killed the running instance (`crash`, the health monitor), to
    /// report instead of "killed" when it ends.
    pub kill_reason: Option<String>,
    /// What the health monitor saw last.
    pub health: HealthWatch,
}

/// The health monitor's view of one service (`health_monitor.rs`).
#[derive(Clone, Copy)]
pub struct HealthWatch {
    /// Its health at the last look.
    pub health: Health,
    /// Messages its endpoint had handed to it at the last look.
    pub received: u64,
    /// When it last made progress (took a message, or had none waiting), µs.
    pub progress_us: u64,
    /// Its endpoint's queue-wait histogram at the last look.
    pub waits: [u64; LATENCY_BUCKETS],
    /// Polls of its task at the last look.
    pub polls: u64,
}

impl Entry {
    /// A service of `manifest` in `group`, not started.
    pub fn new(manifest: Manifest, group: usize) -> Self {
        let tracker = RestartTracker::new(manifest.restart);
        let mut events = EventLog::new(EVENTS_KEPT);
        events.push(journal::now_us(), EventKind::Registered, String::new());
        Self {
            manifest,
            state: State::Waiting,
            running: None,
            tracker,
            events,
            generation: 0,
            group,
            kill_reason: None,
            health: HealthWatch::fresh(),
        }
    }

    /// Records an event now.
    pub fn event(&mut self, kind: EventKind, detail: String) {
        self.events.push(journal::now_us(), kind, detail);
    }
}

static TABLE: spin::Mutex<Vec<Entry>> = spin::Mutex::new(Vec::new());

/// Fills the table (once, by S-INIT).
pub fn install(entries: Vec<Entry>) {
    *TABLE.lock() = entries;
}

/// Runs `f` on the table.
pub fn with<R>(f: impl FnOnce(&mut Vec<Entry>) -> R) -> R {
    f(&mut TABLE.lock())
}

/// The index of service `name`.
pub fn find(name: &str) -> Option<usize> {
    with(|t| t.iter().position(|e| e.manifest.name == name))
}

/// The service whose instance is process `pid`.
pub fn service_of_pid(pid: u32) -> Option<String> {
    with(|t| {
        t.iter()
            .find(|e| e.running.as_ref().and_then(|r| r.pid) == Some(pid))
            .map(|e| e.manifest.name.clone())
    })
}
