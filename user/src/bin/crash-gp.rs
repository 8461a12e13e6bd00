//! `crash-gp`: executes `cli` in ring 3. With IOPL 0 (what the kernel must give user
//! code) that is a general-protection fault (#GP); a kernel that leaves IOPL at 3 would
//! also let the program use I/O ports, so surviving `cli` is reported and exits 1.

#![no_std]
#![no_main]

use mohhos_user::{entry, println};

entry!(main);

fn main() -> i32 {
    // SAFETY: in ring 3 `cli` faults; if it did not, interrupts are off until the next
    // system call, which harms nothing of this program.
    unsafe { core::arch::asm!("cli", options(nomem, nostack)) };
    println!("crash-gp: cli did not fault (IOPL is not 0)");
    1
}
