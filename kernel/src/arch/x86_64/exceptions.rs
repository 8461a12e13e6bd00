//! CPU exceptions: one clear report, then the machine stops.

use super::idt::InterruptFrame;
use super::{paging, percpu, serial, stop};
use x86_64::registers::control::Cr2;

/// Mnemonic (empty where there is none) and name of each exception vector.
const NAMES: [(&str, &str); 32] = [
    ("#DE", "divide error"),
    ("#DB", "debug"),
    ("NMI", "non-maskable interrupt"),
    ("#BP", "breakpoint"),
    ("#OF", "overflow"),
    ("#BR", "bound range exceeded"),
    ("#UD", "invalid opcode"),
    ("#NM", "device not available"),
    ("#DF", "double fault"),
    ("", "coprocessor segment overrun"),
    ("#TS", "invalid TSS"),
    ("#NP", "segment not present"),
    ("#SS", "stack-segment fault"),
    ("#GP", "general protection fault"),
    ("#PF", "page fault"),
    ("", "reserved 15"),
    ("#MF", "x87 floating-point error"),
    ("#AC", "alignment check"),
    ("#MC", "machine check"),
    ("#XM", "SIMD floating-point error"),
    ("#VE", "virtualization exception"),
    ("#CP", "control protection"),
    ("", "reserved 22"),
    ("", "reserved 23"),
    ("", "reserved 24"),
    ("", "reserved 25"),
    ("", "reserved 26"),
    ("", "reserved 27"),
    ("#HV", "hypervisor injection"),
    ("#VC", "VMM communication"),
    ("#SX", "security exception"),
    ("", "reserved 31"),
];

/// The mnemonic (`#PF`, empty for some) and the name (`page fault`) of exception
/// `vector`.
pub fn name(vector: u8) -> (&'static str, &'static str) {
    NAMES
        .get(usize::from(vector))
        .copied()
        .unwrap_or(("", "unknown exception"))
}

/// Reports the exception in `frame` and stops the machine.
pub fn fatal(frame: &InterruptFrame) -> ! {
    let vector = frame.vector as usize;
    // No allocation here: the heap may be what broke.
    let (mnemonic, name) = name(vector as u8);
    let space = if mnemonic.is_empty() { "" } else { " " };
    let cpu = percpu::current().index();
    serial::emergency_write(format_args!(
        "\nEXCEPTION: {mnemonic}{space}{name} (vector {vector}) on cpu {cpu}\n  error code {:#x}  rip {:#x}  rsp {:#x}  cs {:#x}  rflags {:#x}\n",
        frame.error_code, frame.rip, frame.rsp, frame.cs, frame.rflags
    ));
    if vector == 14 || vector == 8 {
        // A #DF on a kernel stack is most often a #PF that could not be
        // delivered, so CR2 still names the address that faulted first.
        let cr2 = Cr2::read_raw();
        serial::emergency_write(format_args!("  cr2 {cr2:#x} (faulting address)\n"));
        if paging::is_stack_guard(cr2) {
            serial::emergency_write(format_args!(
                "  stack overflow: {cr2:#x} is a stack guard page\n"
            ));
        }
    }
    stop::stop_machine()
}
