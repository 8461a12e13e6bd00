//! `syscall-spin`: makes system calls for ever, each answered at once (preemption test).
//!
//! It alternates the two ways a call returns at once: `getpid`, answered by the
//! kernel's entry stub (only the slice timer ends such a turn), and a number no system
//! call has, answered by the process task's turn loop (which must end the turn itself
//! when the time slice is over).

#![no_std]
#![no_main]

use mohhos_user::syscall::syscall0;
use mohhos_user::{entry, getpid};

entry!(main);

/// A number that is no system call (`NoSuchSyscall`).
const NO_SUCH_SYSCALL: u64 = 0xffff;

fn main() -> i32 {
    loop {
        core::hint::black_box(getpid());
        // SAFETY: an unknown system call touches no memory of the program.
        core::hint::black_box(unsafe { syscall0(NO_SUCH_SYSCALL) });
    }
}
