//! The one error type of every IPC operation.

use core::fmt;

/// Why an IPC operation failed. Every failure is one of these; nothing is dropped silently.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IpcError {
    /// The destination queue (or a subscriber buffer) is full; nothing was sent.
    Full,
    /// The operation's deadline passed; a late reply is discarded.
    Timeout,
    /// The peer (receiver, service owner, region owner) is gone.
    PeerDied,
    /// The capability lacks a right the operation needs, or its security level is too low.
    Denied,
    /// The capability's generation is old: its object was revoked or freed.
    Stale,
    /// The holder's quota (queue slots, regions, capabilities) is used up.
    QuotaExceeded,
    /// No such service, region, endpoint, capability slot or reply token.
    NotFound,
    /// A name is already registered.
    AlreadyExists,
    /// An argument is malformed (bad name, offset/length outside a region, zero size, …).
    InvalidArgument,
    /// The object was closed by its owner.
    Closed,
}

impl IpcError {
    /// A short lowercase name, as the shell prints it.
    pub const fn as_str(self) -> &'static str {
        match self {
            IpcError::Full => "full",
            IpcError::Timeout => "timeout",
            IpcError::PeerDied => "peer died",
            IpcError::Denied => "denied",
            IpcError::Stale => "stale capability",
            IpcError::QuotaExceeded => "quota exceeded",
            IpcError::NotFound => "not found",
            IpcError::AlreadyExists => "already exists",
            IpcError::InvalidArgument => "invalid argument",
            IpcError::Closed => "closed",
        }
    }
}

impl fmt::Display for IpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for IpcError {}
