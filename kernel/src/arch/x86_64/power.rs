//! Powering the machine off through ACPI S5.

use super::acpi::PowerOff;
use x86_64::instructions::port::Port;

const SLP_EN: u16 = 1 << 13;
/// PM1 control: the firmware has handed the ACPI registers to the OS.
const SCI_EN: u16 = 1 << 0;
/// How many PM1 reads to wait for SCI_EN after asking the firmware (bounded).
const SCI_EN_POLLS: u32 = 3_000_000;

/// Asks legacy firmware that booted with ACPI disabled to enable it (writing
/// ACPI_ENABLE to the SMI command port), waiting a bounded time for SCI_EN.
fn enable_acpi(how: &PowerOff) {
    let mut pm1a = Port::<u16>::new(how.pm1a_control);
    // SAFETY: PM1a control is the FADT's port; reading it has no side effects.
    if unsafe { pm1a.read() } & SCI_EN != 0 {
        return;
    }
    let Some((smi_cmd, value)) = how.acpi_enable else {
        return;
    };
    // SAFETY: the FADT names this SMI command port and value as the ACPI way
    // to switch the firmware into ACPI mode.
    unsafe { Port::<u8>::new(smi_cmd).write(value) };
    for _ in 0..SCI_EN_POLLS {
        // SAFETY: as above.
        if unsafe { pm1a.read() } & SCI_EN != 0 {
            return;
        }
        core::hint::spin_loop();
    }
}

/// Enters S5. Returns only if the machine is still running afterwards.
pub fn power_off(how: &PowerOff) {
    x86_64::instructions::interrupts::disable();
    enable_acpi(how);
    // SAFETY: the FADT names these ports as the PM1 control blocks; writing
    // SLP_TYP|SLP_EN there is the ACPI-defined way to enter a sleep state.
    unsafe {
        Port::<u16>::new(how.pm1a_control).write((how.slp_typ_a << 10) | SLP_EN);
        if let Some(port) = how.pm1b_control {
            Port::<u16>::new(port).write((how.slp_typ_b << 10) | SLP_EN);
        }
    }
    for _ in 0..1_000_000 {
        core::hint::spin_loop();
    }
    x86_64::instructions::interrupts::enable();
}
