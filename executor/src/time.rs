//! Timer futures: `Sleep`, `Timeout`, `Interval`, driven by the per-core timer queues.
//!
//! Invariants: a `Sleep` completes only when `Platform::now() >= deadline` (a timer firing
//! early or a spurious wake just re-registers); it registers in the queue of the core that
//! polls it first and IPIs that core if it is halted (so it re-programs its one-shot); its
//! entry is removed when it completes or is dropped, so cancelled timeouts leave nothing.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use pin_project::pin_project;

use crate::executor::Executor;
use crate::platform::Platform;
use crate::sync::Ordering;
use crate::timer_queue::TimerKey;

/// Future returned by [`Executor::sleep`] / [`Executor::sleep_until`].
pub struct Sleep<P: Platform> {
    exec: Executor<P>,
    deadline: u64,
    entry: Option<(usize, TimerKey)>,
}

impl<P: Platform> Sleep<P> {
    pub(crate) fn new(exec: Executor<P>, deadline: u64) -> Self {
        Self {
            exec,
            deadline,
            entry: None,
        }
    }

    /// The tick at which it completes.
    pub fn deadline(&self) -> u64 {
        self.deadline
    }

    fn register(&mut self, cx: &Context<'_>) {
        let shared = &self.exec.shared;
        if let Some((core, key)) = self.entry
            && shared.cores[core].timers.update(key, cx.waker())
        {
            return;
        }
        let here = shared.here();
        let core = here.unwrap_or(0);
        let key = (
            self.deadline,
            shared.next_timer.fetch_add(1, Ordering::Relaxed),
        );
        shared.cores[core].timers.insert(key, cx.waker().clone());
        self.entry = Some((core, key));
        if here != Some(core) {
            shared.wake_core(core);
        }
    }

    fn deregister(&mut self) {
        if let Some((core, key)) = self.entry.take() {
            self.exec.shared.cores[core].timers.remove(key);
        }
    }
}

impl<P: Platform> Future for Sleep<P> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.exec.shared.platform.now() >= self.deadline {
            self.deregister();
            return Poll::Ready(());
        }
        self.register(cx);
        Poll::Pending
    }
}

impl<P: Platform> Drop for Sleep<P> {
    fn drop(&mut self) {
        self.deregister();
    }
}

impl<P: Platform> fmt::Debug for Sleep<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// The deadline of a [`Timeout`] passed first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed;

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline elapsed")
    }
}

/// Future returned by [`Executor::timeout`]: the inner future is polled first, so a future
/// that is ready at the deadline still wins.
#[pin_project]
pub struct Timeout<F, P: Platform> {
    #[pin]
    future: F,
    sleep: Sleep<P>,
}

impl<F, P: Platform> Timeout<F, P> {
    pub(crate) fn new(future: F, sleep: Sleep<P>) -> Self {
        Self { future, sleep }
    }
}

impl<F: Future, P: Platform> Future for Timeout<F, P> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(value) = this.future.poll(cx) {
            return Poll::Ready(Ok(value));
        }
        Pin::new(this.sleep).poll(cx).map(|()| Err(Elapsed))
    }
}

/// Periodic ticks from [`Executor::interval`].
///
/// Missed ticks are skipped, not replayed: after a late tick the next deadline is the next
/// multiple of `period` after now, on the original phase.
pub struct Interval<P: Platform> {
    exec: Executor<P>,
    period: u64,
    next: u64,
}

impl<P: Platform> Interval<P> {
    pub(crate) fn new(exec: Executor<P>, period: u64) -> Self {
        let period = period.max(1);
        let next = exec.shared.platform.now().saturating_add(period);
        Self { exec, period, next }
    }

    /// Waits for the next tick; yields its deadline. Dropping the returned future before it
    /// completes leaves the schedule unchanged.
    pub async fn tick(&mut self) -> u64 {
        let deadline = self.next;
        self.exec.sleep_until(deadline).await;
        let now = self.exec.shared.platform.now();
        let missed = now.saturating_sub(deadline) / self.period;
        self.next = deadline.saturating_add(self.period.saturating_mul(missed + 1));
        deadline
    }

    /// The deadline of the next tick.
    pub fn next_deadline(&self) -> u64 {
        self.next
    }
}

impl<P: Platform> fmt::Debug for Interval<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("period", &self.period)
            .field("next", &self.next)
            .finish()
    }
}
