//! A region's memory: whole 4 KiB pages, page aligned, so that the kernel can map them
//! into user address spaces as they are (zero copy between processes).

use alloc::boxed::Box;
use alloc::vec::Vec;

/// Bytes per page.
pub const PAGE_BYTES: usize = 4096;

/// One page of a region.
#[derive(Clone, Copy, bytemuck::Zeroable, bytemuck::Pod)]
#[repr(C, align(4096))]
struct Page([u8; PAGE_BYTES]);

/// `len` bytes in whole, page-aligned pages (the tail of the last page is zero and
/// never handed out as part of the region's bytes).
pub(super) struct Pages {
    pages: Box<[Page]>,
    len: usize,
}

impl Pages {
    /// `len` zero bytes, or `None` when the allocator cannot provide them.
    pub(super) fn zeroed(len: usize) -> Option<Pages> {
        let count = len.div_ceil(PAGE_BYTES);
        let mut pages = Vec::new();
        pages.try_reserve_exact(count).ok()?;
        pages.resize(count, Page([0; PAGE_BYTES]));
        Some(Pages {
            pages: pages.into_boxed_slice(),
            len,
        })
    }

    /// The region's bytes.
    pub(super) fn bytes(&self) -> &[u8] {
        &bytemuck::cast_slice(&self.pages)[..self.len]
    }

    /// The region's bytes, writable.
    pub(super) fn bytes_mut(&mut self) -> &mut [u8] {
        &mut bytemuck::cast_slice_mut(&mut self.pages)[..self.len]
    }

    /// The address of each page (they never move while the region lives).
    pub(super) fn addresses(&self) -> impl Iterator<Item = usize> + '_ {
        self.pages.iter().map(|page| page as *const Page as usize)
    }
}
