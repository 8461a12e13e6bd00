//! `cargo xtask run`: boot MOHHOS in QEMU or Bochs, interactively or driven by `--exec`.

use std::env;
use std::path::Path;

use mohhos_tests::{Accel, Bochs, Boot, Qemu, Session, Timeouts, exec, qemu, size, split_commands};

use crate::Result;
use crate::cli::RunArgs;
use crate::install;
use crate::kernel::{self, Flavor};
use crate::{bridge, iso};

/// The gdb command matching `--gdb`.
/// QEMU loads the kernel after gdb attaches, so breakpoints must be hardware ones.
const GDB: &str = "gdb target/x86_64-unknown-none/release/mohhos -ex 'target remote :1234' \
                   -ex 'hbreak mohhos::kernel_main' -ex continue";

/// Runs `cargo xtask run`.
pub fn run(args: &RunArgs) -> Result<()> {
    install::rust_target()?;
    if args.bochs {
        run_bochs(args)
    } else {
        run_qemu(args)
    }
}

fn run_qemu(args: &RunArgs) -> Result<()> {
    install::qemu()?;
    let elf = kernel::build(Flavor::Normal)?;
    let machine = Qemu {
        boot: Boot::Kernel(elf),
        smp: args.smp,
        mem: args.mem.clone(),
        accel: args.accel.unwrap_or_else(Accel::detect),
        icount: args.icount,
        gdb: args.gdb,
        extra: args.extra.clone(),
        cmdline: Vec::new(),
    };
    machine.validate().map_err(|e| e.to_string())?;
    println!("xtask: qemu-system-x86_64 {}", machine.args().join(" "));
    if args.gdb {
        println!("xtask: QEMU waits for gdb on :1234; attach with:\n    {GDB}");
    }
    match &args.exec {
        Some(commands) => drive(Session::qemu(&machine, true), commands, Timeouts::QEMU),
        None => {
            let status = machine
                .command()
                .status()
                .map_err(|e| format!("cannot start qemu-system-x86_64: {e}"))?;
            if qemu::clean_exit(status.code()) {
                Ok(())
            } else {
                Err(format!("QEMU exited with {status}"))
            }
        }
    }
}

fn run_bochs(args: &RunArgs) -> Result<()> {
    install::iso_tools()?;
    install::bochs()?;
    let elf = kernel::build(Flavor::Normal)?;
    let iso = iso::build(&elf)?;
    let machine = bochs_machine(&iso, args.smp, &args.mem)?;
    println!(
        "xtask: bochs {} CPUs ({}), {} MiB, serial on a loopback socket; files in {}",
        machine.smp,
        machine.cpu,
        machine.mem_mib,
        machine.dir.display()
    );
    match &args.exec {
        Some(commands) => drive(Session::bochs(&machine, true), commands, Timeouts::BOCHS),
        None => {
            let (child, socket) = machine.start().map_err(|e| e.to_string())?;
            bridge::bridge(child, socket)
        }
    }
}

/// A Bochs machine booting `iso` with files under `target/bochs`.
pub fn bochs_machine(iso: &Path, smp: u32, mem: &str) -> Result<Bochs> {
    Ok(Bochs {
        iso: iso.to_path_buf(),
        smp,
        mem_mib: size::parse_mib(mem)?,
        cpu: Bochs::cpu_from_env(),
        dir: env::current_dir()
            .map_err(|e| e.to_string())?
            .join("target/bochs"),
    })
}

/// `--exec`: boots, types the commands, powers off; output streams to stdout.
fn drive(session: mohhos_tests::Result<Session>, commands: &str, t: Timeouts) -> Result<()> {
    let mut session = session.map_err(|e| e.to_string())?;
    if let Err(e) = exec(&mut session, &split_commands(commands), t) {
        println!();
        return Err(e.to_string());
    }
    println!("\nxtask: every command succeeded");
    Ok(())
}
