//! Task state word: named bits and the only legal transitions, each one atomic
//! read-modify-write (no compare-exchange loop on the hot path).
//!
//! `SCHEDULED` means "a wake happened that no poll has consumed yet": while the task is not
//! `RUNNING` it sits in (or is being put into) exactly one queue; while it is `RUNNING` it
//! must be re-queued when the poll ends.
//!
//! | from                         | event                  | to                          | caller must      |
//! |------------------------------|------------------------|-----------------------------|------------------|
//! | (spawn)                      | spawn                  | `SCHEDULED`                 | enqueue          |
//! | idle (`0`)                   | wake: `fetch_or`       | `SCHEDULED`                 | enqueue          |
//! | `SCHEDULED` (queued)         | wake: `fetch_or`       | unchanged                   | nothing          |
//! | `RUNNING`                    | wake: `fetch_or`       | `RUNNING \| SCHEDULED`      | nothing          |
//! | `SCHEDULED`                  | dequeued: `fetch_add`  | `RUNNING`                   | poll             |
//! | `RUNNING`                    | Pending: `fetch_and`   | idle                        | nothing          |
//! | `RUNNING \| SCHEDULED`       | Pending: `fetch_and`   | `SCHEDULED`                 | re-enqueue       |
//! | `RUNNING \| SCHEDULED`       | re-poll: `fetch_and`   | `RUNNING`                   | poll again now   |
//! | `RUNNING`                    | Ready, or cancelled    | `COMPLETE` (`fetch_add`)    | wake the joiner if `JOIN_WAITING` |
//! | not `COMPLETE`               | joiner waits: `fetch_or` | `+JOIN_WAITING`           | (waker registered before) |
//! | anything but `COMPLETE`      | abort                  | `+CANCELLED`, then wake     | as for wake      |
//! | `COMPLETE`                   | anything               | nothing to do               | nothing          |
//!
//! Invariants: only whoever saw the wake that turned `SCHEDULED` on while the task was
//! neither `RUNNING` nor `COMPLETE` enqueues it (or the runner whose `end_run` found
//! `SCHEDULED`), so a task sits in at most one queue; only the dequeuer turns `SCHEDULED`
//! into `RUNNING`, so at most one core polls it; only the `RUNNING` owner clears `RUNNING`
//! or sets `COMPLETE`; a wake that lands during a poll is turned into a re-enqueue when that
//! poll ends, so it is never lost; `COMPLETE` is terminal (bits set on a complete task by
//! late wakes mean nothing). `CANCELLED` is sticky and is acted on by the next worker that
//! dequeues the task. Every wake, even one that changes nothing, is a release RMW (see
//! [`State::wake`]).

use crate::sync::{AtomicU32, Ordering};

/// A wake not yet consumed by a poll: queued (or to be re-queued after the running poll).
pub(crate) const SCHEDULED: u32 = 1 << 0;
/// Being polled by exactly one core.
pub(crate) const RUNNING: u32 = 1 << 1;
/// Future finished or dropped; terminal.
pub(crate) const COMPLETE: u32 = 1 << 3;
/// Abort requested; the future is dropped at its next dequeue.
pub(crate) const CANCELLED: u32 = 1 << 4;
/// The `JoinHandle` registered its waker and waits: completion must wake it. (A joiner
/// that finds the task complete, or polls it to completion inline, never sets it, so such
/// a completion skips the waker entirely.)
pub(crate) const JOIN_WAITING: u32 = 1 << 5;

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

    /// A wake. Returns true when the caller must enqueue the task (it was idle).
    ///
    /// Even a wake that changes nothing (task already `SCHEDULED`) is a release RMW: the
    /// worker's `start_run` then either reads after it (and sees everything the waker wrote
    /// before waking) or before it (and the wake sees `RUNNING`, so the task is re-queued
    /// after the poll). A plain load here would let the poll miss the waker's data (store
    /// buffering; a loom model caught it).
    #[inline]
    pub(crate) fn wake(&self) -> bool {
        let old = self.0.fetch_or(SCHEDULED, Ordering::AcqRel);
        old & (SCHEDULED | RUNNING | COMPLETE) == 0
    }

    /// A worker dequeued the task: `SCHEDULED` → `RUNNING`. Returns the new state, or `None`
    /// when the task was not a queued one (never happens; checked so that a bug cannot
    /// poll a task twice).
    #[inline]
    pub(crate) fn start_run(&self) -> Option<u32> {
        // While queued only the dequeuer changes SCHEDULED/RUNNING (wakes and aborts only
        // set bits that are already set or CANCELLED), so the check and the flip agree.
        let seen = self.0.load(Ordering::Relaxed);
        if seen & (SCHEDULED | RUNNING | COMPLETE) != SCHEDULED {
            return None;
        }
        // `SCHEDULED` set and `RUNNING` clear (checked above, and nobody else may change
        // them now): flipping both is adding `RUNNING - SCHEDULED`, one `lock xadd`
        // (a `fetch_xor` whose result is used is a compare-exchange loop on x86).
        let old = self.0.fetch_add(RUNNING - SCHEDULED, Ordering::AcqRel);
        Some(old + RUNNING - SCHEDULED)
    }

    /// The poll returned Pending. Returns true when a wake arrived during the poll and the
    /// caller must re-enqueue the task (`SCHEDULED` is then already set).
    #[inline]
    pub(crate) fn end_run(&self) -> bool {
        let old = self.0.fetch_and(!RUNNING, Ordering::AcqRel);
        debug_assert!(old & RUNNING != 0, "end_run without start_run");
        old & SCHEDULED != 0
    }

    /// `RUNNING` owner, after a `Pending` poll: whether a wake has arrived since the poll
    /// began (a plain load: only the owner clears `SCHEDULED` while `RUNNING`, so a set bit
    /// stays set until [`State::consume_wake`] or [`State::end_run`]).
    #[inline]
    pub(crate) fn woken_while_running(&self) -> bool {
        self.0.load(Ordering::Relaxed) & SCHEDULED != 0
    }

    /// `RUNNING` owner, after [`State::woken_while_running`]: takes the wake for a poll
    /// that follows at once (`RUNNING | SCHEDULED` → `RUNNING`, acquire: the poll sees
    /// what every waker wrote before waking). Returns the new state.
    #[inline]
    pub(crate) fn consume_wake(&self) -> u32 {
        // The result is not used, so this is a single `lock and`; the load after it sees
        // at least the value the RMW wrote (and any later `CANCELLED`).
        self.0.fetch_and(!SCHEDULED, Ordering::AcqRel);
        let state = self.0.load(Ordering::Relaxed);
        debug_assert!(state & RUNNING != 0, "consume_wake outside RUNNING");
        state
    }

    /// The future completed or was dropped by the `RUNNING` owner (a release RMW after its
    /// last access to the stage). Returns whether the joiner waits (`JOIN_WAITING`) and
    /// must be woken.
    #[inline]
    pub(crate) fn complete(&self) -> bool {
        // `RUNNING` set and `COMPLETE` clear, and only this owner changes them: flipping
        // both is adding `COMPLETE - RUNNING` (one `lock xadd`, see `start_run`).
        let old = self.0.fetch_add(COMPLETE - RUNNING, Ordering::AcqRel);
        debug_assert!(
            old & (RUNNING | COMPLETE) == RUNNING,
            "complete without RUNNING"
        );
        old & JOIN_WAITING != 0
    }

    /// The joiner registered its waker and is about to return `Pending`: sets
    /// `JOIN_WAITING`. Returns whether the task is already `COMPLETE` (then the joiner
    /// must not wait). Both this and [`State::complete`] are RMWs of the same word, so
    /// either the completion sees the bit (and wakes the waker registered before it), or
    /// this sees `COMPLETE`.
    #[inline]
    pub(crate) fn await_completion(&self) -> bool {
        self.0.fetch_or(JOIN_WAITING, Ordering::AcqRel) & COMPLETE != 0
    }

    /// Abort: marks `CANCELLED` and wakes. Returns true when the caller must enqueue.
    /// (Rare, so a compare-exchange loop: `CANCELLED` is never set on a complete task.)
    pub(crate) fn cancel(&self) -> bool {
        let mut cur = self.0.load(Ordering::Acquire);
        while cur & COMPLETE == 0 {
            match self.0.compare_exchange_weak(
                cur,
                cur | CANCELLED,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return self.wake(),
                Err(actual) => cur = actual,
            }
        }
        false
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
        assert_eq!(s.load() & (COMPLETE | RUNNING), COMPLETE);
    }

    #[test]
    fn completion_reports_a_waiting_joiner_only() {
        let s = State::new_scheduled();
        s.start_run();
        assert!(!s.complete(), "nobody waits yet");
        let s = State::new_scheduled();
        assert!(!s.await_completion());
        s.start_run();
        assert!(s.complete(), "the joiner waits");
        assert!(
            s.await_completion(),
            "a joiner arriving after completion does not wait"
        );
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
