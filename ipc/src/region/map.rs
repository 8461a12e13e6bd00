//! A region's memory and the reference-counted view of it kernel futures use.
//!
//! Invariants: every access is bounds-checked (`InvalidArgument`, never a panic) and takes
//! the region's lock once per call, never per byte; the last reference to a region (table
//! entry or map) frees it and gives its quota back.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::ops::Range;

use crate::capability::{QuotaLedger, Resource};
use crate::error::IpcError;
use crate::ids::{HolderId, RegionId};
use crate::message::Payload;
use crate::sync::{AtomicU64, AtomicUsize, Mutex, Ordering, fence};

use super::pages::Pages;

/// The memory of one region and what to give back when it is freed.
pub(super) struct Region {
    pub(super) id: RegionId,
    pub(super) owner: HolderId,
    pub(super) bytes: Mutex<Pages>,
    pub(super) len: usize,
    pub(super) write_seq: AtomicU64,
    pub(super) ledger: Arc<QuotaLedger>,
    pub(super) live_regions: Arc<AtomicUsize>,
}

impl Drop for Region {
    fn drop(&mut self) {
        self.ledger.uncharge(self.owner, Resource::Regions, 1);
        self.ledger
            .uncharge(self.owner, Resource::RegionBytes, self.len as u64);
        self.live_regions.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A reference-counted view of a region's bytes, for kernel futures. Cloning is cheap.
#[derive(Clone)]
pub struct RegionMap {
    pub(super) region: Arc<Region>,
}

impl RegionMap {
    /// Which region this maps.
    pub fn id(&self) -> RegionId {
        self.region.id
    }

    /// The region's size in bytes.
    pub fn len(&self) -> usize {
        self.region.len
    }

    /// Whether the region has no bytes (never true: regions are created non-empty).
    pub fn is_empty(&self) -> bool {
        self.region.len == 0
    }

    /// Copies `buf.len()` bytes from `offset` into `buf`.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result<(), IpcError> {
        let range = self.range(offset, buf.len())?;
        buf.copy_from_slice(&self.region.bytes.lock().bytes()[range]);
        Ok(())
    }

    /// Copies `data` into the region at `offset`.
    pub fn write(&self, offset: usize, data: &[u8]) -> Result<(), IpcError> {
        let range = self.range(offset, data.len())?;
        self.region.bytes.lock().bytes_mut()[range].copy_from_slice(data);
        Ok(())
    }

    /// Runs `f` on the whole region, locked: keep `f` short, it must not block or await.
    pub fn with<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(self.region.bytes.lock().bytes())
    }

    /// Runs `f` on the whole region, locked, writable: keep `f` short, it must not block.
    pub fn with_mut<R>(&self, f: impl FnOnce(&mut [u8]) -> R) -> R {
        f(self.region.bytes.lock().bytes_mut())
    }

    /// The address of each of the region's pages, in order (`PAGE_BYTES` each, page
    /// aligned, fixed for the region's life): what the kernel maps into a user address
    /// space. Kept alive by this map.
    pub fn page_addresses(&self) -> Vec<usize> {
        self.region.bytes.lock().addresses().collect()
    }

    /// Publishes the writes made so far: a release fence, then bumps the region's write
    /// sequence number. Returns the new number, to pass to readers (e.g. in a message).
    pub fn sync(&self) -> u64 {
        fence(Ordering::Release);
        self.region.write_seq.fetch_add(1, Ordering::Release) + 1
    }

    /// The last number [`RegionMap::sync`] published; a reader that sees the number it was
    /// told also sees the writes made before that `sync`.
    pub fn write_seq(&self) -> u64 {
        self.region.write_seq.load(Ordering::Acquire)
    }

    /// A [`Payload`] for `len` bytes at `offset` of this region, or `InvalidArgument` when
    /// they do not lie inside it.
    pub fn payload(&self, offset: u64, len: u64) -> Result<Payload, IpcError> {
        let payload = Payload {
            region: self.region.id,
            offset,
            len,
        };
        self.check_payload(&payload)?;
        Ok(payload)
    }

    /// The byte range a received `payload` names, once checked: `InvalidArgument` when it
    /// names another region or does not lie inside this one.
    pub fn check_payload(&self, payload: &Payload) -> Result<Range<usize>, IpcError> {
        if payload.region != self.region.id {
            return Err(IpcError::InvalidArgument);
        }
        let offset = usize::try_from(payload.offset).map_err(|_| IpcError::InvalidArgument)?;
        let len = usize::try_from(payload.len).map_err(|_| IpcError::InvalidArgument)?;
        self.range(offset, len)
    }

    fn range(&self, offset: usize, len: usize) -> Result<Range<usize>, IpcError> {
        match offset.checked_add(len) {
            Some(end) if end <= self.region.len => Ok(offset..end),
            _ => Err(IpcError::InvalidArgument),
        }
    }
}
