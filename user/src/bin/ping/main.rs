//! `ping`: 100 calls to the kernel's `kernel.echo` service, each answer checked; prints
//! `ping: 100 replies from kernel.echo` and exits 0, or says what went wrong and exits 1.

#![no_std]
#![no_main]

mod pinger;

mohhos_user::entry!(main);

fn main() -> i32 {
    // A second per call is plenty even under emulation.
    pinger::ping("kernel.echo", 100, 1_000_000)
}
