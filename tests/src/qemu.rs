//! The QEMU command line for MOHHOS.

use std::path::PathBuf;
use std::process::Command;

use crate::accel::Accel;
use crate::error::{Error, Result};

/// What QEMU boots.
#[derive(Clone, Debug)]
pub enum Boot {
    /// The multiboot ELF through `-kernel`, with `qemu_exit` on the kernel command line
    /// so that the kernel may leave through isa-debug-exit.
    Kernel(PathBuf),
    /// A GRUB ISO through `-cdrom` (no kernel command line: power-off is ACPI S5 only).
    Cdrom(PathBuf),
}

/// One QEMU machine.
#[derive(Clone, Debug)]
pub struct Qemu {
    /// What to boot.
    pub boot: Boot,
    /// Number of CPUs (`-smp`).
    pub smp: u32,
    /// Memory size as QEMU takes it (`-m`), e.g. `512M`.
    pub mem: String,
    /// Execution engine.
    pub accel: Accel,
    /// Add `-icount shift=0` (TCG only): the guest TSC counts instructions.
    pub icount: bool,
    /// Add `-s -S`: wait for gdb on port 1234.
    pub gdb: bool,
    /// Extra arguments passed to QEMU unchanged.
    pub extra: Vec<String>,
    /// Words added to the kernel command line after `qemu_exit` (`-kernel` boots only).
    pub cmdline: Vec<String>,
}

impl Qemu {
    /// A machine with the defaults of `cargo xtask run`: 8 CPUs, 512 MiB, detected accelerator.
    pub fn new(boot: Boot) -> Qemu {
        Qemu {
            boot,
            smp: 8,
            mem: "512M".into(),
            accel: Accel::detect(),
            icount: false,
            gdb: false,
            extra: Vec::new(),
            cmdline: Vec::new(),
        }
    }

    /// Rejects combinations QEMU cannot run.
    pub fn validate(&self) -> Result<()> {
        if self.icount && self.accel == Accel::Kvm {
            return Err(Error::Check(
                "--icount needs TCG: it cannot be combined with KVM (use --accel tcg)".into(),
            ));
        }
        if self.smp == 0 {
            return Err(Error::Check("--smp must be at least 1".into()));
        }
        Ok(())
    }

    /// The `accel=` word of the kernel command line: how the kernel's benchmarks
    /// label their figures (under icount, TSC ticks are instructions).
    fn accel_word(&self) -> &'static str {
        match (self.accel, self.icount) {
            (Accel::Kvm, _) => "accel=kvm",
            (Accel::Tcg, true) => "accel=tcg-icount",
            (Accel::Tcg, false) => "accel=tcg",
        }
    }

    /// The full argument list after `qemu-system-x86_64`.
    pub fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = Vec::new();
        match &self.boot {
            Boot::Kernel(elf) => {
                args.extend(["-kernel".into(), elf.display().to_string()]);
                let words: Vec<&str> = ["qemu_exit", self.accel_word()]
                    .into_iter()
                    .chain(self.cmdline.iter().map(String::as_str))
                    .collect();
                args.extend(["-append".into(), words.join(" ")]);
            }
            Boot::Cdrom(iso) => args.extend(["-cdrom".into(), iso.display().to_string()]),
        }
        args.extend(
            [
                "-serial",
                "stdio",
                "-display",
                "none",
                "-monitor",
                "none",
                "-no-reboot",
                "-device",
                "isa-debug-exit,iobase=0xf4,iosize=0x04",
            ]
            .map(String::from),
        );
        args.extend(["-smp".into(), self.smp.to_string()]);
        args.extend(["-m".into(), self.mem.clone()]);
        args.extend(self.accel.qemu_args().iter().map(|s| s.to_string()));
        if self.icount {
            args.extend(["-icount".into(), "shift=0".into()]);
        }
        if self.gdb {
            args.extend(["-s".into(), "-S".into()]);
        }
        args.extend(self.extra.iter().cloned());
        args
    }

    /// `qemu-system-x86_64` with [`Qemu::args`]; stdio is left to the caller.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new("qemu-system-x86_64");
        cmd.args(self.args());
        cmd
    }
}

/// Whether a QEMU exit status means the machine shut down cleanly:
/// 0 (ACPI S5) or 33 (isa-debug-exit success, the kernel's fallback).
pub fn clean_exit(code: Option<i32>) -> bool {
    matches!(code, Some(0 | 33))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> Qemu {
        Qemu {
            accel: Accel::Tcg,
            ..Qemu::new(Boot::Kernel("k.elf".into()))
        }
    }

    #[test]
    fn builds_the_contract_command_line() {
        let q = Qemu {
            icount: true,
            extra: vec!["-machine".into(), "q35".into()],
            ..machine()
        };
        let line = q.args().join(" ");
        assert_eq!(
            line,
            "-kernel k.elf -append qemu_exit accel=tcg-icount -serial stdio -display none -monitor none \
             -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -smp 8 -m 512M \
             -accel tcg -icount shift=0 -machine q35"
        );
    }

    #[test]
    fn cdrom_has_no_kernel_command_line() {
        let q = Qemu {
            boot: Boot::Cdrom("m.iso".into()),
            gdb: true,
            ..machine()
        };
        let args = q.args();
        assert!(args.starts_with(&["-cdrom".into(), "m.iso".into()]));
        assert!(!args.contains(&"-append".into()));
        assert!(args.ends_with(&["-s".into(), "-S".into()]));
    }

    #[test]
    fn rejects_icount_with_kvm() {
        let q = Qemu {
            accel: Accel::Kvm,
            icount: true,
            ..machine()
        };
        assert!(q.validate().is_err());
        assert!(machine().validate().is_ok());
    }

    #[test]
    fn clean_exits() {
        assert!(clean_exit(Some(0)));
        assert!(clean_exit(Some(33)));
        assert!(!clean_exit(Some(35)));
        assert!(!clean_exit(None));
    }
}
