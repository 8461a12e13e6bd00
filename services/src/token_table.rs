//! Values handed out under numbers that are never reused: a process's reply tokens.
//!
//! A number is `serial << 16 | slot`: the slot says where the value lies (no search),
//! the serial (counting from 1, one per value kept; 2^47 of them, four years at a million
//! a second) makes every number unique for the table's life, so a number that was used
//! up, or never handed out, finds nothing even when its slot holds a newer value. Numbers
//! are never 0 (0 means "no token" in the ABI) and never have [`RESERVED_BIT`] set, so
//! the table's owner can hand out numbers of its own beside them. Freed slots are reused,
//! so the table holds at most as many slots as values were ever kept at once (at most
//! 2^16).

use alloc::vec::Vec;

/// Bits of a number that name the slot.
const SLOT_BITS: u32 = 16;
/// The bit no number of a table has.
pub const RESERVED_BIT: u64 = 1 << 63;
/// The first serial that is never handed out.
const SERIAL_END: u64 = RESERVED_BIT >> SLOT_BITS;

/// Values under unique non-zero numbers.
pub struct TokenTable<V> {
    /// Each slot's value and the serial it was kept under (`None`: free).
    slots: Vec<Option<(u64, V)>>,
    /// Free slots, reused last-freed first.
    free: Vec<u16>,
    /// The serial of the next value (from 1).
    next_serial: u64,
    /// Values held.
    len: usize,
}

impl<V> Default for TokenTable<V> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
            next_serial: 1,
            len: 0,
        }
    }
}

impl<V> TokenTable<V> {
    /// How many values it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keeps `value`; returns its number, or gives `value` back when 2^16 values are
    /// held, or once every serial has been handed out (nothing is ever reused).
    pub fn insert(&mut self, value: V) -> Result<u64, V> {
        let serial = self.next_serial;
        let slot = match self.free.pop() {
            _ if serial == SERIAL_END => return Err(value),
            Some(slot) => slot,
            None => match u16::try_from(self.slots.len()) {
                Ok(slot) => {
                    self.slots.push(None);
                    slot
                }
                Err(_) => return Err(value),
            },
        };
        self.next_serial += 1;
        self.slots[usize::from(slot)] = Some((serial, value));
        self.len += 1;
        Ok(serial << SLOT_BITS | u64::from(slot))
    }

    /// Takes out the value under `number`; `None` if it holds none (never handed out,
    /// or already taken).
    pub fn remove(&mut self, number: u64) -> Option<V> {
        let (serial, slot) = (number >> SLOT_BITS, number as u16);
        let entry = self.slots.get_mut(usize::from(slot))?;
        if !matches!(entry, Some((kept, _)) if *kept == serial) {
            return None;
        }
        let (_, value) = entry.take()?;
        self.free.push(slot);
        self.len -= 1;
        Some(value)
    }

    /// Drops every value (the numbers handed out stay used up).
    pub fn clear(&mut self) {
        self.slots.clear();
        self.free.clear();
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_never_zero() {
        let mut table = TokenTable::default();
        let mut seen = alloc::collections::BTreeSet::new();
        for round in 0..100 {
            let a = table.insert(round).unwrap();
            let b = table.insert(round + 1000).unwrap();
            assert!(a != 0 && b != 0);
            assert!(seen.insert(a) && seen.insert(b));
            assert_eq!(table.remove(a), Some(round));
            assert_eq!(table.remove(b), Some(round + 1000));
        }
        assert!(table.is_empty());
        // Two slots were enough for two values at a time.
        assert_eq!(table.slots.len(), 2);
    }

    #[test]
    fn a_used_up_number_finds_nothing_even_when_its_slot_is_reused() {
        let mut table = TokenTable::default();
        let old = table.insert("old").unwrap();
        assert_eq!(table.remove(old), Some("old"));
        let new = table.insert("new").unwrap();
        assert_eq!(new as u16, old as u16, "the slot is reused");
        assert_eq!(table.remove(old), None);
        assert_eq!(table.len(), 1);
        assert_eq!(table.remove(new), Some("new"));
        assert_eq!(table.remove(new), None);
    }

    #[test]
    fn forged_numbers_find_nothing() {
        let mut table = TokenTable::default();
        let kept = table.insert(7).unwrap();
        for forged in [
            0,
            1,
            0xdead_beef,
            u64::MAX,
            kept + 1,
            kept ^ (1 << SLOT_BITS),
        ] {
            assert_eq!(table.remove(forged), None, "{forged:#x}");
        }
        assert_eq!(table.remove(kept), Some(7));
    }

    #[test]
    fn clear_drops_everything_and_keeps_numbers_used_up() {
        let mut table = TokenTable::default();
        let first = table.insert(1).unwrap();
        table.insert(2).unwrap();
        table.clear();
        assert!(table.is_empty());
        assert_eq!(table.remove(first), None);
        let next = table.insert(3).unwrap();
        assert_ne!(next, first);
        assert_eq!(table.remove(next), Some(3));
    }

    #[test]
    fn at_most_2_16_values_at_once() {
        let mut table = TokenTable::default();
        for value in 0..1 << SLOT_BITS {
            table.insert(value).unwrap();
        }
        assert_eq!(table.insert(-1), Err(-1));
    }

    #[test]
    fn serials_run_out_without_reuse() {
        let mut table = TokenTable {
            next_serial: SERIAL_END - 1,
            ..TokenTable::default()
        };
        let last = table.insert('a').unwrap();
        assert_eq!(
            last & RESERVED_BIT,
            0,
            "the last number leaves the reserved bit clear"
        );
        assert_eq!(table.insert('b'), Err('b'));
        assert_eq!(table.remove(last), Some('a'));
        assert_eq!(table.insert('c'), Err('c'));
    }
}
