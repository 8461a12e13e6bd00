//! Stopping the machine after a fatal error, and leaving QEMU with a status.

use super::apic;
use core::sync::atomic::{AtomicBool, Ordering};

static STOPPING: AtomicBool = AtomicBool::new(false);
static QEMU_EXIT: AtomicBool = AtomicBool::new(false);

/// Allows `exit_qemu` (the kernel command line said `qemu_exit`).
pub fn enable_qemu_exit() {
    QEMU_EXIT.store(true, Ordering::Relaxed);
}

/// Whether another CPU asked everyone to stop.
pub fn requested() -> bool {
    STOPPING.load(Ordering::Relaxed)
}

/// Halts the calling CPU for good.
pub fn halt_forever() -> ! {
    x86_64::instructions::interrupts::disable();
    loop {
        x86_64::instructions::hlt();
    }
}

/// QEMU exit status meaning "tests passed" (isa-debug-exit: (0x10 << 1) | 1).
pub const EXIT_SUCCESS: u8 = 0x10;
/// QEMU exit status meaning "failure" ((0x11 << 1) | 1 = 35).
pub const EXIT_FAILURE: u8 = 0x11;

/// Leaves QEMU through isa-debug-exit if the command line allowed it.
pub fn exit_qemu(code: u8) {
    if QEMU_EXIT.load(Ordering::Relaxed) {
        // SAFETY: with `qemu_exit` on the command line the isa-debug-exit device
        // sits at port 0xF4; writing it ends the emulator.
        unsafe { x86_64::instructions::port::Port::<u32>::new(0xF4).write(u32::from(code)) };
    }
}

/// Stops every CPU after a fatal error: the others get an NMI and halt, QEMU
/// exits with the failure status where allowed, and this CPU halts.
pub fn stop_machine() -> ! {
    x86_64::instructions::interrupts::disable();
    if !STOPPING.swap(true, Ordering::SeqCst) {
        apic::raw::nmi_all_others();
    }
    exit_qemu(EXIT_FAILURE);
    halt_forever()
}
