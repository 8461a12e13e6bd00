//! Building a process's memory from a program image.

use super::memory::UserMemory;
use mohhos_abi::layout::{PAGE_SIZE, STACK_SIZE, STACK_TOP};
use mohhos_abi::{Error, Prot};
use mohhos_image::Image;

/// Maps and fills every segment of `image`, and the initial stack (below it an
/// unmapped guard page). Returns the entry point and the initial stack pointer.
pub fn load(memory: &mut UserMemory, image: &Image<'_>) -> Result<(u64, u64), Error> {
    for segment in image.segments() {
        let (start, end) = segment.pages();
        memory.map_at(start, (end - start) / PAGE_SIZE, segment.prot)?;
        memory.fill(segment.vaddr, segment.data)?;
    }
    memory.map_at(
        STACK_TOP - STACK_SIZE,
        STACK_SIZE / PAGE_SIZE,
        Prot::READ_WRITE,
    )?;
    Ok((image.entry, STACK_TOP))
}
