//! A short list of values under `u64` keys that remembers where its last lookup hit.
//!
//! For the tables a caller hits with the same key several times in a row and that stay
//! small (bounded by a quota): a process's open connections (a program usually calls the
//! same service again), the storage service's clients (open, read, close come from one
//! client). The usual lookup is one compare; a miss is a scan of a few entries, where a
//! tree search would cost more than the scan. At most one value per key.

use alloc::vec::Vec;
use core::cell::Cell;

/// Values under distinct keys, in no particular order.
pub struct LastHitList<V> {
    entries: Vec<(u64, V)>,
    /// Where the last lookup hit (may be out of date, or out of range after a removal:
    /// always checked).
    last: Cell<usize>,
}

impl<V> Default for LastHitList<V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            last: Cell::new(0),
        }
    }
}

impl<V> LastHitList<V> {
    /// How many values it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where the value under `key` is, for [`LastHitList::at_mut`] (a position stays
    /// valid until the list changes).
    #[inline]
    pub fn position(&self, key: u64) -> Option<usize> {
        let last = self.last.get();
        if self.entries.get(last).is_some_and(|(k, _)| *k == key) {
            return Some(last);
        }
        let at = self.entries.iter().position(|(k, _)| *k == key)?;
        self.last.set(at);
        Some(at)
    }

    /// The value under `key`.
    #[inline]
    pub fn get(&self, key: u64) -> Option<&V> {
        self.position(key).map(|at| &self.entries[at].1)
    }

    /// The value at a position [`LastHitList::position`] returned.
    ///
    /// # Panics
    /// If `at` is not a position of the list.
    #[inline]
    pub fn at_mut(&mut self, at: usize) -> &mut V {
        &mut self.entries[at].1
    }

    /// Puts `value` under `key`, replacing the value there; returns it in place.
    pub fn insert(&mut self, key: u64, value: V) -> &mut V {
        let at = match self.position(key) {
            Some(at) => {
                self.entries[at].1 = value;
                at
            }
            None => {
                self.entries.push((key, value));
                self.entries.len() - 1
            }
        };
        self.last.set(at);
        &mut self.entries[at].1
    }

    /// Takes the value under `key` out.
    pub fn remove(&mut self, key: u64) -> Option<V> {
        let at = self.position(key)?;
        Some(self.entries.swap_remove(at).1)
    }

    /// The keys, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.entries.iter().map(|(key, _)| *key)
    }

    /// Keeps only the values whose key `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(u64) -> bool) {
        self.entries.retain(|(key, _)| keep(*key));
    }

    /// Drops every value.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn finds_replaces_and_removes_by_key() {
        let mut list = LastHitList::default();
        assert!(list.is_empty());
        for key in [7, 3, 9] {
            list.insert(key, key * 10);
        }
        assert_eq!(
            (list.get(3), list.get(9), list.get(4)),
            (Some(&30), Some(&90), None)
        );
        *list.insert(3, 31) += 1;
        assert_eq!((list.get(3), list.len()), (Some(&32), 3));
        assert_eq!(list.remove(7), Some(70));
        assert_eq!(list.remove(7), None);
        // The swap moved 9 into 7's place: still found, and so is everything else.
        assert_eq!(
            (list.get(9), list.get(3), list.len()),
            (Some(&90), Some(&32), 2)
        );
        let at = list.position(9).unwrap();
        *list.at_mut(at) = 91;
        assert_eq!(list.get(9), Some(&91));
    }

    #[test]
    fn a_stale_hint_never_answers_for_another_key() {
        let mut list = LastHitList::default();
        list.insert(1, 'a');
        list.insert(2, 'b');
        assert_eq!(list.get(2), Some(&'b')); // the hint now points at 2
        list.remove(2);
        assert_eq!(list.get(2), None, "hint out of range");
        list.insert(3, 'c');
        assert_eq!(list.get(2), None, "hint at a new key");
        assert_eq!(list.get(1), Some(&'a'));
    }

    #[test]
    fn retain_keys_and_clear() {
        let mut list = LastHitList::default();
        for key in 0..6 {
            list.insert(key, ());
        }
        list.retain(|key| key % 2 == 0);
        let mut keys: Vec<u64> = list.keys().collect();
        keys.sort();
        assert_eq!(keys, vec![0, 2, 4]);
        assert_eq!(list.get(3), None);
        list.clear();
        assert!(list.is_empty() && list.get(0).is_none());
    }
}
