//! `cargo xtask bench [SUITE]`: the kernel's `bench SUITE --json` under QEMU, the host
//! baselines of that suite under callgrind, and one table with both.
//!
//! The kernel runs under TCG with `-icount shift=0`, where its TSC counts guest instructions,
//! and callgrind counts the baselines' instructions: both sides are in the same unit.

mod host;
mod record;
mod report;

use std::path::PathBuf;
use std::time::Duration;

use mohhos_tests::{Accel, Boot, Qemu, Session, Timeouts, exec};

use crate::Result;
use crate::cli::BenchArgs;
use crate::install;
use crate::kernel::{self, Flavor};
use record::Record;
use report::{Anchor, Report};

/// A whole suite may take minutes of TCG time.
const TIMEOUTS: Timeouts = Timeouts {
    boot: Duration::from_secs(120),
    command: Duration::from_secs(600),
    poweroff: Duration::from_secs(30),
};

/// Kernel log lines shown when the kernel run fails.
const LOG_TAIL: usize = 20;

/// Where callgrind writes its profiles.
const CALLGRIND_DIR: &str = "target/bench";

/// Runs `cargo xtask bench`.
pub fn bench(args: &BenchArgs) -> Result<()> {
    let accel = accel(args.accel)?;
    install::valgrind()?;
    let kernel = if args.host_only {
        Vec::new()
    } else {
        install::rust_target()?;
        install::qemu()?;
        let elf = kernel::build(Flavor::Normal)?;
        run_kernel(elf, args, accel)?
    };
    let binary = host::build()?;
    let baselines = host::baselines(&binary, &args.suite)?;
    if args.host_only && baselines.is_empty() {
        return Err(format!("the suite `{}` has no host baselines", args.suite));
    }
    let mut anchors = Vec::new();
    for baseline in baselines {
        eprintln!(
            "xtask: {} under callgrind ({} and {} operations)",
            baseline.name,
            host::OPS,
            2 * host::OPS
        );
        let per_op = host::measure(&binary, &baseline.name, CALLGRIND_DIR.as_ref())?;
        let record = Record::host(&baseline.name, per_op, host::OPS);
        anchors.push(Anchor { baseline, record });
    }
    let report = Report { kernel, anchors };
    if args.json {
        for line in report.lines() {
            println!("{line}");
        }
    } else {
        print!("{}", report.table());
    }
    Ok(())
}

/// TCG unless KVM is asked for, and then only on real hardware virtualisation.
fn accel(asked: Option<Accel>) -> Result<Accel> {
    match asked {
        Some(Accel::Kvm) if Accel::detect() != Accel::Kvm => Err(
            "--accel kvm needs real hardware virtualisation (/dev/kvm usable and vmx or svm in \
             /proc/cpuinfo); this machine has none, so benchmark under TCG (the default)"
                .into(),
        ),
        Some(accel) => Ok(accel),
        None => Ok(Accel::Tcg),
    }
}

/// Boots the kernel, types `bench SUITE --json`, powers off; returns the results it printed.
fn run_kernel(elf: PathBuf, args: &BenchArgs, accel: Accel) -> Result<Vec<Record>> {
    let machine = Qemu {
        smp: args.smp,
        accel,
        icount: accel == Accel::Tcg,
        ..Qemu::new(Boot::Kernel(elf))
    };
    let command = format!("bench {} --json", args.suite);
    eprintln!(
        "xtask: qemu-system-x86_64 {}\nxtask: typing `{command}` (up to {} s)",
        machine.args().join(" "),
        TIMEOUTS.command.as_secs()
    );
    let mut session = Session::qemu(&machine, false).map_err(|e| e.to_string())?;
    let output = match exec(&mut session, std::slice::from_ref(&command), TIMEOUTS) {
        Ok(mut outputs) => outputs.remove(0),
        Err(e) => {
            let log = session.log();
            let lines: Vec<&str> = log.lines().collect();
            eprintln!("xtask: the kernel's last lines:");
            for line in &lines[lines.len().saturating_sub(LOG_TAIL)..] {
                eprintln!("    {}", line.trim_end());
            }
            return Err(format!("the kernel's benchmarks failed: {e}"));
        }
    };
    let records = record::parse_output(&output)?;
    if records.is_empty() {
        return Err(format!("`{command}` printed no `BENCH {{...}}` line"));
    }
    Ok(records)
}
