//! `mapper`: maps 16 pages read-write, writes a pattern and reads it back, makes them
//! read-only and checks the pattern again, unmaps them; then uses `alloc` (a `Vec` that
//! outgrows the first heap chunk, a `Box`, a `String`) through the allocator over `map`.
//! Prints `mapper: ok` and exits 0, or `mapper: FAIL <what>` and exits 1.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;

use mohhos_user::layout::{MAP_BASE, PAGE_SIZE, USER_END};
use mohhos_user::{Prot, Region, entry, println};

entry!(main);

/// Pages mapped by the region test.
const PAGES: u64 = 16;

fn main() -> i32 {
    match region().and_then(|()| heap()) {
        Ok(()) => {
            println!("mapper: ok");
            0
        }
        Err(what) => {
            println!("mapper: FAIL {what}");
            1
        }
    }
}

/// The byte the pattern puts at `offset`.
fn pattern(offset: usize) -> u8 {
    (offset as u64 ^ (offset as u64 >> 8) ^ 0xa5) as u8
}

fn region() -> Result<(), alloc::string::String> {
    let len = PAGES * PAGE_SIZE;
    let mut region =
        Region::map(len, Prot::READ_WRITE).map_err(|e| format!("map {PAGES} pages: {e}"))?;
    let addr = region.addr();
    if addr % PAGE_SIZE != 0 || addr < MAP_BASE || addr + len > USER_END {
        return Err(format!(
            "map returned {addr:#x}, not a page in the map area"
        ));
    }
    if region.len() != len {
        return Err(format!(
            "region of {:#x} bytes, want {len:#x}",
            region.len()
        ));
    }
    let bytes = region
        .as_mut_slice()
        .ok_or("a read-write region is not writable")?;
    if let Some(at) = bytes.iter().position(|&b| b != 0) {
        return Err(format!("new page byte {at} is not zero"));
    }
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = pattern(i);
    }
    check(region.as_slice(), "after writing")?;
    region
        .protect(Prot::READ)
        .map_err(|e| format!("protect read-only: {e}"))?;
    if region.as_mut_slice().is_some() {
        return Err("a read-only region hands out a writable slice".into());
    }
    check(region.as_slice(), "after protect")?;
    region.unmap().map_err(|e| format!("unmap: {e}"))?;
    Ok(())
}

fn check(bytes: &[u8], when: &str) -> Result<(), alloc::string::String> {
    match bytes.iter().enumerate().find(|&(i, &b)| b != pattern(i)) {
        Some((i, b)) => Err(format!(
            "{when}: byte {i} reads {b:#x}, want {:#x}",
            pattern(i)
        )),
        None => Ok(()),
    }
}

fn heap() -> Result<(), alloc::string::String> {
    // 1 MiB of u64: many times the allocator's 64 KiB growth step.
    let n: u64 = 128 * 1024;
    let mut v: Vec<u64> = Vec::new();
    for i in 0..n {
        v.push(i * 3);
    }
    let sum: u64 = v.iter().sum();
    if sum != 3 * n * (n - 1) / 2 {
        return Err(format!("vec sum {sum}, want {}", 3 * n * (n - 1) / 2));
    }
    let boxed = Box::new([7u8; 3000]);
    if boxed.iter().any(|&b| b != 7) {
        return Err("boxed array lost its contents".into());
    }
    drop(v);
    let small: Vec<Box<u32>> = (0..1000).map(Box::new).collect();
    if small.iter().enumerate().any(|(i, b)| **b != i as u32) {
        return Err("small boxes lost their contents".into());
    }
    let text = format!("{} {}", "heap", 42);
    if text != "heap 42" {
        return Err(format!("format! gave {text:?}"));
    }
    Ok(())
}
