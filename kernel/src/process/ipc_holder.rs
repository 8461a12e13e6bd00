//! A process's IPC: it is a capability holder at the user security level; its
//! capabilities name the connections and services it opened, and it keeps the reply
//! tokens of the calls it received until it answers them.
//!
//! Every capability word a process passes is checked against the capability table (a
//! forged one is `NotFound` or `Denied`, a revoked one `Stale`), and every message of an
//! open connection is checked again. When the process ends, its tokens are dropped (their
//! callers get `PeerDied`), its services and names go away, and so do its capabilities.
//!
//! Calls and one-way sends are in `ipc_holder/calls.rs`, receives and replies in
//! `ipc_holder/receive.rs`.

mod calls;
mod receive;

use super::control::Limits;
use super::lending::{LendCache, Registration};
use super::memory::UserMemory;
use crate::arch::x86_64::{self as arch, FrameLender, Trap};
use crate::ipc_runtime::{self, Service};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::Arc;
use alloc::vec::Vec;
use executor::{Priority, TaskRef};
use ipc::{
    Cap, Connection, DeferredCall, HolderId, IpcError, Message, Quotas, RegionMap, ReplyToken,
    Rights, SecurityLevel, ServiceId,
};
use mohhos_abi::Error;
use mohhos_abi::layout::PAGE_SIZE;
use mohhos_abi::syscall::MAX_REGION;
use services::last_hit::LastHitList;
use services::token_table::TokenTable;

/// Most connections a process keeps open.
const MAX_CONNECTIONS: usize = 64;
/// Most services a process registers.
const MAX_SERVICES: usize = 8;
/// Most received calls a process leaves unanswered.
const MAX_TOKENS: usize = 256;
/// Most shared regions a process maps.
const MAX_MAPPED_REGIONS: usize = 16;

/// The error a process sees for an IPC failure.
pub fn from_ipc(error: IpcError) -> Error {
    match error {
        IpcError::Full => Error::Full,
        IpcError::Timeout => Error::Timeout,
        IpcError::PeerDied => Error::PeerDied,
        IpcError::Denied => Error::Denied,
        IpcError::Stale => Error::Stale,
        IpcError::QuotaExceeded => Error::QuotaExceeded,
        IpcError::NotFound => Error::NotFound,
        IpcError::AlreadyExists => Error::AlreadyExists,
        IpcError::InvalidArgument => Error::InvalidArgument,
        IpcError::Closed => Error::Closed,
    }
}

/// The IPC state of one process.
pub struct ProcessIpc {
    holder: HolderId,
    /// The process's task (for priority inheritance of its services).
    task: Arc<spin::Once<TaskRef>>,
    connections: LastHitList<Connection<'static>>,
    services: BTreeMap<u64, Service>,
    tokens: TokenTable<ReplyToken>,
    /// Connections and services an asynchronous operation has borrowed (`ring.rs`).
    lent: BTreeSet<u64>,
    /// The shared regions mapped into the process, with where: kept alive while its
    /// address space (which is dropped first, see `task.rs`) maps their pages.
    mapped: Vec<(core::ops::Range<u64>, RegionMap)>,
    /// As a service: the call it was running for a caller when it was handed back
    /// (`lending.rs`), with its direct token, until it answers it.
    handed_back: Option<(u64, ReplyToken)>,
    /// As a caller: its `ipc_call_regs` on the connection `cap` that a lent service took
    /// and will answer later, until the process task waits for it (`call`).
    deferred: Option<(u64, DeferredCall)>,
    /// As a service: what lends its frame while it waits, and its lend in its core's
    /// table (`lending.rs`), made at its first lent receive.
    lending: Option<(FrameLender, Registration)>,
    /// As a caller: the lent service its calls found last.
    lent_service: LendCache,
}

/// What a lent receive ([`ProcessIpc::recv_lent`]) ended with.
pub enum Parked {
    /// A message through the queue, and the token that answers it (0: none wanted).
    Received(Message, u64),
    /// The process was handed back in the middle of a call: the trap its frame holds.
    HandedBack(Trap),
}

/// What an asynchronous operation borrowed from a [`ProcessIpc`], given back when done.
pub enum Lent {
    /// A connection, with its capability.
    Connection(u64, Connection<'static>),
    /// A service, with its capability.
    Service(u64, Service),
}

impl ProcessIpc {
    /// The IPC state of process `pid`, whose task `task` will name, within `limits`.
    pub fn new(pid: u32, limits: Limits, task: Arc<spin::Once<TaskRef>>) -> Self {
        let holder = ipc_runtime::process_holder(pid);
        ipc_runtime::system().caps().set_quotas(
            holder,
            Quotas {
                caps: limits.caps,
                queue_slots: limits.queue_slots,
                ..Quotas::default()
            },
        );
        Self {
            holder,
            task,
            connections: LastHitList::default(),
            services: BTreeMap::new(),
            tokens: TokenTable::default(),
            lent: BTreeSet::new(),
            mapped: Vec::new(),
            handed_back: None,
            deferred: None,
            lending: None,
            lent_service: None,
        }
    }

    /// `ipc_register`: a service owned by this process.
    pub fn register(&mut self, name: &str) -> Result<u64, Error> {
        if self.services.len() >= MAX_SERVICES {
            return Err(Error::QuotaExceeded);
        }
        let (_, cap, service) = ipc_runtime::register(
            self.holder,
            name,
            SecurityLevel::User,
            self.task.clone(),
            Priority::Normal,
        )
        .map_err(from_ipc)?;
        self.services.insert(cap.to_word(), service);
        Ok(cap.to_word())
    }

    /// The source its messages carry: the process itself, stamped by the kernel, so a
    /// service knows who calls ([`ipc_runtime::sender_pid`]).
    fn source(&self) -> ServiceId {
        ServiceId(self.holder.0)
    }

    /// `ipc_connect`: a send capability on the service `name`, connected.
    pub fn connect(&mut self, name: &str) -> Result<u64, Error> {
        if self.connections.len() >= MAX_CONNECTIONS {
            self.forget_dead_connections();
        }
        if self.connections.len() >= MAX_CONNECTIONS {
            return Err(Error::QuotaExceeded);
        }
        let cap =
            ipc_runtime::grant_send(name, self.holder, SecurityLevel::User).map_err(from_ipc)?;
        match ipc_runtime::system().connect(self.holder, cap, self.source()) {
            Ok(connection) => {
                self.connections.insert(cap.to_word(), connection);
                Ok(cap.to_word())
            }
            Err(error) => {
                let _ = ipc_runtime::system().caps().delete(self.holder, &cap);
                Err(from_ipc(error))
            }
        }
    }

    /// Drops the connections whose capability died with its service (a client of a
    /// service that restarts reconnects, and must not run out of connections for it).
    fn forget_dead_connections(&mut self) {
        let caps = ipc_runtime::system().caps();
        let holder = self.holder;
        self.connections.retain(|cap| {
            caps.check(holder, &Cap::from_word(cap), Rights::SEND)
                .is_ok()
        });
    }

    /// The open connection `cap` names; a capability the process holds with the send
    /// right but never connected (its own service) is connected now. `Full` while an
    /// asynchronous operation has it.
    #[inline]
    fn connection(&mut self, cap: u64) -> Result<&mut Connection<'static>, Error> {
        // The usual case, an open connection (most often the one used last), is one
        // compare and nothing else; a lent one is out of the list.
        match self.connections.position(cap) {
            Some(at) => Ok(self.connections.at_mut(at)),
            None => self.open_connection(cap),
        }
    }

    /// Where [`ProcessIpc::connection`] keeps the connection `cap` names (opened now if
    /// need be); `None` when it cannot be opened (the full path reports why).
    #[inline]
    fn connection_index(&mut self, cap: u64) -> Option<usize> {
        if let Some(at) = self.connections.position(cap) {
            return Some(at);
        }
        self.open_connection(cap).ok()?;
        self.connections.position(cap)
    }

    /// [`ProcessIpc::connection`] for a capability not open yet (out of line: the usual
    /// lookup stays small).
    #[cold]
    #[inline(never)]
    fn open_connection(&mut self, cap: u64) -> Result<&mut Connection<'static>, Error> {
        if self.lent.contains(&cap) {
            return Err(Error::Full);
        }
        if self.connections.len() >= MAX_CONNECTIONS {
            return Err(Error::QuotaExceeded);
        }
        let connection = ipc_runtime::system()
            .connect(self.holder, Cap::from_word(cap), ServiceId(self.holder.0))
            .map_err(from_ipc)?;
        Ok(self.connections.insert(cap, connection))
    }

    /// Takes the connection `cap` names out for an asynchronous operation (`Full` while
    /// another one has it); [`ProcessIpc::give_back`] returns it.
    pub fn lend_connection(&mut self, cap: u64) -> Result<Connection<'static>, Error> {
        if self.lent.contains(&cap) {
            return Err(Error::Full);
        }
        self.connection(cap)?;
        let connection = self.connections.remove(cap).ok_or(Error::NotFound)?;
        self.lent.insert(cap);
        Ok(connection)
    }

    /// Takes the service `cap` names out for an asynchronous receive (`Full` while
    /// another one has it).
    pub fn lend_service(&mut self, cap: u64) -> Result<Service, Error> {
        if self.lent.contains(&cap) {
            return Err(Error::Full);
        }
        if self.tokens.len() >= MAX_TOKENS {
            return Err(Error::QuotaExceeded);
        }
        let Some(service) = self.services.remove(&cap) else {
            return Err(self.why_not_ours(cap));
        };
        self.lent.insert(cap);
        Ok(service)
    }

    /// Whether an asynchronous operation has the connection or service `cap` names.
    pub fn is_lent(&self, cap: u64) -> bool {
        self.lent.contains(&cap)
    }

    /// Returns what an asynchronous operation borrowed.
    pub fn give_back(&mut self, lent: Lent) {
        match lent {
            Lent::Connection(cap, connection) => {
                self.lent.remove(&cap);
                self.connections.insert(cap, connection);
            }
            Lent::Service(cap, service) => {
                self.lent.remove(&cap);
                self.services.insert(cap, service);
            }
        }
    }

    /// Keeps the reply token of a received call; returns its number. 0 (no answer
    /// wanted) only if the process has used up every number (`TokenTable`: 2^48 of them;
    /// the receives check the `MAX_TOKENS` quota first): the token is dropped, so its
    /// caller gets `PeerDied` rather than waiting for an answer that cannot come.
    pub fn keep_token(&mut self, reply: ReplyToken) -> u64 {
        self.tokens.insert(reply).unwrap_or(0)
    }

    /// The token number of a received message: its reply kept, or 0 for a one-way one.
    fn token_for(&mut self, reply: Option<ReplyToken>) -> u64 {
        reply.map_or(0, |reply| self.keep_token(reply))
    }

    /// Why `cap` names none of this process's services: forged, stale, lent out, or
    /// without the receive right.
    fn why_not_ours(&self, cap: u64) -> Error {
        if self.lent.contains(&cap) {
            return Error::Full;
        }
        match ipc_runtime::system()
            .caps()
            .check(self.holder, &Cap::from_word(cap), Rights::RECEIVE)
        {
            Err(error) => from_ipc(error),
            Ok(_) => Error::Denied,
        }
    }

    /// `region_create(len)`: a shared region owned by this process.
    pub fn region_create(&mut self, len: u64) -> Result<u64, Error> {
        if len == 0 || len > MAX_REGION {
            return Err(Error::InvalidArgument);
        }
        let (_, cap) = ipc_runtime::system()
            .create_region(self.holder, len as usize, SecurityLevel::User)
            .map_err(from_ipc)?;
        Ok(cap.to_word())
    }

    /// `region_map(cap)`: maps the region `cap` names into `memory`.
    pub fn region_map(&mut self, cap: u64, memory: &mut UserMemory) -> Result<u64, Error> {
        if self.mapped.len() >= MAX_MAPPED_REGIONS {
            return Err(Error::QuotaExceeded);
        }
        let region = ipc_runtime::system()
            .map_region(self.holder, &Cap::from_word(cap))
            .map_err(from_ipc)?;
        let frames = region
            .page_addresses()
            .into_iter()
            .map(|page| arch::direct_map_phys(page).ok_or(Error::NoMemory))
            .collect::<Result<Vec<u64>, Error>>()?;
        let addr = memory.map_shared(&frames)?;
        self.mapped
            .push((addr..addr + frames.len() as u64 * PAGE_SIZE, region));
        Ok(addr)
    }

    /// `[start, end)` was unmapped: lets go of the regions mapped wholly inside it.
    pub fn unmapped(&mut self, start: u64, end: u64) {
        self.mapped
            .retain(|(range, _)| !(start <= range.start && range.end <= end));
    }

    /// This process as a capability holder.
    pub fn holder(&self) -> HolderId {
        self.holder
    }

    /// Turns an outgoing message's capability word (one of `holder`'s, with the
    /// grant right) into a capability for the holder that receives at `destination`,
    /// with the map right. Nothing is sent when this fails; when the sending fails after
    /// it, [`ProcessIpc::untransfer`] takes the new capability back.
    pub fn transfer(
        holder: HolderId,
        destination: ServiceId,
        message: &mut Message,
    ) -> Result<(), Error> {
        if message.cap == 0 {
            return Ok(());
        }
        let receiver = ipc_runtime::owner_of(destination).ok_or(Error::PeerDied)?;
        let cap = ipc_runtime::system()
            .grant(
                holder,
                &Cap::from_word(message.cap),
                receiver,
                Rights::MAP,
                SecurityLevel::User,
            )
            .map_err(from_ipc)?;
        message.cap = cap.to_word();
        Ok(())
    }

    /// Deletes the capability [`ProcessIpc::transfer`] made for `message`, which was not
    /// delivered.
    pub fn untransfer(destination: ServiceId, message: &Message) {
        if message.cap != 0
            && let Some(receiver) = ipc_runtime::owner_of(destination)
        {
            let _ = ipc_runtime::system()
                .caps()
                .delete(receiver, &Cap::from_word(message.cap));
        }
    }
}

impl Drop for ProcessIpc {
    fn drop(&mut self) {
        // Unanswered callers get PeerDied, then the services, names and capabilities go.
        self.handed_back = None;
        self.tokens.clear();
        self.services.clear();
        self.connections.clear();
        ipc_runtime::holder_died(self.holder);
    }
}
