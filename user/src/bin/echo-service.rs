//! `echo-service`: registers `user.echo` and answers every call with the request, its
//! first data word plus one, until killed; one-way messages are dropped. Prints
//! `echo-service: serving user.echo` once registered.

#![no_std]
#![no_main]

use mohhos_user::ipc;
use mohhos_user::{entry, println};

entry!(main);

const NAME: &str = "user.echo";

fn main() -> i32 {
    let Some(cap) = ipc::register_or_report("echo-service", NAME) else {
        return 1;
    };
    println!("echo-service: serving {NAME}");
    let error = ipc::serve_echo(cap);
    println!("echo-service: receive failed: {error}");
    1
}
