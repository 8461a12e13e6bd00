//! Frames zeroed ahead of time, a few per CPU.
//!
//! Zeroing a 4 KiB frame is the biggest part of mapping a page into a process, so
//! each CPU zeroes free frames while it idles (as FreeBSD's and Windows' zero-page
//! lists do; seL4 likewise zeroes memory when it is retyped, not when it is mapped),
//! and [`take`] hands one out with no zeroing and no frame-allocator lock. A CPU with
//! an empty pool zeroes a frame on the spot.
//!
//! Pooled frames count as free in the frame statistics (`memory::stats`), so moving a
//! frame into a pool or out of it never looks like a leak.
//!
//! Each pool is touched only by its own CPU, in thread context (tasks and the idle
//! loop; interrupt handlers never map pages), and no operation calls another, so the
//! accesses never overlap.

use super::paging;
use super::percpu;
use crate::memory;

/// Frames each CPU keeps zeroed.
pub const POOL_FRAMES: usize = 32;

/// One CPU's zeroed frames (physical addresses).
pub struct ZeroedPool {
    frames: [u64; POOL_FRAMES],
    len: usize,
}

impl ZeroedPool {
    /// An empty pool.
    pub const fn new() -> Self {
        Self {
            frames: [0; POOL_FRAMES],
            len: 0,
        }
    }
}

/// Fills the frame at `phys`, owned by the caller, with zeros.
pub(super) fn zero(phys: u64) {
    // SAFETY: the caller owns the frame (just taken from the allocator or a pool, and
    // not mapped anywhere else), and the direct map covers all of physical memory.
    unsafe {
        core::ptr::write_bytes(
            paging::phys_to_virt(phys) as *mut u8,
            0,
            memory::FRAME_SIZE as usize,
        )
    };
}

/// A zeroed frame owned by the caller: from this CPU's pool, else allocated and zeroed
/// now. `None` when memory is exhausted.
pub fn take() -> Option<u64> {
    let pool = percpu::current().zeroed_pool();
    if pool.len > 0 {
        pool.len -= 1;
        memory::pooled_frame_taken();
        return Some(pool.frames[pool.len]);
    }
    let frame = memory::alloc_frame()?;
    zero(frame);
    Some(frame)
}

/// Zeroes one free frame into this CPU's pool unless the pool is full or memory is
/// short; whether it did (the idle loop calls it until it says no).
pub fn refill_one() -> bool {
    if percpu::current().zeroed_pool().len == POOL_FRAMES {
        return false;
    }
    let Some(frame) = memory::alloc_frame_for_pool() else {
        return false;
    };
    zero(frame);
    let pool = percpu::current().zeroed_pool();
    pool.frames[pool.len] = frame;
    pool.len += 1;
    true
}
