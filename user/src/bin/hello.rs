//! `hello`: prints `hello from user space, pid <N>` and exits with 0.

#![no_std]
#![no_main]

use mohhos_user::{entry, getpid, println};

entry!(main);

fn main() -> i32 {
    println!("hello from user space, pid {}", getpid());
    0
}
