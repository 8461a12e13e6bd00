//! `crash-null-write`: writes to address 0x10. The first 2 MiB of every address space
//! stay unmapped, so this must page-fault and end the process; the line after it runs
//! only if it did not.

#![no_std]
#![no_main]

use mohhos_user::{entry, println};

entry!(main);

/// A small offset from null.
const ADDR: u64 = 0x10;

fn main() -> i32 {
    // SAFETY: a store through asm with a register address to memory no Rust value lives
    // in. It must fault.
    unsafe {
        core::arch::asm!(
            "mov qword ptr [{addr}], {value}",
            addr = in(reg) ADDR,
            value = in(reg) 0x5a5a_u64,
            options(nostack),
        );
    }
    println!("crash-null-write: wrote to {ADDR:#x} without a fault");
    1
}
