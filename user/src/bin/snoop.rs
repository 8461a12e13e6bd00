//! `snoop`: reads, then writes, the address where `secret-keeper` keeps its secret (the
//! first region `map` hands out, the same in every process). In its own address space
//! nothing is mapped there, so the read page-faults and the kernel kills `snoop` alone.
//! Prints `snoop: read <byte>` and exits 1 if the read ever succeeds.

#![no_std]
#![no_main]

use mohhos_user::layout::MAP_BASE;
use mohhos_user::{entry, println};

entry!(main);

fn main() -> i32 {
    let target = MAP_BASE as *mut u8;
    // SAFETY: not safe, on purpose: the address is unmapped in this process, so the
    // read faults and the process ends here; were it mapped, the value is only printed.
    let byte = unsafe { core::ptr::read_volatile(target) };
    println!("snoop: read {byte:#x}");
    // SAFETY: as above (never reached while isolation holds).
    unsafe { core::ptr::write_volatile(target, 0) };
    1
}
