//! `bench-ipc`: times IPC and memory calls from user space for the kernel's `bench user`
//! suite (output format: `mohhos_user::bench`).
//!
//! Figures, each a TSC delta around one call:
//! - `user.call_kernel_service`: `ipc::call` (`ipc_call_regs`, the message in registers)
//!   to `kernel.echo` (request, reply, both crossings of the user boundary);
//! - `user.call_kernel_service_memory`: the same through `ipc_call`, the request and the
//!   reply in this program's memory;
//! - `user.call_user_service`: `ipc_call` to `user.echo` when that service runs (the
//!   suite starts `echo-service` on this core or another and names the figure after it);
//! - `user.map_page` / `user.unmap_page`: `map` of one page, then its `unmap`, after a
//!   pause in which the CPU idles (and so zeroes frames ahead: the steady state of a
//!   program that maps now and then);
//! - `user.map_page_back_to_back`: the same without pauses, so that the CPU's few
//!   zeroed frames run out and most maps zero their frame on the spot.
//!
//! On failure one line `error: <what>` and exit code 1.

#![no_std]
#![no_main]

use mohhos_user::bench::{SAMPLES, collect, print_figure, rdtsc};
use mohhos_user::ipc::{self, Message};
use mohhos_user::syscall::{MAP, UNMAP, syscall2};
use mohhos_user::{Prot, decode, entry, println};

entry!(main);

/// A way of calling: [`ipc::call`] or [`ipc::call_in_memory`].
type Call = fn(u64, &Message, u64) -> Result<Message, mohhos_user::Error>;

/// One call to `cap`, timed; `None` if it failed or the answer is wrong.
#[inline(always)]
fn timed_call(call: Call, cap: u64, i: &mut u64) -> Option<u64> {
    let request = Message::new(7, [*i, 0, 0, 0, 0, 0]);
    let start = rdtsc();
    let reply = call(cap, &request, 1_000_000);
    let ticks = rdtsc() - start;
    *i += 1;
    reply.ok().filter(|r| r.data[0] == *i).map(|_| ticks)
}

/// Times `SAMPLES` calls on `cap` and prints them as `name`.
#[inline(always)]
fn call_figure(call: Call, cap: u64, name: &str) -> Result<(), &'static str> {
    let mut samples = [0; SAMPLES];
    let mut i = 0;
    collect(&mut samples, || timed_call(call, cap, &mut i)).ok_or("a call failed")?;
    print_figure(name, &samples);
    Ok(())
}

/// How long the paused rounds of [`map_figures`] sleep first.
const PAUSE_US: u64 = 50;

/// Times `map` of one page and `unmap` of it, alternately, each round after a pause of
/// [`PAUSE_US`] if `pause`; returns the samples of both.
fn map_rounds(pause: bool) -> Option<([u64; SAMPLES], [u64; SAMPLES])> {
    let (mut map, mut unmap) = ([0; SAMPLES], [0; SAMPLES]);
    let mut round = |index: Option<usize>| -> Option<()> {
        if pause {
            mohhos_user::sleep_us(PAUSE_US).ok()?;
        }
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
        Some(())
    };
    for _ in 0..mohhos_user::bench::WARMUP {
        round(None)?;
    }
    for i in 0..SAMPLES {
        round(Some(i))?;
    }
    Some((map, unmap))
}

/// Times `map` and `unmap` with and without pauses.
fn map_figures() -> Result<(), &'static str> {
    let (back_to_back, _) = map_rounds(false).ok_or("map or unmap failed")?;
    let (map, unmap) = map_rounds(true).ok_or("map, unmap or sleep failed")?;
    print_figure("user.map_page", &map);
    print_figure("user.unmap_page", &unmap);
    print_figure("user.map_page_back_to_back", &back_to_back);
    Ok(())
}

fn main() -> i32 {
    let run = || -> Result<(), &'static str> {
        let kernel = ipc::connect("kernel.echo").map_err(|_| "cannot connect to kernel.echo")?;
        call_figure(ipc::call, kernel, "user.call_kernel_service")?;
        call_figure(
            ipc::call_in_memory,
            kernel,
            "user.call_kernel_service_memory",
        )?;
        if let Ok(user) = ipc::connect("user.echo") {
            call_figure(ipc::call, user, "user.call_user_service")?;
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
