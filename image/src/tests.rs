//! Hand-built ELF files, valid and hostile.

extern crate std;
use std::vec::Vec;

use super::*;

const EHDR: usize = 64;
const PHDR: usize = 56;

struct Ph {
    kind: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
}

fn load(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Ph {
    Ph {
        kind: PT_LOAD,
        flags,
        offset,
        vaddr,
        filesz,
        memsz,
    }
}

/// An ELF64 file with `phs`, entry `entry`, padded to `size` bytes of 0xCC.
fn elf(e_type: u16, machine: u16, entry: u64, phs: &[Ph], size: usize) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&e_type.to_le_bytes());
    f.extend_from_slice(&machine.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&entry.to_le_bytes());
    f.extend_from_slice(&(EHDR as u64).to_le_bytes()); // phoff
    f.extend_from_slice(&0u64.to_le_bytes()); // shoff
    f.extend_from_slice(&0u32.to_le_bytes()); // flags
    f.extend_from_slice(&(EHDR as u16).to_le_bytes());
    f.extend_from_slice(&(PHDR as u16).to_le_bytes());
    f.extend_from_slice(&(phs.len() as u16).to_le_bytes());
    f.extend_from_slice(&64u16.to_le_bytes()); // shentsize
    f.extend_from_slice(&0u16.to_le_bytes()); // shnum
    f.extend_from_slice(&0u16.to_le_bytes()); // shstrndx
    assert_eq!(f.len(), EHDR);
    for ph in phs {
        f.extend_from_slice(&ph.kind.to_le_bytes());
        f.extend_from_slice(&ph.flags.to_le_bytes());
        f.extend_from_slice(&ph.offset.to_le_bytes());
        f.extend_from_slice(&ph.vaddr.to_le_bytes());
        f.extend_from_slice(&ph.vaddr.to_le_bytes()); // paddr
        f.extend_from_slice(&ph.filesz.to_le_bytes());
        f.extend_from_slice(&ph.memsz.to_le_bytes());
        f.extend_from_slice(&0x1000u64.to_le_bytes());
    }
    f.resize(size.max(f.len()), 0xCC);
    f
}

const TEXT: u64 = 0x40_0000;
const DATA: u64 = 0x40_1000;

fn good() -> Vec<u8> {
    elf(
        ET_EXEC,
        EM_X86_64,
        TEXT + 0x10,
        &[
            load(PF_R | PF_X, 0x1000, TEXT, 0x100, 0x100),
            load(PF_R | PF_W, 0x1100, DATA, 0x10, 0x3000),
        ],
        0x2000,
    )
}

#[test]
fn a_valid_image_gives_its_plan() {
    let file = good();
    let image = parse(&file).expect("valid");
    assert_eq!(image.entry, TEXT + 0x10);
    let segments: Vec<_> = image.segments().copied().collect();
    assert_eq!(segments.len(), 2);
    assert_eq!(segments[0].prot, Prot::READ_EXEC);
    assert_eq!(segments[0].data, &file[0x1000..0x1100]);
    assert_eq!(segments[1].prot, Prot::READ_WRITE);
    assert_eq!(segments[1].mem_size, 0x3000);
    assert_eq!(image.page_count(), 1 + 3);
}

#[test]
fn every_truncation_is_refused_without_panicking() {
    let file = good();
    for len in 0..0x1100 {
        let result = parse(&file[..len]);
        assert!(result.is_err(), "accepted a file cut at {len}");
    }
}

#[test]
fn every_corrupted_header_byte_is_handled() {
    let file = good();
    for at in 0..EHDR + 2 * PHDR {
        for value in [0x00, 0xFF, 0x80] {
            let mut bad = file.clone();
            bad[at] = value;
            if let Ok(image) = parse(&bad) {
                // Whatever still parses must still satisfy every rule.
                for s in image.segments() {
                    assert!(layout::is_user_range(s.vaddr, s.mem_size));
                    assert!(!(s.prot.writable() && s.prot.executable()));
                }
            }
        }
    }
}

#[test]
fn wrong_kinds_of_file_are_refused() {
    let phs = [load(PF_R | PF_X, 0x1000, TEXT, 0x10, 0x10)];
    let dynamic = elf(3, EM_X86_64, TEXT, &phs, 0x2000);
    assert_eq!(parse(&dynamic).unwrap_err(), ImageError::NotExecutable);
    let arm = elf(ET_EXEC, 183, TEXT, &phs, 0x2000);
    assert_eq!(parse(&arm).unwrap_err(), ImageError::NotExecutable);
    assert_eq!(
        parse(b"not an elf file at all").unwrap_err(),
        ImageError::Malformed
    );
}

#[test]
fn writable_and_executable_segments_are_refused() {
    let file = elf(
        ET_EXEC,
        EM_X86_64,
        TEXT,
        &[load(PF_R | PF_W | PF_X, 0x1000, TEXT, 0x10, 0x10)],
        0x2000,
    );
    assert_eq!(parse(&file).unwrap_err(), ImageError::WritableAndExecutable);
}

#[test]
fn segments_outside_user_space_are_refused() {
    for vaddr in [
        0,
        0x1000,
        0xffff_8000_0000_0000,
        0x7fff_ffff_f000,
        u64::MAX - 0xfff,
    ] {
        let file = elf(
            ET_EXEC,
            EM_X86_64,
            vaddr,
            &[load(PF_R | PF_X, 0x1000, vaddr, 0x10, 0x2000)],
            0x2000,
        );
        assert_eq!(
            parse(&file).unwrap_err(),
            ImageError::OutsideUserSpace,
            "vaddr {vaddr:#x}"
        );
    }
}

#[test]
fn file_ranges_must_be_inside_the_file() {
    let past_end = elf(
        ET_EXEC,
        EM_X86_64,
        TEXT,
        &[load(PF_R | PF_X, 0x1000, TEXT, 0x2000, 0x2000)],
        0x2000,
    );
    assert_eq!(parse(&past_end).unwrap_err(), ImageError::BadFileRange);
    let overflowing = elf(
        ET_EXEC,
        EM_X86_64,
        TEXT,
        &[load(PF_R | PF_X, u64::MAX - 4, TEXT, 0x10, 0x10)],
        0x2000,
    );
    assert_eq!(parse(&overflowing).unwrap_err(), ImageError::BadFileRange);
    let bigger_than_memory = elf(
        ET_EXEC,
        EM_X86_64,
        TEXT,
        &[load(PF_R | PF_X, 0x1000, TEXT, 0x20, 0x10)],
        0x2000,
    );
    assert_eq!(
        parse(&bigger_than_memory).unwrap_err(),
        ImageError::BadFileRange
    );
}

#[test]
fn segments_sharing_a_page_are_refused() {
    let file = elf(
        ET_EXEC,
        EM_X86_64,
        TEXT,
        &[
            load(PF_R | PF_X, 0x1000, TEXT, 0x10, 0x10),
            load(PF_R | PF_W, 0x1000, TEXT + 0x800, 0x10, 0x10),
        ],
        0x2000,
    );
    assert_eq!(parse(&file).unwrap_err(), ImageError::Overlap);
}

#[test]
fn the_entry_must_be_executable() {
    let in_data = elf(
        ET_EXEC,
        EM_X86_64,
        DATA,
        &[
            load(PF_R | PF_X, 0x1000, TEXT, 0x10, 0x10),
            load(PF_R | PF_W, 0x1000, DATA, 0x10, 0x10),
        ],
        0x2000,
    );
    assert_eq!(parse(&in_data).unwrap_err(), ImageError::BadEntry);
}

#[test]
fn empty_and_oversized_tables_are_refused() {
    let none = elf(ET_EXEC, EM_X86_64, TEXT, &[], 0x2000);
    assert_eq!(parse(&none).unwrap_err(), ImageError::NoSegments);
    let many: Vec<Ph> = (0..MAX_SEGMENTS as u64 + 1)
        .map(|i| load(PF_R, 0x1000, TEXT + i * 0x1000, 0x10, 0x10))
        .collect();
    let file = elf(ET_EXEC, EM_X86_64, TEXT, &many, 0x2000);
    assert_eq!(parse(&file).unwrap_err(), ImageError::TooManySegments);
}

#[test]
fn segments_without_access_are_refused() {
    let file = elf(
        ET_EXEC,
        EM_X86_64,
        TEXT,
        &[load(0, 0x1000, TEXT, 0x10, 0x10)],
        0x2000,
    );
    assert_eq!(parse(&file).unwrap_err(), ImageError::BadFlags);
}
