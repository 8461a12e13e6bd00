//! System-call dispatch: every argument is checked; a bad one is an error code for the
//! caller, never a kernel fault (`docs/abi.md`).

use super::control::Control;
use super::ipc_holder::ProcessIpc;
use super::memory::{UserMemory, UserSlice};
use super::message::{
    DeliverTo, message_from_registers, message_slot, read_message, read_name, write_message,
};
use crate::arch::x86_64::{InterruptFrame, UserFrame};
use alloc::string::String;
use alloc::vec;
use ipc::Message;
use mohhos_abi::layout::PAGE_SIZE;
use mohhos_abi::syscall::{self, MAX_SLEEP_US, MAX_TIMEOUT_US, MAX_WRITE};
use mohhos_abi::{Error, SysResult};

/// What the process task does with a system call.
pub enum Step {
    /// Call `cap` with `request`; put the reply where `reply_to` says.
    Call {
        cap: u64,
        request: Message,
        reply_to: DeliverTo,
        timeout_us: u64,
    },
    /// Send `message` to `cap`, waiting while its queue is full.
    Send { cap: u64, message: Message },
    /// Receive for the service `cap` into `into`; return the reply token.
    Recv { cap: u64, into: DeliverTo },
    /// Set up the rings with this many entries.
    RingSetup(u64),
    /// Take submissions; wait for `min_complete` completions or `timeout_us`.
    RingEnter { min_complete: u64, timeout_us: u64 },
    /// Return this result to the caller at once.
    Return(SysResult),
    /// Let other tasks run, then return 0.
    Yield,
    /// Block for this many microseconds, then return 0.
    Sleep(u64),
    /// End the process with this code.
    Exit(u64),
}

/// Decodes and runs the system call in `frame` (the blocking ones are left to the
/// process task as a [`Step`]).
pub fn handle(
    frame: &mut UserFrame,
    memory: &mut UserMemory,
    ipc: &mut ProcessIpc,
    control: &Control,
) -> Step {
    let regs = &frame.regs;
    let (a0, a1, a2, a3) = (regs.rdi, regs.rsi, regs.rdx, regs.r10);
    let result = |r: Result<Step, Error>| r.unwrap_or_else(|e| Step::Return(Err(e)));
    match frame.regs.rax {
        syscall::IPC_REGISTER => {
            Step::Return(read_name(memory, a0, a1).and_then(|name| ipc.register(&name)))
        }
        syscall::IPC_CONNECT => {
            Step::Return(read_name(memory, a0, a1).and_then(|name| ipc.connect(&name)))
        }
        syscall::IPC_CALL if a3 > MAX_TIMEOUT_US => Step::Return(Err(Error::InvalidArgument)),
        syscall::IPC_CALL => result(call_in_memory(memory, ipc, a0, a1, a2, a3)),
        syscall::IPC_CALL_REGS if a1 > MAX_TIMEOUT_US => Step::Return(Err(Error::InvalidArgument)),
        syscall::IPC_CALL_REGS => call_in_registers(frame, a0, a1),
        syscall::IPC_SEND => {
            result(read_message(memory, a1).map(|message| Step::Send { cap: a0, message }))
        }
        syscall::IPC_RECV => result(message_slot(memory, a1).map(|slot| Step::Recv {
            cap: a0,
            into: DeliverTo::Memory(slot),
        })),
        syscall::IPC_REPLY_RECV => result((|| {
            let slot = message_slot(memory, a3)?;
            if a0 != 0 {
                reply_before_recv(ipc, a0, read_message(memory, a1)?)?;
            }
            Ok(Step::Recv {
                cap: a2,
                into: DeliverTo::Memory(slot),
            })
        })()),
        syscall::IPC_REPLY_RECV_REGS => result((|| {
            if a0 != 0 {
                reply_before_recv(ipc, a0, message_from_registers(&frame.regs))?;
            }
            Ok(Step::Recv {
                cap: a1,
                into: DeliverTo::Registers,
            })
        })()),
        syscall::RING_SETUP => Step::RingSetup(a0),
        syscall::REGION_CREATE => Step::Return(ipc.region_create(a0)),
        syscall::REGION_MAP => Step::Return(ipc.region_map(a0, memory)),
        syscall::RING_ENTER => Step::RingEnter {
            min_complete: a0,
            timeout_us: a1,
        },
        syscall::IPC_REPLY => Step::Return(
            read_message(memory, a1)
                .and_then(|message| ipc.reply(a0, message))
                .map(|()| 0),
        ),
        syscall::EXIT => Step::Exit(a0),
        syscall::WRITE => Step::Return(write(memory, control, a0, a1)),
        syscall::YIELD => Step::Yield,
        syscall::GETPID => Step::Return(Ok(u64::from(control.pid))),
        syscall::SLEEP if a0 > MAX_SLEEP_US => Step::Return(Err(Error::InvalidArgument)),
        syscall::SLEEP => Step::Sleep(a0),
        syscall::MAP => Step::Return(memory.map(a0, a1)),
        syscall::PROTECT => Step::Return(memory.protect(a0, a1, a2).map(|()| 0)),
        syscall::UNMAP => Step::Return(memory.unmap(a0, a1).map(|()| {
            ipc.unmapped(a0, a0 + a1.div_ceil(PAGE_SIZE) * PAGE_SIZE);
            0
        })),
        _ => Step::Return(Err(Error::NoSuchSyscall)),
    }
}

/// The answer of an `ipc_reply_recv`: a caller that gave up (`Timeout`) is not the
/// service's problem, so only other errors stop the receive.
fn reply_before_recv(ipc: &mut ProcessIpc, token: u64, reply: Message) -> Result<(), Error> {
    match ipc.reply(token, reply) {
        Ok(()) | Err(Error::Timeout) => Ok(()),
        Err(error) => Err(error),
    }
}

/// `ipc_call(cap, request_ptr, reply_ptr, timeout_us)`: answered now when the service
/// can (the process goes on in the same turn), else left to the process task. Out of
/// line: its message buffers would otherwise enlarge the frame of [`handle`], which
/// every system call pays for.
#[inline(never)]
fn call_in_memory(
    memory: &mut UserMemory,
    ipc: &mut ProcessIpc,
    cap: u64,
    request_ptr: u64,
    reply_ptr: u64,
    timeout_us: u64,
) -> Result<Step, Error> {
    let request = read_message(memory, request_ptr)?;
    let reply_to = message_slot(memory, reply_ptr)?;
    let mut reply = Message::default();
    if let Some(answer) = ipc.try_call_now(cap, &request, &mut reply) {
        let written = answer.and_then(|()| write_message(memory, reply_to, &reply));
        return Ok(Step::Return(written.map(|()| 0)));
    }
    Ok(Step::Call {
        cap,
        request,
        reply_to: DeliverTo::Memory(reply_to),
        timeout_us,
    })
}

/// An `ipc_call_regs` in the trap itself (`TrapCalls`, `user_entry.rs`): answered when
/// the service answers at once — a kernel service's direct handler, or a user service
/// lent on this core run until `slice_end` at the latest (`lending.rs`) — else left to
/// [`handle`] (which also reports a bad timeout).
#[inline]
pub fn call_in_trap(regs: &mut InterruptFrame, ipc: &mut ProcessIpc, slice_end: u64) -> bool {
    regs.rsi <= MAX_TIMEOUT_US && ipc.call_in_trap(regs, slice_end)
}

/// `ipc_call_regs(cap, timeout_us)`, the message in the frame's message registers, that
/// [`call_in_trap`] could not answer at once (the entry stub offers it every one with a
/// return address `sysretq` can take; any other is about to fault on its return):
/// left to the process task, which puts the reply into the registers (a call that a lent
/// service took in the trap is only waited for, `ProcessIpc::call`).
fn call_in_registers(frame: &UserFrame, cap: u64, timeout_us: u64) -> Step {
    Step::Call {
        cap,
        request: message_from_registers(&frame.regs),
        reply_to: DeliverTo::Registers,
        timeout_us,
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
