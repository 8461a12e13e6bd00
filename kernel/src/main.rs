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
mod service_manager;
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
                start_services().await;
                #[cfg(feature = "ktest")]
                ktest::run_all();
                shell::run().await
            });
    })
}

/// S-INIT: the services, before the prompt (or the in-kernel tests) comes up.
async fn start_services() {
    match service_manager::boot().await {
        Ok(report) if report.not_serving.is_empty() => log::info!(
            "s-init: {} services serving ({} groups)",
            report.serving,
            report.groups
        ),
        Ok(report) => log::warn!(
            "s-init: {} services serving, not serving: {}",
            report.serving,
            report.not_serving.join(", ")
        ),
        Err(error) => log::error!("{error}"),
    }
    boot_phases::mark("services");
}

/// Runs on each AP once it is up: its executor worker.
fn ap_main(index: usize) -> ! {
    runtime::run_ap(index)
}
