//! `crash-bad-stack`: points `rsp` at a non-canonical address and spins, so that the
//! next interrupt (its time slice's end) leaves user mode with a stack pointer the CPU
//! cannot return to with `iretq`. The kernel must end only this process (a general
//! protection fault), never fault itself.

#![no_std]
#![no_main]

use mohhos_user::entry;

entry!(main);

fn main() -> i32 {
    // SAFETY: not safe, on purpose: the stack pointer becomes unusable and nothing
    // after this runs; the process is expected to die here.
    unsafe {
        core::arch::asm!(
            "mov rsp, {bad}",
            "2:",
            "jmp 2b",
            bad = in(reg) 0x8000_0000_0000_0000u64,
            options(noreturn)
        );
    }
}
