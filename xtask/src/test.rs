//! `cargo xtask test`: every test, step by step, stopping at the first failure.

use std::env;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use mohhos_tests::fixture::{ISO_ENV, KERNEL_ENV};
use mohhos_tests::{Boot, Qemu, Session, Timeouts, exec, output};

use crate::Result;
use crate::kernel::{self, Flavor};
use crate::{install, iso, run, user};

/// How long the ktest kernel may run.
const KTEST_TIMEOUT: Duration = Duration::from_secs(180);

/// isa-debug-exit status of a ktest run where every test passed.
const KTEST_PASSED: i32 = 33;

/// Runs every step and prints `xtask: N passed, M failed`.
pub fn test() -> Result<()> {
    let mut steps = Steps::default();
    let result = all(&mut steps);
    println!("xtask: {} passed, {} failed", steps.passed, steps.failed);
    result
}

fn all(s: &mut Steps) -> Result<()> {
    s.step("install what is missing", || {
        install::rust_target()?;
        install::qemu()?;
        install::iso_tools()?;
        install::bochs()
    })?;
    s.step(
        "lint (cargo fmt --check, cargo clippy -D warnings; root, user/, kernel)",
        lint,
    )?;
    s.step(
        "host tests (cargo test --workspace --exclude mohhos-kernel)",
        host_tests,
    )?;
    s.step(
        "executor + ipc loom models (RUSTFLAGS=--cfg loom, profile loom)",
        loom_models,
    )?;
    let elf = s.step("build the kernel", || kernel::build(Flavor::Normal))?;
    let ktest = s.step("build the ktest kernel", || kernel::build(Flavor::Ktest))?;
    for smp in [1, 8] {
        s.step(&format!("in-kernel tests at -smp {smp}"), || {
            ktest_run(&ktest, smp)
        })?;
    }
    for (crash, expect) in FATAL_PATHS {
        s.step(
            &format!("fatal path: crash={crash} reports {expect:?} and exits 35"),
            || fatal_path(&ktest, crash, expect),
        )?;
    }
    let iso = s.step("build the ISO", || iso::build(&elf))?;
    s.step("integration tests (QEMU, serial shell)", || {
        integration_tests(&elf, &iso)
    })?;
    s.step(
        "Bochs, slow (x2APIC, PCIDs): cpus, processes, calls across address spaces",
        || bochs_x2apic(&iso),
    )?;
    Ok(())
}

/// Counts steps and reports each one.
#[derive(Default)]
struct Steps {
    passed: u32,
    failed: u32,
}

impl Steps {
    fn step<T>(&mut self, name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let n = self.passed + self.failed + 1;
        println!("xtask: step {n}: {name}");
        let start = Instant::now();
        let result = f();
        let secs = start.elapsed().as_secs_f64();
        match &result {
            Ok(_) => {
                self.passed += 1;
                println!("xtask: step {n} ok: {name} ({secs:.1} s)");
            }
            Err(e) => {
                self.failed += 1;
                println!("xtask: step {n} FAILED: {name} ({secs:.1} s)\n{e}");
            }
        }
        result.map_err(|_| format!("step {n} failed: {name}"))
    }
}

fn cargo() -> Command {
    Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Host crates' tests; the boot tests skip themselves here (no kernel yet).
fn host_tests() -> Result<()> {
    install::run(
        cargo()
            .args(["test", "--workspace", "--exclude", "mohhos-kernel"])
            .env_remove(KERNEL_ENV)
            .env_remove(ISO_ENV),
    )
}

/// Formatting and clippy on the host crates, the user workspace and the kernel (both
/// flavours, with the user programs packed in as the real build has them).
fn lint() -> Result<()> {
    install::run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    install::run(cargo().args(["clippy", "--all-targets", "--", "-D", "warnings"]))?;
    user::lint()?;
    let programs = user::build()?;
    for features in [&[][..], &["--features", "ktest"][..]] {
        install::run(
            cargo()
                .env(kernel::PROGRAMS_ENV, &programs)
                .args([
                    "clippy",
                    "--package",
                    "mohhos-kernel",
                    "--target",
                    "x86_64-unknown-none",
                    "--release",
                ])
                .args(features)
                .args(["--", "-D", "warnings"]),
        )?;
    }
    Ok(())
}

/// The executor's and the IPC crate's loom models, in their own target directory so
/// that the `--cfg loom` flags do not invalidate the normal build.
fn loom_models() -> Result<()> {
    install::run(
        cargo()
            .args([
                "test",
                "--package",
                "mohhos-executor",
                "--package",
                "mohhos-ipc",
                "--lib",
                "--profile",
                "loom",
                "--target-dir",
                "target/loom",
            ])
            .env("RUSTFLAGS", "--cfg loom"),
    )
}

/// Boots the ktest kernel; it must leave through isa-debug-exit with 33 and a summary line.
fn ktest_run(elf: &Path, smp: u32) -> Result<()> {
    let machine = Qemu {
        smp,
        ..Qemu::new(Boot::Kernel(elf.to_path_buf()))
    };
    let mut session = Session::qemu(&machine, true).map_err(|e| e.to_string())?;
    let status = session.wait_exit(KTEST_TIMEOUT).ok_or_else(|| {
        format!(
            "the ktest kernel did not exit within {} s",
            KTEST_TIMEOUT.as_secs()
        )
    })?;
    let log = session.log();
    let summary = log
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with("ktest:"));
    let failed: Vec<&str> = log.lines().filter(|l| l.contains("FAILED")).collect();
    match (status.code(), summary) {
        (Some(KTEST_PASSED), Some(summary)) if failed.is_empty() => {
            println!("xtask: {summary}");
            Ok(())
        }
        (_, summary) => Err(format!(
            "ktest kernel exited with {status} (want {KTEST_PASSED}); summary: {}; failures: {failed:?}",
            summary.unwrap_or("none printed")
        )),
    }
}

/// isa-debug-exit status of a kernel that stopped on a fatal error.
const KTEST_FATAL: i32 = 35;

/// Crashes the ktest kernel can be told to cause (`crash=…` on its command line)
/// and a line its report must contain (the tests run in a task, which may be on
/// any CPU, so no CPU index is expected). The stack overflow hits the guard page;
/// the #PF cannot be delivered on the dead stack, so it is reported by the #DF
/// handler on its IST stack, which names the guard page.
const FATAL_PATHS: [(&str, &str); 3] = [
    ("panic", "KERNEL PANIC on cpu"),
    ("page-fault", "cr2 0x100000000000"),
    ("stack-overflow", "stack overflow: "),
];

/// Boots the ktest kernel at -smp 8 with `crash=<crash>`: it must print `expect`
/// and leave QEMU with the failure status (after stopping the other CPUs).
fn fatal_path(elf: &Path, crash: &str, expect: &str) -> Result<()> {
    let machine = Qemu {
        smp: 8,
        cmdline: vec![format!("crash={crash}")],
        ..Qemu::new(Boot::Kernel(elf.to_path_buf()))
    };
    let mut session = Session::qemu(&machine, false).map_err(|e| e.to_string())?;
    let status = session.wait_exit(KTEST_TIMEOUT).ok_or_else(|| {
        format!(
            "crash={crash}: the kernel did not stop within {} s",
            KTEST_TIMEOUT.as_secs()
        )
    })?;
    let log = session.log();
    if status.code() == Some(KTEST_FATAL) && log.contains(expect) {
        Ok(())
    } else {
        Err(format!(
            "crash={crash}: exit {status}, want {KTEST_FATAL} and {expect:?} in:\n{log}"
        ))
    }
}

/// The boot tests in `tests/tests/`, given the kernel and ISO.
fn integration_tests(elf: &Path, iso: &Path) -> Result<()> {
    install::run(
        cargo()
            .args([
                "test",
                "--package",
                "mohhos-tests",
                "--test",
                "*",
                "--no-fail-fast",
            ])
            .env(KERNEL_ENV, elf)
            .env(ISO_ENV, iso),
    )
}

/// CPUs of the Bochs run.
const BOCHS_CPUS: u32 = 4;

/// Bochs boots the ISO on [`BOCHS_CPUS`] CPUs with x2APIC; `cpus` must show them all,
/// each CPU's timer must have fired, and the log must show what [`BOCHS_EXPECTED`] lists.
fn bochs_x2apic(iso: &Path) -> Result<()> {
    let machine = run::bochs_machine(iso, BOCHS_CPUS, "512M")?;
    let mut session = Session::bochs(&machine, true).map_err(|e| e.to_string())?;
    let commands = BOCHS_COMMANDS.map(String::from);
    let outputs = exec(&mut session, &commands, Timeouts::BOCHS).map_err(|e| {
        println!();
        e.to_string()
    })?;
    output::check_cpus(&outputs[0], BOCHS_CPUS as usize)?;
    // Every CPU's timer fires (they run in TSC-deadline mode here).
    let cpu_lines = || outputs[2].iter().filter(|l| l.starts_with("cpu "));
    if cpu_lines().any(|l| l.ends_with(" timer 0")) || cpu_lines().count() != BOCHS_CPUS as usize {
        return Err(format!(
            "Bochs: a CPU took no timer interrupt: {:?}",
            outputs[2]
        ));
    }
    let log = session.log();
    for (expected, times, what) in BOCHS_EXPECTED {
        let seen = log.matches(expected).count();
        if seen != times {
            return Err(format!(
                "Bochs: {what}: `{expected}` {seen} times in the log, not {times}"
            ));
        }
    }
    println!();
    Ok(())
}

/// What the Bochs run types: `cpus`, a `sleep` and `irqs` (every CPU's TSC-deadline timer
/// fires), then (with PCIDs on: the Skylake model has them)
/// processes that map, protect and unmap, a fault on another process's address, and
/// calls run in the caller's trap and through the queue, switching address spaces.
const BOCHS_COMMANDS: [&str; 9] = [
    "cpus",
    "sleep 100",
    "irqs",
    "run mapper",
    "run snoop",
    "run --core 0 echo-service &",
    "sleep 200",
    "run --core 0 ping-user",
    "run --core 1 ping-user",
];

/// What its log must show, how many times, and what it means.
const BOCHS_EXPECTED: [(&str, usize, &str); 5] = [
    ("lapic: x2APIC mode", 1, "x2APIC mode"),
    ("paging: PCIDs on", 1, "PCIDs"),
    ("mapper: ok", 1, "map, protect, unmap"),
    ("(snoop) killed: page fault", 1, "isolation"),
    ("ping: 100 replies from user.echo", 2, "calls"),
];
