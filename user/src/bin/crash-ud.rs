//! `crash-ud`: executes `ud2`, which always raises #UD (invalid opcode); the kernel must
//! end the process.

#![no_std]
#![no_main]

use mohhos_user::{entry, println};

entry!(main);

fn main() -> i32 {
    // SAFETY: `ud2` raises #UD and changes nothing. The asm claims it returns, so a
    // kernel that resumes after it reaches the line below.
    unsafe { core::arch::asm!("ud2", options(nomem, nostack)) };
    println!("crash-ud: ud2 did not fault");
    1
}
