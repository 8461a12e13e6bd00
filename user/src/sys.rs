//! Typed system calls over [`crate::syscall`]: one function per call of
//! `mohhos_abi::syscall`, taking Rust types and returning decoded results.

#![allow(unsafe_code)]

use mohhos_abi::syscall::{EXIT, GETPID, MAP, PROTECT, SLEEP, UNMAP, WRITE, YIELD};
use mohhos_abi::{Error, Prot, SysResult, decode};

use crate::syscall::{syscall0, syscall1, syscall1_noreturn, syscall2, syscall3};

/// Ends the process with `code` (the kernel reads the low 32 bits of `rdi`).
pub fn exit(code: i32) -> ! {
    // SAFETY: `exit` does not return and touches no memory of the program.
    unsafe { syscall1_noreturn(EXIT, i64::from(code) as u64) }
}

/// Writes `bytes` (UTF-8; the kernel replaces invalid sequences) to the console and
/// returns how many it took. More than `MAX_WRITE` bytes is `InvalidArgument`: use
/// [`print!`](crate::print) or [`console::write_str`](crate::console::write_str), which split.
pub fn write(bytes: &[u8]) -> SysResult {
    // SAFETY: the kernel only reads `bytes`, which is valid for its length.
    decode(unsafe { syscall2(WRITE, bytes.as_ptr() as u64, bytes.len() as u64) })
}

/// Lets other tasks run.
pub fn yield_now() {
    // SAFETY: `yield` touches no memory of the program; it cannot fail.
    let _ = unsafe { syscall0(YIELD) };
}

/// The calling process's id.
pub fn getpid() -> u64 {
    // SAFETY: `getpid` touches no memory of the program.
    match decode(unsafe { syscall0(GETPID) }) {
        Ok(pid) => pid,
        Err(e) => panic!("getpid failed: {e}"),
    }
}

/// Blocks for at least `us` microseconds; more than `MAX_SLEEP_US` is `InvalidArgument`.
pub fn sleep_us(us: u64) -> Result<(), Error> {
    // SAFETY: `sleep` touches no memory of the program.
    decode(unsafe { syscall1(SLEEP, us) }).map(drop)
}

/// Maps `len` bytes (rounded up to pages) of new zeroed memory with `prot`; returns its
/// address. The pages are the program's until it unmaps them; [`crate::Region`] owns
/// them safely.
pub fn map(len: u64, prot: Prot) -> Result<u64, Error> {
    // SAFETY: `map` only adds pages at addresses the program does not use.
    decode(unsafe { syscall2(MAP, len, prot.bits()) })
}

/// Changes the protection of the mapped pages `[addr, addr + len)`.
///
/// # Safety
/// No Rust reference may point into the range that the new protection no longer
/// allows (no `&mut` into pages made read-only, no reference at all into pages that
/// stop being readable): [`crate::Region::protect`] is the safe form.
pub unsafe fn protect(addr: u64, len: u64, prot: Prot) -> Result<(), Error> {
    // SAFETY: the caller keeps Rust references out of what the change takes away.
    decode(unsafe { syscall3(PROTECT, addr, len, prot.bits()) }).map(drop)
}

/// Unmaps the mapped pages `[addr, addr + len)`.
///
/// # Safety
/// Nothing in the program may use the range afterwards: no reference, allocation or
/// stack lives there. [`crate::Region::unmap`] is the safe form.
pub unsafe fn unmap(addr: u64, len: u64) -> Result<(), Error> {
    // SAFETY: the caller guarantees the range is no longer used.
    decode(unsafe { syscall2(UNMAP, addr, len) }).map(drop)
}
