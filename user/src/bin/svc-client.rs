//! `svc-client`: load on the supervised `svc.echo` while it crashes and restarts.
//!
//! Calls `svc.echo` over and over, each answer checked, until it has lived through
//! [`OUTAGES`] outages (calls failing because the service died: `PeerDied`, `Stale`,
//! `NotFound` while it is restarted; each followed by a reconnection once it serves
//! again) or made [`MAX_CALLS`] calls. Then prints
//! `svc-client: calls C answered A failed F timed-out T wrong W outages O` and exits 0
//! if no call timed out (a request lost on the way) and none was answered wrong.

#![no_std]
#![no_main]

use mohhos_user::ipc::{self, Message};
use mohhos_user::{Error, entry, println, sleep_us};

entry!(main);

/// Outages to live through.
const OUTAGES: u64 = 10;
/// Most calls made.
const MAX_CALLS: u64 = 1_000_000;
/// A call not answered in this time counts as lost.
const TIMEOUT_US: u64 = 2_000_000;
/// Wait between reconnection attempts.
const RETRY_US: u64 = 200;

fn main() -> i32 {
    let (mut calls, mut answered, mut failed, mut timed_out, mut wrong, mut outages) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let mut cap = None;
    let mut down = false;
    while outages < OUTAGES && calls < MAX_CALLS {
        let connection = match cap {
            Some(c) => c,
            None => match ipc::connect("svc.echo") {
                Ok(c) => *cap.insert(c),
                Err(_) => {
                    let _ = sleep_us(RETRY_US);
                    continue;
                }
            },
        };
        calls += 1;
        match ipc::call(
            connection,
            &Message::new(1, [calls, 0, 0, 0, 0, 0]),
            TIMEOUT_US,
        ) {
            Ok(reply) if reply.data[0] == calls + 1 => {
                answered += 1;
                if down {
                    down = false;
                    outages += 1;
                }
            }
            Ok(_) => wrong += 1,
            Err(Error::Timeout) => timed_out += 1,
            Err(_) => {
                failed += 1;
                down = true;
                cap = None;
            }
        }
    }
    println!(
        "svc-client: calls {calls} answered {answered} failed {failed} timed-out {timed_out} wrong {wrong} outages {outages}"
    );
    if timed_out == 0 && wrong == 0 { 0 } else { 1 }
}
