//! The storage service's protocol (`svc.storage`, `docs/services.md`): shared by the
//! kernel's storage service and the user runtime's file API.
//!
//! Bulk data travels through a shared region the client attaches once ([`ATTACH`],
//! the region's capability in the message's cap word); every request names what it
//! uses of it (a path or file bytes at offset 0, at most the region's length). Every
//! answer has [`Status`] in `data[0]`; the other words depend on the request.

/// The storage service's endpoint.
pub const ENDPOINT: &str = "svc.storage";

/// Attach the shared buffer: the cap word holds a region capability (with grant).
pub const ATTACH: u64 = 0x0010;
/// `open`: `data[0]` = [`open_flags`] bits, `data[1]` = path length (path in the
/// buffer) → `data[1]` = file handle.
pub const OPEN: u64 = 0x0001;
/// `close`: `data[0]` = handle.
pub const CLOSE: u64 = 0x0002;
/// `read`: `data[0]` = handle, `data[1]` = most bytes → `data[1]` = bytes read, in
/// the buffer from offset 0.
pub const READ: u64 = 0x0003;
/// `write`: `data[0]` = handle, `data[1]` = bytes (in the buffer from offset 0) →
/// `data[1]` = bytes written.
pub const WRITE: u64 = 0x0004;
/// `seek`: `data[0]` = handle, `data[1]` = whence (0 start, 1 current, 2 end),
/// `data[2]` = offset (an `i64` for 1 and 2) → `data[1]` = new position.
pub const SEEK: u64 = 0x0005;
/// `stat`: `data[1]` = path length → `data[1]` = kind (0 file, 1 directory),
/// `data[2]` = size (bytes, or entries of a directory), `data[3]` = node number.
pub const STAT: u64 = 0x0006;
/// `fstat`: `data[0]` = handle → as [`STAT`].
pub const FSTAT: u64 = 0x0007;
/// `mkdir`: `data[1]` = path length.
pub const MKDIR: u64 = 0x0008;
/// `unlink` (a file, or an empty directory): `data[1]` = path length.
pub const UNLINK: u64 = 0x0009;
/// `readdir`: `data[1]` = path length, `data[2]` = index of the first entry wanted →
/// `data[1]` = entries written to the buffer (each: kind byte, size as 8 bytes little
/// endian, name length byte, name), `data[2]` = entries the directory has.
pub const READDIR: u64 = 0x000A;

/// The bits of `open`'s flags.
pub mod open_flags {
    /// Reading allowed.
    pub const READ: u64 = 1 << 0;
    /// Writing allowed.
    pub const WRITE: u64 = 1 << 1;
    /// Create the file if missing.
    pub const CREATE: u64 = 1 << 2;
    /// Empty the file first (needs `WRITE`).
    pub const TRUNCATE: u64 = 1 << 3;
    /// Every write at the end (needs `WRITE`).
    pub const APPEND: u64 = 1 << 4;
    /// With `CREATE`: fail if it exists.
    pub const EXCLUSIVE: u64 = 1 << 5;
}

/// Bytes a directory entry takes in the buffer besides its name.
pub const DIR_ENTRY_HEADER: usize = 10;

/// The outcome of a request: 0 is success, 1 to 12 are the filesystem's errors, from
/// 100 on the protocol's. Codes never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Status {
    /// Done.
    Ok = 0,
    /// No such file or directory.
    NotFound = 1,
    /// It exists already.
    AlreadyExists = 2,
    /// A path component is a file.
    NotADirectory = 3,
    /// It is a directory.
    IsADirectory = 4,
    /// The directory is not empty.
    DirectoryNotEmpty = 5,
    /// Not a handle of this client (closed, never opened, or another client's).
    BadHandle = 6,
    /// A malformed path.
    BadPath = 7,
    /// A name or path too long.
    NameTooLong = 8,
    /// The filesystem is full.
    NoSpace = 9,
    /// Too many files open.
    TooManyOpen = 10,
    /// Not opened for that, or not allowed.
    AccessDenied = 11,
    /// Malformed flags or position.
    InvalidArgument = 12,
    /// No buffer attached, or the request reaches past it.
    NoBuffer = 100,
    /// An unknown request, or a malformed one.
    BadRequest = 101,
    /// The service serves as many clients as it can.
    TooManyClients = 102,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 16] = [
        Status::Ok,
        Status::NotFound,
        Status::AlreadyExists,
        Status::NotADirectory,
        Status::IsADirectory,
        Status::DirectoryNotEmpty,
        Status::BadHandle,
        Status::BadPath,
        Status::NameTooLong,
        Status::NoSpace,
        Status::TooManyOpen,
        Status::AccessDenied,
        Status::InvalidArgument,
        Status::NoBuffer,
        Status::BadRequest,
        Status::TooManyClients,
    ];

    /// The status with wire code `code`.
    pub fn from_code(code: u64) -> Option<Status> {
        Self::ALL.into_iter().find(|s| *s as u64 == code)
    }

    /// What it means, in a few words.
    pub fn message(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NotFound => "no such file or directory",
            Status::AlreadyExists => "already exists",
            Status::NotADirectory => "not a directory",
            Status::IsADirectory => "is a directory",
            Status::DirectoryNotEmpty => "directory not empty",
            Status::BadHandle => "bad file handle",
            Status::BadPath => "malformed path",
            Status::NameTooLong => "name too long",
            Status::NoSpace => "no space left",
            Status::TooManyOpen => "too many open files",
            Status::AccessDenied => "access denied",
            Status::InvalidArgument => "invalid argument",
            Status::NoBuffer => "no buffer attached, or the request does not fit it",
            Status::BadRequest => "bad request",
            Status::TooManyClients => "too many clients",
        }
    }
}

impl core::fmt::Display for Status {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::from_code(status as u64), Some(status));
        }
        assert_eq!(Status::from_code(13), None);
    }
}
