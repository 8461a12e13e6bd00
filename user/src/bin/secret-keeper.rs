//! `secret-keeper`: maps a page, fills it with a secret, prints
//! `secret-keeper: secret at 0x<addr>`, then sleeps until killed (the isolation tests
//! point `snoop` at that address).

#![no_std]
#![no_main]

use mohhos_user::{Prot, Region, entry, println, sleep_us};

entry!(main);

/// What the page holds.
const SECRET: &[u8] = b"the secret of secret-keeper";

fn main() -> i32 {
    let mut page = match Region::map(4096, Prot::READ_WRITE) {
        Ok(page) => page,
        Err(e) => {
            println!("secret-keeper: map failed: {e}");
            return 1;
        }
    };
    let Some(bytes) = page.as_mut_slice() else {
        println!("secret-keeper: the page is not writable");
        return 1;
    };
    bytes[..SECRET.len()].copy_from_slice(SECRET);
    println!("secret-keeper: secret at {:#x}", page.addr());
    loop {
        let _ = sleep_us(1_000_000);
    }
}
