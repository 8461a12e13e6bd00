//! The tags of `user.handoff` (shared by `handoff-service` and `handoff-client`): each
//! picks how the service answers.

/// Prints a line, then answers.
pub const WRITE_FIRST: u64 = 1;
/// Spins `data[1]` million TSC ticks, then answers.
pub const SPIN_FIRST: u64 = 2;
/// Sleeps `data[1]` µs, then answers.
pub const SLEEP_FIRST: u64 = 3;
/// Answers through `ipc_reply` (the message in memory).
pub const REPLY_IN_MEMORY: u64 = 4;
/// Dies (`ud2`).
pub const FAULT: u64 = 5;
/// Any other tag: answers at once.
pub const ECHO: u64 = 0;
