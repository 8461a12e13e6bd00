//! Memory bring-up: kernel page tables, then the frame allocator (and with it
//! the heap, which takes its memory from the frame allocator on demand).

use super::paging::{self, KERNEL_VMA};
use crate::memory::{self, EarlyFrames, FrameBitmap, MemoryMap};

unsafe extern "C" {
    static __bss_end: u8;
}

/// Below this everything stays reserved (real-mode IVT, BIOS data, EBDA, the AP
/// trampoline at 0x8000, video memory, option ROMs).
const LOW_RESERVED: u64 = 1 << 20;
/// The boot tables identity-map only this much.
const IDENTITY_LIMIT: u64 = 1 << 30;

/// Builds and activates the kernel tables, then installs the frame allocator.
pub fn init(map: &MemoryMap) {
    let image_end = (&raw const __bss_end) as u64 - KERNEL_VMA;
    let mut early =
        EarlyFrames::new(map, image_end, IDENTITY_LIMIT).expect("no usable memory below 1 GiB");
    paging::activate(map, &mut early);
    let words = FrameBitmap::words_for(map.ram_end());
    let bytes = (words * 8) as u64;
    let bitmap_phys = early
        .alloc(bytes.div_ceil(memory::FRAME_SIZE))
        .expect("no room for the frame bitmap");
    // SAFETY: the early allocator just handed these frames out for good; they
    // are mapped writable at the direct map and nothing else refers to them.
    let bits = unsafe {
        core::slice::from_raw_parts_mut(paging::phys_to_virt(bitmap_phys) as *mut u64, words)
    };
    let reserved = [(0, LOW_RESERVED), (LOW_RESERVED, image_end), early.used()];
    memory::install_frame_allocator(FrameBitmap::new(bits, map, &reserved));
    let stats = memory::stats();
    log::info!(
        "memory: {} MiB usable, {} MiB free for frames",
        map.usable_bytes() >> 20,
        (stats.free as u64 * memory::FRAME_SIZE) >> 20
    );
}
