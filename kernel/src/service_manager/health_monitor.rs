//! The health monitor: every [`PERIOD_US`] it looks at each serving service's endpoint.
//!
//! The kernel sees a service's heartbeat itself: each message the endpoint hands to
//! the service is one, a service with nothing waiting is idle, not stuck, and one whose
//! task waits in a run queue without having run since the last look is starved by a
//! busy machine, not stuck either. A service
//! that leaves messages waiting without taking any is late: one missed period is
//! `Degraded`, three are `Unhealthy` (`services::health`); a queue three quarters full
//! or a median queue wait (over the messages taken since the last look, from the
//! endpoint's latency histogram) of 10 ms or more is `Degraded`. An unhealthy service is killed, and its supervisor applies the restart policy
//! (the `Restarting` event says why). Each change of health is an event.

use super::journal;
use super::table::{self, State};
use crate::ipc_runtime;
use crate::runtime::{executor, us_to_ticks};
use alloc::format;
use alloc::vec::Vec;
use executor::{Priority, TaskRef, TaskState};
use ipc::{LATENCY_BUCKETS, ServiceSummary};
use services::events::EventKind;
use services::health::{self, Health, Signals};

/// Time between looks.
pub const PERIOD_US: u64 = 100_000;

/// Spawns the monitor.
pub fn spawn() {
    executor()
        .build()
        .name("health monitor")
        .priority(Priority::High)
        .spawn(async {
            loop {
                executor().sleep(us_to_ticks(PERIOD_US)).await;
                look();
            }
        });
}

/// One look at every serving service.
fn look() {
    let endpoints: Vec<ServiceSummary> = ipc_runtime::system().services();
    let capacity = ipc_runtime::system().endpoint_queued_bound();
    let now = journal::now_us();
    table::with(|t| {
        for e in t.iter_mut().filter(|e| e.state == State::Serving) {
            let Some(endpoint) = e.manifest.endpoint.as_deref() else {
                continue;
            };
            let Some(stats) = endpoints
                .iter()
                .find(|s| s.name == endpoint)
                .map(|s| &s.stats)
            else {
                continue;
            };
            let received = stats.received;
            let queued = stats.sent.saturating_sub(received) as usize;
            let task = e.running.as_ref().and_then(|r| r.handle.task());
            let polls = task.map_or(0, TaskRef::polls);
            // Runnable but not run since the last look: the CPUs are busy elsewhere,
            // which is no fault of the service's.
            let starved =
                task.is_some_and(|t| t.state() == TaskState::Scheduled) && polls == e.health.polls;
            let watch = &mut e.health;
            let mut new_waits = [0; LATENCY_BUCKETS];
            for (new, (now, before)) in new_waits
                .iter_mut()
                .zip(stats.latency_log2.iter().zip(&watch.waits))
            {
                *new = now.saturating_sub(*before);
            }
            watch.waits = stats.latency_log2;
            // A bucket b holds waits below 2^b ticks.
            let median_wait_us = health::median_bucket(&new_waits)
                .map_or(0, |b| crate::arch::x86_64::ticks_to_us(1u64 << b.min(63)));
            if received != watch.received || queued == 0 || starved {
                watch.progress_us = now;
            }
            watch.received = received;
            watch.polls = polls;
            let signals = Signals {
                now_us: now,
                last_heartbeat_us: watch.progress_us,
                interval_us: PERIOD_US,
                queued,
                capacity,
                median_wait_us,
            };
            let health = health::assess(&signals);
            if health == watch.health {
                continue;
            }
            watch.health = health;
            let silent_ms = now.saturating_sub(watch.progress_us) / 1000;
            let why = format!(
                "{queued} waiting, no progress for {silent_ms} ms, median wait {median_wait_us} us"
            );
            let kind = match health {
                Health::Healthy => EventKind::Healthy,
                Health::Degraded => EventKind::Degraded,
                Health::Unhealthy => EventKind::Unhealthy,
            };
            e.event(kind, why.clone());
            if health == Health::Unhealthy
                && let Some(running) = &e.running
            {
                running.handle.kill();
                e.kill_reason = Some(format!("unhealthy: {why}"));
                e.state = State::Ending;
            }
        }
    });
}
