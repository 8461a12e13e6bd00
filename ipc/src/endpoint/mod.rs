//! Bounded asynchronous endpoints: many senders, one receiver, five priority lanes,
//! call/reply. Executor-agnostic: they only use `core::task::Waker`s.
//!
//! Layout (one job per file): `shared.rs` (the state both halves share and the lock-free
//! protocols on it), `sender.rs`, `call.rs`, `caller.rs` (the reusable reply slot and the
//! reply token), `receiver.rs`, `turns.rs` (the
//! receiver's rings and whose turn it is), `lanes.rs` (per-priority FIFOs), `config.rs`.
//!
//! Design and invariants:
//! - each [`Sender`] gets its own SPSC ring to the receiver on its first send (up to
//!   `max_rings`; in the kernel, one per sender core and receiver core); later senders share
//!   a locked fallback queue. A sender never changes route, so its messages stay in order;
//! - the receiver delivers the highest lane first: straight from a ring's front when its
//!   private lanes are empty and no higher lane waits anywhere (the hot path), otherwise
//!   by draining whatever is visible into private per-lane FIFOs; within a lane, each
//!   sender's order is kept;
//! - each ring is bounded by `ring_capacity` (its messages in the receiver's lanes keep their
//!   slots until handed out), the fallback queue by `capacity` (reserved before queueing):
//!   a send at its bound fails with `Full` (or waits). Nothing is ever dropped silently;
//! - a call allocates nothing: the reply travels through the sender's reusable slot,
//!   guarded by a sequence number, so a late reply can never reach a later call;
//! - no lock is held while a waker or the priority hook runs, nor across an `.await`;
//!   every wait registers its waker and then re-checks (no lost wakeup).
//!
//! A message queued on the endpoint is a [`Received`]: the header, the message and, for a
//! call, the reply token.

mod call;
mod caller;
mod config;
mod lanes;
mod receiver;
mod sender;
mod shared;
mod turns;

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, not(loom)))]
mod stress_tests;
#[cfg(all(test, not(loom)))]
mod tests;

use alloc::sync::Arc;

pub use call::Call;
pub use caller::ReplyToken;
pub use config::{EndpointConfig, MAX_ENDPOINT_CAPACITY, MAX_ENDPOINT_RINGS};
pub use receiver::{Receiver, Recv};
pub use sender::{DeferredCall, SendFuture, Sender};
pub use shared::DirectHandler;

use crate::ids::ServiceId;
use crate::message::{Header, Message};

/// A delivered message: who sent it and how urgent (`header`), the payload, and for a call
/// the token to answer it with.
#[derive(Debug)]
pub struct Received {
    /// The sender's header.
    pub header: Header,
    /// The message itself.
    pub message: Message,
    /// Present when the sender waits for an answer ([`Sender::call`]).
    pub reply: Option<ReplyToken>,
}

impl Received {
    /// A placeholder that the senders overwrite in the ring slot (see `spsc::Vacant`).
    #[inline]
    fn blank() -> Self {
        Self {
            header: Header::default(),
            message: Message::default(),
            reply: None,
        }
    }
}

/// Creates the endpoint of service `id`: one [`Sender`] (clone it for more producers) and
/// the [`Receiver`]. Out-of-range `config` values are clamped (see [`EndpointConfig`]).
pub fn channel(id: ServiceId, config: EndpointConfig) -> (Sender, Receiver) {
    let shared = Arc::new(shared::Shared::new(id, config.clamped()));
    (Sender::new(shared.clone()), Receiver::new(shared))
}
