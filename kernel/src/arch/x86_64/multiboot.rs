//! Reads what the multiboot v1 loader (QEMU `-kernel`, GRUB) hands over: the
//! memory map and the command line. Runs on the boot page tables, where
//! physical memory below 1 GiB is identity-mapped; everything is copied out.

use crate::memory::{MemoryMap, Region, RegionKind};

const MULTIBOOT_MAGIC: u32 = 0x2BAD_B002;
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

/// Parses the multiboot information; `None` if the kernel was not started by a
/// multiboot loader.
pub fn parse(magic: u32, info: u32) -> Option<BootInfo> {
    if magic != MULTIBOOT_MAGIC {
        return None;
    }
    let info = u64::from(info);
    let flags = read_u32(info);
    let mut boot = BootInfo {
        memory: MemoryMap::new(),
        cmdline: [0; CMDLINE_MAX],
        cmdline_len: 0,
    };
    if flags & FLAG_MMAP != 0 {
        let length = u64::from(read_u32(info + 44));
        let mut entry = u64::from(read_u32(info + 48));
        let end = entry + length;
        while entry + 24 <= end {
            let size = u64::from(read_u32(entry));
            let kind = match read_u32(entry + 20) {
                1 => RegionKind::Usable,
                3 => RegionKind::AcpiReclaimable,
                4 => RegionKind::AcpiNvs,
                5 => RegionKind::Bad,
                _ => RegionKind::Reserved,
            };
            boot.memory.push(Region {
                start: read_u64(entry + 4),
                len: read_u64(entry + 12),
                kind,
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
        let mut addr = u64::from(read_u32(info + 16));
        while boot.cmdline_len < CMDLINE_MAX {
            let byte = read_u32(addr).to_le_bytes()[0];
            if byte == 0 {
                break;
            }
            boot.cmdline[boot.cmdline_len] = byte;
            boot.cmdline_len += 1;
            addr += 1;
        }
    }
    Some(boot)
}
