//! MOHHOS IPC: the hardware-independent core (`no_std` + `alloc`, host-testable).
//!
//! Layering (seL4-like): mechanism objects (endpoints, regions, the event bus, the service
//! registry) know nothing about capabilities; the capability table resolves a holder's
//! handle to an object and checks rights, generation and quotas before any object is used.
//!
//! The only `unsafe` is in `spsc` (`spsc.rs` and its `producer.rs`, `consumer.rs`: the per
//! core-pair ring's slots); the crate root denies it everywhere else.

#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod bus;
mod capability;
pub mod endpoint;
mod error;
mod ids;
mod message;
mod region;
mod registry;
mod spsc;
mod stats;
mod sync;
mod system;
#[cfg(all(test, not(loom)))]
mod test_support;
mod trace;

pub use bus::{Event, EventBus, MAX_SUBSCRIBER_CAPACITY, Subscription};
pub use capability::{
    Cap, CapTable, ObjectRef, QuotaLedger, Quotas, Resource, Rights, SecurityLevel,
};
pub use endpoint::{
    Call, DeferredCall, DirectHandler, EndpointConfig, MAX_ENDPOINT_CAPACITY, MAX_ENDPOINT_RINGS,
    Received, Receiver, Recv, ReplyToken, SendFuture, Sender, channel,
};
pub use error::IpcError;
pub use executor::Priority;
pub use ids::{HolderId, MessageId, RegionId, ServiceId};
pub use message::{Header, Message, MessageKind, Payload};
pub use region::{DEFAULT_MAX_REGION_BYTES, RegionMap, RegionTable};
pub use registry::{MAX_SERVICE_NAME_LEN, Registry, ServiceInfo};
pub use stats::{EndpointStats, LATENCY_BUCKETS};
pub use system::{Connection, ConnectionCall, ServiceHandle, ServiceSummary, System};
