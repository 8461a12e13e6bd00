//! The storage service's clients and their attached buffers: a short list (at most
//! `MAX_CLIENTS`) that remembers where its last lookup hit, since a client usually makes
//! several requests in a row (open, read, close): one compare instead of a search.

use alloc::vec::Vec;
use core::cell::Cell;
use ipc::RegionMap;

/// A client: a process id, or 0 for the kernel.
pub type ClientId = u64;

/// Each client's buffer, at most one per client.
#[derive(Default)]
pub struct ClientBuffers {
    entries: Vec<(ClientId, RegionMap)>,
    /// Where the last lookup hit (may be out of range after a removal).
    last: Cell<usize>,
}

impl ClientBuffers {
    /// Clients with a buffer.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The buffer of `client`, if it attached one.
    #[inline]
    pub fn get(&self, client: ClientId) -> Option<&RegionMap> {
        if let Some((id, map)) = self.entries.get(self.last.get())
            && *id == client
        {
            return Some(map);
        }
        let index = self.entries.iter().position(|(id, _)| *id == client)?;
        self.last.set(index);
        Some(&self.entries[index].1)
    }

    /// Whether `client` has a buffer.
    pub fn contains(&self, client: ClientId) -> bool {
        self.get(client).is_some()
    }

    /// Attaches `map` as the buffer of `client`, replacing any earlier one.
    pub fn insert(&mut self, client: ClientId, map: RegionMap) {
        match self.entries.iter_mut().find(|(id, _)| *id == client) {
            Some(entry) => entry.1 = map,
            None => self.entries.push((client, map)),
        }
    }

    /// Drops the buffers of the clients `ended` says have ended; returns those clients.
    pub fn remove_ended(&mut self, ended: impl Fn(ClientId) -> bool) -> Vec<ClientId> {
        let gone: Vec<ClientId> = self
            .entries
            .iter()
            .map(|(id, _)| *id)
            .filter(|&id| ended(id))
            .collect();
        self.entries.retain(|(id, _)| !gone.contains(id));
        gone
    }
}
