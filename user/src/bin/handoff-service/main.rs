//! `handoff-service`: registers `user.handoff` and answers each call by its tag, so that
//! a caller on the service's core (where the kernel runs the parked service in the
//! caller's own trap, `docs/abi.md`) meets every way such a run can end:
//! - `ECHO` (any other tag): answers at once (the first data word plus one);
//! - `WRITE_FIRST`: prints a line first (another system call while it runs for the
//!   caller: it is handed back to its own task, which answers later);
//! - `SPIN_FIRST`: spins `data[1]` million TSC ticks first (past the time slice's end);
//! - `SLEEP_FIRST`: sleeps `data[1]` µs first (a caller with a shorter timeout gives up);
//! - `REPLY_IN_MEMORY`: answers with `ipc_reply` (the message in memory), then receives;
//! - `FAULT`: executes an invalid instruction (its callers get `PeerDied`).
//!
//! Prints `handoff-service: serving user.handoff` once registered.

#![no_std]
#![no_main]

use mohhos_user::ipc::{self, Message};
use mohhos_user::{entry, println, sleep_us, write};

entry!(main);

mod protocol;

use protocol::{ECHO, FAULT, REPLY_IN_MEMORY, SLEEP_FIRST, SPIN_FIRST, WRITE_FIRST};

const NAME: &str = "user.handoff";

fn main() -> i32 {
    let Some(cap) = ipc::register_or_report("handoff-service", NAME) else {
        return 1;
    };
    println!("handoff-service: serving {NAME}");
    let (mut answer, mut token) = (Message::default(), 0);
    loop {
        let (mut message, next) = match ipc::reply_recv(token, &answer, cap) {
            Ok(received) => received,
            Err(e) => {
                println!("handoff-service: receive failed: {e}");
                return 1;
            }
        };
        match message.tag {
            ECHO => {}
            WRITE_FIRST => {
                let _ = write(b"handoff-service: a line while answering\n");
            }
            SPIN_FIRST => spin(message.data[1] * 1_000_000),
            SLEEP_FIRST => {
                let _ = sleep_us(message.data[1]);
            }
            FAULT => {
                // SAFETY: `ud2` only raises #UD, which ends this process.
                unsafe { core::arch::asm!("ud2", options(nomem, nostack)) };
            }
            _ => {}
        }
        message.data[0] = message.data[0].wrapping_add(1);
        if message.tag == REPLY_IN_MEMORY {
            if let Err(e) = ipc::reply(next, &message) {
                println!("handoff-service: reply failed: {e}");
                return 1;
            }
            (answer, token) = (Message::default(), 0);
        } else {
            (answer, token) = (message, next);
        }
    }
}

/// Busy for `ticks` TSC ticks.
fn spin(ticks: u64) {
    // SAFETY: `rdtsc` only reads the time-stamp counter (user mode may: CR4.TSD is clear).
    let start = unsafe { core::arch::x86_64::_rdtsc() };
    // SAFETY: as above.
    while unsafe { core::arch::x86_64::_rdtsc() } - start < ticks {
        core::hint::spin_loop();
    }
}
