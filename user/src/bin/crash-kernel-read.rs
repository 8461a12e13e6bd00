//! `crash-kernel-read`: reads the kernel's half at `0xffff_8000_0000_0000` (the direct
//! map of physical memory). The kernel's pages are supervisor-only, so this must page-fault
//! and end the process; the line after it runs only if it did not.

#![no_std]
#![no_main]

use mohhos_user::{entry, println};

entry!(main);

/// The first kernel address (the physical memory map).
const KERNEL_ADDR: u64 = 0xffff_8000_0000_0000;

fn main() -> i32 {
    let value: u64;
    // SAFETY: a load through asm with a register address: the compiler assumes nothing
    // about it. It must fault; if it does not, `value` is an ordinary integer.
    unsafe {
        core::arch::asm!(
            "mov {value}, qword ptr [{addr}]",
            addr = in(reg) KERNEL_ADDR,
            value = out(reg) value,
            options(nostack, readonly),
        );
    }
    println!("crash-kernel-read: read {value:#x} from {KERNEL_ADDR:#x} without a fault");
    1
}
