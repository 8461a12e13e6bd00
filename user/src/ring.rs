//! The asynchronous IPC rings (`mohhos_abi::ring`): submissions the kernel takes at
//! `ring_enter`, completions it posts.
//!
//! The kernel reads and writes the ring pages only while this process is not running
//! user code (between its turns), so plain volatile accesses suffice: the indices are
//! published last, after the entries they cover.

#![allow(unsafe_code)]

use mohhos_abi::ring::{ENTRY_SIZE, OP_RECV, OP_REPLY, OP_SEND, SQ_OFFSET, cqe, sqe};
use mohhos_abi::syscall::{RING_ENTER, RING_SETUP};
use mohhos_abi::{Error, SysResult, decode};

use crate::ipc::{Cap, Message};
use crate::syscall::{syscall1, syscall2};

/// An operation to submit.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    /// Send `message` to `cap` (completes once queued).
    Send {
        /// The connection.
        cap: Cap,
        /// What to send.
        message: Message,
    },
    /// Receive the next message for the service `cap`.
    Recv {
        /// The service.
        cap: Cap,
    },
    /// Answer the call `token` stands for.
    Reply {
        /// The received call's token.
        token: u64,
        /// The answer.
        message: Message,
    },
}

/// A finished operation.
#[derive(Clone, Copy, Debug)]
pub struct Completion {
    /// The submission's tag.
    pub user_data: u64,
    /// Its result.
    pub result: SysResult,
    /// For a received call, the token that answers it (else 0).
    pub token: u64,
    /// For a receive, the message.
    pub message: Message,
}

/// This process's rings (one per process).
#[derive(Debug)]
pub struct Ring {
    base: u64,
    entries: u32,
    /// The next submission slot (published as `sq_tail`).
    sq_tail: u32,
    /// The next completion to take (published as `cq_head`).
    cq_head: u32,
}

const SQ_HEAD: u64 = 0;
const SQ_TAIL: u64 = 4;
const CQ_HEAD: u64 = 8;
const CQ_TAIL: u64 = 12;

impl Ring {
    /// Sets the rings up with `entries` slots per queue (a power of two up to
    /// `mohhos_abi::ring::MAX_ENTRIES`).
    pub fn setup(entries: u32) -> Result<Ring, Error> {
        // SAFETY: the kernel maps new pages at an address this program does not use.
        let base = decode(unsafe { syscall1(RING_SETUP, u64::from(entries)) })?;
        Ok(Ring {
            base,
            entries,
            sq_tail: 0,
            cq_head: 0,
        })
    }

    fn read_u32(&self, offset: u64) -> u32 {
        // SAFETY: `offset` is inside the ring header the kernel mapped for this process
        // (pinned: it can never be unmapped), and u32-aligned.
        unsafe { core::ptr::read_volatile((self.base + offset) as *const u32) }
    }

    fn write_u32(&self, offset: u64, value: u32) {
        // SAFETY: as in `read_u32`; the field is one this side owns.
        unsafe { core::ptr::write_volatile((self.base + offset) as *mut u32, value) }
    }

    fn entry(&self, queue: u64, index: u32) -> u64 {
        let slot = u64::from(index & (self.entries - 1));
        self.base + SQ_OFFSET + (queue * u64::from(self.entries) + slot) * ENTRY_SIZE
    }

    fn write_u64(at: u64, value: u64) {
        // SAFETY: `at` is inside an entry of the pinned ring pages, 8-byte aligned.
        unsafe { core::ptr::write_volatile(at as *mut u64, value) }
    }

    fn read_u64(at: u64) -> u64 {
        // SAFETY: as in `write_u64`.
        unsafe { core::ptr::read_volatile(at as *const u64) }
    }

    fn write_message(at: u64, message: &Message) {
        Self::write_u64(at, message.tag);
        for (i, word) in message.data.iter().enumerate() {
            Self::write_u64(at + 8 + 8 * i as u64, *word);
        }
        Self::write_u64(at + 56, message.cap);
    }

    fn read_message(at: u64) -> Message {
        let mut message = Message::new(Self::read_u64(at), [0; 6]);
        for (i, word) in message.data.iter_mut().enumerate() {
            *word = Self::read_u64(at + 8 + 8 * i as u64);
        }
        message
    }

    /// Queues `op` tagged `user_data`; `Err(Full)` when the submission queue is full.
    /// The kernel takes it at the next [`Ring::enter`].
    pub fn submit(&mut self, op: Op, user_data: u64) -> Result<(), Error> {
        let sq_head = self.read_u32(SQ_HEAD);
        if self.sq_tail.wrapping_sub(sq_head) >= self.entries {
            return Err(Error::Full);
        }
        let at = self.entry(0, self.sq_tail);
        let (code, cap, message) = match op {
            Op::Send { cap, message } => (OP_SEND, cap, message),
            Op::Recv { cap } => (OP_RECV, cap, Message::default()),
            Op::Reply { token, message } => (OP_REPLY, token, message),
        };
        Self::write_u64(at + sqe::OP as u64, code);
        Self::write_u64(at + sqe::CAP as u64, cap);
        Self::write_u64(at + sqe::USER_DATA as u64, user_data);
        Self::write_message(at + sqe::MESSAGE as u64, &message);
        self.sq_tail = self.sq_tail.wrapping_add(1);
        self.write_u32(SQ_TAIL, self.sq_tail);
        Ok(())
    }

    /// Hands the submissions to the kernel and waits until `min_complete` completions
    /// wait (or `timeout_us` passes, 0: no limit); returns how many wait.
    pub fn enter(&mut self, min_complete: u32, timeout_us: u64) -> Result<u32, Error> {
        // SAFETY: the kernel reads submissions and writes completions only in the ring
        // pages, which no Rust reference points into.
        let n = decode(unsafe { syscall2(RING_ENTER, u64::from(min_complete), timeout_us) })?;
        Ok(n as u32)
    }

    /// The next completion, if one waits.
    pub fn complete(&mut self) -> Option<Completion> {
        if self.cq_head == self.read_u32(CQ_TAIL) {
            return None;
        }
        let at = self.entry(1, self.cq_head);
        let completion = Completion {
            user_data: Self::read_u64(at + cqe::USER_DATA as u64),
            result: decode(Self::read_u64(at + cqe::RESULT as u64)),
            token: Self::read_u64(at + cqe::TOKEN as u64),
            message: Self::read_message(at + cqe::MESSAGE as u64),
        };
        self.cq_head = self.cq_head.wrapping_add(1);
        self.write_u32(CQ_HEAD, self.cq_head);
        Some(completion)
    }
}
