//! `svc-echo`: the supervised echo service (`echo` in the kernel's service catalog).
//! Registers `svc.echo`, logs that it serves through the log service, then answers
//! every call with the request, its first data word plus one.

#![no_std]
#![no_main]

use mohhos_user::log::{self, Level};
use mohhos_user::{entry, ipc, println};

entry!(main);

const NAME: &str = "svc.echo";

fn main() -> i32 {
    let Some(cap) = ipc::register_or_report("svc-echo", NAME) else {
        return 1;
    };
    if let Err(e) = log::write(Level::Info, "serving svc.echo") {
        println!("svc-echo: cannot log: {e}");
    }
    let error = ipc::serve_echo(cap);
    println!("svc-echo: receive failed: {error}");
    1
}
