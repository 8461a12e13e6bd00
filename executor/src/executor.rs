//! The public executor handle.
//!
//! Invariant: `Executor` is a cheap clone of one shared state; all cores and all tasks of
//! one executor see the same queues, timers, IRQ table and registry.

use alloc::sync::Arc;
use core::fmt;
use core::future::Future;

use crate::irq::IrqWakers;
use crate::join::JoinHandle;
use crate::platform::{Config, Platform};
use crate::shared::{IRQ_SLOTS, Shared};
use crate::spawn::Builder;
use crate::stats::Snapshot;
use crate::time::{Interval, Sleep, Timeout};
use crate::worker::{Worker, WorkerError};

/// A per-core work-stealing executor over a [`Platform`].
pub struct Executor<P: Platform> {
    pub(crate) shared: Arc<Shared<P>>,
}

impl<P: Platform> Clone for Executor<P> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<P: Platform> Executor<P> {
    /// An executor with `platform.core_count()` cores and no tasks.
    pub fn new(platform: P, config: Config) -> Self {
        Self {
            shared: Arc::new(Shared::new(platform, config)),
        }
    }

    /// The platform the executor runs on.
    pub fn platform(&self) -> &P {
        &self.shared.platform
    }

    /// The scheduler of `core`; run it on that core. One worker per core at a time.
    pub fn worker(&self, core: usize) -> Result<Worker<'_, P>, WorkerError> {
        Worker::claim(&self.shared, core)
    }

    /// Options (name, priority, hints) for a spawn.
    #[inline]
    pub fn build(&self) -> Builder<'_, P> {
        Builder::new(self)
    }

    /// Spawns on the current core (the injector when called from outside the executor).
    #[inline]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.build().spawn(future)
    }

    /// Spawns into `core`'s inbox (idle cores may still steal it; pin with
    /// [`Builder::affinity`]).
    #[inline]
    pub fn spawn_on<F>(&self, core: usize, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.build().spawn_on(core, future)
    }

    /// Spawns into the global injector.
    #[inline]
    pub fn spawn_anywhere<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.build().spawn_anywhere(future)
    }

    /// Completes `ticks` after this call (at `now() + ticks`).
    pub fn sleep(&self, ticks: u64) -> Sleep<P> {
        self.sleep_until(self.shared.platform.now().saturating_add(ticks))
    }

    /// Completes once `now() >= deadline`.
    pub fn sleep_until(&self, deadline: u64) -> Sleep<P> {
        Sleep::new(self.clone(), deadline)
    }

    /// Runs `future` for at most `ticks`; `Err(Elapsed)` if the deadline came first.
    pub fn timeout<F: Future>(&self, ticks: u64, future: F) -> Timeout<F, P> {
        Timeout::new(future, self.sleep(ticks))
    }

    /// Ticks every `period` ticks, the first one `period` from now.
    pub fn interval(&self, period: u64) -> Interval<P> {
        Interval::new(self.clone(), period)
    }

    /// The interrupt waker table; call `irq().fire(n)` from the handler of interrupt `n`.
    pub fn irq(&self) -> &IrqWakers<IRQ_SLOTS> {
        &self.shared.irq
    }

    /// Statistics of every core and every live task.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::take(&self.shared)
    }

    /// Stops every worker (their `run` returns), cancels every task and drops everything
    /// queued. Later spawns and wakes drop their task at once. Idempotent.
    pub fn shutdown(&self) {
        self.shared.shut_down();
    }
}

impl<P: Platform> fmt::Debug for Executor<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("cores", &self.shared.cores.len())
            .field("shutdown", &self.shared.is_shutdown())
            .finish()
    }
}
