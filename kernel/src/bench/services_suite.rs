//! `bench services`: what the supervisor and the storage service cost.
//!
//! - `services.crash_to_serving`: `crash echo` (the supervised user service
//!   `svc-echo`, restart delay 0) until the supervisor reports it serving again: its
//!   process killed and reaped, the policy's decision, a new address space, ELF load
//!   and run until the new instance registers `svc.echo`. Timed here, from the kill to
//!   the state change (the supervisor notices within its polling period of 100 µs,
//!   which is part of the figure).
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
/// How long one restart may take before the suite gives up.
const RESTART_TIMEOUT_US: u64 = 2_000_000;
/// The program that times the file round trip.
const FS_PROGRAM: &str = "bench-fs";

/// Runs every measurement of the suite.
pub async fn run(report: &mut Report) -> Result<(), String> {
    crash_to_serving(report).await?;
    let mut figures = run_captured(FS_PROGRAM, Some(0)).await?;
    report_figure(
        report,
        FS_PROGRAM,
        &mut figures,
        "services.file_open_read_close",
        "services.file_open_read_close",
    )
}

fn state() -> Option<State> {
    service_manager::list()
        .into_iter()
        .find(|s| s.manifest.name == SERVICE)
        .map(|s| s.state)
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
