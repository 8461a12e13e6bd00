//! User program images: an ELF64 executable checked and turned into a load plan.
//!
//! Everything about the file is untrusted. [`parse`] accepts only a static x86_64
//! executable (`ET_EXEC`) whose loadable segments lie in the user half, are each
//! readable, never writable and executable at once (W^X), do not share pages with one
//! another, take their bytes from inside the file, and whose entry point is in an
//! executable segment. Anything else is an [`ImageError`]; nothing here panics on bad
//! input (the tests feed it truncated and corrupted files).

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use core::fmt;

use elf::ElfBytes;
use elf::abi::{EM_X86_64, ET_EXEC, PF_R, PF_W, PF_X, PT_LOAD};
use elf::endian::LittleEndian;
use elf::file::Class;
use mohhos_abi::Prot;
use mohhos_abi::layout::{self, PAGE_SIZE};

/// The most loadable segments an image may have.
pub const MAX_SEGMENTS: usize = 16;

/// Why an image was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// Not a well-formed ELF file (truncated, bad magic, bad tables).
    Malformed,
    /// Not a 64-bit little-endian x86_64 static executable.
    NotExecutable,
    /// No loadable segment.
    NoSegments,
    /// More than [`MAX_SEGMENTS`] loadable segments.
    TooManySegments,
    /// A segment is writable and executable (W^X).
    WritableAndExecutable,
    /// A segment has no access at all, or flags beyond R/W/X.
    BadFlags,
    /// A segment (or the entry point) lies outside the user half, or its end overflows.
    OutsideUserSpace,
    /// A segment's file bytes lie outside the file, or exceed its memory size.
    BadFileRange,
    /// Two segments share a page.
    Overlap,
    /// The entry point is not inside an executable segment.
    BadEntry,
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageError::Malformed => "malformed ELF file",
            ImageError::NotExecutable => "not a static x86_64 ELF64 executable",
            ImageError::NoSegments => "no loadable segment",
            ImageError::TooManySegments => "too many loadable segments",
            ImageError::WritableAndExecutable => "a segment is writable and executable",
            ImageError::BadFlags => "a segment has bad access flags",
            ImageError::OutsideUserSpace => "a segment or the entry lies outside user space",
            ImageError::BadFileRange => "a segment's file range is bad",
            ImageError::Overlap => "two segments share a page",
            ImageError::BadEntry => "the entry point is not in an executable segment",
        })
    }
}

/// One loadable segment: map `[vaddr, vaddr + mem_size)` with `prot`, copy `data` to
/// `vaddr`, the rest is zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Where the segment starts (need not be page aligned).
    pub vaddr: u64,
    /// Bytes in memory (at least `data.len()`).
    pub mem_size: u64,
    /// The bytes from the file.
    pub data: &'a [u8],
    /// Access rights.
    pub prot: Prot,
}

impl Segment<'_> {
    /// The first page and one past the last page the segment covers.
    pub fn pages(&self) -> (u64, u64) {
        let start = self.vaddr & !(PAGE_SIZE - 1);
        let end = (self.vaddr + self.mem_size).next_multiple_of(PAGE_SIZE);
        (start, end)
    }
}

/// A checked image: its segments (sorted by address) and entry point.
#[derive(Clone, Debug)]
pub struct Image<'a> {
    /// The first user instruction.
    pub entry: u64,
    segments: [Option<Segment<'a>>; MAX_SEGMENTS],
    count: usize,
}

impl<'a> Image<'a> {
    /// The loadable segments, lowest address first.
    pub fn segments(&self) -> impl Iterator<Item = &Segment<'a>> {
        self.segments[..self.count].iter().flatten()
    }

    /// Pages the segments need in total.
    pub fn page_count(&self) -> u64 {
        self.segments()
            .map(|s| {
                let (start, end) = s.pages();
                (end - start) / PAGE_SIZE
            })
            .sum()
    }
}

fn prot_of(flags: u32) -> Result<Prot, ImageError> {
    if flags & !(PF_R | PF_W | PF_X) != 0 || flags & (PF_R | PF_W | PF_X) == 0 {
        return Err(ImageError::BadFlags);
    }
    if flags & PF_W != 0 && flags & PF_X != 0 {
        return Err(ImageError::WritableAndExecutable);
    }
    Ok(match (flags & PF_W != 0, flags & PF_X != 0) {
        (true, _) => Prot::READ_WRITE,
        (_, true) => Prot::READ_EXEC,
        _ => Prot::READ,
    })
}

/// Checks `file` and returns its load plan.
pub fn parse(file: &[u8]) -> Result<Image<'_>, ImageError> {
    let elf = ElfBytes::<LittleEndian>::minimal_parse(file).map_err(|_| ImageError::Malformed)?;
    let header = &elf.ehdr;
    if header.class != Class::ELF64 || header.e_type != ET_EXEC || header.e_machine != EM_X86_64 {
        return Err(ImageError::NotExecutable);
    }
    let table = elf.segments().ok_or(ImageError::NoSegments)?;
    let mut image = Image {
        entry: header.e_entry,
        segments: [None; MAX_SEGMENTS],
        count: 0,
    };
    for ph in table.iter().filter(|ph| ph.p_type == PT_LOAD) {
        if ph.p_memsz == 0 {
            continue;
        }
        if image.count == MAX_SEGMENTS {
            return Err(ImageError::TooManySegments);
        }
        let prot = prot_of(ph.p_flags)?;
        if !layout::is_user_range(ph.p_vaddr, ph.p_memsz) {
            return Err(ImageError::OutsideUserSpace);
        }
        if ph.p_filesz > ph.p_memsz {
            return Err(ImageError::BadFileRange);
        }
        let data = usize::try_from(ph.p_offset)
            .ok()
            .zip(usize::try_from(ph.p_filesz).ok())
            .and_then(|(start, len)| file.get(start..start.checked_add(len)?))
            .ok_or(ImageError::BadFileRange)?;
        image.segments[image.count] = Some(Segment {
            vaddr: ph.p_vaddr,
            mem_size: ph.p_memsz,
            data,
            prot,
        });
        image.count += 1;
    }
    if image.count == 0 {
        return Err(ImageError::NoSegments);
    }
    image.segments[..image.count].sort_unstable_by_key(|s| s.map(|s| s.vaddr));
    let mut previous_end = 0;
    for segment in image.segments() {
        let (start, end) = segment.pages();
        if start < previous_end {
            return Err(ImageError::Overlap);
        }
        previous_end = end;
    }
    let entry_ok = image
        .segments()
        .any(|s| s.prot.executable() && (s.vaddr..s.vaddr + s.mem_size).contains(&image.entry));
    if !entry_ok {
        return Err(ImageError::BadEntry);
    }
    Ok(image)
}

#[cfg(test)]
mod tests;
