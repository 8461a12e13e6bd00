//! `bench-ipc`: times IPC and memory calls from user space for the kernel's `bench user`
//! suite (output format: `mohhos_user::bench`).
//!
//! Figures, each a TSC delta around one call:
//! - `user.call_kernel_service`: `ipc_call` to `kernel.echo` (request, reply, both
//!   crossings of the user boundary);
//! - `user.call_user_service`: `ipc_call` to `user.echo` when that service runs (the
//!   suite starts `echo-service` on this core or another and names the figure after it);
//! - `user.map_page` / `user.unmap_page`: `map` of one page, then its `unmap`.
//!
//! On failure one line `error: <what>` and exit code 1.

#![no_std]
#![no_main]

use mohhos_user::bench::{SAMPLES, collect, print_figure, rdtsc};
use mohhos_user::ipc::{self, Message};
use mohhos_user::syscall::{MAP, UNMAP, syscall2};
use mohhos_user::{Prot, decode, entry, println};

entry!(main);

/// One `ipc_call` to `cap`, timed; `None` if it failed or the answer is wrong.
fn timed_call(cap: u64, i: &mut u64) -> Option<u64> {
    let request = Message::new(7, [*i, 0, 0, 0, 0, 0]);
    let start = rdtsc();
    let reply = ipc::call(cap, &request, 1_000_000);
    let ticks = rdtsc() - start;
    *i += 1;
    reply.ok().filter(|r| r.data[0] == *i).map(|_| ticks)
}

/// Times `SAMPLES` calls on `cap` and prints them as `name`.
fn call_figure(cap: u64, name: &str) -> Result<(), &'static str> {
    let mut samples = [0; SAMPLES];
    let mut i = 0;
    collect(&mut samples, || timed_call(cap, &mut i)).ok_or("a call failed")?;
    print_figure(name, &samples);
    Ok(())
}

/// Times `map` of one page and `unmap` of it, alternately.
fn map_figures() -> Result<(), &'static str> {
    let (mut map, mut unmap) = ([0; SAMPLES], [0; SAMPLES]);
    let mut round = |index: Option<usize>| -> Option<u64> {
        let start = rdtsc();
        // SAFETY: `map` adds a page nothing uses yet.
        let addr = decode(unsafe { syscall2(MAP, 4096, Prot::READ_WRITE.bits()) }).ok()?;
        let mapped = rdtsc();
        // SAFETY: the page was just mapped and nothing refers to it.
        let result = decode(unsafe { syscall2(UNMAP, addr, 4096) });
        let unmapped = rdtsc();
        result.ok()?;
        if let Some(i) = index {
            map[i] = mapped - start;
            unmap[i] = unmapped - mapped;
        }
        Some(0)
    };
    for _ in 0..mohhos_user::bench::WARMUP {
        round(None).ok_or("map or unmap failed")?;
    }
    for i in 0..SAMPLES {
        round(Some(i)).ok_or("map or unmap failed")?;
    }
    print_figure("user.map_page", &map);
    print_figure("user.unmap_page", &unmap);
    Ok(())
}

fn main() -> i32 {
    let run = || -> Result<(), &'static str> {
        let kernel = ipc::connect("kernel.echo").map_err(|_| "cannot connect to kernel.echo")?;
        call_figure(kernel, "user.call_kernel_service")?;
        if let Ok(user) = ipc::connect("user.echo") {
            call_figure(user, "user.call_user_service")?;
        }
        map_figures()
    };
    match run() {
        Ok(()) => 0,
        Err(what) => {
            println!("error: {what}");
            1
        }
    }
}
