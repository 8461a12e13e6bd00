//! The one error type of every filesystem operation, and its wire codes.

use core::fmt;

/// Why a filesystem operation failed.
///
/// Errors cross IPC as numbers ([`FsError::code`], [`FsError::from_code`]); the codes
/// are part of the storage service's protocol and **never change**: a new variant gets
/// the next free code, a retired one keeps its code unused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FsError {
    /// No node has this path (or a directory on the way is missing). Code 1.
    NotFound,
    /// The path already names a node (`mkdir`, or `open` with `CREATE | EXCLUSIVE`). Code 2.
    AlreadyExists,
    /// A component on the way, or the target of `readdir`, is a file. Code 3.
    NotADirectory,
    /// The operation needs a file but the path names a directory. Code 4.
    IsADirectory,
    /// `unlink` of a directory that still has entries. Code 5.
    DirectoryNotEmpty,
    /// The handle is closed, was never issued, or belongs to another client. Code 6.
    BadHandle,
    /// The path is malformed: empty, relative, `//`, `.`, `..`, a NUL byte, a trailing `/`. Code 7.
    BadPath,
    /// A component is longer than 255 bytes or the path longer than 1024. Code 8.
    NameTooLong,
    /// The byte capacity or the node limit would be exceeded; nothing changed. Code 9.
    NoSpace,
    /// The open-file table is full. Code 10.
    TooManyOpen,
    /// The handle was not opened for this access, or the operation is forbidden (`unlink /`). Code 11.
    AccessDenied,
    /// Malformed flags or a seek to a negative or unrepresentable position. Code 12.
    InvalidArgument,
}

/// Every variant in code order: `ALL[i]` has code `i + 1`. One table keeps
/// [`FsError::code`] and [`FsError::from_code`] from disagreeing.
const ALL: [FsError; 12] = [
    FsError::NotFound,
    FsError::AlreadyExists,
    FsError::NotADirectory,
    FsError::IsADirectory,
    FsError::DirectoryNotEmpty,
    FsError::BadHandle,
    FsError::BadPath,
    FsError::NameTooLong,
    FsError::NoSpace,
    FsError::TooManyOpen,
    FsError::AccessDenied,
    FsError::InvalidArgument,
];

impl FsError {
    /// The stable wire code, `1..=12` in declaration order (0 is left for "no error").
    pub const fn code(self) -> u16 {
        match self {
            FsError::NotFound => 1,
            FsError::AlreadyExists => 2,
            FsError::NotADirectory => 3,
            FsError::IsADirectory => 4,
            FsError::DirectoryNotEmpty => 5,
            FsError::BadHandle => 6,
            FsError::BadPath => 7,
            FsError::NameTooLong => 8,
            FsError::NoSpace => 9,
            FsError::TooManyOpen => 10,
            FsError::AccessDenied => 11,
            FsError::InvalidArgument => 12,
        }
    }

    /// Decodes a wire code; `None` for 0 and for codes no variant has.
    pub fn from_code(code: u16) -> Option<FsError> {
        ALL.iter().copied().find(|error| error.code() == code)
    }

    /// A short lowercase message, as the shell prints it.
    pub const fn as_str(self) -> &'static str {
        match self {
            FsError::NotFound => "no such file or directory",
            FsError::AlreadyExists => "file exists",
            FsError::NotADirectory => "not a directory",
            FsError::IsADirectory => "is a directory",
            FsError::DirectoryNotEmpty => "directory not empty",
            FsError::BadHandle => "bad file handle",
            FsError::BadPath => "malformed path",
            FsError::NameTooLong => "name too long",
            FsError::NoSpace => "no space left",
            FsError::TooManyOpen => "too many open files",
            FsError::AccessDenied => "access denied",
            FsError::InvalidArgument => "invalid argument",
        }
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for FsError {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn codes_are_one_to_twelve_in_declaration_order() {
        for (i, error) in ALL.iter().enumerate() {
            assert_eq!(usize::from(error.code()), i + 1);
        }
    }

    #[test]
    fn codes_round_trip_and_unknown_codes_are_none() {
        for error in ALL {
            assert_eq!(FsError::from_code(error.code()), Some(error));
        }
        assert_eq!(FsError::from_code(0), None);
        assert_eq!(FsError::from_code(13), None);
        assert_eq!(FsError::from_code(u16::MAX), None);
    }

    #[test]
    fn messages_are_short_lowercase_and_distinct() {
        for (i, a) in ALL.iter().enumerate() {
            let text = a.to_string();
            assert!(!text.is_empty() && text.len() < 32);
            assert_eq!(text, text.to_lowercase());
            assert!(ALL[i + 1..].iter().all(|b| b.as_str() != a.as_str()));
        }
        assert_eq!(FsError::NotFound.to_string(), "no such file or directory");
    }
}

#[cfg(test)]
mod wire_tests {
    use super::*;
    use mohhos_abi::storage::Status;

    /// The storage protocol's statuses 1 to 12 are these errors, code for code and name
    /// for name (the kernel converts by code).
    #[test]
    fn codes_match_the_storage_protocol() {
        for error in ALL {
            let status = Status::from_code(u64::from(error.code())).expect("a status");
            assert_eq!(alloc::format!("{error:?}"), alloc::format!("{status:?}"));
        }
    }
}
