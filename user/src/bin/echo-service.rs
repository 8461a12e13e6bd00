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
    let cap = match ipc::register(NAME) {
        Ok(cap) => cap,
        Err(e) => {
            println!("echo-service: cannot register {NAME}: {e}");
            return 1;
        }
    };
    println!("echo-service: serving {NAME}");
    loop {
        match ipc::recv(cap) {
            Ok((_, 0)) => {}
            Ok((mut message, token)) => {
                message.data[0] = message.data[0].wrapping_add(1);
                // A caller that gave up (timeout) is its loss, nothing to do here.
                let _ = ipc::reply(token, &message);
            }
            Err(e) => {
                println!("echo-service: receive failed: {e}");
                return 1;
            }
        }
    }
}
