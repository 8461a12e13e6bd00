//! `crash-div`: an unsigned `div` by zero through asm (a Rust division would check and
//! panic instead), which raises #DE; the kernel must end the process.

#![no_std]
#![no_main]

use mohhos_user::{entry, println};

entry!(main);

fn main() -> i32 {
    let divisor = core::hint::black_box(0u64);
    let quotient: u64;
    // SAFETY: `div` only changes rax, rdx and the flags, all declared; with a zero
    // divisor it raises #DE.
    unsafe {
        core::arch::asm!(
            "div {divisor}",
            divisor = in(reg) divisor,
            inout("rax") 1u64 => quotient,
            inout("rdx") 0u64 => _,
            options(nomem, nostack),
        );
    }
    println!("crash-div: 1 / 0 = {quotient} without a fault");
    1
}
