//! [`Region`]: pages from `map`, owned by one value, so that protecting and unmapping
//! them cannot pull memory from under a reference.

#![allow(unsafe_code)]

use mohhos_abi::layout::PAGE_SIZE;
use mohhos_abi::{Error, Prot};

use crate::sys;

/// Mapped pages owned by this value: readable through [`Region::as_slice`], writable
/// through [`Region::as_mut_slice`] while the protection allows it; unmapped on drop.
#[derive(Debug)]
pub struct Region {
    addr: u64,
    len: u64,
    prot: Prot,
}

impl Region {
    /// Maps `len` bytes (rounded up to pages) of zeroed memory with `prot`.
    pub fn map(len: u64, prot: Prot) -> Result<Region, Error> {
        let len = len
            .checked_next_multiple_of(PAGE_SIZE)
            .ok_or(Error::InvalidArgument)?;
        if usize::try_from(len).map_or(true, |l| l > isize::MAX as usize) {
            return Err(Error::InvalidArgument);
        }
        let addr = sys::map(len, prot)?;
        Ok(Region { addr, len, prot })
    }

    /// The first address.
    pub fn addr(&self) -> u64 {
        self.addr
    }

    /// The length in bytes (whole pages).
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the region is empty (never: `map` refuses zero lengths).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The current protection.
    pub fn prot(&self) -> Prot {
        self.prot
    }

    /// The bytes (every protection is readable on x86_64).
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `map` returned `[addr, addr + len)` mapped, zeroed and readable, and only
        // this value's `protect` and `unmap` (which take `&mut self` / `self`) change it;
        // `len` fits `isize` (checked in `map`).
        unsafe { core::slice::from_raw_parts(self.addr as *const u8, self.len as usize) }
    }

    /// The bytes, writable; `None` unless the protection has `WRITE`.
    pub fn as_mut_slice(&mut self) -> Option<&mut [u8]> {
        if !self.prot.writable() {
            return None;
        }
        // SAFETY: as in `as_slice`, and the pages are writable; `&mut self` makes this
        // the only reference.
        Some(unsafe { core::slice::from_raw_parts_mut(self.addr as *mut u8, self.len as usize) })
    }

    /// Changes the protection of every page (W^X: `WRITE` with `EXEC` is refused).
    pub fn protect(&mut self, prot: Prot) -> Result<(), Error> {
        // SAFETY: `&mut self` means no reference into the region is alive.
        unsafe { sys::protect(self.addr, self.len, prot)? };
        self.prot = prot;
        Ok(())
    }

    /// Unmaps the pages, reporting the kernel's answer (dropping ignores it).
    pub fn unmap(self) -> Result<(), Error> {
        let region = core::mem::ManuallyDrop::new(self);
        // SAFETY: the value is consumed, so no reference into the region is alive.
        unsafe { sys::unmap(region.addr, region.len) }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: the value is going away, so no reference into the region is alive.
        let _ = unsafe { sys::unmap(self.addr, self.len) };
    }
}
