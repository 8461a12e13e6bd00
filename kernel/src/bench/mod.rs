//! The in-kernel `bench` command: `bench SUITE [--json]`.
//!
//! Figures are TSC ticks per operation. The kernel command line's `accel=`
//! (set by `cargo xtask`) says what a tick is: under QEMU TCG with
//! `-icount shift=0` (`accel=tcg-icount`) one guest instruction, elsewhere a
//! cycle. Output formats: ../shared/guides/interfaces.md.

mod executor_suite;
mod ipc_suite;
mod report;
mod sampling;
mod services_suite;
mod user_suite;

use crate::arch::x86_64 as arch;
use alloc::format;
use alloc::string::String;
pub use report::Report;

/// The suites `bench` knows.
const SUITES: &[&str] = &["executor", "ipc", "user", "services"];

/// Runs `bench ARGS`.
pub async fn run(args: &str) -> Result<(), String> {
    let mut words = args.split_whitespace();
    let suite = words.next().ok_or_else(|| {
        format!(
            "usage: bench SUITE [--json] (suites: all, {})",
            SUITES.join(", ")
        )
    })?;
    let json = match words.next() {
        None => false,
        Some("--json") => true,
        Some(other) => return Err(format!("bench: unknown option '{other}' (only --json)")),
    };
    if let Some(extra) = words.next() {
        return Err(format!("bench: unexpected argument '{extra}'"));
    }
    if suite != "all" && !SUITES.contains(&suite) {
        return Err(format!(
            "bench: unknown suite '{suite}' (suites: all, {})",
            SUITES.join(", ")
        ));
    }
    let mut report = Report::new(json, accel());
    report.value("meta.tsc_hz", "hz", arch::tsc_hz());
    if suite == "all" || suite == "executor" {
        executor_suite::run(&mut report).await?;
    }
    if suite == "all" || suite == "ipc" {
        ipc_suite::run(&mut report).await?;
    }
    if suite == "all" || suite == "user" {
        user_suite::run(&mut report).await?;
    }
    if suite == "all" || suite == "services" {
        services_suite::run(&mut report).await?;
    }
    report.finish();
    Ok(())
}

/// What the machine is, from the command line's `accel=` (bare metal when absent).
fn accel() -> &'static str {
    let cmdline = arch::cmdline();
    match cmdline
        .split_whitespace()
        .find_map(|w| w.strip_prefix("accel="))
    {
        Some("tcg-icount") => "tcg-icount",
        Some("tcg") => "tcg",
        Some("kvm") => "kvm",
        _ => "metal",
    }
}
