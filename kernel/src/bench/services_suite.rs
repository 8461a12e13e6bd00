//! `bench services`: what the supervisor and the storage service cost.
//!
//! - `services.crash_to_serving`: `crash echo` (the supervised user service
//!   `svc-echo`, restart delay 0) until the supervisor reports it serving again: its
//!   process killed and reaped, the policy's decision, a new address space, ELF load
//!   and run until the new instance registers `svc.echo`. Timed here, from the kill to
//!   the state change (the supervisor notices within its polling period of 100 µs,
//!   which is part of the figure).
//! - `services.failover`: `stop mirror.1` (the primary replica of `mirror`: killed, not
//!   restarted) and, beside it, calls through the failover router `svc.mirror`, one
//!   after the other, until one is answered by `mirror.2`: from the kill to that answer
//!   (the router's forward to the dying primary fails, it replays to the standby).
//!   `mirror.1` is started again between samples. With it, as counts, the calls
//!   that failed (`services.failover_lost`) and the answers that did not belong to the
//!   request (`services.failover_answered_twice`): both must be 0.
//! - `services.file_open_read_close`: timed inside the user program `bench-fs` (open a
//!   4 KiB file, read it, close it; see that program).

use super::Report;
use super::user_suite::{report_figure, run_captured};
use crate::arch::x86_64 as arch;
use crate::runtime::{executor, us_to_ticks};
use crate::service_manager::{self, State};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The service crashed.
const SERVICE: &str = "echo";
/// Rounds thrown away, then kept.
const WARMUP: usize = 3;
const SAMPLES: usize = 20;
/// How long one restart (or failover) may take before the suite gives up.
const RESTART_TIMEOUT_US: u64 = 2_000_000;
/// The program that times the file round trip.
const FS_PROGRAM: &str = "bench-fs";

/// Runs every measurement of the suite.
pub async fn run(report: &mut Report) -> Result<(), String> {
    crash_to_serving(report).await?;
    failover(report).await?;
    let mut figures = run_captured(FS_PROGRAM, Some(0)).await?;
    report_figure(
        report,
        FS_PROGRAM,
        &mut figures,
        "services.file_open_read_close",
        "services.file_open_read_close",
    )
}

fn state_of(name: &str) -> Option<State> {
    service_manager::list()
        .into_iter()
        .find(|s| s.manifest.name == name)
        .map(|s| s.state)
}

fn state() -> Option<State> {
    state_of(SERVICE)
}

/// Waits until service `name` serves; its pid.
async fn serving_pid(name: &str) -> Result<u64, String> {
    let deadline = arch::rdtsc() + us_to_ticks(RESTART_TIMEOUT_US);
    loop {
        let view = service_manager::list()
            .into_iter()
            .find(|s| s.manifest.name == name)
            .ok_or_else(|| format!("no service {name}"))?;
        if view.state == State::Serving
            && let Some(pid) = view.pid
        {
            return Ok(u64::from(pid));
        }
        if arch::rdtsc() > deadline {
            return Err(format!("{name} does not serve: {:?}", view.state));
        }
        executor().sleep(us_to_ticks(10)).await;
    }
}

async fn failover(report: &mut Report) -> Result<(), String> {
    const PRIMARY: &str = "mirror.1";
    const STANDBY: &str = "mirror.2";
    const ENDPOINT: &str = "svc.mirror";
    let mut connection =
        crate::ipc_runtime::connect(ENDPOINT).map_err(|e| format!("{ENDPOINT}: {e}"))?;
    let mut samples = Vec::with_capacity(SAMPLES);
    let (mut round, mut lost, mut duplicated) = (0u64, 0u64, 0u64);
    for i in 0..WARMUP + SAMPLES {
        serving_pid(PRIMARY).await?;
        let standby = serving_pid(STANDBY).await?;
        let start = arch::rdtsc();
        // Stopped, not crashed: a crashed primary restarts (no delay) and may serve
        // again before any call reaches the standby, which is no failover. `stop`
        // kills it at once, and its task runs beside the calls below.
        let stopping = executor().spawn(service_manager::stop(PRIMARY));
        loop {
            round += 1;
            let request = ipc::Message::with_data(1, [round, 0, 0, 0, 0, 0]);
            match connection.call(executor::Priority::Normal, request).await {
                Ok(reply) if reply.data[0] != round + 1 => duplicated += 1,
                Ok(reply) if reply.data[1] == standby => break,
                Ok(_) => {}
                Err(_) => lost += 1,
            }
            if arch::rdtsc() > start + us_to_ticks(RESTART_TIMEOUT_US) {
                return Err(format!("{STANDBY} never answered"));
            }
        }
        if i >= WARMUP {
            samples.push(arch::rdtsc() - start);
        }
        stopping
            .await
            .map_err(|_| String::from("the stop was cancelled"))??;
        service_manager::start(PRIMARY).await?;
    }
    report.ticks("services.failover", &mut samples);
    report.value("services.failover_lost", "count", lost);
    report.value("services.failover_answered_twice", "count", duplicated);
    Ok(())
}

async fn crash_to_serving(report: &mut Report) -> Result<(), String> {
    if state() != Some(State::Serving) {
        return Err(format!("{SERVICE} is not serving"));
    }
    let mut samples = Vec::with_capacity(SAMPLES);
    for i in 0..WARMUP + SAMPLES {
        let start = arch::rdtsc();
        service_manager::crash(SERVICE)?;
        let deadline = start + us_to_ticks(RESTART_TIMEOUT_US);
        while state() != Some(State::Serving) {
            if arch::rdtsc() > deadline {
                return Err(format!("{SERVICE} did not come back: {:?}", state()));
            }
            executor().sleep(us_to_ticks(10)).await;
        }
        if i >= WARMUP {
            samples.push(arch::rdtsc() - start);
        }
    }
    report.ticks("services.crash_to_serving", &mut samples);
    Ok(())
}
