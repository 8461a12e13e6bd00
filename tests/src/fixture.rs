//! Helpers for the integration tests: the images under test, machine setup, failure reports.

use std::env;
use std::path::PathBuf;

use crate::error::Result;
use crate::qemu::{Boot, Qemu};
use crate::session::Session;
use crate::slots;

/// Environment variable naming the kernel ELF under test (set by `cargo xtask test`).
pub const KERNEL_ENV: &str = "MOHHOS_KERNEL";

/// Environment variable naming the GRUB ISO under test (set by `cargo xtask test`).
pub const ISO_ENV: &str = "MOHHOS_ISO";

/// The file named by `var`. `None` (after saying the test is skipped) when `var` is unset;
/// panics when it names a missing file.
pub fn artifact(var: &str) -> Option<PathBuf> {
    match env::var_os(var).filter(|p| !p.is_empty()) {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "{var}={} does not exist; `cargo xtask test` builds it",
                path.display()
            );
            Some(path)
        }
        None => {
            eprintln!(
                "SKIPPED: {var} is not set. These tests boot MOHHOS; run `cargo xtask test`, \
                 which builds the kernel and ISO and sets {KERNEL_ENV} and {ISO_ENV}."
            );
            None
        }
    }
}

/// A machine booting the kernel under test with `smp` CPUs and 512 MiB, or `None` if unset.
pub fn kernel(smp: u32) -> Option<Qemu> {
    let elf = artifact(KERNEL_ENV)?;
    Some(Qemu {
        smp,
        ..Qemu::new(Boot::Kernel(elf))
    })
}

/// A machine booting the ISO under test from CD with `smp` CPUs, or `None` if unset.
pub fn iso(smp: u32) -> Option<Qemu> {
    let iso = artifact(ISO_ENV)?;
    Some(Qemu {
        smp,
        ..Qemu::new(Boot::Cdrom(iso))
    })
}

/// Starts `machine`, runs `body` on it, and panics with the error, the QEMU command line and
/// the serial log if anything failed or the kernel crashed. At most two machines run at once.
pub fn check(machine: Qemu, body: impl FnOnce(&mut Session) -> Result<()>) {
    let _slot = slots::claim();
    let command = format!("qemu-system-x86_64 {}", machine.args().join(" "));
    let mut session = Session::qemu(&machine, false).unwrap_or_else(|e| panic!("{command}: {e}"));
    if let Err(e) = body(&mut session).and_then(|()| session.check_health()) {
        session.kill();
        panic!(
            "{e}\ncommand: {command}\n--- serial log ---\n{}\n--- end of serial log ---",
            session.log()
        );
    }
}

/// Boots the kernel under test with `smp` CPUs to the prompt and runs `body` on it (see
/// [`check`]); skipped when the kernel is not set.
pub fn at_prompt(smp: u32, body: impl FnOnce(&mut Session) -> Result<()>) {
    let Some(machine) = kernel(smp) else {
        return;
    };
    check(machine, |s| {
        s.boot(crate::Timeouts::QEMU.boot)?;
        body(s)
    });
}
