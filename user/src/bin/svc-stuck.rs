//! `svc-stuck`: a service that hangs on request (`stuck` in the service catalog, started
//! only by `start stuck`): it registers `svc.stuck`, answers calls like an echo service,
//! and on a message tagged [`HANG`] stops receiving for good (it spins), so that what
//! is sent to it afterwards waits: the health monitor's case.

#![no_std]
#![no_main]

use mohhos_user::{entry, ipc, println};

entry!(main);

/// The tag that makes it hang.
const HANG: u64 = 0xdead;

fn main() -> i32 {
    let Some(cap) = ipc::register_or_report("svc-stuck", "svc.stuck") else {
        return 1;
    };
    loop {
        match ipc::recv(cap) {
            Ok((message, _)) if message.tag == HANG => loop {
                core::hint::spin_loop();
            },
            Ok((_, 0)) => {}
            Ok((mut message, token)) => {
                message.data[0] = message.data[0].wrapping_add(1);
                let _ = ipc::reply(token, &message);
            }
            Err(e) => {
                println!("svc-stuck: receive failed: {e}");
                return 1;
            }
        }
    }
}
