//! `bench-syscall`: times the null system call for the kernel's `bench user` suite.
//!
//! Each sample is the TSC delta across one `getpid` made with the raw `syscall0` (no
//! decoding inside the pair), read with `rdtsc` immediately before and after; nothing is
//! subtracted. The kernel answers `getpid` in its entry stub; `user.slow_syscall` times
//! the path every other call takes (the frame saved, back to the process task, the
//! dispatch, and in again) with a number no system call has. The cost of the measurement itself, an empty `rdtsc` pair, is sampled the
//! same way as a figure of its own. Under QEMU's `-icount shift=0` the deltas are guest
//! instruction counts.
//!
//! A benchmark of a broken call means nothing, so it first checks that `getpid` keeps
//! every register the ABI promises to keep (`docs/abi.md`: all but `rax`, `rcx`, `r11`).
//!
//! Output: the figures in `mohhos_user::bench`'s format (parsed by
//! `kernel/src/bench/user_suite.rs`), then nothing else. On failure one line
//! `error: <what>` and exit code 1.

#![no_std]
#![no_main]

use mohhos_user::bench::{SAMPLES, collect, print_figure, rdtsc};
use mohhos_user::syscall::{GETPID, ProbeRegisters, syscall_probe, syscall0};
use mohhos_user::{Error, decode, entry, println};

entry!(main);

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

/// A number that is no system call: answered with `NoSuchSyscall` by the dispatch.
const NO_SUCH_SYSCALL: u64 = 0xffff;

/// One call of [`NO_SUCH_SYSCALL`]; `None` unless it failed as it must.
#[inline(always)]
fn slow_syscall() -> Option<u64> {
    let start = rdtsc();
    // SAFETY: an unknown system call touches no memory of the program.
    let result = unsafe { syscall0(NO_SUCH_SYSCALL) };
    let ticks = rdtsc() - start;
    (decode(result) == Err(Error::NoSuchSyscall)).then_some(ticks)
}

/// Whether one `getpid` with a distinct pattern in every register the kernel must keep
/// returns them all unchanged (and a pid in `rax`).
fn registers_kept() -> bool {
    const PATTERNS: ProbeRegisters = [
        0x1111_1111_1111_1111, // rdi
        0x2222_2222_2222_2222, // rsi
        0x3333_3333_3333_3333, // rdx
        0x4444_4444_4444_4444, // r8
        0x5555_5555_5555_5555, // r9
        0x6666_6666_6666_6666, // r10
        0x7777_7777_7777_7777, // r12
        0x8888_8888_8888_8888, // r13
        0x9999_9999_9999_9999, // r14
        0xaaaa_aaaa_aaaa_aaaa, // r15
    ];
    let mut regs = PATTERNS;
    // SAFETY: `getpid` touches no memory of the program.
    let (rax, rbx_rbp_changed) = unsafe { syscall_probe(GETPID, &mut regs) };
    decode(rax).is_ok() && !rbx_rbp_changed && regs == PATTERNS
}

fn main() -> i32 {
    if !registers_kept() {
        println!("error: getpid changed a register the ABI keeps");
        return 1;
    }
    let mut overhead = [0; SAMPLES];
    let mut syscall = [0; SAMPLES];
    let mut slow = [0; SAMPLES];
    collect(&mut overhead, || Some(rdtsc_pair()));
    if collect(&mut syscall, null_syscall).is_none() {
        println!("error: getpid failed");
        return 1;
    }
    if collect(&mut slow, slow_syscall).is_none() {
        println!("error: an unknown system call did not fail with NoSuchSyscall");
        return 1;
    }
    print_figure("user.rdtsc_overhead", &overhead);
    print_figure("user.null_syscall", &syscall);
    print_figure("user.slow_syscall", &slow);
    0
}
