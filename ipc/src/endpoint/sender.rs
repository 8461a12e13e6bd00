//! The sending half: `try_send`, `send` (waits for room) and the route choice.
//!
//! Invariant: a sender's route is chosen at its first send and never changes, so its
//! messages are all in one FIFO (its own ring, or the fallback queue): per-sender order
//! within a lane is kept. A ring message is bounded by its ring alone (no shared counter);
//! a fallback message is counted in `occupancy` before it is enqueued (`shared.rs`).

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::Received;
use super::call::Call;
use super::caller::{Caller, ReplyToken};
use super::lanes::lane_bit;
use super::shared::Shared;
use crate::error::IpcError;
use crate::ids::ServiceId;
use crate::message::{Header, Message};
use crate::spsc::{self, Producer};
use crate::stats::EndpointStats;

/// A producer of one endpoint. `Clone` gives another, independent producer (with its own
/// ring and call slot); methods take `&mut self` because each sender is one FIFO.
pub struct Sender {
    /// The endpoint (also reachable through `caller`: kept here, one load less per send).
    shared: Arc<Shared>,
    pub(super) caller: Arc<Caller>,
    pub(super) route: Route,
    /// The producer of this sender's ring (`Route::Ring`); until then, and on the
    /// fallback, one of the endpoint's sealed ring, which never has room: the fast path
    /// asks for a free slot without looking at the route first.
    producer: Producer<Received>,
    /// The envelope of the send or call in flight until it is queued: each borrows the
    /// sender, so there is at most one, and keeping it here keeps their futures small
    /// (a future is moved into its caller's state; a directly answered call never needs
    /// an envelope).
    pub(super) pending: Option<Received>,
}

/// Where this sender's messages go.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    /// Nothing sent yet.
    Unassigned,
    /// Its own SPSC ring to the receiver (the fast path), written by `Sender::producer`.
    Ring,
    /// The shared, locked queue (all rings were taken).
    Fallback,
}

/// A call of this sender delivered outside the queue and answered later
/// ([`Sender::defer_call`]).
#[derive(Debug)]
#[must_use = "await the answer with `Sender::await_deferred`"]
pub struct DeferredCall(u64);

/// What [`Sender::enqueue`] did with an envelope.
pub(super) enum Enqueued {
    Queued,
    Full(Received),
    /// The receiver is gone; the envelope comes back unless it was published (then it is
    /// dropped with the ring).
    PeerDied(Option<Received>),
}

impl Sender {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self {
            caller: Arc::new(Caller::new(shared.clone())),
            producer: shared.sealed.producer(),
            shared,
            route: Route::Unassigned,
            pending: None,
        }
    }

    fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The endpoint's service.
    pub fn id(&self) -> ServiceId {
        self.shared().id
    }

    /// Queues a one-way message. `Full` when the endpoint is at capacity (nothing is
    /// dropped: the caller keeps its message), `PeerDied` when the receiver is gone.
    #[inline(always)]
    pub fn try_send(&mut self, header: Header, message: Message) -> Result<(), IpcError> {
        // Fast path: our own ring has a free slot (a sender without one has a sealed
        // ring's producer, never any room); the envelope is built in place there.
        if let Some(slot) = self.producer.vacant() {
            let lane = lane_bit(header.priority);
            slot.send(Received::blank(), |envelope| {
                envelope.header = header;
                envelope.message = message;
            });
            if !self.shared.announce(lane) {
                return self.refused_after_close(1).map(drop);
            }
            return Ok(());
        }
        // A copy made word by word (`Message::word_copy`), so that the out-of-line path's
        // copy in memory is made on that path only: the fast path above then stores the
        // message's known words as immediates.
        self.try_send_slow(header, message.word_copy())
    }

    /// The receiver was gone when the last `sent` messages were published: those it had
    /// taken before it closed count as sent, the others are refused (`PeerDied`; they are
    /// dropped with the ring, and a call among them ends with `PeerDied`).
    #[cold]
    #[inline(never)]
    fn refused_after_close(&mut self, sent: usize) -> Result<usize, IpcError> {
        if self.route != Route::Ring {
            return self.refuse(IpcError::PeerDied);
        }
        match self.producer.taken_of_last(sent) {
            0 => self.refuse(IpcError::PeerDied),
            taken => Ok(taken),
        }
    }

    /// `try_send` off the fast path: first send, fallback route, full ring.
    fn try_send_slow(&mut self, header: Header, message: Message) -> Result<(), IpcError> {
        let envelope = Received {
            header,
            message,
            reply: None,
        };
        match self.enqueue(envelope) {
            Enqueued::Queued => Ok(()),
            Enqueued::Full(_) => {
                self.shared().stats.record_full();
                Err(IpcError::Full)
            }
            Enqueued::PeerDied(_) => {
                self.shared().stats.record_peer_died();
                Err(IpcError::PeerDied)
            }
        }
    }

    /// Queues a one-way message, waiting for room while the endpoint is full
    /// (backpressure). Fails only with `PeerDied`.
    pub fn send(&mut self, header: Header, message: Message) -> SendFuture<'_> {
        self.pending = Some(Received {
            header,
            message,
            reply: None,
        });
        SendFuture {
            sender: self,
            waited: false,
        }
    }

    /// Queues the longest prefix of `messages` there is room for and returns its length.
    /// On the fast path the whole batch is published to the receiver at once (one index
    /// store, one wakeup check). `Full` when not even the first message fits, `PeerDied`
    /// when the receiver is gone.
    #[inline]
    pub fn try_send_batch(&mut self, messages: &[(Header, Message)]) -> Result<usize, IpcError> {
        if self.route != Route::Ring {
            // One at a time until a send picks a ring (then the rest as one batch).
            return self.try_send_batch_with(messages.len(), |index| messages[index]);
        }
        // Each envelope is built in its slot, and the batch published once.
        let queued =
            self.producer
                .push_slice(messages, Received::blank, |(header, message), envelope| {
                    envelope.header = *header;
                    envelope.message = *message;
                });
        // A pass of its own: taking the lane from each header while copying it splits the
        // copy into byte moves.
        let lanes = messages[..queued]
            .iter()
            .fold(0, |lanes, (header, _)| lanes | lane_bit(header.priority));
        self.published_batch(messages.len(), queued, lanes)
    }

    /// The end of a batch of `wanted` messages on this sender's ring, `queued` of them
    /// written and published (with the lane bits `lanes`): announced to the receiver, or
    /// refused (`Full` when not even the first fitted, `PeerDied` when the receiver is
    /// gone).
    #[inline]
    fn published_batch(
        &mut self,
        wanted: usize,
        queued: usize,
        lanes: u32,
    ) -> Result<usize, IpcError> {
        if queued == 0 {
            return match wanted {
                0 => Ok(0),
                _ if self.shared.receiver_gone() => self.refuse(IpcError::PeerDied),
                _ => self.refuse(IpcError::Full),
            };
        }
        if !self.shared.announce(lanes) {
            return self.refused_after_close(queued);
        }
        Ok(queued)
    }

    /// [`Sender::try_send_batch`] for messages made as they are queued: up to `count`,
    /// the `i`-th `make(i)`, each built straight in its ring slot (no copy from a buffer of
    /// the caller's). Returns how many were queued, messages `0..n`. Off the ring (the
    /// first send, or the fallback) they go one at a time, and `make(n)` may then have
    /// been called for a message that was refused: `make` should build message `i` the
    /// same way whenever asked.
    #[inline]
    pub fn try_send_batch_with(
        &mut self,
        count: usize,
        mut make: impl FnMut(usize) -> (Header, Message),
    ) -> Result<usize, IpcError> {
        if let Some(queued) = self.ring_batch_with(count, &mut make) {
            return queued;
        }
        for sent in 0..count {
            let (header, message) = make(sent);
            if let Err(error) = self.try_send(header, message) {
                return if sent == 0 { Err(error) } else { Ok(sent) };
            }
            let rest = count - sent - 1;
            if let Some(more) = self.ring_batch_with(rest, |index| make(sent + 1 + index)) {
                return Ok(sent + 1 + more.unwrap_or(0));
            }
        }
        Ok(count)
    }

    /// `try_send_batch_with` on this sender's ring: `None` when it has none (yet).
    #[inline]
    fn ring_batch_with(
        &mut self,
        count: usize,
        mut make: impl FnMut(usize) -> (Header, Message),
    ) -> Option<Result<usize, IpcError>> {
        if self.route != Route::Ring {
            return None;
        }
        let mut lanes = 0;
        let queued = self
            .producer
            .push_with(count, Received::blank, |index, envelope| {
                let (header, message) = make(index);
                lanes |= lane_bit(header.priority);
                envelope.header = header;
                envelope.message = message;
            });
        Some(self.published_batch(count, queued, lanes))
    }

    /// Counts and returns a refused send.
    fn refuse<T>(&self, error: IpcError) -> Result<T, IpcError> {
        refuse(self.shared(), error)
    }

    /// Sends a request and waits for its reply. Time out by dropping the future (e.g. under
    /// the executor's `timeout`): the call is cancelled and a late reply is discarded.
    /// `PeerDied` when the receiver is gone or drops the reply token unanswered.
    pub fn call(&mut self, header: Header, message: Message) -> Call<'_> {
        Call::new(self, header, message)
    }

    /// The answer of the service's direct handler, when it can answer this call at once
    /// (see [`Receiver::serve_directly`](super::Receiver::serve_directly)), written into
    /// `reply`; `false`: call through the queue (`reply` may have been written).
    #[inline]
    pub fn try_direct(&self, header: &Header, message: &Message, reply: &mut Message) -> bool {
        self.may_answer_directly() && self.answer_directly(header, message, reply)
    }

    /// [`Sender::try_direct`] right after [`Sender::may_answer_directly`] said yes (no
    /// second look: its own earlier messages, the ones a direct answer must not overtake,
    /// cannot have come back into the queue since).
    #[inline]
    pub(crate) fn answer_directly(
        &self,
        header: &Header,
        message: &Message,
        reply: &mut Message,
    ) -> bool {
        self.shared().answer_directly(header, message, reply)
    }

    /// Whether [`Sender::try_direct`] would be answered now (unless the handler
    /// declines): a cheap look before the work of making a call.
    #[inline]
    pub fn may_answer_directly(&self) -> bool {
        self.shared().has_direct_handler() && self.receiver_waits_idle()
    }

    /// Whether the receiver waits with nothing accepted and unanswered, so that a call
    /// delivered to it outside the queue (by whoever runs the receiver at once, as a
    /// user service parked on the caller's CPU) overtakes none of this sender's
    /// messages: all of them have been handed out (its ring's freed slots are all
    /// published, or for the fallback no fallback message waits) and the receiver has
    /// asked again and found nothing (`PARKED`). The caller of [`Sender::count_direct`]
    /// looks here first.
    #[inline]
    pub fn receiver_waits_idle(&self) -> bool {
        let own_taken = match self.route {
            Route::Ring => self.producer.all_taken(),
            Route::Fallback => self.shared().fallback_empty(),
            Route::Unassigned => true,
        };
        self.shared().receiver_waits_idle(own_taken)
    }

    /// Counts (and logs) a call delivered outside the queue.
    #[inline]
    pub fn count_direct(&self, header: &Header) {
        self.shared().count_direct(header);
    }

    /// A call delivered outside the queue whose answer comes later: the token that
    /// answers it (its drop unanswered ends the call with `PeerDied`), and the call,
    /// to await with [`Sender::await_deferred`].
    pub fn defer_call(&mut self) -> (ReplyToken, DeferredCall) {
        let seq = self.caller.begin_call();
        (ReplyToken::new(self.caller.clone(), seq), DeferredCall(seq))
    }

    /// Waits for the answer to a [`Sender::defer_call`] (dropping the future cancels it,
    /// and a late answer is discarded, as for [`Sender::call`]).
    pub fn await_deferred(&mut self, call: DeferredCall) -> Call<'_> {
        Call::deferred(self, call.0)
    }

    /// The endpoint's counters.
    pub fn stats(&self) -> EndpointStats {
        self.shared().stats()
    }

    /// The newest `n` delivered headers, oldest first (empty unless tracing is on).
    pub fn trace(&self, n: usize) -> Vec<Header> {
        self.shared()
            .trace
            .as_ref()
            .map_or_else(Vec::new, |log| log.newest(n))
    }

    /// Puts `envelope` on this sender's route: its own ring when it has a free slot, or
    /// the fallback queue after reserving room there.
    #[inline]
    pub(super) fn enqueue(&mut self, envelope: Received) -> Enqueued {
        if self.route == Route::Unassigned
            && let Err(_) = self.assign_route()
        {
            return Enqueued::PeerDied(Some(envelope));
        }
        let shared = &*self.shared;
        if shared.receiver_gone() {
            return Enqueued::PeerDied(Some(envelope));
        }
        let lane = envelope.header.priority;
        let producer = &mut self.producer;
        match self.route {
            Route::Ring => match producer.send(envelope) {
                Ok(()) if shared.announce(lane_bit(lane)) => Enqueued::Queued,
                // Published after the receiver closed: taken, or dropped with the ring.
                Ok(()) => match producer.taken_of_last(1) {
                    0 => Enqueued::PeerDied(None),
                    _ => Enqueued::Queued,
                },
                Err(envelope) => Enqueued::Full(envelope),
            },
            Route::Fallback | Route::Unassigned => {
                match shared.reserve() {
                    Ok(()) => {}
                    Err(IpcError::Full) => return Enqueued::Full(envelope),
                    Err(_) => return Enqueued::PeerDied(Some(envelope)),
                }
                match shared.push_fallback(envelope) {
                    Ok(()) => Enqueued::Queued,
                    Err(envelope) => {
                        shared.release(1);
                        Enqueued::PeerDied(Some(envelope))
                    }
                }
            }
        }
    }

    /// Takes a ring of our own while fewer than `max_rings` exist, else the fallback
    /// queue; `PeerDied` (and still unassigned) when the receiver is gone.
    fn assign_route(&mut self) -> Result<(), IpcError> {
        let shared = &*self.shared;
        if !shared.claim_ring() {
            self.route = Route::Fallback;
            return Ok(());
        }
        let (producer, consumer) = spsc::ring(shared.config.ring_capacity);
        match shared.register_ring(consumer, producer.watch()) {
            Ok(()) => {
                self.producer = producer;
                self.route = Route::Ring;
                Ok(())
            }
            Err(error) => {
                shared.retire_ring();
                Err(error)
            }
        }
    }

    /// Enqueues the pending envelope, registering for a wakeup (then retrying once) when
    /// there is no room. Leaves the envelope pending while there is none and after
    /// `PeerDied` (so that a call can cancel itself before its reply token is dropped).
    pub(super) fn poll_enqueue(
        &mut self,
        waited: &mut bool,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), IpcError>> {
        let Some(first_try) = self.pending.take() else {
            return Poll::Ready(Err(IpcError::InvalidArgument)); // polled after completion
        };
        let retry = match self.enqueue(first_try) {
            Enqueued::Full(back) => back,
            done => return Poll::Ready(self.finish(done)),
        };
        if !core::mem::replace(waited, true) {
            self.shared().stats.record_full();
        }
        self.caller.waker.register(cx.waker());
        match self.route {
            Route::Ring => self.shared.wait_for_ring_space(&self.caller),
            _ => self.shared.wait_for_space(&self.caller),
        }
        match self.enqueue(retry) {
            Enqueued::Full(back) => {
                self.pending = Some(back);
                Poll::Pending
            }
            done => Poll::Ready(self.finish(done)),
        }
    }

    /// The result of a final (not `Full`) enqueue; a refused envelope is pending again.
    fn finish(&mut self, enqueued: Enqueued) -> Result<(), IpcError> {
        match enqueued {
            Enqueued::Queued => Ok(()),
            Enqueued::Full(back) => {
                self.pending = Some(back);
                Err(IpcError::Full)
            }
            Enqueued::PeerDied(back) => {
                self.pending = back;
                self.shared().stats.record_peer_died();
                Err(IpcError::PeerDied)
            }
        }
    }
}

/// Counts and returns a refused send.
#[cold]
fn refuse<T>(shared: &Shared, error: IpcError) -> Result<T, IpcError> {
    match error {
        IpcError::Full => shared.stats.record_full(),
        _ => shared.stats.record_peer_died(),
    }
    Err(error)
}

impl Clone for Sender {
    fn clone(&self) -> Self {
        self.shared().add_sender();
        Sender::new(self.shared.clone())
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        if core::mem::replace(&mut self.route, Route::Unassigned) == Route::Ring {
            // The producer publishes its last items and marks itself gone when dropped.
            drop(core::mem::replace(
                &mut self.producer,
                self.shared.sealed.producer(),
            ));
            self.shared().ring_may_be_finished();
        }
        self.shared().remove_sender();
    }
}

impl core::fmt::Debug for Sender {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let route = match self.route {
            Route::Unassigned => "unassigned",
            Route::Ring => "ring",
            Route::Fallback => "fallback",
        };
        f.debug_struct("Sender")
            .field("endpoint", &self.id())
            .field("route", &route)
            .finish()
    }
}

/// The future of [`Sender::send`]: resolves once the message is queued.
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a> {
    sender: &'a mut Sender,
    waited: bool,
}

impl Future for SendFuture<'_> {
    type Output = Result<(), IpcError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.sender.poll_enqueue(&mut this.waited, cx)
    }
}

impl Drop for SendFuture<'_> {
    fn drop(&mut self) {
        // A send given up before it was queued takes its message with it.
        self.sender.pending = None;
    }
}
