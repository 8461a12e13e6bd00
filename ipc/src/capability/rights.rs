//! Capability rights: a hand-written bit set over `u8`.
//!
//! Invariant: only the five defined bits are ever set (constructors mask or reject the
//! rest), so a rights value always fits the 8 bits the slot word reserves for it.

use core::fmt;
use core::ops::BitOr;

/// What a capability lets its holder do with the object it designates.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Rights(u8);

impl Rights {
    /// No right at all.
    pub const NONE: Rights = Rights(0);
    /// Send messages to the endpoint / service.
    pub const SEND: Rights = Rights(1 << 0);
    /// Receive messages from the endpoint.
    pub const RECEIVE: Rights = Rights(1 << 1);
    /// Derive (grant) new capabilities from this one.
    pub const GRANT: Rights = Rights(1 << 2);
    /// Map the region into the holder's view.
    pub const MAP: Rights = Rights(1 << 3);
    /// Manage the object (close it, change its settings).
    pub const MANAGE: Rights = Rights(1 << 4);
    /// Every right.
    pub const ALL: Rights = Rights(0b1_1111);

    /// Display letters, one per bit from the lowest: send, receive, grant, map, manage (`a`).
    const LETTERS: [char; 5] = ['s', 'r', 'g', 'm', 'a'];

    /// The raw bits (for the syscall boundary).
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Rights from raw bits; `None` when an undefined bit is set.
    pub const fn from_bits(bits: u8) -> Option<Rights> {
        if bits & !Rights::ALL.0 == 0 {
            Some(Rights(bits))
        } else {
            None
        }
    }

    /// Rights from raw bits, dropping undefined ones (for words this crate packed itself).
    pub(crate) const fn from_bits_truncate(bits: u8) -> Rights {
        Rights(bits & Rights::ALL.0)
    }

    /// Whether every right in `other` is also in `self`.
    pub const fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    /// The rights present in both.
    pub const fn intersection(self, other: Rights) -> Rights {
        Rights(self.0 & other.0)
    }

    /// The rights present in either.
    pub const fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }

    /// Whether `self` keeps or shrinks `other` (never grows it).
    pub const fn is_subset_of(self, other: Rights) -> bool {
        other.contains(self)
    }
}

impl BitOr for Rights {
    type Output = Rights;

    fn bitor(self, other: Rights) -> Rights {
        self.union(other)
    }
}

/// Five letters, `-` for an absent right: `SEND | RECEIVE | MAP` is `sr-m-`.
impl fmt::Display for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (bit, letter) in Rights::LETTERS.iter().enumerate() {
            let present = self.0 & (1 << bit) != 0;
            fmt::Write::write_char(f, if present { *letter } else { '-' })?;
        }
        Ok(())
    }
}

impl fmt::Debug for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rights({self})")
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn display_shows_one_letter_per_right() {
        assert_eq!(Rights::NONE.to_string(), "-----");
        assert_eq!(Rights::ALL.to_string(), "srgma");
        assert_eq!(
            (Rights::SEND | Rights::RECEIVE | Rights::MAP).to_string(),
            "sr-m-"
        );
        assert_eq!(alloc::format!("{:?}", Rights::GRANT), "Rights(--g--)");
    }

    #[test]
    fn subset_and_contains_agree() {
        let send_receive = Rights::SEND | Rights::RECEIVE;
        assert!(send_receive.contains(Rights::SEND));
        assert!(!send_receive.contains(Rights::GRANT));
        assert!(Rights::SEND.is_subset_of(send_receive));
        assert!(!Rights::ALL.is_subset_of(send_receive));
        assert!(Rights::NONE.is_subset_of(Rights::NONE));
        assert_eq!(
            send_receive.intersection(Rights::RECEIVE | Rights::MAP),
            Rights::RECEIVE
        );
    }

    #[test]
    fn from_bits_rejects_undefined_bits() {
        assert_eq!(
            Rights::from_bits(0b1_0001),
            Some(Rights::SEND | Rights::MANAGE)
        );
        assert_eq!(Rights::from_bits(0b10_0000), None);
        assert_eq!(Rights::from_bits_truncate(0xff), Rights::ALL);
    }
}
