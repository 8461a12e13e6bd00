//! Physical memory: the boot memory map, the frame allocator and statistics.
//! Hardware-facing parts (page tables, the heap's memory source) are in
//! `arch::x86_64::paging` and `arch::x86_64::heap`.

mod frames;
mod map;

pub use frames::{EarlyFrames, FrameBitmap, FrameStats};
pub use map::{MemoryMap, Region, RegionKind};

use core::sync::atomic::{AtomicUsize, Ordering};

/// Size of a physical frame.
pub const FRAME_SIZE: u64 = 4096;

static FRAMES: spin::Once<spin::Mutex<FrameBitmap>> = spin::Once::new();

/// Frames in the CPUs' pools of zeroed frames (`arch::x86_64::zeroed_frames`): taken
/// from the allocator but free for every other purpose, so counted as free.
static POOLED: AtomicUsize = AtomicUsize::new(0);

/// Installs the frame allocator (once, on the BSP during boot).
pub fn install_frame_allocator(bitmap: FrameBitmap) {
    FRAMES.call_once(|| spin::Mutex::new(bitmap));
}

fn with_frames<R>(f: impl FnOnce(&mut FrameBitmap) -> R) -> Option<R> {
    let frames = FRAMES.get()?;
    Some(x86_64::instructions::interrupts::without_interrupts(|| {
        f(&mut frames.lock())
    }))
}

/// One free frame's physical address, or `None` when memory is exhausted.
pub fn alloc_frame() -> Option<u64> {
    with_frames(|f| f.alloc(1)).flatten()
}

/// One free frame for a pool of zeroed frames; it stays counted as free (changed under
/// the allocator's lock, so [`stats`] never sees it twice or not at all).
pub fn alloc_frame_for_pool() -> Option<u64> {
    with_frames(|f| {
        let frame = f.alloc(1)?;
        POOLED.fetch_add(1, Ordering::Relaxed);
        Some(frame)
    })
    .flatten()
}

/// A pooled frame was taken for use.
pub fn pooled_frame_taken() {
    POOLED.fetch_sub(1, Ordering::Relaxed);
}

/// `count` physically contiguous frames.
pub fn alloc_frames(count: usize) -> Option<u64> {
    with_frames(|f| f.alloc(count)).flatten()
}

/// Returns `count` frames starting at `addr` to the allocator.
pub fn free_frames(addr: u64, count: usize) {
    with_frames(|f| f.free(addr, count));
}

/// Frame counts for `mem`.
pub fn stats() -> FrameStats {
    with_frames(|f| {
        let mut stats = f.stats();
        stats.free += POOLED.load(Ordering::Relaxed);
        stats
    })
    .unwrap_or_default()
}
