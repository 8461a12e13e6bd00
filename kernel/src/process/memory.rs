//! A process's user memory: its address space, its memory quota and where `map`
//! places new regions; and [`UserSlice`], the only way the kernel reads or writes it.

use crate::arch::x86_64::{AddressSpace, SpaceError, UserTables};
use mohhos_abi::layout::{self, MAP_BASE, PAGE_SIZE};
use mohhos_abi::{Error, Prot};

/// A range of user memory named by a user pointer and length: checked to lie in the
/// user half (no overflow, no kernel address) when made; every access goes through
/// the page tables, so an unmapped page is an error, never a fault.
#[derive(Clone, Copy, Debug)]
pub struct UserSlice {
    addr: u64,
    len: u64,
}

impl UserSlice {
    /// `[addr, addr + len)`, or `BadAddress` if it leaves the user half or overflows.
    pub fn new(addr: u64, len: u64) -> Result<Self, Error> {
        if len == 0 || layout::is_user_range(addr, len) {
            Ok(Self { addr, len })
        } else {
            Err(Error::BadAddress)
        }
    }

    /// Whether the whole range is writable user memory now.
    pub fn is_writable(&self, memory: &mut UserMemory) -> bool {
        memory.space.is_writable(self.addr, self.len as usize)
    }

    /// Copies `data` (exactly `len` bytes) into the range, all or nothing.
    pub fn write(&self, memory: &mut UserMemory, data: &[u8]) -> Result<(), Error> {
        debug_assert_eq!(data.len() as u64, self.len);
        if self.len == 0 {
            return Ok(());
        }
        memory
            .space
            .write(self.addr, data)
            .map_err(|_| Error::BadAddress)
    }

    /// The range's `N` words (the range is exactly `N * 8` bytes).
    pub fn read_words<const N: usize>(&self, memory: &mut UserMemory) -> Result<[u64; N], Error> {
        debug_assert_eq!((N * 8) as u64, self.len);
        memory
            .space
            .read_words(self.addr)
            .map_err(|_| Error::BadAddress)
    }

    /// Stores `words` into the range (of exactly `N * 8` bytes), all or nothing.
    pub fn write_words<const N: usize>(
        &self,
        memory: &mut UserMemory,
        words: &[u64; N],
    ) -> Result<(), Error> {
        debug_assert_eq!((N * 8) as u64, self.len);
        memory
            .space
            .write_words(self.addr, words)
            .map_err(|_| Error::BadAddress)
    }

    /// Copies the range into `out` (of exactly `len` bytes).
    pub fn read(&self, memory: &mut UserMemory, out: &mut [u8]) -> Result<(), Error> {
        debug_assert_eq!(out.len() as u64, self.len);
        if self.len == 0 {
            return Ok(());
        }
        memory
            .space
            .read(self.addr, out)
            .map_err(|_| Error::BadAddress)
    }
}

/// Checks a page-granular range argument: aligned, non-empty, in the user half.
fn page_range(addr: u64, len: u64) -> Result<(u64, u64), Error> {
    if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
        return Err(Error::InvalidArgument);
    }
    let pages = len.div_ceil(PAGE_SIZE);
    if !layout::is_user_range(addr, pages.checked_mul(PAGE_SIZE).ok_or(Error::BadAddress)?) {
        return Err(Error::BadAddress);
    }
    Ok((addr, pages))
}

/// The user memory of one process.
pub struct UserMemory {
    space: AddressSpace,
    /// Pages mapped now (charged to the quota).
    pages: u64,
    quota_pages: u64,
    /// Where the next `map` region goes.
    map_cursor: u64,
    /// Pages the kernel shares with the process (its IPC rings): `protect` and `unmap`
    /// refuse them.
    pinned: Option<(u64, u64)>,
}

fn from_space(error: SpaceError) -> Error {
    match error {
        SpaceError::OutOfFrames => Error::NoMemory,
        SpaceError::AlreadyMapped => Error::InvalidArgument,
        SpaceError::NotMapped => Error::BadAddress,
    }
}

impl UserMemory {
    /// An empty address space with a quota of `quota_pages`.
    pub fn new(quota_pages: u64) -> Result<Self, Error> {
        Ok(Self {
            space: AddressSpace::new().map_err(from_space)?,
            pages: 0,
            quota_pages,
            map_cursor: MAP_BASE,
            pinned: None,
        })
    }

    /// The tables of the address space, as `run_user` loads them.
    pub fn tables(&self) -> UserTables {
        self.space.tables()
    }

    /// Pages mapped now.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    fn charge(&mut self, pages: u64) -> Result<(), Error> {
        match self.pages.checked_add(pages) {
            Some(total) if total <= self.quota_pages => {
                self.pages = total;
                Ok(())
            }
            _ => Err(Error::QuotaExceeded),
        }
    }

    /// Maps `pages` zeroed pages at the page-aligned `addr`, all or nothing.
    pub fn map_at(&mut self, addr: u64, pages: u64, prot: Prot) -> Result<(), Error> {
        let (addr, pages) = page_range(addr, pages.saturating_mul(PAGE_SIZE))?;
        self.charge(pages)?;
        for i in 0..pages {
            if let Err(error) = self.space.map_zeroed(addr + i * PAGE_SIZE, prot) {
                for done in 0..i {
                    let _ = self.space.unmap(addr + done * PAGE_SIZE);
                }
                self.pages -= pages;
                return Err(from_space(error));
            }
        }
        Ok(())
    }

    /// `map(len, prot)`: a new region of zeroed pages; returns its address.
    pub fn map(&mut self, len: u64, prot: u64) -> Result<u64, Error> {
        let prot = Prot::from_bits(prot).ok_or(Error::InvalidArgument)?;
        if len == 0 || len > layout::USER_END {
            return Err(Error::InvalidArgument);
        }
        let pages = len.div_ceil(PAGE_SIZE);
        if pages > self.quota_pages - self.pages {
            return Err(Error::QuotaExceeded);
        }
        let addr = self.map_cursor;
        self.map_at(addr, pages, prot)?;
        // One unmapped guard page between regions.
        self.map_cursor = addr + (pages + 1) * PAGE_SIZE;
        Ok(addr)
    }

    /// `map` for the kernel's shared pages: the region can never be changed or unmapped
    /// by the process.
    pub fn map_pinned(&mut self, len: u64) -> Result<u64, Error> {
        let addr = self.map(len, Prot::READ_WRITE.bits())?;
        self.pinned = Some((addr, addr + len.div_ceil(PAGE_SIZE) * PAGE_SIZE));
        Ok(addr)
    }

    /// Checks that every page of `[addr, addr + pages)` is mapped and none is pinned.
    fn all_mapped(&mut self, addr: u64, pages: u64) -> Result<(), Error> {
        if let Some((start, end)) = self.pinned
            && addr < end
            && start < addr + pages * PAGE_SIZE
        {
            return Err(Error::InvalidArgument);
        }
        for i in 0..pages {
            if !self.space.is_mapped(addr + i * PAGE_SIZE) {
                return Err(Error::BadAddress);
            }
        }
        Ok(())
    }

    /// `protect(addr, len, prot)`: all pages must be mapped; all or nothing.
    pub fn protect(&mut self, addr: u64, len: u64, prot: u64) -> Result<(), Error> {
        let prot = Prot::from_bits(prot).ok_or(Error::InvalidArgument)?;
        let (addr, pages) = page_range(addr, len)?;
        self.all_mapped(addr, pages)?;
        for i in 0..pages {
            self.space
                .protect(addr + i * PAGE_SIZE, prot)
                .map_err(from_space)?;
        }
        Ok(())
    }

    /// `unmap(addr, len)`: all pages must be mapped; all or nothing.
    pub fn unmap(&mut self, addr: u64, len: u64) -> Result<(), Error> {
        let (addr, pages) = page_range(addr, len)?;
        self.all_mapped(addr, pages)?;
        for i in 0..pages {
            // Shared-region pages were never charged.
            if self.space.unmap(addr + i * PAGE_SIZE).map_err(from_space)? {
                self.pages -= 1;
            }
        }
        Ok(())
    }

    /// Maps the frames `frames` of a shared region (not charged to the quota: the region's
    /// owner pays for them), read-write, at a new place; returns its address. The caller
    /// keeps the region alive while this memory exists.
    pub fn map_shared(&mut self, frames: &[u64]) -> Result<u64, Error> {
        let addr = self.map_cursor;
        for (i, &frame) in frames.iter().enumerate() {
            let page = addr + i as u64 * PAGE_SIZE;
            if let Err(error) = self.space.map_borrowed(page, frame, Prot::READ_WRITE) {
                for done in 0..i as u64 {
                    let _ = self.space.unmap(addr + done * PAGE_SIZE);
                }
                return Err(from_space(error));
            }
        }
        self.map_cursor = addr + (frames.len() as u64 + 1) * PAGE_SIZE;
        Ok(addr)
    }

    /// Copies `data` to user address `addr` (loading only: the pages may be read-only to
    /// the user, the kernel writes them through the direct map before the first run).
    pub fn fill(&mut self, addr: u64, data: &[u8]) -> Result<(), Error> {
        self.space.load(addr, data).map_err(|_| Error::BadAddress)
    }
}
