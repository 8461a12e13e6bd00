//! How a file is opened: the `open` flags and the rules on combining them.

use core::ops::BitOr;

use super::FsError;

/// A set of `open` flags. Built from the constants with `|`, or decoded from a wire
/// value with [`OpenFlags::from_bits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpenFlags(u32);

impl OpenFlags {
    /// The handle may [`read`](super::RamFs::read).
    pub const READ: OpenFlags = OpenFlags(1 << 0);
    /// The handle may [`write`](super::RamFs::write).
    pub const WRITE: OpenFlags = OpenFlags(1 << 1);
    /// Create the file if it does not exist (its parent directory must).
    pub const CREATE: OpenFlags = OpenFlags(1 << 2);
    /// Empty an existing file on open. Needs `WRITE`.
    pub const TRUNCATE: OpenFlags = OpenFlags(1 << 3);
    /// Every write goes to the current end of the file. Needs `WRITE`.
    pub const APPEND: OpenFlags = OpenFlags(1 << 4);
    /// With `CREATE`: fail with [`FsError::AlreadyExists`] if the path exists. Needs `CREATE`.
    pub const EXCLUSIVE: OpenFlags = OpenFlags(1 << 5);

    /// Every defined bit; the wire decoder refuses any other.
    const ALL_BITS: u32 = (1 << 6) - 1;

    /// The wire value.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Decodes a wire value; `None` if it sets a bit no flag has, so that a newer
    /// client's flag is refused rather than silently ignored.
    pub const fn from_bits(bits: u32) -> Option<OpenFlags> {
        if bits & !Self::ALL_BITS == 0 {
            Some(OpenFlags(bits))
        } else {
            None
        }
    }

    /// Both sets together; the `const` spelling of `|`, for flag constants.
    pub const fn union(self, other: OpenFlags) -> OpenFlags {
        OpenFlags(self.0 | other.0)
    }

    /// Whether every flag of `other` is set in `self`.
    pub const fn contains(self, other: OpenFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Checks that the combination means something: at least one of `READ` and
    /// `WRITE`, `TRUNCATE` and `APPEND` only with `WRITE`, `EXCLUSIVE` only with
    /// `CREATE`. POSIX leaves the others undefined; refusing them catches client bugs.
    pub(super) fn validate(self) -> Result<(), FsError> {
        let needs_write = OpenFlags::TRUNCATE | OpenFlags::APPEND;
        let valid = (self.contains(OpenFlags::READ) || self.contains(OpenFlags::WRITE))
            && (self.contains(OpenFlags::WRITE) || self.0 & needs_write.0 == 0)
            && (self.contains(OpenFlags::CREATE) || !self.contains(OpenFlags::EXCLUSIVE));
        if valid {
            Ok(())
        } else {
            Err(FsError::InvalidArgument)
        }
    }
}

impl BitOr for OpenFlags {
    type Output = OpenFlags;

    fn bitor(self, other: OpenFlags) -> OpenFlags {
        self.union(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip_and_unknown_bits_are_refused() {
        for bits in 0..=OpenFlags::ALL_BITS {
            assert_eq!(OpenFlags::from_bits(bits).map(OpenFlags::bits), Some(bits));
        }
        assert_eq!(OpenFlags::from_bits(1 << 6), None);
        assert_eq!(OpenFlags::from_bits(u32::MAX), None);
        assert_eq!((OpenFlags::READ | OpenFlags::APPEND).bits(), 0b1_0001);
    }

    #[test]
    fn meaningless_combinations_are_invalid() {
        use OpenFlags as F;
        let valid = [
            F::READ,
            F::WRITE,
            F::READ | F::CREATE,
            F::WRITE | F::TRUNCATE | F::APPEND,
            F::WRITE | F::CREATE | F::EXCLUSIVE,
        ];
        for flags in valid {
            assert_eq!(flags.validate(), Ok(()), "{flags:?}");
        }
        let invalid = [
            F::CREATE,
            F::READ | F::TRUNCATE,
            F::READ | F::APPEND,
            F::WRITE | F::EXCLUSIVE,
        ];
        for flags in invalid {
            assert_eq!(flags.validate(), Err(FsError::InvalidArgument), "{flags:?}");
        }
        assert_eq!(
            OpenFlags::from_bits(0).map(OpenFlags::validate),
            Some(Err(FsError::InvalidArgument))
        );
    }
}

#[cfg(test)]
mod wire_tests {
    use super::OpenFlags;
    use mohhos_abi::storage::open_flags;

    /// The storage protocol's flag bits are these flags.
    #[test]
    fn bits_match_the_storage_protocol() {
        for (flag, bit) in [
            (OpenFlags::READ, open_flags::READ),
            (OpenFlags::WRITE, open_flags::WRITE),
            (OpenFlags::CREATE, open_flags::CREATE),
            (OpenFlags::TRUNCATE, open_flags::TRUNCATE),
            (OpenFlags::APPEND, open_flags::APPEND),
            (OpenFlags::EXCLUSIVE, open_flags::EXCLUSIVE),
        ] {
            assert_eq!(u64::from(flag.bits()), bit);
        }
    }
}
