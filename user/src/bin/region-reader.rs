//! `region-reader`: registers `user.regions`; each call carries a shared region's
//! capability in its `cap` word and the length of the text in it in `data[0]`. It maps
//! the region, reads the text, prints `region-reader: read "<text>"`, writes its reply
//! text after it in the same region (zero copy back), unmaps the region, and answers with
//! the sum of the bytes it read. Serves until killed.

#![no_std]
#![no_main]

use mohhos_user::ipc::{self, Message};
use mohhos_user::{entry, println};

entry!(main);

/// What it writes back, right after the caller's text.
const ANSWER: &[u8] = b"read by region-reader";

fn main() -> i32 {
    let Some(service) = ipc::register_or_report("region-reader", "user.regions") else {
        return 1;
    };
    println!("region-reader: serving user.regions");
    loop {
        let (request, token) = match ipc::recv(service) {
            Ok(received) => received,
            Err(e) => {
                println!("region-reader: receive failed: {e}");
                return 1;
            }
        };
        let answer = match serve(&request) {
            Ok(sum) => Message::new(0, [sum, 0, 0, 0, 0, 0]),
            Err(why) => {
                println!("region-reader: {why}");
                Message::new(1, [0; 6])
            }
        };
        if token != 0 {
            let _ = ipc::reply(token, &answer);
        }
    }
}

/// Maps the region of `request`, reads its text, writes the answer after it.
fn serve(request: &Message) -> Result<u64, &'static str> {
    let len = request.data[0] as usize;
    if request.cap == 0 || len == 0 || len > 1024 {
        return Err("a request needs a region and a text length from 1 to 1024");
    }
    let base = ipc::region_map(request.cap).map_err(|_| "region_map failed")? as *mut u8;
    let mut text = [0u8; 1024];
    for (i, byte) in text[..len].iter_mut().enumerate() {
        // SAFETY: the region is mapped read-write at `base` and is at least a page
        // (4096 bytes > 1024 + ANSWER); the writer may change it meanwhile, so volatile.
        *byte = unsafe { core::ptr::read_volatile(base.add(i)) };
    }
    for (i, byte) in ANSWER.iter().enumerate() {
        // SAFETY: as above, inside the first page.
        unsafe { core::ptr::write_volatile(base.add(len + i), *byte) };
    }
    // SAFETY: nothing refers to the region's page any more; unmapping it lets the
    // kernel drop this process's hold on the region.
    unsafe { mohhos_user::unmap(base as u64, 4096) }.map_err(|_| "unmap failed")?;
    let text = core::str::from_utf8(&text[..len]).map_err(|_| "the text is not UTF-8")?;
    println!("region-reader: read \"{text}\"");
    Ok(text.bytes().map(u64::from).sum())
}
