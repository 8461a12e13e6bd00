//! The kernel heap: talc, fed with physically contiguous frames on demand.
//!
//! Small blocks are served by per-CPU caches (`heap_cache`), so the common case
//! takes no shared lock. Interrupt handlers never allocate, so the heap lock is never wanted by an
//! interrupt that preempts its holder. Lock order: heap, then frames.

use super::heap_cache::{class_layout, class_of};
use super::paging::phys_to_virt;
use super::percpu;
use crate::memory::{self, FRAME_SIZE};
use core::alloc::{GlobalAlloc, Layout};
use talc::TalcLock;
use talc::base::Talc;
use talc::base::binning::Binning;
use talc::source::Source;
use x86_64::instructions::interrupts::without_interrupts;

/// Smallest amount of memory the heap grows by.
const GROWTH: usize = 2 << 20;

/// Asks the frame allocator for more memory when talc runs out.
#[derive(Debug)]
pub struct FrameSource;

// SAFETY: `acquire` only calls the frame allocator, which never allocates.
unsafe impl Source for FrameSource {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let bytes = (layout.size() + layout.align() + 4096)
            .max(GROWTH)
            .next_multiple_of(FRAME_SIZE as usize);
        let phys = memory::alloc_frames(bytes / FRAME_SIZE as usize).ok_or(())?;
        // SAFETY: the frames were just taken from the frame allocator for good
        // and are mapped read-write at `phys_to_virt`.
        unsafe { talc.claim(phys_to_virt(phys) as *mut u8, bytes) }
            .map(|_| ())
            .ok_or(())
    }
}

static TALC: TalcLock<spin::Mutex<()>, FrameSource> = TalcLock::new(FrameSource);

/// The global allocator: per-CPU caches for small blocks, talc behind them.
struct KernelHeap;

#[global_allocator]
static HEAP: KernelHeap = KernelHeap;

fn talc_alloc(layout: Layout) -> *mut u8 {
    // SAFETY: forwarding a valid layout to talc's GlobalAlloc.
    unsafe { TALC.alloc(layout) }
}

fn talc_free(ptr: *mut u8, layout: Layout) {
    // SAFETY: `ptr` came from talc with this layout (class blocks always use the
    // class layout, others their own).
    unsafe { TALC.dealloc(ptr, layout) }
}

// SAFETY: class blocks come from talc with the class layout, which covers any
// layout mapped to that class (size ≤ class size, align ≤ 16), and go back to
// talc with the same layout; other layouts go straight to talc.
unsafe impl GlobalAlloc for KernelHeap {
    // Inline (the refills and drains stay out of line): a caller's constant layout then
    // folds its class lookup away.
    #[inline(always)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(layout) {
            Some(class) => without_interrupts(|| {
                let cache = percpu::current_heap_cache();
                cache.pop(class, || talc_alloc(class_layout(class)))
            }),
            None => talc_alloc(layout),
        }
    }

    #[inline(always)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class_of(layout) {
            Some(class) => without_interrupts(|| {
                let cache = percpu::current_heap_cache();
                cache.push(class, ptr, |block| talc_free(block, class_layout(class)));
            }),
            None => talc_free(ptr, layout),
        }
    }
}

/// Heap figures for `mem`.
pub struct HeapStats {
    /// Bytes claimed from the frame allocator.
    pub claimed: usize,
    /// Bytes handed out by talc (including blocks parked in per-CPU caches).
    pub in_use: usize,
    /// Live allocations.
    pub allocations: usize,
}

/// Current heap figures.
pub fn stats() -> HeapStats {
    x86_64::instructions::interrupts::without_interrupts(|| {
        let talc = TALC.lock();
        let counters = talc.counters();
        HeapStats {
            claimed: counters.claimed_bytes,
            in_use: counters.allocated_bytes,
            allocations: counters.allocation_count,
        }
    })
}
