//! Error codes and the encoding of a system call's result in `rax`.

use core::fmt;

/// Why a system call failed. The kernel returns `-(code as i64)` in `rax`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum Error {
    /// An argument is out of range or malformed (zero length, bad flags, W+X, …).
    InvalidArgument = 1,
    /// A pointer or range is not mapped user memory with the needed access, straddles the
    /// user/kernel boundary, or overflows.
    BadAddress = 2,
    /// The kernel is out of memory.
    NoMemory = 3,
    /// The process's quota (memory, capabilities, queue slots) is used up.
    QuotaExceeded = 4,
    /// The capability lacks a right the call needs.
    Denied = 5,
    /// No such program, service, process, capability or reply token.
    NotFound = 6,
    /// The capability's generation is old (its object was revoked or freed).
    Stale = 7,
    /// The destination queue is full; nothing was sent.
    Full = 8,
    /// The deadline passed.
    Timeout = 9,
    /// The peer is gone.
    PeerDied = 10,
    /// No system call has this number.
    NoSuchSyscall = 11,
    /// The name is already taken.
    AlreadyExists = 12,
    /// The object was closed by its owner.
    Closed = 13,
}

impl Error {
    /// Every error, in code order.
    pub const ALL: [Error; 13] = [
        Error::InvalidArgument,
        Error::BadAddress,
        Error::NoMemory,
        Error::QuotaExceeded,
        Error::Denied,
        Error::NotFound,
        Error::Stale,
        Error::Full,
        Error::Timeout,
        Error::PeerDied,
        Error::NoSuchSyscall,
        Error::AlreadyExists,
        Error::Closed,
    ];

    /// The error with this code, if any.
    pub fn from_code(code: u64) -> Option<Error> {
        Error::ALL.into_iter().find(|e| *e as u64 == code)
    }

    /// A short lowercase name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Error::InvalidArgument => "invalid argument",
            Error::BadAddress => "bad address",
            Error::NoMemory => "out of memory",
            Error::QuotaExceeded => "quota exceeded",
            Error::Denied => "denied",
            Error::NotFound => "not found",
            Error::Stale => "stale capability",
            Error::Full => "full",
            Error::Timeout => "timeout",
            Error::PeerDied => "peer died",
            Error::NoSuchSyscall => "no such system call",
            Error::AlreadyExists => "already exists",
            Error::Closed => "closed",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for Error {}

/// What a system call returns: a value or an error.
pub type SysResult = Result<u64, Error>;

/// The largest error code `rax` can carry.
const MAX_ERROR: u64 = 4095;

/// `rax` for a result. A success value must be below `2^64 - 4095` (the kernel's are:
/// counts, ids and user addresses).
pub fn encode(result: SysResult) -> u64 {
    match result {
        Ok(value) => {
            debug_assert!(value <= u64::MAX - MAX_ERROR, "value collides with errors");
            value
        }
        Err(error) => (error as u64).wrapping_neg(),
    }
}

/// The result carried by `rax`. A code in the error range that names no [`Error`]
/// (a newer kernel) decodes as `InvalidArgument`.
pub fn decode(rax: u64) -> SysResult {
    if rax > u64::MAX - MAX_ERROR {
        Err(Error::from_code(rax.wrapping_neg()).unwrap_or(Error::InvalidArgument))
    } else {
        Ok(rax)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_round_trips() {
        for error in Error::ALL {
            assert_eq!(decode(encode(Err(error))), Err(error));
            assert_eq!(Error::from_code(error as u64), Some(error));
        }
    }

    #[test]
    fn values_round_trip_up_to_the_error_range() {
        for value in [0, 1, 0x40_0000, u64::MAX - MAX_ERROR] {
            assert_eq!(decode(encode(Ok(value))), Ok(value));
        }
    }

    #[test]
    fn unknown_codes_in_the_error_range_are_errors() {
        assert_eq!(decode(4000u64.wrapping_neg()), Err(Error::InvalidArgument));
        assert_eq!(decode(u64::MAX - 4094), Err(Error::InvalidArgument));
    }
}
