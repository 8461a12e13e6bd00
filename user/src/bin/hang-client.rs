//! `hang-client`: tells `svc.stuck` to hang, then sends it four more messages that will
//! wait in its queue. Prints `hang-client: sent 5` and exits 0 (1 if a send failed).

#![no_std]
#![no_main]

use mohhos_user::ipc::{self, Message};
use mohhos_user::{entry, println};

entry!(main);

fn main() -> i32 {
    let Ok(cap) = ipc::connect("svc.stuck") else {
        println!("hang-client: cannot connect to svc.stuck");
        return 1;
    };
    let mut sent = 0;
    for tag in [0xdead, 1, 2, 3, 4] {
        if ipc::send(cap, &Message::new(tag, [0; 6])).is_ok() {
            sent += 1;
        }
    }
    println!("hang-client: sent {sent}");
    if sent == 5 { 0 } else { 1 }
}
