//! Installing what a fresh machine lacks: the Rust target and apt packages (as root).

use std::env;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::Result;

/// The kernel's Rust target.
const TARGET: &str = "x86_64-unknown-none";

/// Whether `apt-get update` already ran in this process.
static APT_UPDATED: AtomicBool = AtomicBool::new(false);

/// Adds the kernel target, and the clippy and rustfmt components the lint step
/// uses, with rustup unless they are installed.
pub fn rust_target() -> Result<()> {
    let components = Command::new("rustup")
        .args(["component", "list", "--installed"])
        .output()
        .map_err(|e| format!("running rustup: {e}"))?;
    let components = String::from_utf8_lossy(&components.stdout);
    for component in ["clippy", "rustfmt"] {
        if !components.lines().any(|l| l.starts_with(component)) {
            println!("xtask: installing the Rust component {component}");
            run(Command::new("rustup").args(["component", "add", component]))?;
        }
    }
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| {
            format!("running rustup: {e} (the Rust toolchain must be installed through rustup)")
        })?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == TARGET)
    {
        return Ok(());
    }
    println!("xtask: installing the Rust target {TARGET}");
    run(Command::new("rustup").args(["target", "add", TARGET]))
}

/// QEMU.
pub fn qemu() -> Result<()> {
    ensure(&["qemu-system-x86_64"], &[], &["qemu-system-x86"])
}

/// `grub-mkrescue` and what it needs to build an ISO that boots on BIOS and UEFI
/// machines, and OVMF (UEFI firmware for QEMU) to test the UEFI path.
pub fn iso_tools() -> Result<()> {
    ensure(
        &["grub-mkrescue", "xorriso", "mformat"],
        &[
            "/usr/lib/grub/i386-pc",
            "/usr/lib/grub/x86_64-efi",
            "/usr/share/ovmf/OVMF.fd",
        ],
        &[
            "grub-pc-bin",
            "grub-efi-amd64-bin",
            "grub-common",
            "xorriso",
            "mtools",
            "ovmf",
        ],
    )
}

/// Bochs with its BIOS images and the headless `term` display.
pub fn bochs() -> Result<()> {
    ensure(
        &["bochs"],
        &[
            "/usr/share/bochs/BIOS-bochs-latest",
            "/usr/share/vgabios/vgabios.bin",
        ],
        &["bochs", "bochsbios", "bochs-term", "vgabios"],
    )
}

/// Valgrind, whose callgrind counts the host baselines' instructions.
pub fn valgrind() -> Result<()> {
    ensure(&["valgrind"], &[], &["valgrind"])
}

/// Installs `packages` with apt unless every program in `programs` is on PATH and every
/// path in `files` exists. Without root, fails with the command to run.
fn ensure(programs: &[&str], files: &[&str], packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = programs
        .iter()
        .filter(|p| !on_path(p))
        .chain(files.iter().filter(|f| !Path::new(f).exists()))
        .copied()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let install = format!(
        "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y {}",
        packages.join(" ")
    );
    if !is_root() {
        return Err(format!(
            "missing {}; install it with:\n    sudo sh -c '{install}'",
            missing.join(", ")
        ));
    }
    println!(
        "xtask: missing {}; installing {}",
        missing.join(", "),
        packages.join(" ")
    );
    if !APT_UPDATED.swap(true, Ordering::SeqCst) {
        run(apt().arg("update"))?;
    }
    run(apt().args(["install", "-y"]).args(packages))
}

fn apt() -> Command {
    let mut cmd = Command::new("apt-get");
    cmd.env("DEBIAN_FRONTEND", "noninteractive");
    cmd
}

/// Whether `program` is an executable file in a PATH directory.
pub fn on_path(program: &str) -> bool {
    env::var_os("PATH")
        .is_some_and(|paths| env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a command with inherited stdio; fails unless it exits 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}
