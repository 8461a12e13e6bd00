//! The health monitor: every [`PERIOD_US`] it looks at each serving service's endpoint.
//!
//! The kernel sees a service's heartbeat itself: each message the endpoint hands to
//! the service is one, and a service with nothing waiting is idle, not stuck. A service
//! that leaves messages waiting without taking any is late: one missed period is
//! `Degraded`, three are `Unhealthy` (`services::health`), as is a queue three quarters
//! full. An unhealthy service is killed, and its supervisor applies the restart policy
//! (the `Restarting` event says why). Each change of health is an event.

use super::journal;
use super::table::{self, State};
use crate::ipc_runtime;
use crate::runtime::{executor, us_to_ticks};
use alloc::format;
use alloc::vec::Vec;
use executor::Priority;
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
    // (endpoint, messages accepted, messages received, queue capacity)
    let endpoints: Vec<(alloc::string::String, u64, u64)> = ipc_runtime::system()
        .services()
        .into_iter()
        .map(|s| (s.name, s.stats.sent, s.stats.received))
        .collect();
    let capacity = ipc_runtime::system().endpoint_capacity();
    let now = journal::now_us();
    table::with(|t| {
        for e in t.iter_mut().filter(|e| e.state == State::Serving) {
            let Some(endpoint) = e.manifest.endpoint.as_deref() else {
                continue;
            };
            let Some(&(_, sent, received)) = endpoints.iter().find(|(n, ..)| n == endpoint) else {
                continue;
            };
            let queued = sent.saturating_sub(received) as usize;
            let watch = &mut e.health;
            if received != watch.received || queued == 0 {
                watch.progress_us = now;
            }
            watch.received = received;
            let signals = Signals {
                now_us: now,
                last_heartbeat_us: watch.progress_us,
                interval_us: PERIOD_US,
                queued,
                capacity,
            };
            let health = health::assess(&signals);
            if health == watch.health {
                continue;
            }
            watch.health = health;
            let silent_ms = now.saturating_sub(watch.progress_us) / 1000;
            let why = format!("{queued} waiting, no progress for {silent_ms} ms");
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
