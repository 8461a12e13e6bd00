//! Power-off, and booting the GRUB ISO from CD.

use mohhos_tests::{Error, Timeouts, fixture, output};

const T: Timeouts = Timeouts::QEMU;

#[test]
fn poweroff_exits_qemu_cleanly() {
    let Some(machine) = fixture::kernel(2) else {
        return;
    };
    fixture::check(machine, |s| {
        s.boot(T.boot)?;
        s.poweroff(T.poweroff)
    });
}

#[test]
fn iso_boots_from_cdrom() {
    let Some(machine) = fixture::iso(2) else {
        return;
    };
    fixture::check(machine, |s| {
        s.boot(T.boot)?;
        let out = s.run("cpus", T.command)?;
        output::check_cpus(&out, 2).map_err(Error::Check)?;
        // No `qemu_exit` on the GRUB command line: this is ACPI S5.
        s.poweroff(T.poweroff)
    });
}

/// OVMF's UEFI firmware image (Debian's `ovmf` package).
const OVMF: &str = "/usr/share/ovmf/OVMF.fd";

#[test]
fn iso_boots_on_uefi_firmware() {
    let Some(mut machine) = fixture::iso(2) else {
        return;
    };
    assert!(
        std::path::Path::new(OVMF).is_file(),
        "{OVMF} is missing: `cargo xtask test` installs the ovmf package"
    );
    machine.extra = vec!["-bios".into(), OVMF.into()];
    fixture::check(machine, |s| {
        s.boot(T.boot)?;
        let out = s.run("cpus", T.command)?;
        output::check_cpus(&out, 2).map_err(Error::Check)?;
        s.poweroff(T.poweroff)
    });
}
