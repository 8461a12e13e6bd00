//! User address spaces: one set of page tables per process.
//!
//! The kernel half (PML4 entries 256..512) is the kernel's own: each address space
//! copies those entries, which point at the kernel's shared lower-level tables, so every
//! kernel mapping is visible everywhere and is supervisor-only. The user half belongs to
//! the address space alone: 4 KiB pages with the USER bit, read-only unless writable,
//! never writable and executable at once (W^X), each backed by a frame this address
//! space owns and frees on drop together with its tables.
//!
//! A page may also be *borrowed*: a frame of a shared IPC region, mapped with the
//! software bit [`BORROWED`] set; unmapping it or dropping the address space leaves the
//! frame alone (the region owns it, and the process keeps the region alive while its
//! address space lives).
//!
//! The kernel never dereferences user addresses: [`AddressSpace::read`] and
//! [`AddressSpace::write`] translate through the tables and copy through the direct
//! map, so a bad user pointer is an error, never a kernel fault. No TLB shootdown is
//! needed: an address space's CR3 is loaded only while its process runs in user mode
//! on one CPU (`user_entry::run` switches back before it returns), its user pages are
//! not global, and every removal or restriction of a mapping bumps its generation, so a
//! CPU never enters user mode with an entry of a removed mapping cached: without PCIDs
//! every CR3 load flushes, with them a load keeps a PCID's entries only when they are of
//! the current generation (`pcid.rs`).

use super::paging::{self, PHYS_OFFSET};
use super::pcid::UserTables;
use super::zeroed_frames;
use crate::memory;
use core::sync::atomic::{AtomicU64, Ordering};
use mohhos_abi::Prot;
use mohhos_abi::layout::{PAGE_SIZE, USER_END};
use x86_64::PhysAddr;
use x86_64::structures::paging::page_table::PageTableEntry;
use x86_64::structures::paging::{PageTable, PageTableFlags as Flags};

/// Why a user mapping could not be changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpaceError {
    /// No frame for the page or a table.
    OutOfFrames,
    /// The page is already mapped.
    AlreadyMapped,
    /// The page is not mapped.
    NotMapped,
}

/// One process's page tables.
pub struct AddressSpace {
    /// Physical address of the PML4.
    root: u64,
    /// Who it is, for the CPUs' PCIDs (`pcid.rs`): never reused.
    id: u64,
    /// Grows whenever a mapping is removed or restricted, so that no CPU keeps using
    /// TLB entries cached under its PCID from before (`pcid.rs`).
    generation: u64,
    /// The last user page translated: (page address, frame, flags). Copies to and from
    /// one page (a message, its reply slot) walk the tables once. Entries change only
    /// through `protect` and `unmap`, which forget it (a `map` never changes a present
    /// page).
    last: Option<(u64, u64, Flags)>,
}

fn table_at(phys: u64) -> *mut PageTable {
    paging::phys_to_virt(phys) as *mut PageTable
}

/// The id of the next address space (0 names none in the CPUs' PCID slots).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Software PTE bit: the frame belongs to a shared region, not to this address space.
const BORROWED: Flags = Flags::BIT_9;

/// The physical address of kernel memory reached through the direct map (heap memory
/// is), or `None` for any other address.
pub fn direct_map_phys(virt: usize) -> Option<u64> {
    let virt = virt as u64;
    virt.checked_sub(PHYS_OFFSET)
        .filter(|&phys| phys < (1 << 46) && paging::phys_to_virt(phys) == virt)
}

fn leaf_flags(prot: Prot) -> Flags {
    let mut flags = Flags::PRESENT | Flags::USER_ACCESSIBLE;
    if prot.writable() {
        flags |= Flags::WRITABLE;
    }
    if !prot.executable() {
        flags |= Flags::NO_EXECUTE;
    }
    flags
}

impl AddressSpace {
    /// A new address space: an empty user half and the kernel's half.
    pub fn new() -> Result<Self, SpaceError> {
        let root = zeroed_frames::take().ok_or(SpaceError::OutOfFrames)?;
        let kernel = table_at(paging::kernel_cr3());
        // SAFETY: both are PML4s mapped through the direct map; the new one is ours alone,
        // and the kernel's upper entries are only read (they never change after boot:
        // kernel mappings are made in existing lower-level tables).
        unsafe {
            let (ours, kernel) = (&mut *table_at(root), &*kernel);
            for i in 256..512 {
                ours[i] = kernel[i].clone();
            }
        }
        Ok(Self {
            root,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            generation: 0,
            last: None,
        })
    }

    /// What `run_user` loads into CR3 for this address space.
    pub fn tables(&self) -> UserTables {
        UserTables {
            root: self.root,
            id: self.id,
            generation: self.generation,
        }
    }

    /// Maps a fresh zeroed frame at the user page `page` with `prot`; returns the frame.
    pub fn map_zeroed(&mut self, page: u64, prot: Prot) -> Result<u64, SpaceError> {
        let frame = zeroed_frames::take().ok_or(SpaceError::OutOfFrames)?;
        match self.map_frame(page, frame, leaf_flags(prot)) {
            Ok(()) => Ok(frame),
            Err(error) => {
                memory::free_frames(frame, 1);
                Err(error)
            }
        }
    }

    /// Maps the frame `frame` (of a shared region: not owned, see [`BORROWED`]) at the
    /// user page `page` with `prot`.
    pub fn map_borrowed(&mut self, page: u64, frame: u64, prot: Prot) -> Result<(), SpaceError> {
        self.map_frame(page, frame, leaf_flags(prot) | BORROWED)
    }

    /// Points the unused entry of the user page `page` at `frame` with `flags`, making
    /// the tables down to it where missing (they stay, empty, if a later one cannot be
    /// made: the drop frees them). Not the active tables (see the module docs): nothing
    /// to flush.
    fn map_frame(&mut self, page: u64, frame: u64, flags: Flags) -> Result<(), SpaceError> {
        debug_assert!(page < USER_END, "user addresses only");
        let parent = Flags::PRESENT | Flags::WRITABLE | Flags::USER_ACCESSIBLE;
        let mut table = self.root;
        for shift in [39, 30, 21] {
            let index = ((page >> shift) & 0x1ff) as usize;
            // SAFETY: `table` is a page table of this address space (the root, or a
            // present entry's table), reached through the direct map; `&mut self`.
            let entry = unsafe { &mut (&mut *table_at(table))[index] };
            if !entry.flags().contains(Flags::PRESENT) {
                let next = zeroed_frames::take().ok_or(SpaceError::OutOfFrames)?;
                entry.set_addr(PhysAddr::new(next), parent);
            }
            table = entry.addr().as_u64();
        }
        let index = ((page >> 12) & 0x1ff) as usize;
        // SAFETY: as above.
        let entry = unsafe { &mut (&mut *table_at(table))[index] };
        if !entry.is_unused() {
            return Err(SpaceError::AlreadyMapped);
        }
        entry.set_addr(PhysAddr::new(frame), flags);
        Ok(())
    }

    /// The level-1 entry for user address `addr`, if the tables down to it exist (the
    /// user half has no huge pages). One walk through the direct map, no allocation.
    fn leaf(&mut self, addr: u64) -> Option<&mut PageTableEntry> {
        debug_assert!(addr < USER_END, "user addresses only");
        let mut table = self.root;
        for shift in [39, 30, 21] {
            let index = ((addr >> shift) & 0x1ff) as usize;
            // SAFETY: `table` is a page table of this address space (the root, or a
            // present entry's table), reached through the direct map; `&mut self`.
            let entry = unsafe { &(&*table_at(table))[index] };
            if !entry.flags().contains(Flags::PRESENT) {
                return None;
            }
            table = entry.addr().as_u64();
        }
        let index = ((addr >> 12) & 0x1ff) as usize;
        // SAFETY: as above; the borrow is tied to `&mut self`.
        Some(unsafe { &mut (&mut *table_at(table))[index] })
    }

    /// The entry of the present user page holding `addr`.
    fn user_leaf(&mut self, addr: u64) -> Option<&mut PageTableEntry> {
        self.leaf(addr).filter(|entry| {
            entry
                .flags()
                .contains(Flags::PRESENT | Flags::USER_ACCESSIBLE)
        })
    }

    /// Changes the protection of the mapped user page `page` (not active tables: no
    /// flush, see the module docs).
    pub fn protect(&mut self, page: u64, prot: Prot) -> Result<(), SpaceError> {
        self.last = None;
        self.generation += 1;
        let entry = self.user_leaf(page).ok_or(SpaceError::NotMapped)?;
        let borrowed = entry.flags() & BORROWED;
        let frame = entry.addr();
        entry.set_addr(frame, leaf_flags(prot) | borrowed);
        Ok(())
    }

    /// Unmaps the user page `page` and frees its frame unless it is borrowed; returns
    /// whether the frame was this address space's own.
    pub fn unmap(&mut self, page: u64) -> Result<bool, SpaceError> {
        self.last = None;
        self.generation += 1;
        let entry = self.user_leaf(page).ok_or(SpaceError::NotMapped)?;
        let (frame, borrowed) = (entry.addr().as_u64(), entry.flags().contains(BORROWED));
        entry.set_unused();
        if !borrowed {
            memory::free_frames(frame, 1);
        }
        Ok(!borrowed)
    }

    /// The physical address behind user address `addr` and its page's flags, if it is in
    /// a present user page.
    fn translate(&mut self, addr: u64) -> Option<(u64, Flags)> {
        let page = addr & !0xfff;
        if let Some((last, frame, flags)) = self.last
            && last == page
        {
            return Some((frame + (addr & 0xfff), flags));
        }
        let entry = self.user_leaf(addr)?;
        let (frame, flags) = (entry.addr().as_u64(), entry.flags());
        self.last = Some((page, frame, flags));
        Some((frame + (addr & 0xfff), flags))
    }

    /// Whether the user page holding `addr` is mapped.
    pub fn is_mapped(&mut self, addr: u64) -> bool {
        self.translate(addr).is_some()
    }

    /// Copies user memory at `addr` into `out`; `Err` if any byte is not mapped user
    /// memory (nothing is read from kernel memory).
    pub fn read(&mut self, addr: u64, out: &mut [u8]) -> Result<(), SpaceError> {
        self.copy(addr, out.len(), false, |phys, range| {
            // SAFETY: `phys..+len` lies in one present user page of this address space,
            // reached through the direct map; `out` is a kernel buffer.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    paging::phys_to_virt(phys) as *const u8,
                    out[range.clone()].as_mut_ptr(),
                    range.len(),
                )
            }
        })
    }

    /// The `N` words at `addr` in user memory (as stored: no byte-order change). One
    /// translation and a fixed-size copy when they lie in one page, the usual case for a
    /// message; the page-by-page copy otherwise.
    pub fn read_words<const N: usize>(&mut self, addr: u64) -> Result<[u64; N], SpaceError> {
        if addr % PAGE_SIZE + (N * 8) as u64 <= PAGE_SIZE {
            let (phys, _) = self.translate(addr).ok_or(SpaceError::NotMapped)?;
            // SAFETY: the `N * 8` bytes at `phys` lie in one present user page of this
            // address space (just translated), reached through the direct map; any bit
            // pattern is a valid `u64`, and the read is unaligned-safe.
            let words =
                unsafe { core::ptr::read_unaligned(paging::phys_to_virt(phys) as *const [u64; N]) };
            return Ok(words);
        }
        let mut words = [0u64; N];
        self.read(addr, bytemuck::cast_slice_mut(&mut words[..]))?;
        Ok(words)
    }

    /// Stores `words` at `addr` in writable user memory, all or nothing (as `write`), with
    /// one translation and a fixed-size copy when they lie in one page.
    pub fn write_words<const N: usize>(
        &mut self,
        addr: u64,
        words: &[u64; N],
    ) -> Result<(), SpaceError> {
        if addr % PAGE_SIZE + (N * 8) as u64 <= PAGE_SIZE {
            let (phys, flags) = self.translate(addr).ok_or(SpaceError::NotMapped)?;
            if !flags.contains(Flags::WRITABLE) {
                return Err(SpaceError::NotMapped);
            }
            // SAFETY: as in `read_words`, and the page is writable user memory.
            unsafe {
                core::ptr::write_unaligned(paging::phys_to_virt(phys) as *mut [u64; N], *words)
            };
            return Ok(());
        }
        self.write(addr, bytemuck::cast_slice(&words[..]))
    }

    /// Whether every byte of `[addr, addr + len)` is writable user memory.
    pub fn is_writable(&mut self, addr: u64, len: usize) -> bool {
        self.copy(addr, len, true, |_, _| {}).is_ok()
    }

    /// Copies `data` into writable user memory at `addr`; `Err` (and nothing written) if
    /// any byte is not writable user memory.
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), SpaceError> {
        // Within one page the copy's own check comes before any byte is written; a range
        // over several pages is checked whole first, so nothing is written half.
        let spans_pages = addr % PAGE_SIZE + data.len() as u64 > PAGE_SIZE;
        if spans_pages && !self.is_writable(addr, data.len()) {
            return Err(SpaceError::NotMapped);
        }
        self.copy(addr, data.len(), true, |phys, range| {
            // SAFETY: as in `read`, and the page is writable user memory.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    data[range.clone()].as_ptr(),
                    paging::phys_to_virt(phys) as *mut u8,
                    range.len(),
                )
            }
        })
    }

    /// Copies `data` into user memory at `addr`, whatever the pages' protection (to load
    /// a program before it runs); `Err` (and possibly a partial copy) if any byte is not
    /// mapped user memory.
    pub fn load(&mut self, addr: u64, data: &[u8]) -> Result<(), SpaceError> {
        self.copy(addr, data.len(), false, |phys, range| {
            // SAFETY: as in `read`; the frame is this address space's own.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    data[range.clone()].as_ptr(),
                    paging::phys_to_virt(phys) as *mut u8,
                    range.len(),
                )
            }
        })
    }

    /// Walks `[addr, addr + len)` page by page (each writable, if `writable`), handing
    /// each piece's physical address and buffer range to `each`.
    fn copy(
        &mut self,
        addr: u64,
        len: usize,
        writable: bool,
        mut each: impl FnMut(u64, core::ops::Range<usize>),
    ) -> Result<(), SpaceError> {
        let mut done = 0;
        while done < len {
            let at = addr + done as u64;
            let in_page = (PAGE_SIZE - at % PAGE_SIZE) as usize;
            let chunk = in_page.min(len - done);
            let (phys, flags) = self.translate(at).ok_or(SpaceError::NotMapped)?;
            if writable && !flags.contains(Flags::WRITABLE) {
                return Err(SpaceError::NotMapped);
            }
            each(phys, done..done + chunk);
            done += chunk;
        }
        Ok(())
    }
}

impl Drop for AddressSpace {
    /// Frees every user page, every user table and the PML4.
    fn drop(&mut self) {
        // SAFETY: the tables are this address space's own and no CPU has them loaded
        // (module docs); the kernel half (entries 256..) is shared and left alone.
        unsafe { free_level(self.root, 4, 256) };
    }
}

/// Frees the tables below the table at `table` (level 4 = PML4) and the frames its
/// present entries `0..entries` point to, then the table itself.
///
/// # Safety
/// `table` is a page table owned by the address space being dropped, and nothing uses it.
unsafe fn free_level(table: u64, level: u8, entries: usize) {
    // SAFETY: the caller's contract.
    let tbl = unsafe { &*table_at(table) };
    for entry in tbl.iter().take(entries) {
        if !entry.flags().contains(Flags::PRESENT) {
            continue;
        }
        let next = entry.addr().as_u64();
        if level > 1 {
            // SAFETY: a present user-half entry points to a table of this address space.
            unsafe { free_level(next, level - 1, 512) };
        } else if !entry.flags().contains(BORROWED) {
            memory::free_frames(next, 1);
        }
    }
    memory::free_frames(table, 1);
}
