//! The global allocator: talc, fed with read-write pages from `map` on demand (at
//! least 64 KiB at a time). Pages are never given back. A process is one thread, so the
//! spin lock is never contended; it only makes the static `Sync`.

#![allow(unsafe_code)]

use core::alloc::Layout;

use mohhos_abi::Prot;
use mohhos_abi::layout::PAGE_SIZE;
use talc::TalcLock;
use talc::base::Talc;
use talc::base::binning::Binning;
use talc::source::Source;

/// Smallest amount of memory the heap grows by.
const GROWTH: u64 = 64 * 1024;

/// Maps fresh pages when talc runs out.
#[derive(Debug)]
struct MapSource;

// SAFETY: `acquire` only makes the `map` system call; it never allocates.
unsafe impl Source for MapSource {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        // Room for the block at any alignment, talc's metadata (first heap) and tags.
        let overhead = (talc::min_first_heap_size::<B>() as u64) + PAGE_SIZE;
        let bytes = (layout.size() as u64)
            .checked_add(layout.align() as u64)
            .and_then(|n| n.checked_add(overhead))
            .and_then(|n| n.max(GROWTH).checked_next_multiple_of(PAGE_SIZE))
            .ok_or(())?;
        let addr = crate::sys::map(bytes, Prot::READ_WRITE).map_err(drop)?;
        // SAFETY: `map` returned `bytes` bytes of fresh read-write memory at `addr` that
        // nothing else uses and that is never unmapped.
        unsafe { talc.claim(addr as *mut u8, bytes as usize) }
            .map(drop)
            .ok_or(())
    }
}

#[global_allocator]
static HEAP: TalcLock<spin::Mutex<()>, MapSource> = TalcLock::new(MapSource);
