//! The hardware boundary: what the kernel (or a host test) provides to the executor.
//!
//! Invariant: the executor calls nothing hardware specific except through [`Platform`].

/// Services the executor needs from the machine. The kernel implements it with per-CPU data,
/// the TSC, IPIs and `sti; hlt`; host tests implement it with threads.
pub trait Platform: Send + Sync + 'static {
    /// The core the caller runs on, or `None` outside any executor core (a host thread
    /// that is not a worker). The kernel always returns `Some(cpu index)`.
    ///
    /// Only the thread running core `c`'s [`Worker`](crate::Worker) may see `Some(c)`:
    /// the local run queue relies on it having a single producer.
    fn current_core(&self) -> Option<usize>;

    /// Number of cores; core indices are `0..core_count()`. Must not change.
    fn core_count(&self) -> usize;

    /// Monotonic clock in ticks (TSC, or any unit the timers use).
    fn now(&self) -> u64;

    /// Makes `core` return from [`Platform::idle`] (an IPI). The executor calls it only for
    /// a core that published itself halted, and only once per halt.
    fn notify(&self, core: usize);

    /// Halts the calling core until an interrupt, an IPI from [`Platform::notify`], or the
    /// clock reaching `deadline` (program a one-shot timer; no periodic tick needed).
    ///
    /// Last-check contract: disable interrupts, call `may_sleep()`; if it returns false
    /// re-enable interrupts and return; otherwise halt with interrupts enabled atomically
    /// (`sti; hlt`). Spurious returns are allowed.
    fn idle(&self, deadline: Option<u64>, may_sleep: &dyn Fn() -> bool);
}

/// Tunables of the executor.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Scheduling rounds an idle core spends looking for work (stealing) before halting.
    pub spin_rounds: u32,
    /// Consecutive polls a core may take from its LIFO slot before it must serve its lanes;
    /// 0 disables the LIFO slot (woken tasks go to the back of the ring).
    pub lifo_limit: u32,
    /// Every this many dequeues a core looks at the injector and its inbox before its own
    /// ring, so remote work cannot be starved by a busy local ring.
    pub remote_interval: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            spin_rounds: 64,
            lifo_limit: 3,
            remote_interval: 31,
        }
    }
}
