//! `handoff-client`: calls `user.handoff` (run `handoff-service` first) once for each way
//! the service's answer can come (see `handoff-service`), checking every answer and
//! error, and that the service still answers after each; prints
//! `handoff-client: 8 checks passed` and exits 0, or names the first failed check and
//! exits 1. Run on the service's core, the calls are handed to the parked service in the
//! client's trap; elsewhere they go through the queue: the outcomes are the same.

#![no_std]
#![no_main]

use mohhos_user::ipc::{self, Cap, Message};
use mohhos_user::{Error, entry, println, sleep_us};

entry!(main);

#[path = "handoff-service/protocol.rs"]
mod protocol;

use protocol::{ECHO, FAULT, REPLY_IN_MEMORY, SLEEP_FIRST, SPIN_FIRST, WRITE_FIRST};

/// Timeout of every call but the one that must time out (µs).
const PATIENT_US: u64 = 5_000_000;

fn main() -> i32 {
    let Some(cap) = ipc::connect_or_report("handoff-client", "user.handoff") else {
        return 1;
    };
    match checks(cap) {
        Ok(passed) => {
            println!("handoff-client: {passed} checks passed");
            0
        }
        Err(what) => {
            println!("handoff-client: {what}");
            1
        }
    }
}

fn checks(cap: Cap) -> Result<u32, &'static str> {
    for i in 0..100 {
        answered(cap, ECHO, i, 0, PATIENT_US).map_err(|_| "echo: wrong answer")?;
    }
    answered(cap, WRITE_FIRST, 10, 0, PATIENT_US).map_err(|_| "write first: wrong answer")?;
    answered(cap, SPIN_FIRST, 20, 20, PATIENT_US).map_err(|_| "spin first: wrong answer")?;
    answered(cap, REPLY_IN_MEMORY, 30, 0, PATIENT_US)
        .map_err(|_| "reply in memory: wrong answer")?;
    // The service sleeps 200 ms; the call gives up after 20 ms, and the late answer is
    // discarded: the next call gets its own answer.
    match answered(cap, SLEEP_FIRST, 40, 200_000, 20_000) {
        Err(Some(Error::Timeout)) => {}
        _ => return Err("sleep first: the call did not time out"),
    }
    answered(cap, ECHO, 50, 0, PATIENT_US).map_err(|_| "after the timeout: wrong answer")?;
    let _ = sleep_us(250_000);
    answered(cap, ECHO, 60, 0, PATIENT_US).map_err(|_| "after the late answer: wrong answer")?;
    match answered(cap, FAULT, 70, 0, PATIENT_US) {
        Err(Some(Error::PeerDied)) => {}
        _ => return Err("fault: the call did not end with PeerDied"),
    }
    Ok(8)
}

/// Calls with `tag`, `data[0] = value`, `data[1] = argument`; `Ok` when the answer is
/// the request with `value + 1`, `Err(Some(e))` for an error, `Err(None)` for a wrong
/// answer.
fn answered(
    cap: Cap,
    tag: u64,
    value: u64,
    argument: u64,
    timeout_us: u64,
) -> Result<(), Option<Error>> {
    let request = Message::new(tag, [value, argument, 3, 4, 5, 6]);
    let reply = ipc::call(cap, &request, timeout_us).map_err(Some)?;
    let expected = Message::new(tag, [value + 1, argument, 3, 4, 5, 6]);
    if reply == expected { Ok(()) } else { Err(None) }
}
