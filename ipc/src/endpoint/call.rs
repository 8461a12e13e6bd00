//! `Sender::call`: send a request carrying a reply token, then wait for the reply.
//!
//! Invariant: the future owns its call (sequence number) from creation until it returns
//! `Ready` or is dropped; dropping it earlier cancels the call (see `caller.rs`), which is
//! how a timeout is applied.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::Received;
use super::caller::ReplyToken;
use super::sender::Sender;
use crate::error::IpcError;
use crate::message::{Header, Message};

/// The future of [`Sender::call`]: the reply, or why there is none.
#[must_use = "futures do nothing unless polled"]
pub struct Call<'a> {
    /// The sender, holding the request until it is queued (`Sender::pending`).
    sender: &'a mut Sender,
    seq: u64,
    phase: Phase,
    waited: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Sending,
    AwaitingReply,
    Done,
}

impl<'a> Call<'a> {
    pub(super) fn new(sender: &'a mut Sender, header: Header, message: Message) -> Self {
        let seq = sender.caller.begin_call();
        let token = ReplyToken::new(sender.caller.clone(), seq);
        sender.pending = Some(Received {
            header,
            message,
            reply: Some(token),
        });
        Self::in_phase(sender, seq, Phase::Sending)
    }

    /// The call `seq`, already delivered outside the queue (`Sender::defer_call`): it
    /// only waits for its answer.
    pub(super) fn deferred(sender: &'a mut Sender, seq: u64) -> Self {
        Self::in_phase(sender, seq, Phase::AwaitingReply)
    }

    fn in_phase(sender: &'a mut Sender, seq: u64, phase: Phase) -> Self {
        Self {
            sender,
            seq,
            phase,
            waited: false,
        }
    }
}

impl Future for Call<'_> {
    type Output = Result<Message, IpcError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.phase == Phase::Sending {
            match this.sender.poll_enqueue(&mut this.waited, cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => {
                    this.phase = Phase::Done;
                    // Cancel first: the refused request's token then drops silently.
                    this.sender.caller.cancel(this.seq);
                    this.sender.pending = None;
                    return Poll::Ready(Err(error));
                }
                Poll::Ready(Ok(())) => this.phase = Phase::AwaitingReply,
            }
            // A receiver that died after our reservation may never see the request (it sits
            // in our ring): end the call here unless a reply or the token's drop won.
            let shared = &this.sender.caller.shared;
            if shared.receiver_gone()
                && this
                    .sender
                    .caller
                    .complete(this.seq, Err(IpcError::PeerDied))
            {
                shared.stats.record_peer_died();
            }
            let outcome = core::task::ready!(this.sender.caller.register_and_check(this.seq, cx));
            this.phase = Phase::Done;
            return Poll::Ready(outcome);
        }
        if this.phase == Phase::Done {
            return Poll::Ready(Err(IpcError::InvalidArgument)); // polled after completion
        }
        let outcome = core::task::ready!(this.sender.caller.poll_reply(this.seq, cx));
        this.phase = Phase::Done;
        Poll::Ready(outcome)
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        if self.phase != Phase::Done {
            self.sender.caller.cancel(self.seq);
        }
        if self.phase == Phase::Sending {
            // Never queued: cancelled first, so its token drops silently.
            self.sender.pending = None;
        }
    }
}
