//! Identifiers shared by every IPC object.

/// A registered service (an endpoint owner). `ServiceId(0)` is the kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceId(pub u32);

impl ServiceId {
    /// The kernel itself (source of kernel-originated messages).
    pub const KERNEL: ServiceId = ServiceId(0);
}

/// Whoever holds capabilities: a service, a user task, or the kernel. Quotas are per holder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HolderId(pub u32);

/// A message, unique per sender for the life of the system (call/reply pairing, tracing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub u64);

/// A shared memory region.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionId(pub u32);
