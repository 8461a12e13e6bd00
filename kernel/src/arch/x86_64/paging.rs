//! Kernel page tables.
//!
//! Layout of the kernel half (shared by every address space):
//! - `PHYS_OFFSET..`: all physical memory (at least the first 4 GiB), NX, with
//!   2 MiB pages (1 GiB where the CPU has them); ranges with no RAM are uncached.
//! - `STACKS_BASE..`: kernel stacks, each below an unmapped guard page.
//! - `KERNEL_VMA + 1 MiB..`: the image: text read-only+executable, rodata
//!   read-only NX, data/bss writable NX, the BSP's boot stacks' guard pages absent.

use super::cpu_features;
use crate::memory::{self, MemoryMap};
use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::registers::control::{Cr3, Cr3Flags};
use x86_64::structures::paging::{
    FrameAllocator, Mapper, OffsetPageTable, Page, PageTable, PageTableFlags as Flags, PhysFrame,
    Size1GiB, Size2MiB, Size4KiB,
};
use x86_64::{PhysAddr, VirtAddr};

/// Where all physical memory is mapped once the kernel tables are live.
pub const PHYS_OFFSET: u64 = 0xffff_8000_0000_0000;
/// Base of the kernel stack area.
pub const STACKS_BASE: u64 = 0xffff_e000_0000_0000;
/// Link base of the kernel image (see linker.ld).
pub const KERNEL_VMA: u64 = 0xffff_ffff_8000_0000;

/// Virtual base through which physical memory is reached right now: 0 on the
/// boot tables (identity map), `PHYS_OFFSET` after `activate`.
static PHYS_BASE: AtomicU64 = AtomicU64::new(0);
/// CR3 of the kernel tables (for the APs).
static KERNEL_CR3: AtomicU64 = AtomicU64::new(0);

#[repr(align(4096))]
struct Pml4(PageTable);

static mut KERNEL_PML4: Pml4 = Pml4(PageTable::new());

unsafe extern "C" {
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_end: u8;
    static __bss_end: u8;
    static bsp_stack_guard: u8;
    static bsp_ist_df_guard: u8;
    static bsp_ist_nmi_guard: u8;
    static bsp_ist_mc_guard: u8;
}

fn symbol(s: &u8) -> u64 {
    s as *const u8 as u64
}

/// The guard pages below the BSP's boot and IST stacks.
fn bsp_guard_pages() -> [u64; 4] {
    [
        symbol(unsafe { &bsp_stack_guard }),
        symbol(unsafe { &bsp_ist_df_guard }),
        symbol(unsafe { &bsp_ist_nmi_guard }),
        symbol(unsafe { &bsp_ist_mc_guard }),
    ]
}

/// Whether `addr` lies in a stack guard page (an unmapped page of the stack
/// area, or one below a BSP boot stack): a fault there is a stack overflow.
/// Takes no lock, so exception reports may call it.
pub fn is_stack_guard(addr: u64) -> bool {
    use x86_64::structures::paging::Translate;
    let page = addr & !0xFFF;
    bsp_guard_pages().contains(&page)
        || ((STACKS_BASE..KERNEL_VMA).contains(&addr)
            && kernel_mapper()
                .translate_addr(VirtAddr::new(addr))
                .is_none())
}

/// Virtual address of physical address `phys` in the current mapping.
pub fn phys_to_virt(phys: u64) -> u64 {
    phys + PHYS_BASE.load(Ordering::Relaxed)
}

/// The kernel tables' CR3 value (valid after `activate`).
pub fn kernel_cr3() -> u64 {
    KERNEL_CR3.load(Ordering::Relaxed)
}

/// Anything that hands out zeroable frames for page tables.
pub trait FrameSource {
    /// One frame, or `None`.
    fn frame(&mut self) -> Option<u64>;
}

impl FrameSource for memory::EarlyFrames {
    fn frame(&mut self) -> Option<u64> {
        self.alloc(1)
    }
}

/// The global frame allocator as a page-table frame source.
pub struct GlobalFrames;

impl FrameSource for GlobalFrames {
    fn frame(&mut self) -> Option<u64> {
        memory::alloc_frame()
    }
}

struct Adapter<'a, S: FrameSource>(&'a mut S);

// SAFETY: frames come from an allocator that hands each out once, and are
// zeroed by the mapper before use as tables.
unsafe impl<S: FrameSource> FrameAllocator<Size4KiB> for Adapter<'_, S> {
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        let frame = self.0.frame()?;
        Some(PhysFrame::containing_address(PhysAddr::new(frame)))
    }
}

fn kernel_mapper() -> OffsetPageTable<'static> {
    // SAFETY: KERNEL_PML4 is only modified through mappers made here, on the BSP
    // during boot or under `MAP_LOCK` afterwards; physical memory is mapped at
    // PHYS_BASE in the active tables.
    unsafe {
        let pml4 = &mut *core::ptr::addr_of_mut!(KERNEL_PML4.0);
        OffsetPageTable::new(pml4, VirtAddr::new(PHYS_BASE.load(Ordering::Relaxed)))
    }
}

static MAP_LOCK: spin::Mutex<()> = spin::Mutex::new(());

/// Why a mapping failed.
#[derive(Debug)]
pub enum MapError {
    /// No frame for an intermediate table.
    OutOfFrames,
    /// Something is already mapped there.
    AlreadyMapped,
}

fn map<S: x86_64::structures::paging::PageSize>(
    mapper: &mut OffsetPageTable<'static>,
    virt: u64,
    phys: u64,
    flags: Flags,
    frames: &mut impl FrameSource,
) -> Result<(), MapError>
where
    OffsetPageTable<'static>: Mapper<S>,
{
    let page = Page::<S>::containing_address(VirtAddr::new(virt));
    let frame = PhysFrame::<S>::containing_address(PhysAddr::new(phys));
    // SAFETY: the kernel maps each virtual page once and only to memory it owns
    // (RAM, MMIO or its own image); the caller flushes if the tables are live.
    let result = unsafe { mapper.map_to(page, frame, flags, &mut Adapter(frames)) };
    match result {
        Ok(flush) => {
            flush.flush();
            Ok(())
        }
        Err(x86_64::structures::paging::mapper::MapToError::FrameAllocationFailed) => {
            Err(MapError::OutOfFrames)
        }
        Err(_) => Err(MapError::AlreadyMapped),
    }
}

/// Builds the kernel tables and switches to them. Runs once, on the BSP, on the
/// boot tables (physical memory below 1 GiB identity-mapped; `early` must hand
/// out frames from there).
pub fn activate(memory_map: &MemoryMap, early: &mut memory::EarlyFrames) {
    let mut mapper = kernel_mapper();
    let phys_end = memory_map.ram_end().max(4 << 30);
    let huge = cpu_features::has_1g_pages();
    let step: u64 = if huge { 1 << 30 } else { 2 << 20 };
    let mut phys = 0;
    while phys < phys_end {
        let mut flags = Flags::PRESENT | Flags::WRITABLE | Flags::NO_EXECUTE | Flags::GLOBAL;
        if !memory_map.overlaps_ram(phys, phys + step) {
            flags |= Flags::NO_CACHE | Flags::WRITE_THROUGH;
        }
        let result = if huge {
            map::<Size1GiB>(&mut mapper, PHYS_OFFSET + phys, phys, flags, early)
        } else {
            map::<Size2MiB>(&mut mapper, PHYS_OFFSET + phys, phys, flags, early)
        };
        result.expect("direct map");
        phys += step;
    }
    let guards = bsp_guard_pages();
    let (text, text_end) = (
        symbol(unsafe { &__text_start }),
        symbol(unsafe { &__text_end }),
    );
    let (rodata_end, image_end) = (
        symbol(unsafe { &__rodata_end }),
        symbol(unsafe { &__bss_end }),
    );
    let mut virt = text;
    while virt < image_end {
        let flags = if virt < text_end {
            Flags::PRESENT | Flags::GLOBAL
        } else if virt < rodata_end {
            Flags::PRESENT | Flags::GLOBAL | Flags::NO_EXECUTE
        } else {
            Flags::PRESENT | Flags::GLOBAL | Flags::WRITABLE | Flags::NO_EXECUTE
        };
        if !guards.contains(&virt) {
            map::<Size4KiB>(&mut mapper, virt, virt - KERNEL_VMA, flags, early).expect("image map");
        }
        virt += 4096;
    }
    let pml4_phys = core::ptr::addr_of!(KERNEL_PML4) as u64 - KERNEL_VMA;
    // SAFETY: the new tables map the image at the same addresses as the boot
    // tables (so the next instruction and the stack stay valid) and all memory
    // the kernel uses from here on is reached through PHYS_OFFSET.
    unsafe {
        Cr3::write(
            PhysFrame::containing_address(PhysAddr::new(pml4_phys)),
            Cr3Flags::empty(),
        );
    }
    PHYS_BASE.store(PHYS_OFFSET, Ordering::Relaxed);
    KERNEL_CR3.store(pml4_phys, Ordering::Relaxed);
}

/// Maps `count` fresh frames at `virt` (4 KiB pages, writable, NX) in the live
/// kernel tables.
pub fn map_fresh(virt: u64, count: u64) -> Result<(), MapError> {
    let _guard = MAP_LOCK.lock();
    let mut mapper = kernel_mapper();
    for i in 0..count {
        let frame = memory::alloc_frame().ok_or(MapError::OutOfFrames)?;
        let flags = Flags::PRESENT | Flags::WRITABLE | Flags::NO_EXECUTE | Flags::GLOBAL;
        map::<Size4KiB>(
            &mut mapper,
            virt + i * 4096,
            frame,
            flags,
            &mut GlobalFrames,
        )?;
    }
    Ok(())
}

#[cfg(feature = "ktest")]
/// Whether `virt` is mapped in the live kernel tables.
pub fn is_mapped(virt: u64) -> bool {
    use x86_64::structures::paging::Translate;
    kernel_mapper()
        .translate_addr(VirtAddr::new(virt))
        .is_some()
}
