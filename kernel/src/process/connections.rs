//! A process's open connections, by capability word: a short list (at most
//! `MAX_CONNECTIONS`) that remembers where its last lookup hit, so the usual call —
//! the same connection as the one before — finds it with one compare instead of a
//! tree search.

use alloc::vec::Vec;
use ipc::Connection;

/// Open connections, each under the capability word that names it.
#[derive(Default)]
pub struct Connections {
    open: Vec<(u64, Connection<'static>)>,
    /// Where the last lookup hit (may be out of date: always checked).
    last: usize,
}

impl Connections {
    /// How many are open.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// The position of the connection `cap` names, if it is open.
    #[inline]
    pub fn find(&mut self, cap: u64) -> Option<usize> {
        if self.open.get(self.last).is_some_and(|(c, _)| *c == cap) {
            return Some(self.last);
        }
        let at = self.open.iter().position(|(c, _)| *c == cap)?;
        self.last = at;
        Some(at)
    }

    /// The connection at a position [`Connections::find`] returned.
    #[inline]
    pub fn at(&mut self, at: usize) -> &mut Connection<'static> {
        &mut self.open[at].1
    }

    /// Adds `connection` under `cap` (not open yet); returns it.
    pub fn insert(
        &mut self,
        cap: u64,
        connection: Connection<'static>,
    ) -> &mut Connection<'static> {
        debug_assert!(
            self.open.iter().all(|(c, _)| *c != cap),
            "connection {cap:#x} twice"
        );
        self.last = self.open.len();
        self.open.push((cap, connection));
        &mut self.open[self.last].1
    }

    /// Takes the connection `cap` names out.
    pub fn remove(&mut self, cap: u64) -> Option<Connection<'static>> {
        let at = self.find(cap)?;
        Some(self.open.swap_remove(at).1)
    }

    /// Keeps only the connections for which `keep(cap)` holds.
    pub fn retain(&mut self, mut keep: impl FnMut(u64) -> bool) {
        self.open.retain(|(cap, _)| keep(*cap));
    }

    /// Closes every connection.
    pub fn clear(&mut self) {
        self.open.clear();
    }
}
