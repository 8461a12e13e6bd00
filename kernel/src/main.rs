//! MOHHOS: a multicore microkernel whose heart is a per-core async executor.
//!
//! `arch` brings the machine up (boot, memory, interrupts, APICs, SMP) and then
//! calls [`kernel_main`] on the bootstrap processor.
#![no_std]
#![no_main]

extern crate alloc;

use executor::Priority;

mod arch;
mod bench;
mod boot_phases;
mod console;
mod ipc_runtime;
mod memory;
mod panic;
mod process;
mod runtime;
mod shell;

#[cfg(feature = "ktest")]
mod ktest;

/// Runs on the BSP once every CPU is up: starts the executor with the shell
/// task (in a test build, the in-kernel tests first).
fn kernel_main() -> ! {
    boot_phases::mark("shell");
    runtime::start(|executor| {
        ipc_runtime::start();
        executor
            .build()
            .name("shell")
            .priority(Priority::High)
            .spawn(async {
                #[cfg(feature = "ktest")]
                ktest::run_all();
                shell::run().await
            });
    })
}

/// Runs on each AP once it is up: its executor worker.
fn ap_main(index: usize) -> ! {
    runtime::run_ap(index)
}
