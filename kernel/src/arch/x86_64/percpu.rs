//! Per-CPU blocks, reached through GS.
//!
//! `CPUS[i]` belongs to CPU index `i` (0 = the bootstrap processor; APs get their
//! index in start order). GS_BASE of each CPU points at its own block, whose first
//! word points back at itself, so `current()` is one `mov` from `gs:0`.
//! Fields that only the owning CPU touches sit in `UnsafeCell`s reached through
//! [`PerCpu::local`]; everything another CPU may read is atomic.

use super::apic::LocalApicHandle;
use super::gdt::CpuTables;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use x86_64::registers::model_specific::{GsBase, KernelGsBase};

/// Most CPUs MOHHOS drives.
pub const MAX_CPUS: usize = 64;

/// State owned by one CPU and touched only while running on it.
pub struct CpuLocal {
    /// GDT and TSS of this CPU.
    pub tables: CpuTables,
    /// This CPU's local APIC, once enabled.
    pub lapic: Option<LocalApicHandle>,
}

/// One CPU's block.
#[repr(C)]
pub struct PerCpu {
    self_ptr: AtomicU64,
    index: AtomicU32,
    /// APIC id (x2APIC id where enabled).
    pub apic_id: AtomicU32,
    /// Set once the CPU runs its idle loop.
    pub online: AtomicBool,
    /// LAPIC timer interrupts taken.
    pub timer_interrupts: AtomicU64,
    /// All interrupts taken (exceptions excluded).
    pub interrupts: AtomicU64,
    local: UnsafeCell<CpuLocal>,
}

// SAFETY: `local` is only reached through `PerCpu::local`, which hands it out on
// the owning CPU alone (checked against GS); every other field is atomic.
unsafe impl Sync for PerCpu {}

impl PerCpu {
    const fn new() -> Self {
        Self {
            self_ptr: AtomicU64::new(0),
            index: AtomicU32::new(0),
            apic_id: AtomicU32::new(0),
            online: AtomicBool::new(false),
            timer_interrupts: AtomicU64::new(0),
            interrupts: AtomicU64::new(0),
            local: UnsafeCell::new(CpuLocal {
                tables: CpuTables::new(),
                lapic: None,
            }),
        }
    }

    /// This CPU's index (0 = BSP).
    pub fn index(&self) -> usize {
        self.index.load(Ordering::Relaxed) as usize
    }

    /// The owning CPU's private state.
    ///
    /// Callers must not keep two results alive at once, and interrupt handlers
    /// that use it must not interrupt another user: in practice only the CPU's
    /// bring-up path and its interrupt handlers (which do not nest) call it.
    #[allow(clippy::mut_from_ref)]
    pub fn local(&self) -> &mut CpuLocal {
        assert!(
            core::ptr::eq(self, current()),
            "per-CPU state used from another CPU"
        );
        // SAFETY: only the owning CPU gets here (checked above) and its uses do
        // not overlap (see the doc comment).
        unsafe { &mut *self.local.get() }
    }
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
