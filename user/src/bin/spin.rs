//! `spin`: loops for ever without a system call, so only a timer interrupt takes the CPU
//! back (the preemption test). Never exits.

#![no_std]
#![no_main]

use mohhos_user::entry;

entry!(main);

fn main() -> i32 {
    let mut n: u64 = 0;
    loop {
        // Keeps the loop from being folded away; no memory access, no system call.
        n = core::hint::black_box(n.wrapping_add(1));
    }
}
