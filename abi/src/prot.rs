//! Page protections of user memory.

/// Access rights of a user region: a bit set of `READ`, `WRITE`, `EXEC`.
/// Writable and executable together is refused (W^X).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Prot(u64);

impl Prot {
    /// Readable.
    pub const READ: Prot = Prot(1);
    /// Writable (implies readable on x86_64).
    pub const WRITE: Prot = Prot(2);
    /// Executable (implies readable on x86_64).
    pub const EXEC: Prot = Prot(4);
    /// Readable and writable.
    pub const READ_WRITE: Prot = Prot(3);
    /// Readable and executable.
    pub const READ_EXEC: Prot = Prot(5);

    /// Checks a user-supplied value: only known bits, at least one, never WRITE with EXEC.
    pub fn from_bits(bits: u64) -> Option<Prot> {
        let known = Self::READ.0 | Self::WRITE.0 | Self::EXEC.0;
        let both = Self::WRITE.0 | Self::EXEC.0;
        (bits != 0 && bits & !known == 0 && bits & both != both).then_some(Prot(bits))
    }

    /// The raw bits (the system-call argument).
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether writes are allowed.
    pub const fn writable(self) -> bool {
        self.0 & Self::WRITE.0 != 0
    }

    /// Whether instruction fetches are allowed.
    pub const fn executable(self) -> bool {
        self.0 & Self::EXEC.0 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_with_exec_is_refused() {
        assert_eq!(Prot::from_bits(6), None);
        assert_eq!(Prot::from_bits(7), None);
    }

    #[test]
    fn unknown_or_empty_bits_are_refused() {
        assert_eq!(Prot::from_bits(0), None);
        assert_eq!(Prot::from_bits(8), None);
        assert_eq!(Prot::from_bits(1 << 63), None);
    }

    #[test]
    fn valid_combinations_pass() {
        for (bits, w, x) in [
            (1, false, false),
            (3, true, false),
            (5, false, true),
            (4, false, true),
        ] {
            let prot = Prot::from_bits(bits).expect("valid");
            assert_eq!((prot.writable(), prot.executable()), (w, x));
        }
    }
}
