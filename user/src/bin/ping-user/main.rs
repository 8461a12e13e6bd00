//! `ping-user`: 100 calls to the user-space `user.echo` (run `echo-service` first),
//! each answer checked; prints `ping: 100 replies from user.echo` and exits 0, or says
//! what went wrong and exits 1.

#![no_std]
#![no_main]

#[path = "../ping/pinger.rs"]
mod pinger;

mohhos_user::entry!(main);

fn main() -> i32 {
    pinger::ping("user.echo", 100, 1_000_000)
}
