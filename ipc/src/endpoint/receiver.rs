//! The receiving half: drains the rings and the fallback queue into private priority lanes
//! and delivers the highest lane first.
//!
//! Invariants:
//! - only the receiver reads the rings' consumer halves and its lanes (`&mut self`);
//! - direct path: when its lanes are empty, it delivers the oldest message of the ring
//!   whose turn it is straight out of its slot (one copy, no staging), provided
//!   the signal word shows no lane above that message's, no fallback message, no new or
//!   finished ring, no waiting ring sender and no message in its lanes (one test against
//!   `DIRECT_BLOCKERS`). Every completed send's lane bit stays set until its message is
//!   moved (see `shared.rs`), so nothing of a higher lane is queued anywhere; per-sender
//!   order holds because it takes ring fronts only;
//! - turns (`turns.rs`): the ring whose turn it is is held apart (the direct path indexes
//!   and counts nothing; an idle ring stands in while there is none). Its turn ends when it
//!   is empty, or after `TURN` deliveries while there are other rings; the next ring with a
//!   message (round robin) is then swapped in, so no ring starves, and one sender's stream
//!   never changes turns;
//! - otherwise it refills (drains everything visible) when its lanes are empty and a flag
//!   or a higher lane held a ring's front back, or when the signal word says a lane higher
//!   than its lanes' highest may have messages, so a higher-priority message overtakes
//!   waiting lower ones; within a lane, each source keeps its order. New rings and waiting
//!   ring senders alone need no refill: it adopts the rings, wakes the senders and looks
//!   again. The re-check after parking is always a full refill (parking cleared the lane
//!   bits);
//! - what it moves into its lanes stays counted against its source until it is handed out:
//!   a ring's slot is published as free, and the fallback's room released, only then, so
//!   the lanes never hold more than the rings and the fallback could;
//! - dropping the receiver closes every ring and marks itself gone first, then drops
//!   everything queued: every pending call ends with `PeerDied` and waiting senders wake
//!   (see `shared.rs`).

use super::shared::DirectHandler;
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::Received;
use super::lanes::{ALL_LANES, FROM_FALLBACK, Lanes, lanes_above, top_lane};
use super::shared::{
    DIRECT_BLOCKERS, FALLBACK, INSTRUMENTED, NEW_RINGS, OFF_RING, RETIRED, SPACE, Shared,
};
use super::turns::Rings;
use crate::Priority;
use crate::error::IpcError;
use crate::ids::ServiceId;
use crate::message::Header;
use crate::spsc::{Consumer, Readable};
use crate::stats::EndpointStats;

/// The unique consumer of one endpoint.
pub struct Receiver {
    shared: Arc<Shared>,
    /// The senders' rings, taking turns.
    rings: Rings,
    lanes: Lanes,
}

impl Receiver {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self {
            rings: Rings::new(shared.sealed.consumer()),
            shared,
            lanes: Lanes::new(),
        }
    }

    /// The endpoint's service.
    pub fn id(&self) -> ServiceId {
        self.shared.id
    }

    /// The highest-priority waiting message, oldest first within its lane. `Ok(None)` when
    /// nothing is queued; `Err(Closed)` when nothing is queued and every sender is gone.
    #[inline]
    pub fn try_recv(&mut self) -> Result<Option<Received>, IpcError> {
        // The envelope is moved out into `taken` (not returned through the direct path's
        // results, each of which would copy it again).
        let mut taken = None;
        let ring_front = self.ring_front(&mut taken, |front, shared, taken, instrumented| {
            let envelope = taken.insert(front.take());
            instrument(shared, &envelope.header, instrumented);
        });
        match ring_front {
            Ok(()) => Ok(taken),
            Err(_) => self.pop_lanes(),
        }
    }

    /// Hands the message [`Receiver::try_recv`] would return to `consume` in place (from a
    /// sender's ring, it stays in its slot: nothing is copied out), then drops what is left
    /// of it: take the reply token out (`received.reply.take()`) to answer a call later; a
    /// token left behind ends its call with `PeerDied`. Returns what `consume` returned;
    /// `Ok(None)` and `Err(Closed)` as for `try_recv`. The message's room is released
    /// after `consume`.
    #[inline]
    pub fn try_recv_with<R>(
        &mut self,
        consume: impl FnOnce(&mut Received) -> R,
    ) -> Result<Option<R>, IpcError> {
        let ring_front = self.ring_front(consume, |front, shared, consume, instrumented| {
            front.consume(|envelope| {
                instrument(shared, &envelope.header, instrumented);
                consume(envelope)
            })
        });
        match ring_front {
            Ok(seen) => Ok(Some(seen)),
            Err(consume) => Ok(self.pop_lanes()?.map(|mut envelope| consume(&mut envelope))),
        }
    }

    /// The direct path of `try_recv`: hands a ring's front and `consume` to `in_slot`
    /// (which counts it; its last argument says whether the endpoint is instrumented) when
    /// it can be delivered in its slot; otherwise refills when needed and gives `consume`
    /// back, for the private lanes.
    ///
    /// The front of the ring whose turn it is (module docs: turns, so no ring starves) goes
    /// out straight from its slot when the signal word has none of its
    /// `DIRECT_BLOCKERS` (no lane above its own may have messages anywhere, nothing in the
    /// lanes, no fallback message, new, finished or waited-for ring). Sound because every
    /// message whose send has completed has its lane bit set until the receiver moves it
    /// (module docs of `shared.rs`), and this path clears no bit.
    #[inline]
    fn ring_front<C, R>(
        &mut self,
        mut consume: C,
        in_slot: impl FnOnce(Readable<'_, Received>, &Shared, C, bool) -> R + Copy,
    ) -> Result<R, C> {
        let mut again = true;
        loop {
            let shared = &*self.shared;
            let signals = shared.signals();
            // The front of the ring whose turn it is goes out when the signal word has
            // none of its lane's blockers now (`INSTRUMENTED` alone picks the variant).
            let look =
                |envelope: &Received| signals & DIRECT_BLOCKERS[envelope.header.priority.index()];
            let served = self
                .rings
                .serve_front(consume, look, |front, blockers, consume| {
                    match blockers {
                        0 => Ok(in_slot(front, shared, consume, false)),
                        INSTRUMENTED => Ok(in_slot(front, shared, consume, true)),
                        // Held back by a higher lane, or by a flag only.
                        blockers => Err((consume, blockers & ALL_LANES != 0)),
                    }
                });
            let blocked;
            (consume, blocked) = match served {
                Ok(Ok(seen)) => return Ok(seen),
                Ok(Err(held_back)) => held_back,
                Err(consume) => (consume, false),
            };
            // One more look at most: new rings were adopted or ring senders woken.
            if !self.off_ring(signals, blocked, core::mem::take(&mut again)) {
                return Err(consume);
            }
        }
    }

    /// Off the direct path: refills when the lanes are empty and something is announced
    /// (or a ring's front was held back by a higher lane), or when a lane above the lanes'
    /// highest may have messages. With the lanes empty and only new rings or waiting ring
    /// senders announced, and `light` (the first look of this receive), it adopts the
    /// rings and wakes the waiters instead (no refill: the rings' messages can still go
    /// out from their slots) and returns `true`: look at the rings again. With the lanes
    /// and every ring empty and nothing announced, a refill would find nothing (a message
    /// published since is found by the caller's next look, or by the refill `Recv` does
    /// after parking).
    #[cold]
    #[inline(never)]
    fn off_ring(&mut self, signals: u32, blocked: bool, light: bool) -> bool {
        if let Some(top) = self.lanes.highest() {
            if signals & lanes_above(top) != 0 {
                self.refill();
            }
            return false;
        }
        if signals & (NEW_RINGS | RETIRED | SPACE | FALLBACK) == 0 && !blocked {
            return false;
        }
        if !light || blocked || signals & (FALLBACK | RETIRED) != 0 {
            self.refill();
            return false;
        }
        if signals & NEW_RINGS != 0 {
            self.adopt_new_rings();
        }
        self.shared.wake_ring_waiters(signals);
        true
    }

    /// Takes the rings registered since the last look.
    fn adopt_new_rings(&mut self) {
        let shared = &self.shared;
        self.rings.adopt(|list| shared.take_new_rings(list));
    }

    /// Hands up to `max` waiting messages to `consume`, in the order that as many
    /// [`Receiver::try_recv`] calls would, without waiting; returns how many. Each message
    /// is handed over in place as by [`Receiver::try_recv_with`] (what `consume` leaves of
    /// it is dropped after it returns). A run of messages at the front of one sender's
    /// ring goes out in one pass (the signal word is read once per run: a run takes the
    /// messages of the highest lane waiting, and one of a higher lane announced during
    /// the run goes first after it; the run's room is released and the ring's head
    /// published once).
    /// `Err(Closed)` as for `try_recv` when nothing was delivered.
    pub fn try_recv_batch(
        &mut self,
        max: usize,
        mut consume: impl FnMut(&mut Received),
    ) -> Result<usize, IpcError> {
        let mut delivered = 0;
        while delivered < max {
            // Each run is a turn of its own.
            if self.shared.signals() & OFF_RING == 0 && self.rings.pass_turn() {
                let ring = self.rings.first_mut();
                let shared = &*self.shared;
                // The signal word once per run: the run takes the ring's front messages of
                // the highest lane announced now (or higher) and stops at the first of a
                // lower lane. A higher lane announced during the run waits for its end.
                let top = top_lane(shared.signals());
                let moved = if shared.instrumented {
                    consume_run_instrumented(shared, ring, top, max - delivered, &mut consume)
                } else {
                    // Without a clock or a trace, nothing to do per message (the ring
                    // counts the run when it publishes its read position).
                    ring.consume_while(
                        max - delivered,
                        |envelope| envelope.header.priority.index() as u32 <= top,
                        // A closure of this function, not `&mut consume`: the shim of
                        // `&mut F` may land in another codegen unit, where it is not inlined.
                        |envelope| consume(envelope),
                    )
                };
                if moved > 0 {
                    delivered += moved;
                    continue;
                }
                // A higher lane was announced since the look: the ordinary path sorts it out.
            }
            match self.recv_one(&mut consume) {
                Ok(Some(())) => delivered += 1,
                Ok(None) => break,
                Err(error) if delivered == 0 => return Err(error),
                Err(_) => break,
            }
        }
        Ok(delivered)
    }

    /// `try_recv_batch` off its run: one message as by `try_recv_with`. Out of line, so
    /// that the batch's run is the one place `consume` is inlined.
    #[inline(never)]
    fn recv_one<F: FnMut(&mut Received)>(
        &mut self,
        consume: &mut F,
    ) -> Result<Option<()>, IpcError> {
        self.try_recv_with(consume)
    }

    /// Delivers from the private lanes (after a refill when needed).
    #[inline]
    fn pop_lanes(&mut self) -> Result<Option<Received>, IpcError> {
        if let Some(envelope) = self.pop_lane() {
            return Ok(Some(envelope));
        }
        if self.shared.has_senders() {
            return Ok(None);
        }
        // Everything the last senders queued happened before they left: one more look.
        self.refill();
        match self.pop_lane() {
            Some(envelope) => Ok(Some(envelope)),
            None => Err(IpcError::Closed),
        }
    }

    /// Takes the next message of the lanes, frees its room at its source and counts it
    /// (a ring's message is counted by releasing it).
    #[inline]
    fn pop_lane(&mut self) -> Option<Received> {
        let (envelope, source) = self.lanes.pop()?;
        if source == FROM_FALLBACK {
            self.shared.release(1);
            self.shared.stats.record_fallback_received(1);
        } else if let Some(ring) = self.rings.find_mut(source)
            && ring.release_held(1) == 0
        {
            // (A ring is retired only once it holds nothing, so it is always found.) Its
            // waiting sender, if any, is woken once for all its held slots, not per slot.
            self.shared.wake_ring_waiters(self.shared.signals());
            // The last message held of a ring whose sender left: it can go now.
            if ring.is_finished() {
                self.shared.ring_may_be_finished();
            }
        }
        if self.lanes.nonempty() == 0 {
            self.shared.lanes_emptied();
        }
        instrument(&self.shared, &envelope.header, self.shared.instrumented);
        Some(envelope)
    }

    /// Waits for the next message (see [`Receiver::try_recv`]); `Err(Closed)` once every
    /// sender is gone and the queue is empty.
    pub fn recv(&mut self) -> Recv<'_> {
        Recv { receiver: self }
    }

    /// The highest lane with a message waiting (after looking at every queue), so the
    /// kernel can drop the receiving task back to it after a priority boost.
    pub fn highest_waiting(&mut self) -> Option<Priority> {
        self.refill();
        self.lanes.highest()
    }

    /// Installs `hook`, called by a sender (outside any lock) when it queues a message of a
    /// higher priority than any the receiver has waiting, so that the kernel can raise the
    /// receiving task's priority (priority inheritance). Once per endpoint: a second hook
    /// is refused with `AlreadyExists`.
    pub fn on_priority(&self, hook: Box<dyn Fn(Priority) + Send + Sync>) -> Result<(), IpcError> {
        self.shared.set_priority_hook(hook)
    }

    /// Lets callers be answered by `handler` on their own stack while this receiver
    /// waits with nothing pending (see `Sender::receiver_waits_idle`); the receiver still gets
    /// every call the handler declines and every one-way message. Once per endpoint.
    pub fn serve_directly(&self, handler: DirectHandler) -> Result<(), IpcError> {
        self.shared.set_direct_handler(handler)
    }

    /// The endpoint's counters.
    pub fn stats(&self) -> EndpointStats {
        self.shared.stats()
    }

    /// The newest `n` delivered headers, oldest first (empty unless tracing is on).
    pub fn trace(&self, n: usize) -> Vec<Header> {
        self.shared
            .trace
            .as_ref()
            .map_or_else(Vec::new, |log| log.newest(n))
    }

    /// Moves everything visible in the rings and the fallback queue into the lanes (what
    /// it moves stays counted against its source until it is handed out).
    #[inline]
    fn refill(&mut self) {
        let signals = self.shared.begin_refill(ALL_LANES & !self.lanes.nonempty());
        if signals & NEW_RINGS != 0 {
            self.adopt_new_rings();
        }
        // Before the scan below, so a ring whose sender left after it sets the flag again.
        self.shared.take_retired();
        let lanes = &mut self.lanes;
        let shared = &*self.shared;
        self.rings.drain_and_retire(
            |ring| {
                let source = ring.id();
                ring.drain_held(|envelope| lanes.push(envelope, source));
            },
            // Its sender is gone: free the slot for another sender.
            |ring| {
                shared.retire_ring_watch(&ring);
                shared.retire_ring();
            },
        );
        if signals & FALLBACK != 0 {
            self.shared.take_fallback(lanes);
        }
        self.shared.end_refill(self.lanes.nonempty());
        self.shared.wake_ring_waiters(signals);
    }
}

/// A run of `try_recv_batch` for an endpoint with a clock or a trace: each message is
/// timed and logged before `consume` sees it (the run is counted at its end). Out of line
/// (see `recv_one`).
#[inline(never)]
fn consume_run_instrumented<F: FnMut(&mut Received)>(
    shared: &Shared,
    ring: &mut Consumer<Received>,
    top: u32,
    max: usize,
    consume: &mut F,
) -> usize {
    ring.consume_while(
        max,
        |envelope| envelope.header.priority.index() as u32 <= top,
        |envelope| {
            instrument_delivered(shared, &envelope.header);
            consume(envelope);
        },
    )
}

/// Times and logs a delivered message when `instrumented` (the endpoint's
/// `INSTRUMENTED`). Nothing else to do per delivery: a ring counts what it hands out
/// itself (its published read position), and `pop_lane` counts fallback messages.
#[inline]
fn instrument(shared: &Shared, header: &Header, instrumented: bool) {
    if instrumented {
        instrument_delivered(shared, header);
    }
}

/// The latency and trace record of a delivery, for an endpoint with a clock or a trace.
#[inline(never)]
fn instrument_delivered(shared: &Shared, header: &Header) {
    if let Some(now) = shared.config.clock {
        shared
            .stats
            .record_latency(now().saturating_sub(header.timestamp));
    }
    if let Some(log) = &shared.trace {
        log.record(*header);
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let shared = &self.shared;
        self.rings.close(|rest| shared.close_receiver(rest));
        self.shared.take_fallback(&mut self.lanes);
        // Dropping the envelopes drops their reply tokens: each pending call ends with
        // `PeerDied`. No lock is held here.
        for ring in self.rings.iter_mut() {
            ring.drain(usize::MAX, drop);
        }
        while self.lanes.pop().is_some() {}
        self.shared.wake_all_waiters();
    }
}

impl core::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Receiver")
            .field("endpoint", &self.id())
            .field("rings", &self.rings.len())
            .finish()
    }
}

/// The future of [`Receiver::recv`].
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a> {
    receiver: &'a mut Receiver,
}

impl Future for Recv<'_> {
    type Output = Result<Received, IpcError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let receiver = &mut *self.get_mut().receiver;
        if let Some(outcome) = receiver.try_recv().transpose() {
            return Poll::Ready(outcome);
        }
        loop {
            receiver.shared.park_receiver(cx.waker());
            // A full refill: the direct path trusts lane bits that parking just cleared.
            receiver.refill();
            if receiver.lanes.nonempty() == 0 && receiver.shared.has_senders() {
                return Poll::Pending;
            }
            // Something to hand out (or the end): stop waiting first, so that no direct
            // call (`Sender::try_direct`) sees this receiver waiting while a message is
            // handed out and not yet handled.
            receiver.shared.unpark_receiver();
            if let Some(outcome) = receiver.pop_lanes().transpose() {
                return Poll::Ready(outcome);
            }
        }
    }
}
