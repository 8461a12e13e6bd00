//! A shared IPC region mapped into this process: memory another party (a service)
//! reads and writes too, so it is only copied in and out, never borrowed as a slice.

#![allow(unsafe_code)]

use crate::ipc::{self, Cap};
use mohhos_abi::Error;

/// A region this process created and mapped.
#[derive(Debug)]
pub struct SharedRegion {
    cap: Cap,
    base: *mut u8,
    len: usize,
}

impl SharedRegion {
    /// Creates a region of `len` bytes (whole pages) and maps it.
    pub fn new(len: usize) -> Result<SharedRegion, Error> {
        let cap = ipc::region_create(len as u64)?;
        let base = ipc::region_map(cap)? as *mut u8;
        Ok(SharedRegion { cap, base, len })
    }

    /// Its capability (to pass in a message's cap word).
    pub fn cap(&self) -> Cap {
        self.cap
    }

    /// Its length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Never true: regions are created non-empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies `data` to `offset`; `InvalidArgument` if it does not fit.
    pub fn copy_in(&self, offset: usize, data: &[u8]) -> Result<(), Error> {
        self.check(offset, data.len())?;
        // SAFETY: `[offset, offset + len)` lies in the mapping (checked), which stays
        // mapped for this value's life; the bytes are copied, never referenced.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), self.base.add(offset), data.len()) };
        Ok(())
    }

    /// Copies `out.len()` bytes from `offset`; `InvalidArgument` if they do not fit.
    pub fn copy_out(&self, offset: usize, out: &mut [u8]) -> Result<(), Error> {
        self.check(offset, out.len())?;
        // SAFETY: as in `copy_in`.
        unsafe {
            core::ptr::copy_nonoverlapping(self.base.add(offset), out.as_mut_ptr(), out.len())
        };
        Ok(())
    }

    fn check(&self, offset: usize, len: usize) -> Result<(), Error> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(Error::InvalidArgument),
        }
    }
}
