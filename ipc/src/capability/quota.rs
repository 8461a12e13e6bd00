//! Per-holder resource accounting shared by the capability table, the region table and
//! the endpoints.
//!
//! Invariants: a holder's usage of a resource never exceeds its limit (a charge that would
//! is refused whole, nothing is charged); usage never goes below zero (uncharges saturate);
//! the ledger lock is a leaf: nothing else is locked while it is held.

use alloc::collections::BTreeMap;

use crate::error::IpcError;
use crate::ids::HolderId;
use crate::sync::Mutex;

/// A resource charged to a holder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    /// Capabilities held.
    Caps,
    /// Shared regions created.
    Regions,
    /// Endpoint queue slots reserved.
    QueueSlots,
    /// Bytes of shared regions created.
    RegionBytes,
}

/// An amount of each [`Resource`]: a holder's limits, or what it uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    /// Capabilities.
    pub caps: u64,
    /// Shared regions.
    pub regions: u64,
    /// Endpoint queue slots.
    pub queue_slots: u64,
    /// Bytes of shared regions.
    pub region_bytes: u64,
}

impl Quotas {
    /// Nothing (the usage of a holder that holds nothing).
    pub const ZERO: Quotas = Quotas {
        caps: 0,
        regions: 0,
        queue_slots: 0,
        region_bytes: 0,
    };

    /// No limit (the kernel's own quotas).
    pub const UNLIMITED: Quotas = Quotas {
        caps: u64::MAX,
        regions: u64::MAX,
        queue_slots: u64::MAX,
        region_bytes: u64::MAX,
    };

    /// The amount of `resource`.
    pub const fn get(&self, resource: Resource) -> u64 {
        match resource {
            Resource::Caps => self.caps,
            Resource::Regions => self.regions,
            Resource::QueueSlots => self.queue_slots,
            Resource::RegionBytes => self.region_bytes,
        }
    }

    fn get_mut(&mut self, resource: Resource) -> &mut u64 {
        match resource {
            Resource::Caps => &mut self.caps,
            Resource::Regions => &mut self.regions,
            Resource::QueueSlots => &mut self.queue_slots,
            Resource::RegionBytes => &mut self.region_bytes,
        }
    }
}

/// Defaults for an ordinary holder: 1 024 capabilities, 64 regions, 4 096 queue slots,
/// 64 MiB of regions.
impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            caps: 1024,
            regions: 64,
            queue_slots: 4096,
            region_bytes: 64 << 20,
        }
    }
}

#[derive(Clone, Copy)]
struct Account {
    limits: Quotas,
    used: Quotas,
}

/// Limits and usage of every holder.
pub struct QuotaLedger {
    default_limits: Quotas,
    accounts: Mutex<BTreeMap<HolderId, Account>>,
}

impl QuotaLedger {
    /// A ledger where every holder starts with `default_limits`.
    pub fn new(default_limits: Quotas) -> Self {
        Self {
            default_limits,
            accounts: Mutex::new(BTreeMap::new()),
        }
    }

    /// Sets `holder`'s limits (usage already above them stays, further charges fail).
    pub fn set_quotas(&self, holder: HolderId, limits: Quotas) {
        let mut accounts = self.accounts.lock();
        accounts
            .entry(holder)
            .and_modify(|account| account.limits = limits)
            .or_insert(Account {
                limits,
                used: Quotas::ZERO,
            });
    }

    /// `holder`'s limits.
    pub fn quotas(&self, holder: HolderId) -> Quotas {
        self.accounts
            .lock()
            .get(&holder)
            .map_or(self.default_limits, |account| account.limits)
    }

    /// What `holder` uses now.
    pub fn usage(&self, holder: HolderId) -> Quotas {
        self.accounts
            .lock()
            .get(&holder)
            .map_or(Quotas::ZERO, |account| account.used)
    }

    /// Charges `amount` of `resource` to `holder`, or `QuotaExceeded` (nothing charged).
    pub fn charge(
        &self,
        holder: HolderId,
        resource: Resource,
        amount: u64,
    ) -> Result<(), IpcError> {
        let mut accounts = self.accounts.lock();
        let account = accounts.entry(holder).or_insert(Account {
            limits: self.default_limits,
            used: Quotas::ZERO,
        });
        let used = account.used.get_mut(resource);
        match used.checked_add(amount) {
            Some(total) if total <= account.limits.get(resource) => {
                *used = total;
                Ok(())
            }
            _ => Err(IpcError::QuotaExceeded),
        }
    }

    /// Gives back `amount` of `resource` (saturating: never below zero).
    pub fn uncharge(&self, holder: HolderId, resource: Resource, amount: u64) {
        if let Some(account) = self.accounts.lock().get_mut(&holder) {
            let used = account.used.get_mut(resource);
            *used = used.saturating_sub(amount);
        }
    }

    /// Forgets `holder` entirely (usage and custom limits): it died.
    pub fn forget(&self, holder: HolderId) {
        self.accounts.lock().remove(&holder);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const HOLDER: HolderId = HolderId(1);

    #[test]
    fn charge_up_to_the_limit_then_refuse_whole() {
        let ledger = QuotaLedger::new(Quotas {
            regions: 2,
            ..Quotas::default()
        });
        assert_eq!(ledger.charge(HOLDER, Resource::Regions, 2), Ok(()));
        assert_eq!(
            ledger.charge(HOLDER, Resource::Regions, 1),
            Err(IpcError::QuotaExceeded)
        );
        assert_eq!(ledger.usage(HOLDER).regions, 2);
        ledger.uncharge(HOLDER, Resource::Regions, 1);
        assert_eq!(ledger.charge(HOLDER, Resource::Regions, 1), Ok(()));
    }

    #[test]
    fn overflowing_charge_is_refused() {
        let ledger = QuotaLedger::new(Quotas {
            region_bytes: u64::MAX,
            ..Quotas::default()
        });
        ledger.charge(HOLDER, Resource::RegionBytes, 10).unwrap();
        assert_eq!(
            ledger.charge(HOLDER, Resource::RegionBytes, u64::MAX),
            Err(IpcError::QuotaExceeded)
        );
        assert_eq!(ledger.usage(HOLDER).region_bytes, 10);
    }

    #[test]
    fn uncharge_saturates_and_forget_resets() {
        let ledger = QuotaLedger::new(Quotas::default());
        ledger.charge(HOLDER, Resource::QueueSlots, 3).unwrap();
        ledger.uncharge(HOLDER, Resource::QueueSlots, 10);
        assert_eq!(ledger.usage(HOLDER), Quotas::ZERO);
        ledger.set_quotas(
            HOLDER,
            Quotas {
                queue_slots: 1,
                ..Quotas::default()
            },
        );
        ledger.charge(HOLDER, Resource::QueueSlots, 1).unwrap();
        ledger.forget(HOLDER);
        assert_eq!(ledger.usage(HOLDER), Quotas::ZERO);
        assert_eq!(ledger.quotas(HOLDER), Quotas::default());
    }
}
