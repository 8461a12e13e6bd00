//! Task state word: named bits and the only legal transitions.
//!
//! | from                         | event                  | to                          | caller must      |
//! |------------------------------|------------------------|-----------------------------|------------------|
//! | (spawn)                      | spawn                  | `SCHEDULED`                 | enqueue          |
//! | idle (`0`)                   | wake                   | `SCHEDULED`                 | enqueue          |
//! | `SCHEDULED`                  | wake                   | unchanged                   | nothing          |
//! | `RUNNING`                    | wake                   | `RUNNING \| NOTIFIED`       | nothing          |
//! | `SCHEDULED`                  | dequeued by a worker   | `RUNNING`                   | poll             |
//! | `RUNNING`                    | poll returned Pending  | idle                        | nothing          |
//! | `RUNNING \| NOTIFIED`        | poll returned Pending  | `SCHEDULED`                 | re-enqueue       |
//! | `RUNNING`                    | Ready, or cancelled    | `COMPLETE`                  | wake the joiner  |
//! | anything but `COMPLETE`      | abort                  | `+CANCELLED`, then wake     | as for wake      |
//! | `COMPLETE`                   | anything               | unchanged                   | nothing          |
//!
//! Invariants: `SCHEDULED` and `RUNNING` are never both set, so a task sits in at most one
//! queue and is polled by at most one core; only the `RUNNING` owner clears `RUNNING`; a wake
//! that lands during a poll sets `NOTIFIED` and is turned into a re-enqueue when that poll
//! ends, so it is never lost; `COMPLETE` is terminal. `CANCELLED` is sticky and is acted on
//! by the next worker that dequeues the task.

use crate::sync::{AtomicU32, Ordering};

/// In a run queue (or being put into one).
pub(crate) const SCHEDULED: u32 = 1 << 0;
/// Being polled by exactly one core.
pub(crate) const RUNNING: u32 = 1 << 1;
/// Woken while `RUNNING`: re-enqueue after the poll.
pub(crate) const NOTIFIED: u32 = 1 << 2;
/// Future finished or dropped; terminal.
pub(crate) const COMPLETE: u32 = 1 << 3;
/// Abort requested; the future is dropped at its next dequeue.
pub(crate) const CANCELLED: u32 = 1 << 4;

/// The atomic state word of one task.
pub(crate) struct State(AtomicU32);

impl State {
    /// A freshly spawned task, about to be enqueued by its spawner.
    pub(crate) fn new_scheduled() -> Self {
        Self(AtomicU32::new(SCHEDULED))
    }

    #[inline]
    pub(crate) fn load(&self) -> u32 {
        self.0.load(Ordering::Acquire)
    }

    /// Applies `f` until the compare-exchange succeeds; returns the (old, new) pair. An
    /// unchanged value is not written back.
    fn update(&self, f: impl Fn(u32) -> u32) -> (u32, u32) {
        self.update_inner(false, f)
    }

    /// `write_same`: also write an unchanged value (a release RMW, see `wake`).
    fn update_inner(&self, write_same: bool, f: impl Fn(u32) -> u32) -> (u32, u32) {
        let mut cur = self.0.load(Ordering::Acquire);
        loop {
            let next = f(cur);
            if next == cur && !write_same {
                return (cur, cur);
            }
            match self
                .0
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return (cur, next),
                Err(actual) => cur = actual,
            }
        }
    }

    /// A wake. Returns true when the caller must enqueue the task (idle → `SCHEDULED`).
    ///
    /// Even a wake that changes nothing (task already `SCHEDULED`) is a release RMW: the
    /// worker's `start_run` then either reads after it (and sees everything the waker wrote
    /// before waking) or before it (and the wake sees `RUNNING` and sets `NOTIFIED`). A plain
    /// load here would let the poll miss the waker's data (store buffering; a loom model
    /// caught it).
    #[inline]
    pub(crate) fn wake(&self) -> bool {
        let (old, new) = self.update_inner(true, |s| {
            if s & (COMPLETE | SCHEDULED) != 0 {
                s
            } else if s & RUNNING != 0 {
                s | NOTIFIED
            } else {
                s | SCHEDULED
            }
        });
        old & SCHEDULED == 0 && new & SCHEDULED != 0
    }

    /// A worker dequeued the task: `SCHEDULED` → `RUNNING`. Returns the new state, or `None`
    /// when the task was not scheduled (it must then be dropped from the queue silently).
    #[inline]
    pub(crate) fn start_run(&self) -> Option<u32> {
        let (old, new) = self.update(|s| {
            if s & SCHEDULED != 0 && s & COMPLETE == 0 {
                (s & !SCHEDULED) | RUNNING
            } else {
                s
            }
        });
        (old != new).then_some(new)
    }

    /// The poll returned Pending. Returns true when a wake arrived during the poll and the
    /// caller must re-enqueue the task (`SCHEDULED` is then already set).
    #[inline]
    pub(crate) fn end_run(&self) -> bool {
        let (_, new) = self.update(|s| {
            debug_assert!(s & RUNNING != 0, "end_run without start_run");
            if s & NOTIFIED != 0 {
                (s & !(RUNNING | NOTIFIED)) | SCHEDULED
            } else {
                s & !RUNNING
            }
        });
        new & SCHEDULED != 0
    }

    /// The future completed or was dropped by the `RUNNING` owner.
    #[inline]
    pub(crate) fn complete(&self) {
        self.update(|s| (s & CANCELLED) | COMPLETE);
    }

    /// Abort: marks `CANCELLED` and wakes. Returns true when the caller must enqueue.
    pub(crate) fn cancel(&self) -> bool {
        self.update(|s| if s & COMPLETE != 0 { s } else { s | CANCELLED });
        self.wake()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn wake_of_queued_task_does_not_enqueue_twice() {
        let s = State::new_scheduled();
        assert!(!s.wake());
        assert!(!s.wake());
        assert_eq!(s.load(), SCHEDULED);
    }

    #[test]
    fn wake_during_poll_requeues_once() {
        let s = State::new_scheduled();
        assert_eq!(s.start_run(), Some(RUNNING));
        assert!(!s.wake());
        assert!(!s.wake());
        assert!(s.end_run());
        assert_eq!(s.load(), SCHEDULED);
    }

    #[test]
    fn idle_task_wake_enqueues() {
        let s = State::new_scheduled();
        s.start_run();
        assert!(!s.end_run());
        assert_eq!(s.load(), 0);
        assert!(s.wake());
        assert!(!s.wake());
    }

    #[test]
    fn complete_is_terminal() {
        let s = State::new_scheduled();
        s.start_run();
        s.complete();
        assert!(!s.wake());
        assert!(!s.cancel());
        assert_eq!(s.start_run(), None);
        assert_eq!(s.load(), COMPLETE);
    }

    #[test]
    fn cancel_of_idle_task_schedules_it() {
        let s = State::new_scheduled();
        s.start_run();
        s.end_run();
        assert!(s.cancel());
        assert_eq!(s.start_run(), Some(RUNNING | CANCELLED));
    }
}
