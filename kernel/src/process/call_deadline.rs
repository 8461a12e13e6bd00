//! Bounding a process's IPC calls by their timeout with one timer per process.
//!
//! Arming a timer for every call and cancelling it when the answer comes was a sixth of a
//! user call round trip. Instead each process keeps one [`Watchdog`] timer, armed for
//! the deadline of a call and left armed when the call ends: the next call reuses it
//! when it fires no later than the new deadline (the usual case: the same timeout, a
//! later deadline) and replaces it only when it would fire too late. When it fires
//! during a call that still has time left, it is re-armed for that call's deadline; when
//! it fires outside a call, the process's task sees one spurious wake, which every
//! future of the task tolerates. So a call in the steady state costs no timer work, and
//! a process that keeps calling takes at most one timer interrupt per timeout period.

use crate::arch::x86_64 as arch;
use crate::runtime::{KernelPlatform, executor};
use core::future::{Future, poll_fn};
use core::pin::{Pin, pin};
use core::task::Poll;
use executor::Sleep;
use ipc::IpcError;

/// A process's call timer (none armed at first).
#[derive(Default)]
pub struct Watchdog(Option<Sleep<KernelPlatform>>);

impl Watchdog {
    /// Runs `call` until it answers, or fails with `Timeout` once the TSC reaches
    /// `deadline`.
    pub async fn bound<T>(
        &mut self,
        call: impl Future<Output = Result<T, IpcError>>,
        deadline: u64,
    ) -> Result<T, IpcError> {
        let mut call = pin!(call);
        poll_fn(|cx| {
            if let Poll::Ready(answer) = call.as_mut().poll(cx) {
                return Poll::Ready(answer);
            }
            let now = arch::rdtsc();
            if now >= deadline {
                return Poll::Ready(Err(IpcError::Timeout));
            }
            // Armed for this task (a process never changes tasks), firing in time, not
            // yet fired: nothing to do.
            let in_time = self
                .0
                .as_ref()
                .is_some_and(|timer| timer.deadline() <= deadline && timer.deadline() > now);
            if !in_time {
                let mut timer = executor().sleep_until(deadline);
                if Pin::new(&mut timer).poll(cx).is_ready() {
                    return Poll::Ready(Err(IpcError::Timeout));
                }
                self.0 = Some(timer);
            }
            Poll::Pending
        })
        .await
    }
}
