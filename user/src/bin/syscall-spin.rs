//! `syscall-spin`: makes `getpid` calls for ever (preemption test: the kernel handles
//! each at once, and must still end the process's turn when its time slice is over).

#![no_std]
#![no_main]

use mohhos_user::{entry, getpid};

entry!(main);

fn main() -> i32 {
    loop {
        core::hint::black_box(getpid());
    }
}
