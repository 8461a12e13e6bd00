//! The capability table: unforgeable handles that name an object and carry rights.
//!
//! A [`Cap`] is an (index, generation) pair that only means something together with the
//! [`HolderId`](crate::HolderId) it was issued to. The table resolves it with [`CapTable::check`]:
//!
//! - `Stale` when the generation is old (the capability was revoked, deleted or its slot
//!   reused), `NotFound` for an index out of range or an empty slot, `Denied` when the
//!   capability belongs to another holder or lacks a right. Denials are counted and logged.
//! - Every capability except a minted root is derived from a parent by `grant`, with rights
//!   that keep or shrink the parent's, never grow them. `revoke` kills everything derived
//!   from a capability (transitively); `delete` also kills the capability itself.
//! - Capabilities and the other per-holder resources are charged to the holder's
//!   [`Quotas`] through one [`QuotaLedger`].
//!
//! Invariants: killing a slot bumps its generation, so no old handle ever resolves again;
//! `check` is lock-free and never pairs a generation with another occupant's holder or
//! object (see `slot.rs`); a live capability's parent is live (revoking or deleting a
//! capability kills its whole subtree under the table lock).

mod quota;
mod rights;
mod slot;
mod table;
mod tree;

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, not(loom)))]
mod tests;

pub use quota::{QuotaLedger, Quotas, Resource};
pub use rights::Rights;
pub use table::CapTable;
pub(crate) use table::ConfirmMemo;

use crate::ids::{RegionId, ServiceId};

/// A capability handle: a slot index and the generation the slot had when it was issued.
///
/// Unforgeable in effect: it resolves only for the holder it was issued to, and only while
/// the slot still has this generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cap {
    /// The slot in the capability table.
    pub index: u32,
    /// The slot's generation when the capability was issued.
    pub generation: u32,
}

impl Cap {
    /// Packs the handle into one word, e.g. for [`Message::cap`](crate::Message::cap).
    pub const fn to_word(self) -> u64 {
        ((self.generation as u64) << 32) | self.index as u64
    }

    /// Reads back what [`Cap::to_word`] wrote (any word is a handle; `check` judges it).
    pub const fn from_word(word: u64) -> Cap {
        Cap {
            index: word as u32,
            generation: (word >> 32) as u32,
        }
    }
}

/// How trusted a holder is. An object minted at a level can only be granted to holders at
/// that level or above.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecurityLevel {
    /// Ordinary user tasks.
    #[default]
    User,
    /// System services.
    System,
    /// The kernel itself.
    Kernel,
}

/// The object a capability designates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectRef {
    /// A service's message endpoint.
    Endpoint(ServiceId),
    /// A shared memory region.
    Region(RegionId),
    /// A registered service as a whole (manage, unregister).
    Service(ServiceId),
}

impl ObjectRef {
    const KIND_SHIFT: u32 = 32;
    const ENDPOINT: u64 = 0;
    const REGION: u64 = 1;
    const SERVICE: u64 = 2;

    /// Packs the object into one word: the kind above bit 32, the id below.
    pub(crate) const fn to_word(self) -> u64 {
        let (kind, id) = match self {
            ObjectRef::Endpoint(ServiceId(id)) => (Self::ENDPOINT, id),
            ObjectRef::Region(RegionId(id)) => (Self::REGION, id),
            ObjectRef::Service(ServiceId(id)) => (Self::SERVICE, id),
        };
        (kind << Self::KIND_SHIFT) | id as u64
    }

    /// Reads back what [`ObjectRef::to_word`] wrote; `None` for any other word.
    pub(crate) const fn from_word(word: u64) -> Option<ObjectRef> {
        let id = word as u32;
        match word >> Self::KIND_SHIFT {
            Self::ENDPOINT => Some(ObjectRef::Endpoint(ServiceId(id))),
            Self::REGION => Some(ObjectRef::Region(RegionId(id))),
            Self::SERVICE => Some(ObjectRef::Service(ServiceId(id))),
            _ => None,
        }
    }
}
