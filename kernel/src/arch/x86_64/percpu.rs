//! Per-CPU blocks, reached through GS.
//!
//! `CPUS[i]` belongs to CPU index `i` (0 = the bootstrap processor; APs get their
//! index in start order). GS_BASE of each CPU points at its own block, whose first
//! word points back at itself, so `current()` is one `mov` from `gs:0`.
//! Fields that only the owning CPU touches sit in `UnsafeCell`s, one per field,
//! each reached through an accessor that checks the caller is the owner;
//! everything another CPU may read is atomic.

use super::apic::LocalApicHandle;
use super::gdt::CpuTables;
use super::heap_cache::HeapCache;
use super::pcid::PcidCache;
use super::zeroed_frames::ZeroedPool;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use x86_64::registers::model_specific::{GsBase, KernelGsBase};

/// Most CPUs MOHHOS drives.
pub const MAX_CPUS: usize = 64;

/// One CPU's block.
#[repr(C)]
pub struct PerCpu {
    self_ptr: AtomicU64,
    /// The kernel stack pointer saved while this CPU runs user code (`user_entry.rs`).
    pub(super) kernel_rsp: AtomicU64,
    /// Base of the register frame of the user context this CPU runs (0 when none).
    user_frame: AtomicU64,
    /// The user `rsp` between `syscall` and the push of the register frame.
    user_rsp_scratch: AtomicU64,
    /// While this CPU runs user code: the address of the `&mut TrapCalls` that answers
    /// system calls in the trap (`user_entry.rs`); 0 otherwise.
    pub trap_calls: AtomicU64,
    index: AtomicU32,
    /// APIC id (x2APIC id where enabled).
    pub apic_id: AtomicU32,
    /// Set once the CPU runs its idle loop.
    pub online: AtomicBool,
    /// LAPIC timer interrupts taken.
    pub timer_interrupts: AtomicU64,
    /// All interrupts taken (exceptions excluded).
    pub interrupts: AtomicU64,
    /// The slice end the LAPIC timer was last found (or armed) to fire by, and
    /// `interrupts` then (`user_entry.rs`): while neither changed, it still does.
    pub slice_timer: AtomicU64,
    /// `interrupts` when `slice_timer` was set.
    pub slice_timer_interrupts: AtomicU64,
    tables: UnsafeCell<CpuTables>,
    lapic: UnsafeCell<Option<LocalApicHandle>>,
    heap_cache: UnsafeCell<HeapCache>,
    zeroed_pool: UnsafeCell<ZeroedPool>,
    pcids: UnsafeCell<PcidCache>,
}

// SAFETY: the `UnsafeCell` fields are only reached through accessors that hand
// them out on the owning CPU alone (checked against GS); the rest is atomic.
unsafe impl Sync for PerCpu {}

impl PerCpu {
    const fn new() -> Self {
        Self {
            self_ptr: AtomicU64::new(0),
            kernel_rsp: AtomicU64::new(0),
            user_frame: AtomicU64::new(0),
            user_rsp_scratch: AtomicU64::new(0),
            trap_calls: AtomicU64::new(0),
            index: AtomicU32::new(0),
            apic_id: AtomicU32::new(0),
            online: AtomicBool::new(false),
            timer_interrupts: AtomicU64::new(0),
            interrupts: AtomicU64::new(0),
            slice_timer: AtomicU64::new(0),
            slice_timer_interrupts: AtomicU64::new(0),
            tables: UnsafeCell::new(CpuTables::new()),
            lapic: UnsafeCell::new(None),
            heap_cache: UnsafeCell::new(HeapCache::new()),
            zeroed_pool: UnsafeCell::new(ZeroedPool::new()),
            pcids: UnsafeCell::new(PcidCache::new()),
        }
    }

    /// This CPU's index (0 = BSP).
    pub fn index(&self) -> usize {
        self.index.load(Ordering::Relaxed) as usize
    }

    #[allow(clippy::mut_from_ref)]
    #[inline]
    fn owned<T>(&self, cell: &UnsafeCell<T>) -> &mut T {
        assert!(
            core::ptr::eq(self, current()),
            "per-CPU state used from another CPU"
        );
        // SAFETY: only the owning CPU gets here (checked above), and each
        // accessor below states why its uses never overlap.
        unsafe { &mut *cell.get() }
    }

    /// This CPU's GDT and TSS: used once, by the CPU's bring-up.
    #[allow(clippy::mut_from_ref)]
    pub fn tables(&self) -> &mut CpuTables {
        self.owned(&self.tables)
    }
}

/// Points the calling CPU's ring-3 entry stack (TSS `rsp0`) and its syscall entry at
/// the register frame `frame` (`user_entry.rs`); called with interrupts disabled right
/// before entering user mode (or, for a nested run, right after leaving it), and nothing
/// else touches the TSS after bring-up. (The block is the calling CPU's by construction:
/// no owner check, as for [`current_heap_cache`].)
#[inline]
pub fn set_current_user_frame(frame: u64, frame_end: u64) {
    let cpu = current();
    // SAFETY: the block is the calling CPU's own; bring-up (`tables`) is over before any
    // user mode, and this, the TSS's only other user, runs with interrupts off, so the
    // two never overlap.
    unsafe { &mut *cpu.tables.get() }.set_ring0_stack(frame_end);
    cpu.user_frame.store(frame, Ordering::Relaxed);
}

impl PerCpu {
    /// This CPU's local APIC. Interrupt handlers never use it (they use
    /// `apic::raw`), and no caller holds it while calling another user.
    #[allow(clippy::mut_from_ref)]
    pub fn lapic(&self) -> &mut Option<LocalApicHandle> {
        self.owned(&self.lapic)
    }

    /// This CPU's PCIDs: used only by `pcid`, with interrupts off, right before a CR3
    /// load (or to read what was loaded), one use at a time.
    #[allow(clippy::mut_from_ref)]
    pub fn pcids(&self) -> &mut PcidCache {
        self.owned(&self.pcids)
    }

    /// This CPU's zeroed frames: used only by `zeroed_frames`, in thread context, one
    /// operation at a time (see that module).
    #[allow(clippy::mut_from_ref)]
    pub fn zeroed_pool(&self) -> &mut ZeroedPool {
        self.owned(&self.zeroed_pool)
    }
}

/// Offsets of the fields the entry assembly reaches through `gs`.
pub mod offsets {
    use super::PerCpu;
    /// `PerCpu::kernel_rsp`.
    pub const KERNEL_RSP: usize = core::mem::offset_of!(PerCpu, kernel_rsp);
    /// `PerCpu::user_frame`.
    pub const USER_FRAME: usize = core::mem::offset_of!(PerCpu, user_frame);
    /// `PerCpu::user_rsp_scratch`.
    pub const USER_RSP_SCRATCH: usize = core::mem::offset_of!(PerCpu, user_rsp_scratch);
}

static CPUS: [PerCpu; MAX_CPUS] = [const { PerCpu::new() }; MAX_CPUS];

/// The block of CPU `index`.
pub fn cpu(index: usize) -> &'static PerCpu {
    &CPUS[index]
}

/// Points GS at block `index` on the calling CPU; called once per CPU at entry.
pub fn install(index: usize) {
    let block = &CPUS[index];
    let addr = block as *const PerCpu as u64;
    block.self_ptr.store(addr, Ordering::Relaxed);
    block.index.store(index as u32, Ordering::Relaxed);
    GsBase::write(x86_64::VirtAddr::new(addr));
    KernelGsBase::write(x86_64::VirtAddr::new(0));
}

/// The calling CPU's heap caches: used only inside the allocator, with interrupts
/// disabled, and the allocator does not re-enter itself. (The block is the calling CPU's
/// by construction, so this skips `owned`'s check: one `gs` load, not two.)
#[inline]
pub fn current_heap_cache() -> &'static mut HeapCache {
    // SAFETY: the block is the calling CPU's own, and the allocator (the only caller)
    // uses it with interrupts disabled and never re-enters itself, so no two uses overlap.
    unsafe { &mut *current().heap_cache.get() }
}

/// The calling CPU's block.
pub fn current() -> &'static PerCpu {
    let addr: u64;
    // SAFETY: `install` ran first on every CPU (it is the first thing entry code
    // does), so gs:0 holds this CPU's block address.
    unsafe {
        core::arch::asm!("mov {}, gs:[0]", out(reg) addr, options(nostack, readonly, preserves_flags))
    };
    // SAFETY: the address is one of `CPUS`, a static.
    unsafe { &*(addr as *const PerCpu) }
}
