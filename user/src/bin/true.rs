//! `true`: exits with 0 at once, printing nothing (process create/exit tests and
//! benchmarks).

#![no_std]
#![no_main]

use mohhos_user::entry;

entry!(main);

fn main() -> i32 {
    0
}
