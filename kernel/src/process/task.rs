//! The process future: polling it runs the process's user context until it traps.
//!
//! Each turn enters user mode for at most one time slice (the LAPIC timer ends it).
//! A system call is handled here and the context resumed in the same poll (without
//! leaving the turn) unless the call blocks (`sleep`, IPC), yields, or exits, or the
//! slice is over (checked after every call, so a process that makes nothing but system
//! calls still yields on time); an interrupt (the slice's end, a device, an
//! IPI) yields, so the other tasks of the core get their turn; a CPU exception ends
//! the process with one report. Dropping the future (exit, fault, `kill`, which
//! aborts the task) frees its address space.

use super::call_deadline::Watchdog;
use super::control::{self, Control, RunState};
use super::ipc_holder::{Parked, ProcessIpc};
use super::memory::UserMemory;
use super::message::DeliverTo;
use super::ring::Ring;
use super::syscalls::{self, Step};
use crate::arch::x86_64::{self as arch, Trap, UserFrame};
use crate::runtime::{executor, us_to_ticks};
use crate::service_manager::journal;
use crate::{ipc_runtime, println};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use core::future::poll_fn;
use core::sync::atomic::Ordering;
use core::task::Poll;
use executor::Priority;
use executor::yield_now;
use ipc::{Message, ServiceId};
use mohhos_abi::{Error, encode};
use services::log_book::Level;

/// Longest stretch a process runs in user mode before other tasks get a turn.
pub const TIME_SLICE_US: u64 = 1000;

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// It called `exit(code)`.
    Code(u64),
    /// A CPU exception in its user code.
    Fault {
        /// Exception vector.
        vector: u8,
        /// Where it happened.
        rip: u64,
        /// The faulting address (page faults).
        address: u64,
        /// The CPU's error code.
        error_code: u64,
    },
}

/// The event type of the exit events broadcast on the IPC event bus.
pub const EXIT_EVENT: u64 = 0x7072_6f63_6578_6974; // "procexit"

/// `data[0]` of an exit event: how the process ended.
const EXITED: u64 = 0;
const FAULTED: u64 = 1;
const KILLED: u64 = 2;

/// The exit event of process `pid`: tag = pid; data = [kind, code or vector, rip,
/// address, error code, 0].
fn exit_event(pid: u32, exit: Option<Exit>) -> Message {
    let data = match exit {
        Some(Exit::Code(code)) => [EXITED, code, 0, 0, 0, 0],
        Some(Exit::Fault {
            vector,
            rip,
            address,
            error_code,
        }) => [FAULTED, u64::from(vector), rip, address, error_code, 0],
        None => [KILLED, 0, 0, 0, 0, 0],
    };
    Message::with_data(u64::from(pid), data)
}

/// Removes the process from the table, reports how it ended and publishes its exit
/// event, however the future ends (returned, or dropped by `kill`).
struct Reaper {
    control: Arc<Control>,
    exit: Option<Exit>,
}

impl Drop for Reaper {
    fn drop(&mut self) {
        let c = &self.control;
        control::remove(c.pid);
        ipc_runtime::system().broadcast(
            ServiceId::KERNEL,
            EXIT_EVENT,
            Priority::High,
            exit_event(c.pid, self.exit),
        );
        let report = match self.exit {
            Some(Exit::Code(code)) if c.announce_exit || c.log.is_some() => {
                format!(
                    "pid {} ({}) exited with code {}",
                    c.pid, c.name, code as i32
                )
            }
            Some(Exit::Code(_)) => return,
            Some(Exit::Fault {
                vector,
                rip,
                address,
                error_code,
            }) => {
                let (mnemonic, name) = arch::exception_name(vector);
                // The faulting address means something for page faults only.
                let address = if vector == 14 {
                    format!(", address {address:#x}")
                } else {
                    String::new()
                };
                format!(
                    "pid {} ({}) killed: {name} ({mnemonic}), vector {vector}, rip {rip:#x}{address}, error {error_code:#x}",
                    c.pid, c.name
                )
            }
            None => format!("pid {} ({}) killed", c.pid, c.name),
        };
        match c.log {
            Some(channel) => journal::append(channel, Level::Warn, &report),
            None => println!("{report}"),
        }
    }
}

/// Everything a process owns. Fields drop in this order, the reaper last: its exit
/// event goes out once the process's services, names, capabilities and memory are gone,
/// and it runs even when the future is dropped before its first poll (a `kill` right
/// after the spawn).
struct Process {
    memory: UserMemory,
    ipc: ProcessIpc,
    frame: Box<UserFrame>,
    reaper: Reaper,
}

/// The future that runs the process until it exits or faults; `pinned`: the core its
/// task is pinned to, if it is.
pub fn run(
    control: Arc<Control>,
    memory: UserMemory,
    ipc: ProcessIpc,
    frame: Box<UserFrame>,
    pinned: Option<usize>,
) -> impl Future<Output = Exit> + Send {
    let mut process = Process {
        memory,
        ipc,
        frame,
        reaper: Reaper {
            control: control.clone(),
            exit: None,
        },
    };
    async move {
        let p = &mut process;
        let exit = run_until_exit(&control, &mut p.memory, &mut p.ipc, &mut p.frame, pinned).await;
        p.reaper.exit = Some(exit);
        exit
    }
}

/// Runs the process's user context until it traps, at `slice_end` at the latest; its
/// `ipc_call_regs` calls are offered to [`syscalls::call_in_trap`] in the trap.
#[inline]
fn run_user(
    frame: &mut UserFrame,
    memory: &UserMemory,
    ipc: &mut ProcessIpc,
    slice_end: u64,
) -> Trap {
    let trap_calls = &mut |regs: &mut _| syscalls::call_in_trap(regs, ipc, slice_end);
    arch::run_user(frame, memory.tables(), slice_end, trap_calls)
}

async fn run_until_exit(
    control: &Arc<Control>,
    memory: &mut UserMemory,
    ipc: &mut ProcessIpc,
    frame: &mut UserFrame,
    pinned: Option<usize>,
) -> Exit {
    let mut ring: Option<Ring> = None;
    // A trap the process took while lent to a caller (`lending.rs`), not yet handled.
    let mut handed_back: Option<Trap> = None;
    let mut watchdog = Watchdog::default();
    let slice = us_to_ticks(TIME_SLICE_US);
    loop {
        control.wait_while_suspended().await;
        if let Some(ring) = ring.as_mut() {
            // Operations that finished meanwhile post their completions (a corrupted
            // ring is reported by the next `ring_enter`).
            poll_fn(|cx| Poll::Ready(ring.collect(cx, memory, ipc).ok())).await;
        }
        control.set_state(RunState::Running);
        let slice_end = arch::rdtsc() + slice;
        // One turn: user mode, and the system calls that complete at once, until the
        // slice ends or something needs the executor.
        // Published for `ps` when the turn ends (at most a slice late).
        let mut calls = 0;
        let mut trap = match handed_back.take() {
            Some(trap) => trap,
            None => run_user(frame, memory, ipc, slice_end),
        };
        let step = loop {
            match trap {
                Trap::Syscall => {
                    calls += 1;
                    let rax = match syscalls::handle(frame, memory, ipc, control) {
                        Step::Return(result) => encode(result),
                        Step::Yield => {
                            frame.regs.rax = 0;
                            break Step::Yield;
                        }
                        step => break step,
                    };
                    frame.regs.rax = rax;
                    if arch::rdtsc() < slice_end && !control.suspend_requested() {
                        trap = run_user(frame, memory, ipc, slice_end);
                        continue;
                    }
                    break Step::Yield;
                }
                // The slice's end, a device interrupt or an IPI: the core's other tasks
                // get their turn.
                Trap::Interrupt(_) => break Step::Yield,
                Trap::Exception {
                    vector,
                    error_code,
                    address,
                } => {
                    return Exit::Fault {
                        vector,
                        rip: frame.regs.rip,
                        address,
                        error_code,
                    };
                }
            }
        };
        let calls = calls + frame.take_fast_calls();
        control.syscalls.fetch_add(calls, Ordering::Relaxed);
        control.pages.store(memory.pages(), Ordering::Relaxed);
        match step {
            // Not left by the turn above (it resumes those at once).
            Step::Return(result) => frame.regs.rax = encode(result),
            // The `yield` call or the turn's end (rax is already set).
            Step::Yield => {
                control.set_state(RunState::Ready);
                yield_now().await;
            }
            Step::Sleep(us) => {
                frame.regs.rax = 0;
                control.set_state(RunState::Blocked);
                executor().sleep(us_to_ticks(us)).await;
            }
            Step::Exit(code) => return Exit::Code(code),
            Step::Call {
                cap,
                request,
                reply_to,
                timeout_us,
            } => {
                control.set_state(RunState::Blocked);
                let result = ipc
                    .call(cap, request, timeout_us, &mut watchdog)
                    .await
                    .and_then(|reply| reply_to.deliver(&reply, memory, &mut frame.regs))
                    .map(|()| 0);
                frame.regs.rax = encode(result);
            }
            Step::RingSetup(_) if ring.is_some() => {
                frame.regs.rax = encode(Err(Error::AlreadyExists));
            }
            Step::RingSetup(entries) => {
                // Its pages show in `ps` from the end of the next turn.
                let result = Ring::setup(memory, entries).map(|new| ring.insert(new).base());
                frame.regs.rax = encode(result);
            }
            Step::RingEnter {
                min_complete,
                timeout_us,
            } => {
                control.set_state(RunState::Blocked);
                let result = match ring.as_mut() {
                    Some(ring) => ring.enter(memory, ipc, min_complete, timeout_us).await,
                    None => Err(Error::NotFound),
                };
                frame.regs.rax = encode(result);
            }
            Step::Send { cap, message } => {
                control.set_state(RunState::Blocked);
                frame.regs.rax = encode(ipc.send(cap, message).await.map(|()| 0));
            }
            Step::Recv { cap, into } => {
                control.set_state(RunState::Blocked);
                // Pinned to this core and receiving into registers: lent to callers here.
                let lent =
                    matches!(into, DeliverTo::Registers) && pinned == Some(arch::cpu_index());
                let parked = if lent {
                    ipc.recv_lent(cap, frame, memory.tables(), control).await
                } else {
                    ipc.recv(cap)
                        .await
                        .map(|(message, token)| Parked::Received(message, token))
                };
                match parked {
                    Ok(Parked::HandedBack(trap)) => handed_back = Some(trap),
                    Ok(Parked::Received(message, token)) => {
                        let delivered = into.deliver(&message, memory, &mut frame.regs);
                        frame.regs.rax = encode(delivered.map(|()| token));
                    }
                    Err(error) => frame.regs.rax = encode(Err(error)),
                }
            }
        }
    }
}
