//! Per-core run state and the halt/notify handshake.
//!
//! Protocol (a Dekker-style store/fence/load pair on each side):
//! - the core stores `HALTED`, issues a `SeqCst` fence, then re-checks every queue it could
//!   take work from; only if all are empty does it call `Platform::idle`, whose last check
//!   (`may_sleep`, run with interrupts disabled) fails if the state is no longer `HALTED`;
//! - a waker first publishes the task (queue push), issues a `SeqCst` fence, then moves the
//!   core from `HALTED` to `WAKING` with a compare-exchange and sends the IPI only if that
//!   succeeded.
//!
//! Either the core's re-check sees the task, or the waker sees `HALTED`; so no wakeup is
//! lost, a running or spinning core never gets an IPI, and concurrent wakers send one IPI.
//!
//! [`IdleCounts`] summarises all cores (how many are SPINNING, how many HALTED or WAKING) so
//! a push need not scan every core's state: the owner updates the counts in the same
//! transitions, *before* its fence, so a waker that reads them after its own fence gets the
//! same guarantee as reading the states (a count of 0 halted means every core that was about
//! to halt will see the work in its re-check).

use crate::sync::{AtomicU8, AtomicUsize, Ordering, fence};

/// What a core is doing, as published to other cores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoreRunState {
    /// Polling tasks or doing bookkeeping.
    Running,
    /// Out of work, looking for some (stealing) before halting.
    Spinning,
    /// About to halt or halted; needs an IPI to notice new work.
    Halted,
    /// Halted and already sent an IPI; will be running shortly.
    Waking,
}

const RUNNING: u8 = 0;
const SPINNING: u8 = 1;
const HALTED: u8 = 2;
const WAKING: u8 = 3;

/// How many cores are SPINNING and how many HALTED (or WAKING), over all cores.
pub(crate) struct IdleCounts {
    spinning: AtomicUsize,
    halted: AtomicUsize,
}

impl IdleCounts {
    pub(crate) fn new() -> Self {
        Self {
            spinning: AtomicUsize::new(0),
            halted: AtomicUsize::new(0),
        }
    }

    /// Cores SPINNING now (read after a `SeqCst` fence, see the module docs).
    #[inline]
    pub(crate) fn spinning(&self) -> usize {
        self.spinning.load(Ordering::SeqCst)
    }

    /// Cores HALTED or WAKING now (read after a `SeqCst` fence, see the module docs).
    #[inline]
    pub(crate) fn halted(&self) -> usize {
        self.halted.load(Ordering::SeqCst)
    }

    fn leave(&self, state: u8) {
        match state {
            SPINNING => self.spinning.fetch_sub(1, Ordering::SeqCst),
            HALTED | WAKING => self.halted.fetch_sub(1, Ordering::SeqCst),
            _ => 0,
        };
    }
}

pub(crate) struct IdleState {
    state: AtomicU8,
    ipis_received: AtomicUsize,
}

impl IdleState {
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicU8::new(RUNNING),
            ipis_received: AtomicUsize::new(0),
        }
    }

    pub(crate) fn get(&self) -> CoreRunState {
        match self.state.load(Ordering::SeqCst) {
            RUNNING => CoreRunState::Running,
            SPINNING => CoreRunState::Spinning,
            HALTED => CoreRunState::Halted,
            _ => CoreRunState::Waking,
        }
    }

    /// Owner: whether this core published SPINNING (exact for the owner).
    #[inline]
    pub(crate) fn is_spinning(&self) -> bool {
        self.state.load(Ordering::Relaxed) == SPINNING
    }

    /// Owner: back to work. Counts a received IPI if a waker had claimed the halt.
    pub(crate) fn set_running(&self, counts: &IdleCounts) {
        let old = self.state.swap(RUNNING, Ordering::SeqCst);
        counts.leave(old);
        if old == WAKING {
            self.ipis_received.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Owner: out of local work, searching.
    pub(crate) fn set_spinning(&self, counts: &IdleCounts) {
        counts.spinning.fetch_add(1, Ordering::SeqCst);
        let old = self.state.swap(SPINNING, Ordering::SeqCst);
        counts.leave(old);
    }

    /// Owner: first half of the handshake. Must be followed by a full re-check of the queues.
    /// The halted count goes up before the fence (see the module docs).
    pub(crate) fn prepare_halt(&self, counts: &IdleCounts) {
        counts.halted.fetch_add(1, Ordering::SeqCst);
        let old = self.state.swap(HALTED, Ordering::SeqCst);
        counts.leave(old);
        fence(Ordering::SeqCst);
    }

    /// Owner, with interrupts disabled right before halting: still nobody woke us.
    pub(crate) fn may_sleep(&self) -> bool {
        self.state.load(Ordering::SeqCst) == HALTED
    }

    /// Waker, after publishing work: true when the caller must send the IPI.
    /// A plain load first: a running core (the common case) costs no locked RMW; a load
    /// after the fence gives the same Dekker guarantee as the compare-exchange would.
    #[inline]
    pub(crate) fn claim_wake(&self) -> bool {
        fence(Ordering::SeqCst);
        self.state.load(Ordering::SeqCst) == HALTED
            && self
                .state
                .compare_exchange(HALTED, WAKING, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
    }

    pub(crate) fn ipis_received(&self) -> u64 {
        self.ipis_received.load(Ordering::Relaxed) as u64
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn only_a_halted_core_is_claimed_and_only_once() {
        let counts = IdleCounts::new();
        let s = IdleState::new();
        assert!(!s.claim_wake());
        s.set_spinning(&counts);
        assert_eq!((counts.spinning(), counts.halted()), (1, 0));
        assert!(!s.claim_wake());
        s.prepare_halt(&counts);
        assert_eq!((counts.spinning(), counts.halted()), (0, 1));
        assert!(s.may_sleep());
        assert!(s.claim_wake());
        assert!(!s.claim_wake());
        assert!(!s.may_sleep());
        assert_eq!(s.get(), CoreRunState::Waking);
        assert_eq!(counts.halted(), 1);
        s.set_running(&counts);
        assert_eq!((counts.spinning(), counts.halted()), (0, 0));
        assert_eq!(s.ipis_received(), 1);
        s.set_running(&counts);
        assert_eq!((counts.spinning(), counts.halted()), (0, 0));
    }
}
