//! Interrupt vector numbers.

/// Non-maskable interrupt (also how a dying CPU stops the others).
pub const NMI: u8 = 2;
/// Double fault.
pub const DOUBLE_FAULT: u8 = 8;
/// Machine check.
pub const MACHINE_CHECK: u8 = 18;
/// Local APIC timer.
pub const TIMER: u8 = 0x20;
/// Local APIC error.
pub const APIC_ERROR: u8 = 0x21;
/// Wake-up IPI: its only effect is to end a `hlt`.
pub const WAKE: u8 = 0x22;
/// COM1 receive (ISA IRQ 4 through the I/O APIC).
pub const COM1: u8 = 0x24;
/// First of the 16 vectors the masked legacy PICs are moved to; only their
/// spurious interrupts (IRQ 7 and 15) can still arrive, and are ignored.
pub const LEGACY_PIC_BASE: u8 = 0x30;
/// Local APIC spurious interrupt.
pub const SPURIOUS: u8 = 0xFF;
