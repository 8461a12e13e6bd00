//! Choosing QEMU's accelerator: KVM only with real hardware virtualisation.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::str::FromStr;

/// QEMU's execution engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accel {
    /// Hardware virtualisation (`-accel kvm -cpu host`).
    Kvm,
    /// QEMU's binary translator (`-accel tcg`), the engine for tests here.
    Tcg,
}

impl Accel {
    /// KVM when `/dev/kvm` opens read-write and the host CPU has `vmx` or `svm`; TCG otherwise.
    pub fn detect() -> Accel {
        let kvm_opens = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/kvm")
            .is_ok();
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        if kvm_opens && has_hw_virt(&cpuinfo) {
            Accel::Kvm
        } else {
            Accel::Tcg
        }
    }

    /// QEMU arguments selecting this accelerator.
    pub fn qemu_args(self) -> &'static [&'static str] {
        match self {
            Accel::Kvm => &["-accel", "kvm", "-cpu", "host"],
            Accel::Tcg => &["-accel", "tcg"],
        }
    }
}

/// Whether a `/proc/cpuinfo` text lists `vmx` or `svm` among the CPU flags.
pub fn has_hw_virt(cpuinfo: &str) -> bool {
    cpuinfo
        .lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(key, _)| key.trim() == "flags")
        .any(|(_, flags)| flags.split_whitespace().any(|f| f == "vmx" || f == "svm"))
}

impl FromStr for Accel {
    type Err = String;

    fn from_str(s: &str) -> Result<Accel, String> {
        match s {
            "kvm" => Ok(Accel::Kvm),
            "tcg" => Ok(Accel::Tcg),
            _ => Err(format!("unknown accelerator `{s}` (expected kvm or tcg)")),
        }
    }
}

impl fmt::Display for Accel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_virtualisation_flags() {
        assert!(has_hw_virt("processor\t: 0\nflags\t\t: fpu vme vmx sse\n"));
        assert!(has_hw_virt("flags : fpu svm\n"));
        assert!(!has_hw_virt("flags\t\t: fpu vme sse hypervisor\n"));
        assert!(!has_hw_virt("vmx flags: none\nmodel name : vmx-ish\n"));
        assert!(!has_hw_virt(""));
    }

    #[test]
    fn parses_names() {
        assert_eq!("kvm".parse::<Accel>(), Ok(Accel::Kvm));
        assert_eq!("tcg".parse::<Accel>(), Ok(Accel::Tcg));
        assert!("hvf".parse::<Accel>().is_err());
    }
}
