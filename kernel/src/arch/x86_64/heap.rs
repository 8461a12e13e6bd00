//! The kernel heap: talc, fed with physically contiguous frames on demand.
//!
//! Interrupt handlers never allocate, so the heap lock is never wanted by an
//! interrupt that preempts its holder. Lock order: heap, then frames.

use super::paging::phys_to_virt;
use crate::memory::{self, FRAME_SIZE};
use core::alloc::Layout;
use talc::TalcLock;
use talc::base::Talc;
use talc::base::binning::Binning;
use talc::source::Source;

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

#[global_allocator]
static HEAP: TalcLock<spin::Mutex<()>, FrameSource> = TalcLock::new(FrameSource);

/// Heap figures for `mem`.
pub struct HeapStats {
    /// Bytes claimed from the frame allocator.
    pub claimed: usize,
    /// Bytes in live allocations.
    pub in_use: usize,
    /// Live allocations.
    pub allocations: usize,
}

/// Current heap figures.
pub fn stats() -> HeapStats {
    x86_64::instructions::interrupts::without_interrupts(|| {
        let talc = HEAP.lock();
        let counters = talc.counters();
        HeapStats {
            claimed: counters.claimed_bytes,
            in_use: counters.allocated_bytes,
            allocations: counters.allocation_count,
        }
    })
}
