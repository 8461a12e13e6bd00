//! `ring-client`: sends 1 000 one-way messages to `user.echo` through the asynchronous
//! rings (four sender tasks on the user executor), then asks `ring-echo` with a direct
//! call how many arrived. Prints `ring-client: 1000 messages delivered` and exits 0,
//! or says what went wrong and exits 1.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::rc::Rc;
use core::cell::Cell;

use mohhos_user::executor::Runtime;
use mohhos_user::ipc::{self, Message};
use mohhos_user::{entry, println};

entry!(main);

const MESSAGES: u64 = 1000;
const SENDERS: u64 = 4;
/// `ring-echo`'s tag for "how many one-way messages arrived".
const COUNT: u64 = 3;

fn main() -> i32 {
    let Some(cap) = ipc::connect_or_report("ring-client", "user.echo") else {
        return 1;
    };
    let runtime = match Runtime::new(8) {
        Ok(runtime) => Rc::new(runtime),
        Err(e) => {
            println!("ring-client: no rings: {e}");
            return 1;
        }
    };
    let failures = Rc::new(Cell::new(0u64));
    for sender in 0..SENDERS {
        let (rt, failures) = (runtime.clone(), failures.clone());
        runtime.spawn(async move {
            for i in 0..MESSAGES / SENDERS {
                let message = Message::new(2, [sender, i, 0, 0, 0, 0]);
                if rt.send(cap, message).await.is_err() {
                    failures.set(failures.get() + 1);
                }
            }
        });
    }
    if let Err(e) = runtime.run() {
        println!("ring-client: ring_enter failed: {e}");
        return 1;
    }
    if failures.get() != 0 {
        println!("ring-client: {} sends failed", failures.get());
        return 1;
    }
    match ipc::call(cap, &Message::new(COUNT, [0; 6]), 1_000_000) {
        Ok(reply) if reply.data[0] == MESSAGES => {
            println!("ring-client: {MESSAGES} messages delivered");
            0
        }
        Ok(reply) => {
            println!(
                "ring-client: ring-echo counted {} of {MESSAGES}",
                reply.data[0]
            );
            1
        }
        Err(e) => {
            println!("ring-client: count call failed: {e}");
            1
        }
    }
}
