//! MOHHOS: a multicore microkernel whose heart is a per-core async executor.
//!
//! `arch` brings the machine up (boot, memory, interrupts, APICs, SMP) and then
//! calls [`kernel_main`] on the bootstrap processor.
#![no_std]
#![no_main]

extern crate alloc;

mod arch;
mod boot_phases;
mod console;
mod memory;
mod panic;
mod shell;

#[cfg(feature = "ktest")]
mod ktest;

/// Runs on the BSP once every CPU is up: the shell (or, in a test build, the
/// in-kernel tests).
fn kernel_main() -> ! {
    boot_phases::mark("shell");
    #[cfg(feature = "ktest")]
    ktest::run_all();
    shell::run()
}
