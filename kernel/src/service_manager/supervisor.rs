//! The supervisor: one loop per started service that starts its instance, waits for
//! it to serve and to end, and applies the restart policy.
//!
//! A loop owns its service only while the table's generation is the one it was
//! started with: `stop`, `restart` and `start` bump the generation, after which the
//! old loop only kills what it may still have started and leaves the entry alone.

use super::instance;
use super::journal;
use super::table::{self, HealthWatch, State};
use crate::arch::x86_64 as arch;
use crate::ipc_runtime;
use crate::runtime::{executor, us_to_ticks};
use alloc::format;
use alloc::string::String;
use executor::Priority;
use ipc::{Message, ServiceId};
use services::boot_plan;
use services::events::EventKind;
use services::restart::Decision;

/// The event type the supervisor broadcasts on the IPC bus when a service gives up:
/// tag = the service's index in the table, data[0] = 1 (`RestartFailed`).
pub const SERVICE_EVENT: u64 = 0x7376_6366_6169_6c21; // "svcfail!"

/// The core a service's instances run on: services spread over the CPUs in table
/// order.
fn core_for(index: usize) -> usize {
    index % arch::online_cpus()
}

/// Takes service `index` over for a new loop; returns its generation.
pub fn take_over(index: usize) -> u64 {
    table::with(|t| {
        let entry = &mut t[index];
        entry.generation += 1;
        entry.state = State::Starting;
        entry.generation
    })
}

/// Spawns the supervisor loop of service `index` for generation `generation`.
pub fn spawn(index: usize, generation: u64) {
    let name = table::with(|t| format!("supervise {}", t[index].manifest.name));
    executor()
        .build()
        .name(name)
        .priority(Priority::High)
        .spawn(supervise(index, generation));
}

/// Runs `f` on the entry if the loop of `generation` still owns it.
fn owned<R>(index: usize, generation: u64, f: impl FnOnce(&mut table::Entry) -> R) -> Option<R> {
    table::with(|t| {
        let entry = &mut t[index];
        (entry.generation == generation).then(|| f(entry))
    })
}

async fn supervise(index: usize, generation: u64) {
    let mut restarted = false;
    loop {
        let Some(manifest) = owned(index, generation, |e| {
            e.state = State::Starting;
            e.manifest.clone()
        }) else {
            return;
        };
        let started = match instance::start(&manifest, core_for(index)).await {
            Ok(started) => started,
            Err(why) => {
                give_up(index, generation, format!("cannot start: {why}"));
                return;
            }
        };
        let running = started.running.clone();
        if owned(index, generation, |e| e.running = Some(running)).is_none() {
            started.running.handle.kill();
            return;
        }
        match instance::wait_serving(&manifest, &started.running).await {
            Ok(()) => {
                let pid = started
                    .running
                    .pid
                    .map(|p| format!("pid {p}, "))
                    .unwrap_or_default();
                let core = started.running.core.unwrap_or(0);
                owned(index, generation, |e| {
                    e.state = State::Serving;
                    e.health = HealthWatch::fresh();
                    let kind = if restarted {
                        EventKind::Restarted
                    } else {
                        EventKind::Healthy
                    };
                    e.event(kind, format!("{pid}core {core}"));
                });
            }
            // It ends as a failure below, and the policy decides.
            Err(why) => {
                owned(index, generation, |e| e.event(EventKind::Unhealthy, why));
                started.running.handle.kill();
            }
        }
        let (ending, detail) = started.ended.await;
        let decision = owned(index, generation, |e| {
            e.running = None;
            let detail = e.kill_reason.take().unwrap_or(detail);
            let decision = e.tracker.decide(journal::now_us(), ending);
            match decision {
                Decision::Restart { .. } => {
                    e.state = State::Restarting;
                    e.event(EventKind::Restarting, detail);
                }
                Decision::GiveUp => {
                    let config = e.tracker.config();
                    e.state = State::Failed;
                    e.event(
                        EventKind::RestartFailed,
                        format!(
                            "{detail}; {} restarts within {} s already",
                            config.max_restarts,
                            config.window_us / 1_000_000
                        ),
                    );
                }
                Decision::StayDown => {
                    e.state = State::Stopped;
                    e.event(EventKind::Unregistered, detail);
                }
            }
            decision
        });
        match decision {
            Some(Decision::Restart { delay_us }) => {
                if delay_us > 0 {
                    executor().sleep(us_to_ticks(delay_us)).await;
                }
                restarted = true;
            }
            Some(Decision::GiveUp) => {
                tell_dependents(index);
                return;
            }
            Some(Decision::StayDown) | None => return,
        }
    }
}

/// Marks service `index` failed with `why` (if the loop still owns it) and tells its
/// dependents.
fn give_up(index: usize, generation: u64, why: String) {
    let gave_up = owned(index, generation, |e| {
        e.state = State::Failed;
        e.running = None;
        e.event(EventKind::RestartFailed, why);
    });
    if gave_up.is_some() {
        tell_dependents(index);
    }
}

/// Service `index` gave up: every service depending on it, directly or not, gets a
/// `Degraded` event naming it, and the bus carries a [`SERVICE_EVENT`].
fn tell_dependents(index: usize) {
    table::with(|t| {
        let name = t[index].manifest.name.clone();
        let manifests: alloc::vec::Vec<_> = t.iter().map(|e| e.manifest.clone()).collect();
        for dependent in boot_plan::dependents_of(&manifests, &name) {
            if let Some(e) = t.iter_mut().find(|e| e.manifest.name == dependent) {
                e.event(EventKind::Degraded, format!("dependency {name} gave up"));
            }
        }
    });
    ipc_runtime::system().broadcast(
        ServiceId::KERNEL,
        SERVICE_EVENT,
        Priority::High,
        Message::with_data(index as u64, [1, 0, 0, 0, 0, 0]),
    );
}
