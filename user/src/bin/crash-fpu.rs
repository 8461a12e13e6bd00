//! `crash-fpu`: executes an x87 instruction. The FPU is off for every process (no
//! floating-point state may pass between them), so it faults with #NM.

#![no_std]
#![no_main]

use mohhos_user::{entry, println};

entry!(main);

fn main() -> i32 {
    // SAFETY: `fld1` only loads 1.0 onto the x87 stack; with the FPU off it faults.
    unsafe { core::arch::asm!("fninit", "fld1", options(nostack)) };
    println!("crash-fpu: fld1 did not fault");
    1
}
