//! IPC system calls: services, connections, calls, one-way messages, replies.
//!
//! Capabilities are words the kernel checks on every use (`docs/abi.md`); a message is
//! [`Message`], laid out as the kernel expects (64 bytes).

#![allow(unsafe_code)]

use mohhos_abi::syscall::{
    IPC_CALL, IPC_CALL_REGS, IPC_CONNECT, IPC_RECV, IPC_REGISTER, IPC_REPLY, IPC_REPLY_RECV_REGS,
    IPC_SEND, REGION_CREATE, REGION_MAP,
};
use mohhos_abi::{Error, decode};

use crate::syscall::{syscall1, syscall2, syscall2_message, syscall4};

/// A message as it crosses the user boundary: a tag, six data words and a capability
/// word (0, or a capability to pass on: the receiver finds its own in the same word).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(64))]
pub struct Message {
    /// Operation or protocol tag.
    pub tag: u64,
    /// Inline payload.
    pub data: [u64; 6],
    /// A capability to pass on with the message (0: none).
    pub cap: u64,
}

impl Message {
    /// A message with `tag` and `data`.
    pub const fn new(tag: u64, data: [u64; 6]) -> Self {
        Self { tag, data, cap: 0 }
    }
}

/// System call `nr(a0, a1)` with `message` in the message registers (`docs/abi.md`):
/// its result, and the message the registers hold after it.
fn in_registers(nr: u64, a0: u64, a1: u64, message: &Message) -> (u64, Message) {
    let d = message.data;
    let mut words = [message.tag, d[0], d[1], d[2], d[3], d[4], d[5], message.cap];
    // SAFETY: the register-message calls touch no memory of this program.
    let result = unsafe { syscall2_message(nr, a0, a1, &mut words) };
    let [tag, d0, d1, d2, d3, d4, d5, cap] = words;
    let message = Message {
        tag,
        data: [d0, d1, d2, d3, d4, d5],
        cap,
    };
    (result, message)
}

/// A capability: a word naming a connection or a service of this process.
pub type Cap = u64;

/// Registers a service named `name`; its capability receives with [`recv`].
pub fn register(name: &str) -> Result<Cap, Error> {
    // SAFETY: the kernel only reads `name`, valid for its length.
    decode(unsafe { syscall2(IPC_REGISTER, name.as_ptr() as u64, name.len() as u64) })
}

/// [`register`] for a service program: on failure prints
/// `PROGRAM: cannot register NAME: ERROR` and gives `None` (the program then exits).
pub fn register_or_report(program: &str, name: &str) -> Option<Cap> {
    register(name)
        .inspect_err(|e| crate::println!("{program}: cannot register {name}: {e}"))
        .ok()
}

/// A send capability on the service registered as `name`.
pub fn connect(name: &str) -> Result<Cap, Error> {
    // SAFETY: the kernel only reads `name`, valid for its length.
    decode(unsafe { syscall2(IPC_CONNECT, name.as_ptr() as u64, name.len() as u64) })
}

/// [`connect`] for a client program: on failure prints
/// `PROGRAM: cannot connect to NAME: ERROR` and gives `None` (the program then exits).
pub fn connect_or_report(program: &str, name: &str) -> Option<Cap> {
    connect(name)
        .inspect_err(|e| crate::println!("{program}: cannot connect to {name}: {e}"))
        .ok()
}

/// Calls the service `cap` with `request` and waits for its answer, at most
/// `timeout_us` microseconds (0: for ever). The request and the answer travel in
/// registers (`ipc_call_regs`): no memory of this program is handed to the kernel.
pub fn call(cap: Cap, request: &Message, timeout_us: u64) -> Result<Message, Error> {
    let (result, reply) = in_registers(IPC_CALL_REGS, cap, timeout_us, request);
    decode(result).map(|_| reply)
}

/// [`call`] through `ipc_call`, which passes the request and the answer in memory (the
/// program's own buffers; kept for callers that already hold them there).
pub fn call_in_memory(cap: Cap, request: &Message, timeout_us: u64) -> Result<Message, Error> {
    let mut reply = Message::default();
    // SAFETY: the kernel reads `request` and writes one `Message` into `reply`, both
    // valid, exclusively borrowed here and laid out as the ABI says.
    decode(unsafe {
        syscall4(
            IPC_CALL,
            cap,
            request as *const Message as u64,
            &mut reply as *mut Message as u64,
            timeout_us,
        )
    })?;
    Ok(reply)
}

/// Sends `message` to `cap` without waiting for an answer (waits while its queue is full).
pub fn send(cap: Cap, message: &Message) -> Result<(), Error> {
    // SAFETY: the kernel only reads `message`.
    decode(unsafe { syscall2(IPC_SEND, cap, message as *const Message as u64) }).map(drop)
}

/// Waits for the next message to the service `cap`; returns it and the token that
/// answers it with [`reply`] (0: no answer wanted).
pub fn recv(cap: Cap) -> Result<(Message, u64), Error> {
    let mut message = Message::default();
    // SAFETY: the kernel writes one `Message` into `message`, valid and borrowed here.
    let token = decode(unsafe { syscall2(IPC_RECV, cap, &mut message as *mut Message as u64) })?;
    Ok((message, token))
}

/// Answers the call `token` stands for with `message`.
pub fn reply(token: u64, message: &Message) -> Result<(), Error> {
    // SAFETY: the kernel only reads `message`.
    decode(unsafe { syscall2(IPC_REPLY, token, message as *const Message as u64) }).map(drop)
}

/// Creates a shared region of `len` bytes (whole pages, zeroed); pass its capability in
/// a message's `cap` to share it.
pub fn region_create(len: u64) -> Result<Cap, Error> {
    // SAFETY: the kernel touches no memory of the program.
    decode(unsafe { syscall1(REGION_CREATE, len) })
}

/// Maps the shared region `cap` names, read-write; returns its address. The pages are
/// shared with every other process that maps the region: use volatile or atomic accesses
/// (or copies) for data that another process may change meanwhile.
pub fn region_map(cap: Cap) -> Result<u64, Error> {
    // SAFETY: the kernel maps new pages at an address this program does not use.
    decode(unsafe { syscall1(REGION_MAP, cap) })
}

/// Answers `token` with `reply` (nothing for token 0), then waits for the service
/// `cap`'s next message: one system call per request in a service's loop. Both messages
/// travel in registers (`ipc_reply_recv_regs`): no memory of this program is handed to
/// the kernel.
pub fn reply_recv(token: u64, reply: &Message, cap: Cap) -> Result<(Message, u64), Error> {
    let (result, message) = in_registers(IPC_REPLY_RECV_REGS, token, cap, reply);
    decode(result).map(|token| (message, token))
}

/// Answers every call on the service `cap` with its request, the first data word plus
/// one, and drops one-way messages; returns only when receiving fails.
pub fn serve_echo(cap: Cap) -> Error {
    let (mut answer, mut token) = (Message::default(), 0);
    loop {
        match reply_recv(token, &answer, cap) {
            Ok((mut message, next)) => {
                message.data[0] = message.data[0].wrapping_add(1);
                (answer, token) = (message, next);
            }
            Err(error) => return error,
        }
    }
}
