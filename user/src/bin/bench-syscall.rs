//! `bench-syscall`: times the null system call for the kernel's `bench user` suite.
//!
//! Each sample is the TSC delta across one `getpid` made with the raw `syscall0` (no
//! decoding inside the pair), read with `rdtsc` immediately before and after; nothing is
//! subtracted. The cost of the measurement itself, an empty `rdtsc` pair, is sampled the
//! same way as a figure of its own. Under QEMU's `-icount shift=0` the deltas are guest
//! instruction counts.
//!
//! Output, parsed by `kernel/src/bench/user_suite.rs` (the only reader): for each figure
//! one line `count <name> <n>`, then its `n` samples in lines `samples <name> <v> <v> …`
//! of at most [`PER_LINE`] values, then nothing else. On failure one line `error: <what>`
//! and exit code 1.

#![no_std]
#![no_main]

use core::fmt::Write;

use mohhos_user::console::Console;
use mohhos_user::syscall::{GETPID, syscall0};
use mohhos_user::{decode, entry, println};

entry!(main);

/// Rounds run and thrown away first (caches, TLB, branch predictors; the first
/// entries also take the kernel's slow paths).
const WARMUP: usize = 20;
/// Samples kept per figure.
const SAMPLES: usize = 200;
/// Values per `samples` line (keeps each line well under the runtime's 256-byte buffer).
const PER_LINE: usize = 16;

/// The TSC. User code may read it: the kernel leaves CR4.TSD clear.
#[inline(always)]
fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: `rdtsc` only reads the time-stamp counter. The asm is not `pure`, so the
    // compiler keeps it in program order with the `syscall` asm it brackets.
    unsafe {
        core::arch::asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags));
    }
    (u64::from(hi) << 32) | u64::from(lo)
}

/// One empty `rdtsc` pair: what every sample includes besides the measured operation.
#[inline(always)]
fn rdtsc_pair() -> u64 {
    let start = rdtsc();
    rdtsc() - start
}

/// One `getpid` between two `rdtsc`s; `None` if the call failed.
#[inline(always)]
fn null_syscall() -> Option<u64> {
    let start = rdtsc();
    // SAFETY: `getpid` touches no memory of the program.
    let result = unsafe { syscall0(GETPID) };
    let ticks = rdtsc() - start;
    decode(result).ok().map(|_| ticks)
}

/// Fills `samples` after `WARMUP` rounds of `sample`.
fn collect(samples: &mut [u64; SAMPLES], mut sample: impl FnMut() -> Option<u64>) -> Option<()> {
    for _ in 0..WARMUP {
        sample()?;
    }
    for slot in samples.iter_mut() {
        *slot = sample()?;
    }
    Some(())
}

/// Prints one figure in the format of the module docs, one `write` per line (output
/// errors are ignored: the kernel's parser reports a short figure).
fn print_figure(name: &str, samples: &[u64]) {
    println!("count {name} {}", samples.len());
    for line in samples.chunks(PER_LINE) {
        let mut text = Console::new();
        let _ = write!(text, "samples {name}");
        for value in line {
            let _ = write!(text, " {value}");
        }
        let _ = writeln!(text);
    }
}

fn main() -> i32 {
    let mut overhead = [0; SAMPLES];
    let mut syscall = [0; SAMPLES];
    collect(&mut overhead, || Some(rdtsc_pair()));
    if collect(&mut syscall, null_syscall).is_none() {
        println!("error: getpid failed");
        return 1;
    }
    print_figure("user.rdtsc_overhead", &overhead);
    print_figure("user.null_syscall", &syscall);
    0
}
