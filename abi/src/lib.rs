//! The MOHHOS system-call ABI, shared by the kernel and every user program (`docs/abi.md`).
//!
//! Convention (x86_64 `syscall`): `rax` holds the number, `rdi rsi rdx r10 r8 r9` the
//! arguments; the result comes back in `rax`; `rcx` and `r11` are clobbered (the CPU uses
//! them), every other register is preserved. A result is a [`SysResult`]: values below
//! `2^64 - 4095` are successes, the top 4 095 values are negated [`Error`] codes.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
pub mod layout;
pub mod log;
mod prot;
pub mod ring;
pub mod storage;
pub mod syscall;

pub use error::{Error, SysResult, decode, encode};
pub use prot::Prot;
