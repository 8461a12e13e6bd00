//! The I/O APIC: routes legacy (ISA) IRQs to the BSP.

use super::acpi::Platform;
use super::paging::phys_to_virt;
use super::vectors;
use x2apic::ioapic::{IoApic, IrqFlags, IrqMode, RedirectionTableEntry};

/// Moves the legacy 8259 PICs' vectors off the exception range (the BIOS leaves
/// them at 0x08–0x0F, where a stray or spurious IRQ 7 would look like an
/// exception) to `vectors::LEGACY_PIC_BASE`, and masks every line, so that only
/// the APICs deliver interrupts.
pub fn disable_legacy_pic() {
    use x86_64::instructions::port::Port;
    let (mut master_cmd, mut master_data) = (Port::<u8>::new(0x20), Port::<u8>::new(0x21));
    let (mut slave_cmd, mut slave_data) = (Port::<u8>::new(0xA0), Port::<u8>::new(0xA1));
    // SAFETY: ports 0x20/0x21 and 0xA0/0xA1 are the two 8259s; this is their
    // standard initialisation (ICW1–ICW4) followed by masking every line.
    unsafe {
        master_cmd.write(0x11);
        slave_cmd.write(0x11);
        master_data.write(vectors::LEGACY_PIC_BASE);
        slave_data.write(vectors::LEGACY_PIC_BASE + 8);
        master_data.write(4);
        slave_data.write(2);
        master_data.write(1);
        slave_data.write(1);
        master_data.write(0xFF);
        slave_data.write(0xFF);
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
