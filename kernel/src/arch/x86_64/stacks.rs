//! Kernel stacks in their own area, each above an unmapped guard page, so an
//! overflow faults (and the #DF handler, on its IST stack, reports it).

use super::paging::{self, MapError, STACKS_BASE};
use core::sync::atomic::{AtomicU64, Ordering};

/// Virtual space per stack: the stack at the top, the rest (including the page
/// just below the stack) never mapped.
const SLOT_SIZE: u64 = 1 << 20;

static NEXT_SLOT: AtomicU64 = AtomicU64::new(0);

/// Maps a new stack of `pages` pages and returns its top.
pub fn alloc(pages: u64) -> Result<u64, MapError> {
    assert!(pages * 4096 < SLOT_SIZE, "stack larger than its slot");
    let slot = NEXT_SLOT.fetch_add(1, Ordering::Relaxed);
    let top = STACKS_BASE + (slot + 1) * SLOT_SIZE;
    paging::map_fresh(top - pages * 4096, pages)?;
    Ok(top)
}
