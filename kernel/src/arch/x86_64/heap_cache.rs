//! Per-CPU caches in front of the kernel heap.
//!
//! Small allocations (up to 512 bytes, alignment up to 16) come from a free list
//! of their size class on the calling CPU, filled and drained in batches from
//! talc, so the common case takes no shared lock. Lists are touched only by
//! their own CPU with interrupts disabled (interrupt handlers never allocate),
//! which makes every list operation exclusive. A block freed on another CPU
//! simply joins that CPU's list: all blocks of a class are interchangeable.

use core::alloc::Layout;
use core::ptr::null_mut;

/// Size classes served by the caches.
const CLASSES: [usize; 6] = [16, 32, 64, 128, 256, 512];
/// Largest alignment a class block guarantees.
const CLASS_ALIGN: usize = 16;
/// Blocks moved per refill from talc.
const BATCH: usize = 16;
/// A list longer than this returns `BATCH` blocks to talc.
const HIGH_WATER: usize = 4 * BATCH;

/// One size class's free blocks on one CPU (linked through their first word).
#[derive(Clone, Copy)]
struct FreeList {
    head: *mut u8,
    len: usize,
}

/// The caches of one CPU.
pub struct HeapCache {
    lists: [FreeList; CLASSES.len()],
}

impl HeapCache {
    /// Empty caches.
    pub const fn new() -> Self {
        Self {
            lists: [FreeList {
                head: null_mut(),
                len: 0,
            }; CLASSES.len()],
        }
    }
}

/// `CLASS_BY_SIXTEENTHS[(size - 1) / 16]`: the class serving `size` (1..=512 bytes).
const CLASS_BY_SIXTEENTHS: [u8; 32] = {
    let mut table = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        let size = (i + 1) * 16;
        let mut class = 0;
        while CLASSES[class] < size {
            class += 1;
        }
        table[i] = class as u8;
        i += 1;
    }
    table
};

/// The class index serving `layout`, if any: the smallest class that holds its size
/// (one table load, no search).
#[inline]
pub fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size();
    if layout.align() > CLASS_ALIGN || size > CLASSES[CLASSES.len() - 1] {
        return None;
    }
    Some(usize::from(
        CLASS_BY_SIXTEENTHS[size.saturating_sub(1) / 16],
    ))
}

/// The layout of a class's blocks as talc sees them.
pub fn class_layout(class: usize) -> Layout {
    Layout::from_size_align(CLASSES[class], CLASS_ALIGN).expect("class sizes are valid layouts")
}

impl HeapCache {
    /// Takes a block of `class`, refilling from `refill` (talc) when empty.
    #[inline]
    pub fn pop(&mut self, class: usize, refill: impl FnMut() -> *mut u8) -> *mut u8 {
        let list = &mut self.lists[class];
        if list.head.is_null() {
            Self::refill(list, refill);
            if list.head.is_null() {
                return null_mut();
            }
        }
        let block = list.head;
        // SAFETY: every block on the list holds the next pointer in its first word.
        list.head = unsafe { (block as *mut *mut u8).read() };
        list.len -= 1;
        block
    }

    /// Moves up to `BATCH` fresh blocks from `refill` onto the empty `list`.
    #[cold]
    fn refill(list: &mut FreeList, mut refill: impl FnMut() -> *mut u8) {
        for _ in 0..BATCH {
            let block = refill();
            if block.is_null() {
                break;
            }
            // SAFETY: `block` is a fresh talc block of at least 16 bytes,
            // aligned to 16, owned by this list from now on.
            unsafe { (block as *mut *mut u8).write(list.head) };
            list.head = block;
            list.len += 1;
        }
    }

    /// Puts a block of `class` back; hands `BATCH` blocks to `release` (talc)
    /// when the list grows past its high-water mark.
    #[inline]
    pub fn push(&mut self, class: usize, block: *mut u8, release: impl FnMut(*mut u8)) {
        let list = &mut self.lists[class];
        // SAFETY: the caller owns `block` (a freed block of this class).
        unsafe { (block as *mut *mut u8).write(list.head) };
        list.head = block;
        list.len += 1;
        if list.len > HIGH_WATER {
            Self::drain(list, release);
        }
    }

    /// Hands `BATCH` blocks of the over-full `list` to `release`.
    #[cold]
    fn drain(list: &mut FreeList, mut release: impl FnMut(*mut u8)) {
        for _ in 0..BATCH {
            let victim = list.head;
            // SAFETY: as in `pop`.
            list.head = unsafe { (victim as *mut *mut u8).read() };
            list.len -= 1;
            release(victim);
        }
    }
}
