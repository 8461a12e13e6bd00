//! The kernel's async runtime: one `executor::Executor` shared by every CPU,
//! each CPU running its worker for ever.
//!
//! The BSP creates the executor once all CPUs are online (its core count is fixed
//! from then on), spawns the first tasks and wakes the APs, which wait in `hlt`
//! until the executor exists. Interrupts reach tasks through the executor's IRQ
//! wakers: the arch layer's interrupt sink only calls `IrqWakers::fire`.

mod platform;
pub mod serial;

use crate::arch::x86_64 as arch;
use executor::{Config, Executor};
pub use platform::KernelPlatform;

static EXECUTOR: spin::Once<Executor<KernelPlatform>> = spin::Once::new();

/// The executor (after `start`).
pub fn executor() -> &'static Executor<KernelPlatform> {
    EXECUTOR
        .get()
        .expect("the executor starts before any task runs")
}

/// TSC ticks in `us` microseconds (the executor's time unit is the TSC).
pub fn us_to_ticks(us: u64) -> u64 {
    (u128::from(us) * u128::from(arch::tsc_hz()) / 1_000_000) as u64
}

fn on_interrupt(vector: u8) {
    if let Some(executor) = EXECUTOR.get() {
        // Every vector is below the table size; an error cannot happen.
        let _ = executor.irq().fire(usize::from(vector));
    }
}

/// Creates the executor, lets `spawn_initial` spawn the first tasks, wakes the
/// APs and runs the BSP's worker (BSP only, once).
pub fn start(spawn_initial: impl FnOnce(&'static Executor<KernelPlatform>)) -> ! {
    let cores = arch::online_cpus();
    let executor =
        EXECUTOR.call_once(|| Executor::new(KernelPlatform::new(cores), Config::default()));
    arch::set_interrupt_sink(on_interrupt);
    spawn_initial(executor);
    for cpu in 1..cores {
        arch::wake_cpu(cpu);
    }
    run_worker(0)
}

/// An AP's life after bring-up: wait for the executor, then run its worker.
pub fn run_ap(index: usize) -> ! {
    while EXECUTOR.get().is_none() {
        arch::idle(None, &|| EXECUTOR.get().is_none());
    }
    run_worker(index)
}

fn run_worker(index: usize) -> ! {
    match executor().worker(index) {
        Ok(mut worker) => worker.run(),
        Err(e) => log::warn!("cpu {index}: no executor worker ({e:?}); idling"),
    }
    loop {
        arch::idle(None, &|| true);
    }
}
