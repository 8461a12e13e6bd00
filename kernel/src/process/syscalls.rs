//! System-call dispatch: every argument is checked; a bad one is an error code for the
//! caller, never a kernel fault (`docs/abi.md`).

use super::control::Control;
use super::memory::{UserMemory, UserSlice};
use crate::arch::x86_64::UserFrame;
use alloc::string::String;
use alloc::vec;
use mohhos_abi::syscall::{self, MAX_SLEEP_US, MAX_WRITE};
use mohhos_abi::{Error, SysResult};

/// What the process task does with a system call.
pub enum Step {
    /// Return this result to the caller at once.
    Return(SysResult),
    /// Let other tasks run, then return 0.
    Yield,
    /// Block for this many microseconds, then return 0.
    Sleep(u64),
    /// End the process with this code.
    Exit(u64),
}

/// Decodes and runs the system call in `frame`.
pub fn handle(frame: &UserFrame, memory: &mut UserMemory, control: &Control) -> Step {
    let regs = &frame.0;
    let (a0, a1, a2) = (regs.rdi, regs.rsi, regs.rdx);
    match regs.rax {
        syscall::EXIT => Step::Exit(a0),
        syscall::WRITE => Step::Return(write(memory, control, a0, a1)),
        syscall::YIELD => Step::Yield,
        syscall::GETPID => Step::Return(Ok(u64::from(control.pid))),
        syscall::SLEEP if a0 > MAX_SLEEP_US => Step::Return(Err(Error::InvalidArgument)),
        syscall::SLEEP => Step::Sleep(a0),
        syscall::MAP => Step::Return(memory.map(a0, a1)),
        syscall::PROTECT => Step::Return(memory.protect(a0, a1, a2).map(|()| 0)),
        syscall::UNMAP => Step::Return(memory.unmap(a0, a1).map(|()| 0)),
        _ => Step::Return(Err(Error::NoSuchSyscall)),
    }
}

/// `write(ptr, len)`: user bytes to the console.
fn write(memory: &mut UserMemory, control: &Control, ptr: u64, len: u64) -> SysResult {
    if len > MAX_WRITE {
        return Err(Error::InvalidArgument);
    }
    let slice = UserSlice::new(ptr, len)?;
    let mut bytes = vec![0; len as usize];
    slice.read(memory, &mut bytes)?;
    control.output(&String::from_utf8_lossy(&bytes))?;
    Ok(len)
}
