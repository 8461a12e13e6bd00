//! `region-writer`: creates a shared region, writes a text into it, and calls
//! `user.regions` (`region-reader`) with the region's capability: the reader maps the
//! same pages, reads the text and writes its answer after it. Prints
//! `region-writer: shared N bytes, answer "<answer>"` and exits 0, or says what went
//! wrong and exits 1.

#![no_std]
#![no_main]

use mohhos_user::ipc::{self, Message};
use mohhos_user::{entry, println};

entry!(main);

const TEXT: &[u8] = b"hello through a shared region";
const ANSWER: &[u8] = b"read by region-reader";

fn main() -> i32 {
    match run() {
        Ok(()) => 0,
        Err(why) => {
            println!("region-writer: {why}");
            1
        }
    }
}

fn run() -> Result<(), &'static str> {
    let service = ipc::connect("user.regions").map_err(|_| "cannot connect to user.regions")?;
    let region = ipc::region_create(4096).map_err(|_| "region_create failed")?;
    let base = ipc::region_map(region).map_err(|_| "region_map failed")? as *mut u8;
    for (i, byte) in TEXT.iter().enumerate() {
        // SAFETY: the region is mapped read-write at `base`, one page long.
        unsafe { core::ptr::write_volatile(base.add(i), *byte) };
    }
    let mut request = Message::new(1, [TEXT.len() as u64, 0, 0, 0, 0, 0]);
    request.cap = region;
    let reply = ipc::call(service, &request, 1_000_000).map_err(|_| "the call failed")?;
    let sum: u64 = TEXT.iter().map(|&b| u64::from(b)).sum();
    if reply.tag != 0 || reply.data[0] != sum {
        return Err("the reader saw other bytes");
    }
    let mut answer = [0u8; ANSWER.len()];
    for (i, byte) in answer.iter_mut().enumerate() {
        // SAFETY: as above; the reader wrote here (zero copy back).
        *byte = unsafe { core::ptr::read_volatile(base.add(TEXT.len() + i)) };
    }
    if answer != ANSWER {
        return Err("the reader's answer is not in the region");
    }
    let answer = core::str::from_utf8(&answer).map_err(|_| "the answer is not UTF-8")?;
    println!(
        "region-writer: shared {} bytes, answer \"{answer}\"",
        TEXT.len()
    );
    Ok(())
}
