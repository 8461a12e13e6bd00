//! Physical frame allocation.
//!
//! `EarlyFrames` hands out frames by bumping through one region while the real
//! allocator does not exist yet (to build the kernel page tables and to hold the
//! bitmap itself). `FrameBitmap` then owns all usable RAM: one bit per frame,
//! set = in use. Invariant: a frame is handed out at most once until freed, and
//! frames outside usable RAM (or used by the kernel image, the loader's data,
//! the first MiB, or the early allocator) are never free.

use super::{FRAME_SIZE, MemoryMap};

/// Bump allocator over the largest usable region above `floor`.
pub struct EarlyFrames {
    start: u64,
    next: u64,
    end: u64,
}

impl EarlyFrames {
    /// Picks the largest usable region part in `[floor, ceiling)`.
    pub fn new(map: &MemoryMap, floor: u64, ceiling: u64) -> Option<Self> {
        map.usable()
            .map(|r| {
                (
                    r.start.max(floor).next_multiple_of(FRAME_SIZE),
                    r.end().min(ceiling) & !(FRAME_SIZE - 1),
                )
            })
            .filter(|(s, e)| s < e)
            .max_by_key(|(s, e)| e - s)
            .map(|(start, end)| Self {
                start,
                next: start,
                end,
            })
    }

    /// `count` contiguous frames.
    pub fn alloc(&mut self, count: u64) -> Option<u64> {
        let size = count * FRAME_SIZE;
        if self.end - self.next < size {
            return None;
        }
        let frame = self.next;
        self.next += size;
        Some(frame)
    }

    /// The range handed out so far.
    pub fn used(&self) -> (u64, u64) {
        (self.start, self.next)
    }
}

/// Frame counts.
#[derive(Clone, Copy, Default, Debug)]
pub struct FrameStats {
    /// Usable frames managed.
    pub total: usize,
    /// Frames currently free.
    pub free: usize,
}

/// The frame allocator proper.
pub struct FrameBitmap {
    bits: &'static mut [u64],
    total: usize,
    free: usize,
    hint: usize,
}

impl FrameBitmap {
    /// Number of `u64` words needed to cover physical memory up to `end`.
    pub fn words_for(end: u64) -> usize {
        (end / FRAME_SIZE).div_ceil(64) as usize
    }

    /// Builds the allocator over `bits` (all frames initially used), freeing the
    /// usable frames of `map` outside every `reserved` range.
    pub fn new(bits: &'static mut [u64], map: &MemoryMap, reserved: &[(u64, u64)]) -> Self {
        bits.fill(u64::MAX);
        let mut bitmap = Self {
            bits,
            total: 0,
            free: 0,
            hint: 0,
        };
        let limit = bitmap.bits.len() as u64 * 64 * FRAME_SIZE;
        for region in map.usable() {
            let start = region.start.next_multiple_of(FRAME_SIZE);
            let end = region.end().min(limit) & !(FRAME_SIZE - 1);
            bitmap.release(start, end, reserved);
        }
        let free: u32 = bitmap.bits.iter().map(|w| w.count_zeros()).sum();
        bitmap.total = free as usize;
        bitmap.free = free as usize;
        bitmap
    }

    /// Marks the frames of `[start, end)` free, except those in `reserved`.
    fn release(&mut self, start: u64, end: u64, reserved: &[(u64, u64)]) {
        if start >= end {
            return;
        }
        let overlap = reserved.iter().find(|&&(s, e)| s < end && start < e);
        match overlap {
            None => self.set_range(
                (start / FRAME_SIZE) as usize,
                (end / FRAME_SIZE) as usize,
                false,
            ),
            Some(&(s, e)) => {
                self.release(start, s & !(FRAME_SIZE - 1), reserved);
                self.release(e.next_multiple_of(FRAME_SIZE), end, reserved);
            }
        }
    }

    /// Sets frames `first..last` to `used`, a word at a time where it can.
    fn set_range(&mut self, mut first: usize, last: usize, used: bool) {
        while first < last && !first.is_multiple_of(64) {
            self.set(first, used);
            first += 1;
        }
        while first + 64 <= last {
            self.bits[first / 64] = if used { u64::MAX } else { 0 };
            first += 64;
        }
        while first < last {
            self.set(first, used);
            first += 1;
        }
    }

    fn is_used(&self, frame: usize) -> bool {
        self.bits[frame / 64] & (1 << (frame % 64)) != 0
    }

    fn set(&mut self, frame: usize, used: bool) {
        if used {
            self.bits[frame / 64] |= 1 << (frame % 64);
        } else {
            self.bits[frame / 64] &= !(1 << (frame % 64));
        }
    }

    /// `count` contiguous free frames (first fit from the last hint), marked used.
    pub fn alloc(&mut self, count: usize) -> Option<u64> {
        if count == 0 || count > self.free {
            return None;
        }
        let frames = self.bits.len() * 64;
        let start = self
            .find_run(self.hint, frames, count)
            .or_else(|| self.find_run(0, frames, count))?;
        self.set_range(start, start + count, true);
        self.free -= count;
        self.hint = start + count;
        Some(start as u64 * FRAME_SIZE)
    }

    fn find_run(&self, from: usize, to: usize, count: usize) -> Option<usize> {
        let mut run = 0;
        let mut frame = from;
        while frame < to {
            if run == 0 && frame.is_multiple_of(64) && self.bits[frame / 64] == u64::MAX {
                frame += 64;
                continue;
            }
            if self.is_used(frame) {
                run = 0;
            } else {
                run += 1;
                if run == count {
                    return Some(frame + 1 - count);
                }
            }
            frame += 1;
        }
        None
    }

    /// Returns `count` frames starting at `addr`; freeing a free frame is a bug.
    pub fn free(&mut self, addr: u64, count: usize) {
        let first = (addr / FRAME_SIZE) as usize;
        for frame in first..first + count {
            assert!(
                self.is_used(frame),
                "double free of frame {:#x}",
                frame as u64 * FRAME_SIZE
            );
            self.set(frame, false);
        }
        self.free += count;
        // Reuse freed frames first: keeps memory in use compact.
        self.hint = self.hint.min(first);
    }

    /// Current counts.
    pub fn stats(&self) -> FrameStats {
        FrameStats {
            total: self.total,
            free: self.free,
        }
    }
}
