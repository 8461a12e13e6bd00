//! `bench-fs`: times a file round trip through the storage service for the kernel's
//! `bench services` suite (output format: `mohhos_user::bench`).
//!
//! `services.file_open_read_close`: `rdtsc`, open a 4 KiB file, read all of it, close
//! it, `rdtsc` (three calls to `svc.storage`, the bytes through the shared buffer),
//! each read checked after the second `rdtsc`. The file is made first and removed at
//! the end. On failure one line `error: <what>` and exit code 1.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use mohhos_user::bench::{SAMPLES, collect, print_figure, rdtsc};
use mohhos_user::fs::{Fs, OpenOptions};
use mohhos_user::{entry, getpid, println};

entry!(main);

const SIZE: usize = 4096;

fn main() -> i32 {
    match run() {
        Ok(()) => 0,
        Err(what) => {
            println!("error: {what}");
            1
        }
    }
}

fn run() -> Result<(), &'static str> {
    let fs = Fs::connect().map_err(|_| "cannot connect to the storage service")?;
    let path = format!("/bench-fs-{}", getpid());
    let data = [0x5au8; SIZE];
    let mut file = fs
        .open(&path, OpenOptions::new().write().create().truncate())
        .map_err(|_| "cannot create the file")?;
    file.write(&data).map_err(|_| "cannot write the file")?;
    file.close().map_err(|_| "cannot close the file")?;
    let mut buf = [0u8; SIZE];
    let mut samples = [0; SAMPLES];
    let mut round = || -> Option<u64> {
        let start = rdtsc();
        let mut file = fs.open(&path, OpenOptions::new().read()).ok()?;
        let n = file.read(&mut buf).ok()?;
        file.close().ok()?;
        let ticks = rdtsc() - start;
        (n == SIZE && buf == data).then_some(ticks)
    };
    collect(&mut samples, &mut round).ok_or("a round trip failed")?;
    fs.unlink(&path).map_err(|_| "cannot remove the file")?;
    print_figure("services.file_open_read_close", &samples);
    Ok(())
}
