//! ACPI: finds the RSDP, reads the MADT (processors, I/O APIC, ISA overrides)
//! and the FADT plus the DSDT's `\_S5` object (for power-off).

use super::paging::phys_to_virt;
use acpi::madt::{Madt, MadtEntry};
use acpi::{AcpiHandler, AcpiTables, PhysicalMapping, fadt::Fadt};
use alloc::vec::Vec;
use core::ptr::NonNull;

/// Reaches ACPI tables through the direct map.
#[derive(Clone, Copy, Debug)]
struct DirectMap;

impl AcpiHandler for DirectMap {
    unsafe fn map_physical_region<T>(
        &self,
        physical: usize,
        size: usize,
    ) -> PhysicalMapping<Self, T> {
        let virt =
            NonNull::new(phys_to_virt(physical as u64) as *mut T).expect("direct map is non-null");
        // SAFETY: all physical memory is mapped at the direct map for ever.
        unsafe { PhysicalMapping::new(physical, virt, size, size, *self) }
    }

    fn unmap_physical_region<T>(_region: &PhysicalMapping<Self, T>) {}
}

/// One processor the firmware lists as enabled.
#[derive(Clone, Copy, Debug)]
pub struct CpuEntry {
    /// Its local APIC id.
    pub apic_id: u32,
}

/// An ISA IRQ's routing to an I/O APIC input.
#[derive(Clone, Copy, Debug)]
pub struct IsaOverride {
    pub irq: u8,
    pub gsi: u32,
    /// MPS INTI flags (polarity bits 0-1, trigger bits 2-3).
    pub flags: u16,
}

/// The ACPI sleep-control values for S5 (soft off).
#[derive(Clone, Copy, Debug)]
pub struct PowerOff {
    /// SMI command port and the value that hands the ACPI registers to the OS
    /// (legacy-BIOS firmware that boots with ACPI disabled); `None` when the
    /// firmware has no such switch.
    pub acpi_enable: Option<(u16, u8)>,
    pub pm1a_control: u16,
    pub pm1b_control: Option<u16>,
    pub slp_typ_a: u16,
    pub slp_typ_b: u16,
}

/// What the firmware says about the machine.
pub struct Platform {
    /// Enabled processors, in MADT order.
    pub cpus: Vec<CpuEntry>,
    /// The first I/O APIC: physical address and first GSI.
    pub io_apic: Option<(u64, u32)>,
    /// ISA IRQ overrides.
    pub overrides: Vec<IsaOverride>,
    /// How to power off, when the firmware describes it.
    pub power_off: Option<PowerOff>,
}

/// Why the platform could not be read.
#[derive(Debug)]
pub enum AcpiError {
    /// No RSDP in the BIOS areas.
    NoRsdp,
    /// A table is missing or malformed.
    Table(acpi::AcpiError),
}

impl core::fmt::Display for AcpiError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self {
            Self::NoRsdp => write!(f, "no valid RSDP (from the loader or the BIOS areas)"),
            Self::Table(e) => write!(f, "bad or missing table: {e:?}"),
        }
    }
}

/// Reads the tables, from the RSDP at physical `rsdp` when the loader gave one,
/// else from the one found in the BIOS areas.
pub fn discover(rsdp: Option<u64>) -> Result<Platform, AcpiError> {
    // SAFETY: `rsdp` (a copy in the kernel image) and the BIOS areas are mapped
    // by the direct map; the crate checks the RSDP's signature and checksum.
    let tables = unsafe {
        match rsdp {
            Some(address) => AcpiTables::from_rsdp(DirectMap, address as usize),
            None => AcpiTables::search_for_rsdp_bios(DirectMap),
        }
    }
    .map_err(|_| AcpiError::NoRsdp)?;
    let madt = tables.find_table::<Madt>().map_err(AcpiError::Table)?;
    let mut platform = Platform {
        cpus: Vec::new(),
        io_apic: None,
        overrides: Vec::new(),
        power_off: None,
    };
    for entry in madt.get().entries() {
        match entry {
            MadtEntry::LocalApic(e) if e.flags & 1 != 0 => platform.cpus.push(CpuEntry {
                apic_id: u32::from(e.apic_id),
            }),
            MadtEntry::LocalX2Apic(e) if e.flags & 1 != 0 && e.x2apic_id != u32::MAX => {
                platform.cpus.push(CpuEntry {
                    apic_id: e.x2apic_id,
                })
            }
            MadtEntry::IoApic(e) if platform.io_apic.is_none() => {
                platform.io_apic =
                    Some((u64::from(e.io_apic_address), e.global_system_interrupt_base))
            }
            MadtEntry::InterruptSourceOverride(e) if e.bus == 0 => {
                platform.overrides.push(IsaOverride {
                    irq: e.irq,
                    gsi: e.global_system_interrupt,
                    flags: e.flags,
                })
            }
            _ => {}
        }
    }
    platform.power_off = power_off(&tables);
    Ok(platform)
}

fn io_port(address: Result<acpi::address::GenericAddress, acpi::AcpiError>) -> Option<u16> {
    let address = address.ok()?;
    (address.address_space == acpi::address::AddressSpace::SystemIo)
        .then_some(address.address as u16)
}

fn power_off(tables: &AcpiTables<DirectMap>) -> Option<PowerOff> {
    let fadt = tables.find_table::<Fadt>().ok()?;
    let pm1a_control = io_port(fadt.pm1a_control_block())?;
    let pm1b_control = fadt
        .pm1b_control_block()
        .ok()
        .flatten()
        .and_then(|b| io_port(Ok(b)));
    let dsdt = tables.dsdt().ok()?;
    let virt = phys_to_virt(dsdt.address as u64) as *const u8;
    // SAFETY: the DSDT's AML stream is `length` bytes of firmware memory,
    // mapped by the direct map and never written.
    let aml = unsafe { core::slice::from_raw_parts(virt, dsdt.length as usize) };
    let (slp_typ_a, slp_typ_b) = parse_s5(aml)?;
    let smi_cmd = fadt.smi_cmd_port;
    let enable = fadt.acpi_enable;
    let acpi_enable = (smi_cmd != 0 && enable != 0).then_some((smi_cmd as u16, enable));
    Some(PowerOff {
        acpi_enable,
        pm1a_control,
        pm1b_control,
        slp_typ_a,
        slp_typ_b,
    })
}

/// Finds `Name(_S5_, Package() { typ_a, typ_b, … })` in AML and returns the two
/// sleep types.
fn parse_s5(aml: &[u8]) -> Option<(u16, u16)> {
    let at = aml.windows(4).position(|w| w == b"_S5_")?;
    let named = (at >= 1 && aml[at - 1] == 0x08)
        || (at >= 2 && aml[at - 2] == 0x08 && aml[at - 1] == b'\\');
    if !named {
        return None;
    }
    let mut p = at + 4;
    if *aml.get(p)? != 0x12 {
        return None;
    }
    p += 1;
    p += usize::from(aml.get(p)? >> 6) + 1; // PkgLength
    p += 1; // NumElements
    let mut value = || -> Option<u16> {
        if *aml.get(p)? == 0x0A {
            p += 1;
        }
        let v = *aml.get(p)?;
        p += 1;
        Some(u16::from(v))
    };
    Some((value()?, value()?))
}
