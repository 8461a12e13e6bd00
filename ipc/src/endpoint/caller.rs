//! A sender's reusable call slot and the reply token that points at it.
//!
//! Invariants:
//! - a `Sender` has at most one call in flight (`call` takes `&mut self`), so one slot per
//!   sender suffices and a call allocates nothing: the token holds a clone of the slot's
//!   `Arc` and the call's sequence number;
//! - a call owns the slot while `seq` equals its number and the state is `Awaiting`; only
//!   then may a token complete it. Cancelling (dropping the call) moves the state to `Idle`,
//!   and the next call increments `seq`, so a late reply or drop can never complete a later
//!   call. Sequence numbers start at 1; 0 marks a token that has already been used;
//! - the slot's lock is never held while waking: completion stores the outcome, unlocks,
//!   then wakes.

use alloc::sync::Arc;
use core::task::{Context, Poll};

use super::shared::Shared;
use crate::error::IpcError;
use crate::message::Message;
use crate::sync::{AtomicBool, AtomicWaker, Mutex};

/// Per-sender state reachable from the endpoint (space waiters) and from reply tokens.
pub(super) struct Caller {
    pub(super) shared: Arc<Shared>,
    /// The sender's one waker: for room in the queue, or for the reply (never both at once).
    pub(super) waker: AtomicWaker,
    /// Whether this caller is listed in the endpoint's space waiters.
    pub(super) waiting_for_space: AtomicBool,
    slot: Mutex<ReplySlot>,
}

struct ReplySlot {
    seq: u64,
    state: ReplyState,
}

enum ReplyState {
    Idle,
    Awaiting,
    Done(Result<Message, IpcError>),
}

impl Caller {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            waker: AtomicWaker::new(),
            waiting_for_space: AtomicBool::new(false),
            slot: Mutex::new(ReplySlot {
                seq: 0,
                state: ReplyState::Idle,
            }),
        }
    }

    /// Starts a call: returns its sequence number.
    pub(super) fn begin_call(&self) -> u64 {
        let mut slot = self.slot.lock();
        slot.seq = slot.seq.wrapping_add(1).max(1);
        slot.state = ReplyState::Awaiting;
        slot.seq
    }

    /// Ends call `seq` with `outcome` if it is still waiting; returns whether it was.
    pub(super) fn complete(&self, seq: u64, outcome: Result<Message, IpcError>) -> bool {
        let completed = {
            let mut slot = self.slot.lock();
            let waiting = slot.seq == seq && matches!(slot.state, ReplyState::Awaiting);
            if waiting {
                slot.state = ReplyState::Done(outcome);
            }
            waiting
        };
        if completed {
            self.waker.wake();
        }
        completed
    }

    /// Gives up call `seq` (its future was dropped): a later reply is discarded.
    pub(super) fn cancel(&self, seq: u64) {
        let mut slot = self.slot.lock();
        if slot.seq == seq {
            slot.state = ReplyState::Idle;
        }
    }

    /// The outcome of call `seq`, once a token completed it.
    pub(super) fn poll_reply(
        &self,
        seq: u64,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Message, IpcError>> {
        if let Some(outcome) = self.take_outcome(seq) {
            return Poll::Ready(outcome);
        }
        self.register_and_check(seq, cx)
    }

    /// `poll_reply` without the first look: for the poll that has just sent the request,
    /// when the reply is unlikely to be there yet (registering first is always correct).
    pub(super) fn register_and_check(
        &self,
        seq: u64,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Message, IpcError>> {
        self.waker.register(cx.waker());
        match self.take_outcome(seq) {
            Some(outcome) => Poll::Ready(outcome),
            None => Poll::Pending,
        }
    }

    fn take_outcome(&self, seq: u64) -> Option<Result<Message, IpcError>> {
        let mut slot = self.slot.lock();
        if slot.seq != seq {
            return Some(Err(IpcError::Timeout)); // cancelled and superseded
        }
        // Looked at in place first: the usual answer, still waiting, moves nothing.
        match slot.state {
            ReplyState::Awaiting => None,
            ReplyState::Idle => Some(Err(IpcError::Timeout)),
            ReplyState::Done(_) => match core::mem::replace(&mut slot.state, ReplyState::Idle) {
                ReplyState::Done(outcome) => Some(outcome),
                ReplyState::Idle | ReplyState::Awaiting => Some(Err(IpcError::Timeout)),
            },
        }
    }
}

/// The right (and duty) to answer one call. Replying consumes it; dropping it unanswered
/// ends the call with [`IpcError::PeerDied`].
pub struct ReplyToken {
    caller: Arc<Caller>,
    /// The call's sequence number; 0 once used.
    seq: u64,
}

impl ReplyToken {
    pub(super) fn new(caller: Arc<Caller>, seq: u64) -> Self {
        Self { caller, seq }
    }

    /// Answers the call with `message`. `Err(IpcError::Timeout)` when the caller gave up
    /// (dropped its call future) before the reply arrived: the reply is discarded and
    /// counted as late.
    pub fn reply(mut self, message: Message) -> Result<(), IpcError> {
        let seq = core::mem::take(&mut self.seq);
        if self.caller.complete(seq, Ok(message)) {
            Ok(())
        } else {
            self.caller.shared.stats.record_late_reply();
            Err(IpcError::Timeout)
        }
    }
}

impl Drop for ReplyToken {
    fn drop(&mut self) {
        if self.seq != 0 && self.caller.complete(self.seq, Err(IpcError::PeerDied)) {
            self.caller.shared.stats.record_peer_died();
        }
    }
}

impl core::fmt::Debug for ReplyToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReplyToken")
            .field("seq", &self.seq)
            .finish()
    }
}
