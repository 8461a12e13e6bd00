//! The MOHHOS user runtime: what every user program links.
//!
//! - [`syscall`]: the raw `syscall` instruction (`syscall0` … `syscall6`).
//! - Safe system calls: [`exit`], [`write`], [`yield_now`], [`getpid`], [`sleep_us`],
//!   [`map`]; [`protect`] and [`unmap`] are `unsafe` (they can pull memory from under
//!   Rust references); [`Region`] owns mapped pages and protects or unmaps them safely.
//! - [`ipc`]: services, connections, calls and replies; [`log`]: records for the log
//!   service; [`ring`]: the asynchronous
//!   IPC rings; [`executor`]: a small async executor that runs tasks over them;
//!   [`fs`]: files through the storage service, over a [`SharedRegion`].
//! - [`print!`] / [`println!`] on the console.
//! - A global allocator over `map`, so programs can use `alloc`.
//! - The entry point `_start` and the panic handler: a program is
//!   `#![no_std] #![no_main]`, defines `fn main() -> i32` and names it with
//!   [`entry!`]; its value is the exit code, a panic prints `panic: <message>` and exits
//!   with [`EXIT_PANIC`].
//!
//! The system-call ABI is `mohhos_abi` and `docs/abi.md`. `unsafe` is denied here except
//! in the modules that cannot do without it: `syscall` (the instruction), `sys` (the
//! two unsafe calls), `ipc` (message buffers handed to the kernel), `ring` (the shared ring pages), `bench` (`rdtsc`), `region` (slices over mapped pages), `shared` (copies into a shared region), `heap` (the allocator) and
//! `rt` (the naked entry point).

#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod bench;
pub mod console;
pub mod executor;
pub mod fs;
mod heap;
pub mod ipc;
pub mod log;
mod region;
pub mod ring;
mod rt;
mod shared;
mod sys;
pub mod syscall;

pub use mohhos_abi::{Error, Prot, SysResult, decode, encode, layout};
pub use region::Region;
pub use rt::{EXIT_PANIC, start_argument};
pub use shared::SharedRegion;
pub use sys::{exit, getpid, map, protect, sleep_us, unmap, write, yield_now};
