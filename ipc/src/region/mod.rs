//! Shared memory regions: created by an owner, mapped by anyone the capability table let
//! through, freed when the last user lets go.
//!
//! Invariants:
//! - A region's memory lives while its table entry exists (until the owner's `release` or
//!   `holder_died`) or any [`RegionMap`] of it exists; the last of them frees it and gives
//!   its region and byte quota back to the owner (`Drop` of the shared region).
//! - Every access is bounds-checked (`InvalidArgument`, never a panic) and takes the
//!   region's lock once per call, never per byte.
//! - Ids are monotonic and never reused, so `map` of a released region is `NotFound`.

mod map;
mod pages;

#[cfg(all(test, not(loom)))]
mod tests;

pub use map::RegionMap;

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::capability::{QuotaLedger, Resource};
use crate::error::IpcError;
use crate::ids::{HolderId, RegionId};
use crate::sync::{AtomicU64, AtomicUsize, Mutex, Ordering};
use map::Region;
use pages::Pages;

/// The largest region [`RegionTable::new`] callers usually allow: 64 MiB.
pub const DEFAULT_MAX_REGION_BYTES: usize = 64 << 20;

struct Regions {
    by_id: BTreeMap<RegionId, Arc<Region>>,
    next_id: u32,
}

/// Every region that still has an owner.
pub struct RegionTable {
    ledger: Arc<QuotaLedger>,
    max_region_bytes: usize,
    regions: Mutex<Regions>,
    live_regions: Arc<AtomicUsize>,
}

impl RegionTable {
    /// A table charging region count and bytes to `ledger`; no region is larger than
    /// `max_region_bytes`.
    pub fn new(ledger: Arc<QuotaLedger>, max_region_bytes: usize) -> Self {
        Self {
            ledger,
            max_region_bytes,
            regions: Mutex::new(Regions {
                by_id: BTreeMap::new(),
                next_id: 1,
            }),
            live_regions: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Creates a zeroed region of `size` bytes owned by `owner`. `InvalidArgument` for a
    /// zero or too large size; `QuotaExceeded` past the owner's region or byte quota, when
    /// ids run out, or when memory is short.
    pub fn create(&self, owner: HolderId, size: usize) -> Result<RegionId, IpcError> {
        if size == 0 || size > self.max_region_bytes {
            return Err(IpcError::InvalidArgument);
        }
        let id = self.take_id()?;
        self.charge(owner, size as u64)?;
        let Some(bytes) = Pages::zeroed(size) else {
            self.uncharge(owner, size as u64);
            return Err(IpcError::QuotaExceeded);
        };
        self.live_regions.fetch_add(1, Ordering::Relaxed);
        let region = Arc::new(Region {
            id,
            owner,
            bytes: Mutex::new(bytes),
            len: size,
            write_seq: AtomicU64::new(0),
            ledger: self.ledger.clone(),
            live_regions: self.live_regions.clone(),
        });
        self.regions.lock().by_id.insert(id, region);
        Ok(id)
    }

    /// A view of region `id`, or `NotFound` once its owner released it. (The capability
    /// table decides who may map; this is the mechanism.)
    pub fn map(&self, id: RegionId) -> Result<RegionMap, IpcError> {
        let regions = self.regions.lock();
        let region = regions.by_id.get(&id).ok_or(IpcError::NotFound)?;
        Ok(RegionMap {
            region: region.clone(),
        })
    }

    /// The owner gives region `id` up: no new maps; the memory goes with the last map.
    /// `NotFound` if unknown, `Denied` unless `owner` created it.
    pub fn release(&self, owner: HolderId, id: RegionId) -> Result<(), IpcError> {
        let released = {
            let mut regions = self.regions.lock();
            let region = regions.by_id.get(&id).ok_or(IpcError::NotFound)?;
            if region.owner != owner {
                return Err(IpcError::Denied);
            }
            regions.by_id.remove(&id)
        };
        drop(released);
        Ok(())
    }

    /// Releases every region `holder` owns; returns how many.
    pub fn holder_died(&self, holder: HolderId) -> usize {
        let released: Vec<Arc<Region>> = {
            let mut regions = self.regions.lock();
            let ids: Vec<RegionId> = regions
                .by_id
                .values()
                .filter(|region| region.owner == holder)
                .map(|region| region.id)
                .collect();
            ids.iter()
                .filter_map(|id| regions.by_id.remove(id))
                .collect()
        };
        released.len()
    }

    /// How many regions still hold memory (owned, or released but still mapped).
    pub fn live_regions(&self) -> usize {
        self.live_regions.load(Ordering::Relaxed)
    }

    /// A fresh id (an id whose creation then fails is simply never used).
    fn take_id(&self) -> Result<RegionId, IpcError> {
        let mut regions = self.regions.lock();
        let id = RegionId(regions.next_id);
        regions.next_id = regions
            .next_id
            .checked_add(1)
            .ok_or(IpcError::QuotaExceeded)?;
        Ok(id)
    }

    fn charge(&self, owner: HolderId, size: u64) -> Result<(), IpcError> {
        self.ledger.charge(owner, Resource::Regions, 1)?;
        self.ledger
            .charge(owner, Resource::RegionBytes, size)
            .inspect_err(|_| self.ledger.uncharge(owner, Resource::Regions, 1))
    }

    fn uncharge(&self, owner: HolderId, size: u64) {
        self.ledger.uncharge(owner, Resource::Regions, 1);
        self.ledger.uncharge(owner, Resource::RegionBytes, size);
    }
}
