//! The I/O APIC: routes legacy (ISA) IRQs to the BSP.

use super::acpi::Platform;
use super::paging::phys_to_virt;
use x2apic::ioapic::{IoApic, IrqFlags, IrqMode, RedirectionTableEntry};

/// Masks the legacy 8259 PICs so that only the APICs deliver interrupts.
pub fn disable_legacy_pic() {
    // SAFETY: ports 0x21 and 0xA1 are the 8259 data ports; writing 0xFF masks
    // every line, which is all we want from them.
    unsafe {
        x86_64::instructions::port::Port::<u8>::new(0x21).write(0xFF);
        x86_64::instructions::port::Port::<u8>::new(0xA1).write(0xFF);
    }
}

/// Routes ISA `irq` (through the firmware's overrides) to `vector` on the CPU
/// with APIC id `apic_id`. Returns `false` when there is no I/O APIC.
pub fn route_isa_irq(platform: &Platform, irq: u8, vector: u8, apic_id: u32) -> bool {
    let Some((address, gsi_base)) = platform.io_apic else {
        return false;
    };
    let over = platform.overrides.iter().find(|o| o.irq == irq);
    let gsi = over.map_or(u32::from(irq), |o| o.gsi);
    let Some(input) = gsi.checked_sub(gsi_base).and_then(|i| u8::try_from(i).ok()) else {
        return false;
    };
    let mut flags = IrqFlags::empty();
    if let Some(o) = over {
        if o.flags & 0b11 == 0b11 {
            flags |= IrqFlags::LOW_ACTIVE;
        }
        if (o.flags >> 2) & 0b11 == 0b11 {
            flags |= IrqFlags::LEVEL_TRIGGERED;
        }
    }
    let mut entry = RedirectionTableEntry::default();
    entry.set_vector(vector);
    entry.set_mode(IrqMode::Fixed);
    entry.set_flags(flags);
    entry.set_dest(apic_id as u8);
    // SAFETY: the I/O APIC's registers are mapped uncached in the direct map,
    // and only the BSP programs it, during boot.
    unsafe {
        let mut io_apic = IoApic::new(phys_to_virt(address));
        io_apic.set_table_entry(input, entry);
        io_apic.enable_irq(input);
    }
    true
}
