//! The asynchronous IPC rings: one submission queue and one completion queue per
//! process, in pages shared with the kernel (io_uring-like), set up with
//! [`RING_SETUP`](crate::syscall::RING_SETUP) and driven with
//! [`RING_ENTER`](crate::syscall::RING_ENTER).
//!
//! Layout at the address `ring_setup` returns (little-endian):
//!
//! | offset | field | written by |
//! | --- | --- | --- |
//! | 0 | `sq_head: u32`: next submission the kernel takes | kernel |
//! | 4 | `sq_tail: u32`: one past the last submission | user |
//! | 8 | `cq_head: u32`: next completion the user takes | user |
//! | 12 | `cq_tail: u32`: one past the last completion | kernel |
//! | 16 | `entries: u32`: slots in each queue (a power of two) | kernel |
//! | [`SQ_OFFSET`] | `entries` submissions of [`ENTRY_SIZE`] bytes | user |
//! | [`SQ_OFFSET`] + `entries` × [`ENTRY_SIZE`] | `entries` completions | kernel |
//!
//! Indices run freely (wrapping `u32`); slot = index & (entries − 1). The kernel takes a
//! submission only while it can also guarantee room for its completion, so completions
//! are never dropped; a submission it cannot take yet stays queued.

/// Where the submission queue starts.
pub const SQ_OFFSET: u64 = 64;
/// Bytes of one submission or completion.
pub const ENTRY_SIZE: u64 = 128;
/// The most entries a ring may have.
pub const MAX_ENTRIES: u32 = 256;

/// Submission: `op: u64` at 0, `cap: u64` at 8 (or the reply token for [`OP_REPLY`]),
/// `user_data: u64` at 16, the 64-byte message at 32.
pub mod sqe {
    /// Offset of the operation.
    pub const OP: usize = 0;
    /// Offset of the capability (or reply token).
    pub const CAP: usize = 8;
    /// Offset of the caller's tag, copied into the completion.
    pub const USER_DATA: usize = 16;
    /// Offset of the message.
    pub const MESSAGE: usize = 32;
}

/// Completion: `user_data: u64` at 0, `result: u64` at 8 (encoded like a system call's
/// `rax`), `token: u64` at 16 (a received call's reply token, else 0), the 64-byte
/// message at 32 (received messages).
pub mod cqe {
    /// Offset of the submission's tag.
    pub const USER_DATA: usize = 0;
    /// Offset of the result.
    pub const RESULT: usize = 8;
    /// Offset of the reply token.
    pub const TOKEN: usize = 16;
    /// Offset of the message.
    pub const MESSAGE: usize = 32;
}

/// Send the message to `cap` (completes once queued; waits while the queue is full).
pub const OP_SEND: u64 = 1;
/// Receive the next message for the service `cap` (completes with it and its token).
pub const OP_RECV: u64 = 2;
/// Answer the call whose token is in the `cap` field with the message.
pub const OP_REPLY: u64 = 3;

/// Bytes of a ring with `entries` slots per queue.
pub const fn ring_bytes(entries: u32) -> u64 {
    SQ_OFFSET + 2 * entries as u64 * ENTRY_SIZE
}
