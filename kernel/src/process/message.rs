//! Messages and names crossing the user boundary (`docs/abi.md`: 64 bytes, tag, six data
//! words, capability word).

use super::memory::{UserMemory, UserSlice};
use crate::arch::x86_64::InterruptFrame;
use alloc::string::String;
use ipc::Message;
use mohhos_abi::Error;
use mohhos_abi::syscall::{MAX_NAME, MESSAGE_SIZE};

/// Words in a message as it lies in user memory: tag, six data words, capability word,
/// each little endian.
const WORDS: usize = MESSAGE_SIZE as usize / 8;

/// The message at `ptr` (its capability word as the sender wrote it: `ProcessIpc`
/// turns it into the receiver's).
pub fn read_message(memory: &mut UserMemory, ptr: u64) -> Result<Message, Error> {
    let words: [u64; WORDS] = UserSlice::new(ptr, MESSAGE_SIZE)?.read_words(memory)?;
    let word = |i: usize| u64::from_le(words[i]);
    let mut message = Message::with_data(
        word(0),
        [word(1), word(2), word(3), word(4), word(5), word(6)],
    );
    message.cap = word(7);
    Ok(message)
}

/// A writable range of one message at `ptr` (checked now, written later).
pub fn message_slot(memory: &mut UserMemory, ptr: u64) -> Result<UserSlice, Error> {
    let slot = UserSlice::new(ptr, MESSAGE_SIZE)?;
    if slot.is_writable(memory) {
        Ok(slot)
    } else {
        Err(Error::BadAddress)
    }
}

/// Writes `message` at user address `ptr`.
pub fn write_message_at(memory: &mut UserMemory, ptr: u64, message: &Message) -> Result<(), Error> {
    write_message(memory, UserSlice::new(ptr, MESSAGE_SIZE)?, message)
}

/// Writes `message` into `slot` (a [`message_slot`]).
pub fn write_message(
    memory: &mut UserMemory,
    slot: UserSlice,
    message: &Message,
) -> Result<(), Error> {
    let d = message.data;
    let words = [message.tag, d[0], d[1], d[2], d[3], d[4], d[5], message.cap].map(u64::to_le);
    slot.write_words(memory, &words)
}

/// Where a message for a process goes: the answer to its waiting call, or the message
/// it waits to receive.
pub enum DeliverTo {
    /// A [`message_slot`] in user memory (`ipc_call`, `ipc_recv`, `ipc_reply_recv`).
    Memory(UserSlice),
    /// The process's message registers (`ipc_call_regs`, `ipc_reply_recv_regs`).
    Registers,
}

impl DeliverTo {
    /// Puts `message` where the process asked for it: into user memory, or into `regs`'
    /// message registers.
    #[inline]
    pub fn deliver(
        self,
        message: &Message,
        memory: &mut UserMemory,
        regs: &mut InterruptFrame,
    ) -> Result<(), Error> {
        match self {
            Self::Memory(slot) => write_message(memory, slot, message),
            Self::Registers => {
                message_to_registers(regs, message);
                Ok(())
            }
        }
    }
}

/// The message in `regs`' message registers (`docs/abi.md`: `rdx` tag, `r8`, `r9`,
/// `r10`, `r12`, `r13`, `r14` data, `r15` capability word).
#[inline]
pub fn message_from_registers(regs: &InterruptFrame) -> Message {
    let mut message = Message::with_data(
        regs.rdx,
        [regs.r8, regs.r9, regs.r10, regs.r12, regs.r13, regs.r14],
    );
    message.cap = regs.r15;
    message
}

/// Puts `message` into `regs`' message registers.
#[inline]
pub fn message_to_registers(regs: &mut InterruptFrame, message: &Message) {
    let d = &message.data;
    regs.rdx = message.tag;
    (regs.r8, regs.r9, regs.r10) = (d[0], d[1], d[2]);
    (regs.r12, regs.r13, regs.r14) = (d[3], d[4], d[5]);
    regs.r15 = message.cap;
}

/// The service name at `ptr`: 1 to [`MAX_NAME`] bytes of UTF-8.
pub fn read_name(memory: &mut UserMemory, ptr: u64, len: u64) -> Result<String, Error> {
    if len == 0 || len > MAX_NAME {
        return Err(Error::InvalidArgument);
    }
    let mut bytes = alloc::vec![0u8; len as usize];
    UserSlice::new(ptr, len)?.read(memory, &mut bytes)?;
    String::from_utf8(bytes).map_err(|_| Error::InvalidArgument)
}
