//! The executor's view of the machine: per-CPU index, TSC, wake-up IPIs and
//! `sti; hlt`.

use crate::arch::x86_64 as arch;
use executor::Platform;

/// The PC as an executor platform.
pub struct KernelPlatform {
    cores: usize,
}

impl KernelPlatform {
    /// A platform of `cores` CPUs (indices `0..cores`).
    pub fn new(cores: usize) -> Self {
        Self { cores }
    }
}

impl Platform for KernelPlatform {
    #[inline]
    fn current_core(&self) -> Option<usize> {
        Some(arch::cpu_index())
    }

    #[inline]
    fn core_count(&self) -> usize {
        self.cores
    }

    #[inline]
    fn now(&self) -> u64 {
        arch::rdtsc()
    }

    fn notify(&self, core: usize) {
        arch::wake_cpu(core);
    }

    /// Zeroes a frame ahead of time while there is nothing else to do (one per call, so
    /// work that arrives meanwhile waits at most one frame's zeroing); halts once the
    /// CPU's pool is full.
    fn idle(&self, deadline: Option<u64>, may_sleep: &dyn Fn() -> bool) {
        if may_sleep() && arch::zero_frame_ahead() {
            return;
        }
        arch::idle(deadline, may_sleep);
    }
}
