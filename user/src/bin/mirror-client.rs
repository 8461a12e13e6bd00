//! `mirror-client`: load on the replicated `svc.mirror` while its replicas crash.
//!
//! Makes [`CALLS`] calls, one after the other, each with a fresh number the answer
//! must echo plus one (an answer to an earlier request, or a second answer, would
//! not match); counts the replicas (pids) that answered. Prints
//! `mirror-client: sent S answered A failed F wrong W replicas R` and exits 0 if every
//! call was answered right (failover is transparent: no call may fail).

#![no_std]
#![no_main]

use mohhos_user::ipc::{self, Message};
use mohhos_user::{entry, println};

entry!(main);

/// Calls made.
const CALLS: u64 = 3000;
/// A call not answered in this time fails (the router gives up after 2 s).
const TIMEOUT_US: u64 = 5_000_000;

fn main() -> i32 {
    let Ok(cap) = ipc::connect("svc.mirror") else {
        println!("mirror-client: cannot connect to svc.mirror");
        return 1;
    };
    let (mut answered, mut failed, mut wrong) = (0u64, 0u64, 0u64);
    let mut pids = [0u64; 8];
    let mut replicas = 0;
    for i in 0..CALLS {
        // Both kinds of call: the message in registers, and in memory.
        let call = if i % 2 == 0 {
            ipc::call
        } else {
            ipc::call_in_memory
        };
        match call(cap, &Message::new(1, [i, 0, 0, 0, 0, 0]), TIMEOUT_US) {
            Ok(reply) if reply.data[0] == i + 1 => {
                answered += 1;
                let pid = reply.data[1];
                if !pids[..replicas].contains(&pid) && replicas < pids.len() {
                    pids[replicas] = pid;
                    replicas += 1;
                }
            }
            Ok(_) => wrong += 1,
            Err(_) => failed += 1,
        }
    }
    println!(
        "mirror-client: sent {CALLS} answered {answered} failed {failed} wrong {wrong} replicas {replicas}"
    );
    if answered == CALLS { 0 } else { 1 }
}
