//! The receiving half: drains the rings and the fallback queue into private priority lanes
//! and delivers the highest lane first.
//!
//! Invariants:
//! - only the receiver reads the rings' consumer halves and its lanes (`&mut self`);
//! - it refills (drains everything visible) when its lanes are empty or when the signal
//!   word says a lane higher than its highest may have messages, so a higher-priority
//!   message overtakes waiting lower ones; within a lane, each source keeps its order;
//! - a message's room in `occupancy` is released when it is delivered (not when drained);
//! - dropping the receiver marks it gone first, then drops everything queued: every
//!   pending call ends with `PeerDied` and waiting senders wake (see `shared.rs`).

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::Received;
use super::lanes::{ALL_LANES, Lanes, lanes_above};
use super::shared::{FALLBACK, NEW_RINGS, Shared};
use crate::Priority;
use crate::error::IpcError;
use crate::ids::ServiceId;
use crate::message::Header;
use crate::spsc::Consumer;
use crate::stats::EndpointStats;

/// The unique consumer of one endpoint.
pub struct Receiver {
    shared: Arc<Shared>,
    rings: Vec<Consumer<Received>>,
    lanes: Lanes,
}

impl Receiver {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            rings: Vec::new(),
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
        let refill = match self.lanes.highest() {
            None => true,
            Some(top) => self.shared.signals_any(lanes_above(top)),
        };
        if refill {
            self.refill();
        }
        if let Some(envelope) = self.lanes.pop() {
            return Ok(Some(self.deliver(envelope)));
        }
        if self.shared.has_senders() {
            return Ok(None);
        }
        // Everything the last senders queued happened before they left: one more look.
        self.refill();
        match self.lanes.pop() {
            Some(envelope) => Ok(Some(self.deliver(envelope))),
            None => Err(IpcError::Closed),
        }
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
    /// receiving task's priority (priority inheritance). Replaces an earlier hook.
    pub fn on_priority(&self, hook: Box<dyn Fn(Priority) + Send + Sync>) {
        self.shared.set_priority_hook(Arc::from(hook));
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

    /// Moves everything visible in the rings and the fallback queue into the lanes.
    #[inline]
    fn refill(&mut self) {
        let signals = self.shared.begin_refill(ALL_LANES & !self.lanes.nonempty());
        if signals & NEW_RINGS != 0 {
            self.shared.take_new_rings(&mut self.rings);
        }
        let lanes = &mut self.lanes;
        let mut drained = 0;
        let mut index = 0;
        while index < self.rings.len() {
            let ring = &mut self.rings[index];
            let moved = ring.drain(usize::MAX, |envelope| lanes.push(envelope));
            drained += moved;
            if moved == 0 && ring.is_finished() {
                // Its sender is gone: free the slot for another sender.
                self.rings.swap_remove(index);
                self.shared.retire_ring();
            } else {
                index += 1;
            }
        }
        if drained > 0 {
            self.shared.stats.record_fast_path(drained as u64);
        }
        if signals & FALLBACK != 0 {
            let moved = self.shared.take_fallback(lanes);
            self.shared.stats.record_slow_path(moved as u64);
        }
        self.shared.end_refill(self.lanes.nonempty());
    }

    #[inline]
    fn deliver(&self, envelope: Received) -> Received {
        self.shared.release(1);
        let latency = self
            .shared
            .config
            .clock
            .map(|now| now().saturating_sub(envelope.header.timestamp));
        self.shared.stats.record_received(latency);
        if let Some(log) = &self.shared.trace {
            log.record(&envelope.header);
        }
        envelope
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shared.close_receiver();
        self.shared.take_new_rings(&mut self.rings);
        self.shared.take_fallback(&mut self.lanes);
        // Dropping the envelopes drops their reply tokens: each pending call ends with
        // `PeerDied`. No lock is held here.
        for ring in &mut self.rings {
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
        receiver.shared.park_receiver(cx.waker());
        match receiver.try_recv().transpose() {
            Some(outcome) => {
                receiver.shared.unpark_receiver();
                Poll::Ready(outcome)
            }
            None => Poll::Pending,
        }
    }
}
