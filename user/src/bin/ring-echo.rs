//! `ring-echo`: the echo service written against the asynchronous rings and the user
//! executor. Registers `user.echo`; two server tasks receive and reply through the
//! ring: a call with tag [`COUNT`] is answered with the number of one-way messages
//! received since the last such call, any other call with its first data word plus one. Prints
//! `ring-echo: serving user.echo`, then serves until killed.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::rc::Rc;
use core::cell::Cell;

use mohhos_user::executor::Runtime;
use mohhos_user::ipc;
use mohhos_user::{entry, println};

entry!(main);

const NAME: &str = "user.echo";
/// A call asking how many one-way messages arrived.
const COUNT: u64 = 3;
/// Server tasks (each has at most one receive in flight; the kernel queues the rest).
const SERVERS: usize = 2;

fn main() -> i32 {
    let Some(cap) = ipc::register_or_report("ring-echo", NAME) else {
        return 1;
    };
    let runtime = match Runtime::new(16) {
        Ok(runtime) => Rc::new(runtime),
        Err(e) => {
            println!("ring-echo: no rings: {e}");
            return 1;
        }
    };
    let one_way = Rc::new(Cell::new(0u64));
    for _ in 0..SERVERS {
        let (rt, one_way) = (runtime.clone(), one_way.clone());
        runtime.spawn(async move {
            loop {
                match rt.recv(cap).await {
                    Ok((_, 0)) => one_way.set(one_way.get() + 1),
                    Ok((mut message, token)) => {
                        if message.tag == COUNT {
                            message.data[0] = one_way.replace(0);
                        } else {
                            message.data[0] = message.data[0].wrapping_add(1);
                        }
                        // A caller that gave up is its loss.
                        let _ = rt.reply(token, message).await;
                    }
                    Err(e) => {
                        println!("ring-echo: receive failed: {e}");
                        return;
                    }
                }
            }
        });
    }
    println!("ring-echo: serving {NAME}");
    match runtime.run() {
        Ok(()) => 1,
        Err(e) => {
            println!("ring-echo: ring_enter failed: {e}");
            1
        }
    }
}
