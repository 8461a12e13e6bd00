//! Derivation bookkeeping: which slot was granted from which, and which slots are free.
//!
//! Every live slot is a node; a root (minted) has no parent, a granted slot's parent is the
//! slot it was granted from. Children form a doubly linked sibling list (indices, no
//! allocation per grant). Lives under the table lock.
//!
//! Invariants: a node's parent is live; detaching a node detaches its whole subtree, so no
//! node outlives its ancestors; a free slot has empty links and sits in the free list once.

use alloc::vec::Vec;

use super::SecurityLevel;

const NONE: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Links {
    parent: u32,
    first_child: u32,
    next_sibling: u32,
    prev_sibling: u32,
    /// The lowest level a holder of this object must have (inherited from the root).
    min_level: SecurityLevel,
}

impl Links {
    const EMPTY: Links = Links {
        parent: NONE,
        first_child: NONE,
        next_sibling: NONE,
        prev_sibling: NONE,
        min_level: SecurityLevel::User,
    };
}

/// The derivation forest and the free list.
pub(super) struct Tree {
    links: Vec<Links>,
    free: Vec<u32>,
}

impl Tree {
    /// `slots` free slots, handed out lowest index first.
    pub(super) fn new(slots: u32) -> Self {
        Self {
            links: alloc::vec![Links::EMPTY; slots as usize],
            free: (0..slots).rev().collect(),
        }
    }

    /// Takes a free slot, if any.
    pub(super) fn take_free(&mut self) -> Option<u32> {
        self.free.pop()
    }

    /// Links `index` as a root.
    pub(super) fn insert_root(&mut self, index: u32, min_level: SecurityLevel) {
        self.links[index as usize] = Links {
            min_level,
            ..Links::EMPTY
        };
    }

    /// Links `index` as the newest child of `parent`.
    pub(super) fn insert_child(&mut self, parent: u32, index: u32) {
        let old_first = self.links[parent as usize].first_child;
        self.links[index as usize] = Links {
            parent,
            next_sibling: old_first,
            min_level: self.links[parent as usize].min_level,
            ..Links::EMPTY
        };
        if old_first != NONE {
            self.links[old_first as usize].prev_sibling = index;
        }
        self.links[parent as usize].first_child = index;
    }

    /// The lowest level a holder of `index`'s object must have.
    pub(super) fn min_level(&self, index: u32) -> SecurityLevel {
        self.links[index as usize].min_level
    }

    /// Cuts every descendant of `index` off (it keeps its own place); returns them.
    pub(super) fn detach_descendants(&mut self, index: u32) -> Vec<u32> {
        let first = core::mem::replace(&mut self.links[index as usize].first_child, NONE);
        let mut detached = Vec::new();
        self.collect_siblings(first, &mut detached);
        let mut next = 0;
        while next < detached.len() {
            let child = self.links[detached[next] as usize].first_child;
            self.collect_siblings(child, &mut detached);
            next += 1;
        }
        detached
    }

    /// Cuts `index` and its subtree out of the forest; returns them (`index` first).
    pub(super) fn detach_subtree(&mut self, index: u32) -> Vec<u32> {
        let Links {
            parent,
            next_sibling,
            prev_sibling,
            ..
        } = self.links[index as usize];
        if prev_sibling != NONE {
            self.links[prev_sibling as usize].next_sibling = next_sibling;
        } else if parent != NONE {
            self.links[parent as usize].first_child = next_sibling;
        }
        if next_sibling != NONE {
            self.links[next_sibling as usize].prev_sibling = prev_sibling;
        }
        let mut detached = alloc::vec![index];
        detached.extend(self.detach_descendants(index));
        detached
    }

    /// Empties the links of a detached slot; `reusable` puts it back in the free list (a
    /// slot whose generation is worn out is retired instead).
    pub(super) fn release(&mut self, index: u32, reusable: bool) {
        self.links[index as usize] = Links::EMPTY;
        if reusable {
            self.free.push(index);
        }
    }

    fn collect_siblings(&self, first: u32, into: &mut Vec<u32>) {
        let mut sibling = first;
        while sibling != NONE {
            into.push(sibling);
            sibling = self.links[sibling as usize].next_sibling;
        }
    }
}
