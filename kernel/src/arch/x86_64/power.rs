//! Powering the machine off through ACPI S5.

use super::acpi::PowerOff;
use x86_64::instructions::port::Port;

const SLP_EN: u16 = 1 << 13;

/// Enters S5. Returns only if the machine is still running afterwards.
pub fn power_off(how: &PowerOff) {
    x86_64::instructions::interrupts::disable();
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
