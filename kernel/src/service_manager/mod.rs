//! Services as a system: S-INIT boots the catalog's services in dependency order
//! (`sinit.rs`), a supervisor loop per service restarts it per its policy
//! (`supervisor.rs`), and the operator starts, stops, restarts and crashes them from
//! the shell. The decisions themselves (plans, restart limits, events) are the host-
//! tested `services` crate; this module runs them.

mod catalog;
mod failover_router;
mod health_monitor;
mod instance;
pub mod journal;
mod log_service;
mod probe_service;
mod sinit;
mod storage_service;
mod supervisor;
mod table;

pub use sinit::BootReport;
pub use table::{State, service_of_pid};

use crate::runtime::{executor, us_to_ticks};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use services::boot_plan;
use services::events::{Event, EventKind};
use services::manifest::{self, Manifest, RunsAs};

/// How long `stop`, `start` and `restart` wait for the service to get there.
const OPERATION_TIMEOUT_US: u64 = 3_000_000;
/// How often the manager looks again while it waits for something (a name freed, a
/// service serving, a boot group settled).
const POLL_US: u64 = 50;

/// What S-INIT would say of `manifests` (the in-kernel tests check its refusals).
#[cfg(feature = "ktest")]
pub fn plan_message(manifests: &[Manifest]) -> Result<usize, String> {
    sinit::plan(&manifest::expand_replicas(manifests.to_vec())).map(|plan| plan.groups.len())
}

/// Boots the catalog's services (S-INIT).
pub async fn boot() -> Result<BootReport, String> {
    let report = sinit::boot(manifest::expand_replicas(catalog::manifests())).await;
    if report.is_ok() {
        health_monitor::spawn();
    }
    report
}

/// One service as `services` shows it.
pub struct ServiceView {
    /// Its manifest.
    pub manifest: Manifest,
    /// Where it is.
    pub state: State,
    /// Restarts so far.
    pub restarts: u64,
    /// Microseconds its instance has been running, if one is.
    pub uptime_us: Option<u64>,
    /// The core its instance runs on.
    pub core: Option<usize>,
    /// Its process, for a user service.
    pub pid: Option<u32>,
}

/// Every service, in catalog order.
pub fn list() -> Vec<ServiceView> {
    let now = journal::now_us();
    table::with(|t| {
        t.iter()
            .map(|e| ServiceView {
                manifest: e.manifest.clone(),
                state: e.state,
                restarts: e.tracker.restarts(),
                uptime_us: e.running.as_ref().map(|r| now.saturating_sub(r.since_us)),
                core: e.running.as_ref().and_then(|r| r.core),
                pid: e.running.as_ref().and_then(|r| r.pid),
            })
            .collect()
    })
}

/// A failover router's counters: requests accepted, answered, replayed to another
/// replica, failed (no replica answered in time).
pub struct RouterCounts {
    /// Requests accepted.
    pub accepted: u64,
    /// Requests answered.
    pub answered: u64,
    /// Forwards replayed.
    pub replayed: u64,
    /// Requests failed.
    pub failed: u64,
}

/// The counters of every failover router, by service name.
pub fn routers() -> Vec<(String, RouterCounts)> {
    list()
        .into_iter()
        .filter(|s| matches!(s.manifest.runs_as, RunsAs::Failover { .. }))
        .map(|s| {
            let stats = failover_router::stats(&s.manifest.name);
            let get =
                |c: &core::sync::atomic::AtomicU64| c.load(core::sync::atomic::Ordering::Relaxed);
            let counts = RouterCounts {
                accepted: get(&stats.accepted),
                answered: get(&stats.answered),
                replayed: get(&stats.replayed),
                failed: get(&stats.failed),
            };
            (s.manifest.name, counts)
        })
        .collect()
}

/// What `deps NAME` shows.
pub struct Dependencies {
    /// What it depends on, directly.
    pub depends_on: Vec<String>,
    /// Who depends on it, directly or not.
    pub dependents: Vec<String>,
    /// Its S-INIT group (0 = first).
    pub group: usize,
}

fn index_of(name: &str) -> Result<usize, String> {
    table::find(name).ok_or_else(|| format!("no service '{name}'"))
}

/// The dependencies of service `name`.
pub fn dependencies(name: &str) -> Result<Dependencies, String> {
    let index = index_of(name)?;
    table::with(|t| {
        let manifests: Vec<Manifest> = t.iter().map(|e| e.manifest.clone()).collect();
        Ok(Dependencies {
            depends_on: t[index].manifest.depends_on.clone(),
            dependents: boot_plan::dependents_of(&manifests, name),
            group: t[index].group,
        })
    })
}

/// The last `n` events of service `name`, oldest first.
pub fn events(name: &str, n: usize) -> Result<Vec<Event>, String> {
    let index = index_of(name)?;
    Ok(table::with(|t| {
        t[index].events.recent(n).cloned().collect()
    }))
}

/// Starts the stopped or failed service `name` (its restart window starts afresh)
/// and waits until it serves.
pub async fn start(name: &str) -> Result<(), String> {
    let index = index_of(name)?;
    let state = table::with(|t| t[index].state);
    if state.is_active() {
        return Err(format!("{name} is {} already", state.name()));
    }
    if let Some(dependency) = sinit::failed_dependency(index) {
        return Err(format!(
            "{name} depends on {dependency}, which is not serving"
        ));
    }
    table::with(|t| t[index].tracker.clear_window());
    supervisor::spawn(index, supervisor::take_over(index));
    match wait_until(index, |s| !matches!(s, State::Starting)).await {
        State::Serving => Ok(()),
        state => Err(format!("{name} did not start: it is {}", state.name())),
    }
}

/// Stops service `name`: it drains (takes no new work), its instance is ended and
/// it stays stopped (no restart).
pub async fn stop(name: &str) -> Result<(), String> {
    let index = index_of(name)?;
    let running = table::with(|t| {
        let e = &mut t[index];
        if !e.state.is_active() {
            return Err(format!("{name} is {}, not running", e.state.name()));
        }
        // The supervisor loop loses it: it will not restart what ends now.
        e.generation += 1;
        e.event(EventKind::Draining, String::from("stop requested"));
        e.state = State::Stopping;
        Ok(e.running.take())
    })?;
    if let Some(running) = running {
        running.handle.kill();
        // The instance is gone once its endpoint name is.
        if let Some(endpoint) = table::with(|t| t[index].manifest.endpoint.clone()) {
            poll_until(OPERATION_TIMEOUT_US, || {
                crate::ipc_runtime::system().discover(&endpoint).is_err()
            })
            .await;
        }
    }
    table::with(|t| {
        let e = &mut t[index];
        e.state = State::Stopped;
        e.event(EventKind::Unregistered, String::from("stopped"));
    });
    Ok(())
}

/// Stops service `name` if it runs, then starts it.
pub async fn restart(name: &str) -> Result<(), String> {
    let index = index_of(name)?;
    if table::with(|t| t[index].state.is_active()) {
        stop(name).await?;
    }
    start(name).await
}

/// Fault injection: ends the running instance of `name` as if it crashed (the
/// supervisor then applies the policy). Returns what was killed.
pub fn crash(name: &str) -> Result<String, String> {
    let index = index_of(name)?;
    table::with(|t| {
        let e = &mut t[index];
        let running = e
            .running
            .as_ref()
            .filter(|_| e.state == State::Serving)
            .ok_or_else(|| format!("{name} is {}, not serving", e.state.name()))?;
        running.handle.kill();
        let what = match (&e.manifest.runs_as, running.pid) {
            (RunsAs::User { program }, Some(pid)) => format!("{name} (pid {pid}, {program})"),
            _ => format!("{name} (kernel task)"),
        };
        e.kill_reason = Some(String::from("crash injected"));
        e.state = State::Ending;
        Ok(what)
    })
}

/// Waits (bounded) until service `index`'s state satisfies `done`; returns the state.
async fn wait_until(index: usize, done: impl Fn(State) -> bool) -> State {
    poll_until(OPERATION_TIMEOUT_US, || {
        done(table::with(|t| t[index].state))
    })
    .await;
    table::with(|t| t[index].state)
}

/// Polls `done` every [`POLL_US`] until it holds (true) or `timeout_us` passed (false).
async fn poll_until(timeout_us: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = journal::now_us() + timeout_us;
    while !done() {
        if journal::now_us() > deadline {
            return false;
        }
        executor().sleep(us_to_ticks(POLL_US)).await;
    }
    true
}
