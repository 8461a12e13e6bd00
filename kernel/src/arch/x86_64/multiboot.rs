//! Reads what a multiboot v1 loader (QEMU `-kernel`, GRUB `multiboot`) or a
//! multiboot2 loader (GRUB `multiboot2`, also on UEFI) hands over: the memory map,
//! the command line and (multiboot2) a copy of the ACPI RSDP. Runs on the boot
//! page tables, where physical memory below 1 GiB is identity-mapped; everything
//! is copied out.

use crate::memory::{MemoryMap, Region, RegionKind};

const MULTIBOOT_MAGIC: u32 = 0x2BAD_B002;
const MULTIBOOT2_MAGIC: u32 = 0x36D7_6289;
const TAG_END: u32 = 0;
const TAG_CMDLINE: u32 = 1;
const TAG_MMAP: u32 = 6;
const TAG_ACPI_OLD: u32 = 14;
const TAG_ACPI_NEW: u32 = 15;
/// Bytes of an ACPI 2.0 RSDP (version 1 uses the first 20).
pub const RSDP_LEN: usize = 36;
const FLAG_MEMORY: u32 = 1 << 0;
const FLAG_CMDLINE: u32 = 1 << 2;
const FLAG_MMAP: u32 = 1 << 6;
const IDENTITY_LIMIT: u64 = 1 << 30;
const CMDLINE_MAX: usize = 256;

/// What the loader told the kernel.
pub struct BootInfo {
    /// Physical memory map.
    pub memory: MemoryMap,
    cmdline: [u8; CMDLINE_MAX],
    cmdline_len: usize,
    /// The RSDP, when the loader passed a copy (multiboot2; UEFI machines have
    /// no RSDP in the BIOS areas).
    pub rsdp: Option<[u8; RSDP_LEN]>,
}

impl BootInfo {
    /// The kernel command line (empty when the loader gave none).
    pub fn cmdline(&self) -> &str {
        core::str::from_utf8(&self.cmdline[..self.cmdline_len]).unwrap_or("")
    }
}

fn read_u32(phys: u64) -> u32 {
    assert!(phys + 4 <= IDENTITY_LIMIT, "multiboot data above 1 GiB");
    // SAFETY: the boot page tables identity-map physical 0..1 GiB and the loader
    // placed its structures there (checked above); reads are unaligned-safe.
    unsafe { core::ptr::read_unaligned(phys as *const u32) }
}

fn read_u64(phys: u64) -> u64 {
    u64::from(read_u32(phys)) | (u64::from(read_u32(phys + 4)) << 32)
}

fn region_kind(code: u32) -> RegionKind {
    match code {
        1 => RegionKind::Usable,
        3 => RegionKind::AcpiReclaimable,
        4 => RegionKind::AcpiNvs,
        5 => RegionKind::Bad,
        _ => RegionKind::Reserved,
    }
}

impl BootInfo {
    fn empty() -> Self {
        Self {
            memory: MemoryMap::new(),
            cmdline: [0; CMDLINE_MAX],
            cmdline_len: 0,
            rsdp: None,
        }
    }

    fn read_cmdline(&mut self, mut addr: u64) {
        while self.cmdline_len < CMDLINE_MAX {
            let byte = read_u32(addr).to_le_bytes()[0];
            if byte == 0 {
                break;
            }
            self.cmdline[self.cmdline_len] = byte;
            self.cmdline_len += 1;
            addr += 1;
        }
    }
}

/// Parses the loader's information; `None` if no multiboot loader started the
/// kernel.
pub fn parse(magic: u32, info: u32) -> Option<BootInfo> {
    match magic {
        MULTIBOOT_MAGIC => Some(parse_v1(u64::from(info))),
        MULTIBOOT2_MAGIC => Some(parse_v2(u64::from(info))),
        _ => None,
    }
}

fn parse_v1(info: u64) -> BootInfo {
    let flags = read_u32(info);
    let mut boot = BootInfo::empty();
    if flags & FLAG_MMAP != 0 {
        let length = u64::from(read_u32(info + 44));
        let mut entry = u64::from(read_u32(info + 48));
        let end = entry + length;
        while entry + 24 <= end {
            let size = u64::from(read_u32(entry));
            boot.memory.push(Region {
                start: read_u64(entry + 4),
                len: read_u64(entry + 12),
                kind: region_kind(read_u32(entry + 20)),
            });
            entry += size + 4;
        }
    } else if flags & FLAG_MEMORY != 0 {
        let lower = u64::from(read_u32(info + 4)) * 1024;
        let upper = u64::from(read_u32(info + 8)) * 1024;
        boot.memory.push(Region {
            start: 0,
            len: lower,
            kind: RegionKind::Usable,
        });
        boot.memory.push(Region {
            start: 1 << 20,
            len: upper,
            kind: RegionKind::Usable,
        });
    }
    if flags & FLAG_CMDLINE != 0 {
        boot.read_cmdline(u64::from(read_u32(info + 16)));
    }
    boot
}

fn parse_v2(info: u64) -> BootInfo {
    let mut boot = BootInfo::empty();
    let end = info + u64::from(read_u32(info));
    let mut tag = info + 8;
    while tag + 8 <= end {
        let (kind, size) = (read_u32(tag), u64::from(read_u32(tag + 4)));
        if kind == TAG_END || size < 8 {
            break;
        }
        match kind {
            TAG_CMDLINE => boot.read_cmdline(tag + 8),
            TAG_MMAP => {
                let entry_size = u64::from(read_u32(tag + 8)).max(24);
                let mut entry = tag + 16;
                while entry + 24 <= tag + size {
                    boot.memory.push(Region {
                        start: read_u64(entry),
                        len: read_u64(entry + 8),
                        kind: region_kind(read_u32(entry + 16)),
                    });
                    entry += entry_size;
                }
            }
            TAG_ACPI_OLD | TAG_ACPI_NEW if boot.rsdp.is_none() || kind == TAG_ACPI_NEW => {
                let mut rsdp = [0u8; RSDP_LEN];
                let len = ((size - 8) as usize).min(RSDP_LEN);
                for (i, byte) in rsdp.iter_mut().enumerate().take(len) {
                    *byte = read_u32(tag + 8 + i as u64).to_le_bytes()[0];
                }
                boot.rsdp = Some(rsdp);
            }
            _ => {}
        }
        tag += size.next_multiple_of(8);
    }
    boot
}
