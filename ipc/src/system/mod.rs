//! The capability-checked front door of IPC: one [`System`] per kernel.
//!
//! The mechanism objects (endpoints, regions, the event bus, the registry) know nothing
//! about capabilities; `System` resolves a holder's [`Cap`] through the [`CapTable`] and
//! checks rights, generation and quotas before it touches any object:
//! - registering a service creates its endpoint and mints its owner a capability with every
//!   right; others get (derived, possibly weaker) capabilities only through
//!   [`System::grant`];
//! - a [`Connection`] re-checks its `SEND` capability on every message, so revoking or
//!   deleting it stops the very next send (`Stale`);
//! - a holder's death removes its registry entries, its services' endpoints, its
//!   capabilities (and everything derived from them) and its regions.
//!
//! Invariant: no lock of `System` is held across an `.await` or while an endpoint, a waker
//! or the capability table runs.

mod connection;
#[cfg(all(test, not(loom)))]
mod tests;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

pub use connection::{Connection, ConnectionCall};

use crate::bus::{EventBus, Subscription};
use crate::capability::{Cap, CapTable, ObjectRef, Quotas, Resource, Rights, SecurityLevel};
use crate::endpoint::{EndpointConfig, Receiver, Sender, channel};
use crate::error::IpcError;
use crate::ids::{HolderId, MessageId, RegionId, ServiceId};
use crate::message::{Header, Message, MessageKind};
use crate::region::{DEFAULT_MAX_REGION_BYTES, RegionMap, RegionTable};
use crate::registry::Registry;
use crate::stats::EndpointStats;
use crate::sync::{AtomicU64, Mutex, Ordering};
use executor::Priority;

/// Capability slots of the system table.
const CAP_SLOTS: u32 = 16 * 1024;

/// What the owner of a freshly registered service gets: its id, its capability (every
/// right) and the receiving end of its endpoint.
pub struct ServiceHandle {
    /// The service's id.
    pub id: ServiceId,
    /// The owner's root capability on the service's endpoint.
    pub cap: Cap,
    /// Where its requests arrive.
    pub receiver: Receiver,
}

/// One registered service, as `services` and `ipc stats` show it.
#[derive(Clone, Debug)]
pub struct ServiceSummary {
    /// Dotted name.
    pub name: String,
    /// Id.
    pub id: ServiceId,
    /// Owner.
    pub owner: HolderId,
    /// Its endpoint's counters.
    pub stats: EndpointStats,
}

/// A service's endpoint as the system keeps it: a sender to clone connections from.
struct ServiceEntry {
    owner: HolderId,
    /// The owner's root capability: deleting it kills every capability on the service.
    root: Cap,
    sender: Sender,
}

/// IPC for the whole system: registry, capabilities, endpoints, regions and the event bus.
pub struct System {
    caps: CapTable,
    registry: Registry,
    regions: RegionTable,
    bus: EventBus,
    services: Mutex<BTreeMap<ServiceId, ServiceEntry>>,
    endpoint_config: EndpointConfig,
    next_message: AtomicU64,
    clock: fn() -> u64,
}

impl System {
    /// A system whose messages are stamped by `clock` (the TSC in the kernel); endpoints
    /// keep a trace of their newest messages.
    pub fn new(clock: fn() -> u64) -> Self {
        let caps = CapTable::new(CAP_SLOTS, Quotas::default());
        let regions = RegionTable::new(caps.ledger().clone(), DEFAULT_MAX_REGION_BYTES);
        Self {
            caps,
            registry: Registry::new(),
            regions,
            bus: EventBus::new(),
            services: Mutex::new(BTreeMap::new()),
            endpoint_config: EndpointConfig {
                trace: true,
                clock: Some(clock),
                ..EndpointConfig::default()
            },
            next_message: AtomicU64::new(1),
            clock,
        }
    }

    /// The capability table (grants, revocations, quotas, denial counts).
    pub fn caps(&self) -> &CapTable {
        &self.caps
    }

    /// Registers service `name` for `owner`: creates its endpoint (its queue slots are
    /// charged to `owner`) and mints `owner` a capability with every right, which holders
    /// below `level` can never receive.
    pub fn register(
        &self,
        owner: HolderId,
        name: &str,
        level: SecurityLevel,
    ) -> Result<ServiceHandle, IpcError> {
        let slots = self.endpoint_config.capacity as u64;
        self.caps.charge(owner, Resource::QueueSlots, slots)?;
        let id = match self.registry.register(name, owner) {
            Ok(id) => id,
            Err(error) => {
                self.caps.uncharge(owner, Resource::QueueSlots, slots);
                return Err(error);
            }
        };
        let cap = match self
            .caps
            .mint(owner, ObjectRef::Endpoint(id), Rights::ALL, level)
        {
            Ok(cap) => cap,
            Err(error) => {
                let _ = self.registry.unregister(id, owner);
                self.caps.uncharge(owner, Resource::QueueSlots, slots);
                return Err(error);
            }
        };
        let (sender, receiver) = channel(id, self.endpoint_config);
        self.services.lock().insert(
            id,
            ServiceEntry {
                owner,
                root: cap,
                sender,
            },
        );
        Ok(ServiceHandle { id, cap, receiver })
    }

    /// Removes `owner`'s service `id`: its name, its endpoint (pending and later calls end
    /// with `PeerDied` once the receiver is dropped) and every capability on it (open
    /// connections fail with `Stale` from their next message on).
    pub fn unregister(&self, owner: HolderId, id: ServiceId) -> Result<(), IpcError> {
        self.registry.unregister(id, owner)?;
        for entry in self.drop_services(|sid, _| sid == id) {
            let _ = self.caps.delete(entry.owner, &entry.root);
        }
        self.caps.uncharge(
            owner,
            Resource::QueueSlots,
            self.endpoint_config.capacity as u64,
        );
        Ok(())
    }

    /// Most messages an endpoint holds at once, rings and fallback together
    /// ([`EndpointConfig::queued_bound`]): the backlog a health check compares with.
    pub fn endpoint_queued_bound(&self) -> usize {
        self.endpoint_config.queued_bound()
    }

    /// The id registered under `name`.
    pub fn discover(&self, name: &str) -> Result<ServiceId, IpcError> {
        self.registry.discover(name)
    }

    /// Derives a capability for `to` from `holder`'s `cap` (see [`CapTable::grant`]).
    pub fn grant(
        &self,
        holder: HolderId,
        cap: &Cap,
        to: HolderId,
        rights: Rights,
        level: SecurityLevel,
    ) -> Result<Cap, IpcError> {
        self.caps.grant(holder, cap, to, rights, level)
    }

    /// Kills every capability derived from `cap`.
    pub fn revoke(&self, holder: HolderId, cap: &Cap) -> Result<(), IpcError> {
        self.caps.revoke(holder, cap)
    }

    /// Opens a connection to the service `cap` designates: needs `SEND`. `source` is the
    /// service the messages come from (`ServiceId::KERNEL` for kernel code).
    pub fn connect(
        &self,
        holder: HolderId,
        cap: Cap,
        source: ServiceId,
    ) -> Result<Connection<'_>, IpcError> {
        let ObjectRef::Endpoint(id) = self.caps.check(holder, &cap, Rights::SEND)? else {
            return Err(IpcError::InvalidArgument);
        };
        let sender = self
            .services
            .lock()
            .get(&id)
            .map(|entry| entry.sender.clone())
            .ok_or(IpcError::PeerDied)?;
        Ok(Connection::new(self, holder, cap, source, id, sender))
    }

    /// A header for a message from `source` to `destination`, with a fresh id and the time.
    pub(crate) fn header(
        &self,
        source: ServiceId,
        destination: ServiceId,
        kind: MessageKind,
        priority: Priority,
    ) -> Header {
        Header {
            id: MessageId(self.next_message.fetch_add(1, Ordering::Relaxed)),
            source,
            destination,
            kind,
            priority,
            timestamp: (self.clock)(),
        }
    }

    /// Creates a region of `size` bytes for `holder` (charged to its quotas) and mints it a
    /// capability with `MAP | GRANT | MANAGE`.
    pub fn create_region(
        &self,
        holder: HolderId,
        size: usize,
        level: SecurityLevel,
    ) -> Result<(RegionId, Cap), IpcError> {
        let id = self.regions.create(holder, size)?;
        let rights = Rights::MAP | Rights::GRANT | Rights::MANAGE;
        match self.caps.mint(holder, ObjectRef::Region(id), rights, level) {
            Ok(cap) => Ok((id, cap)),
            Err(error) => {
                let _ = self.regions.release(holder, id);
                Err(error)
            }
        }
    }

    /// Maps the region `cap` designates: needs `MAP`.
    pub fn map_region(&self, holder: HolderId, cap: &Cap) -> Result<RegionMap, IpcError> {
        match self.caps.check(holder, cap, Rights::MAP)? {
            ObjectRef::Region(id) => self.regions.map(id),
            _ => Err(IpcError::InvalidArgument),
        }
    }

    /// Lets go of the region `cap` designates (needs `MANAGE`; only its creator holds that
    /// right at first): it is freed once every mapping is gone too. Deletes `cap` and
    /// everything derived from it.
    pub fn release_region(&self, holder: HolderId, cap: &Cap) -> Result<(), IpcError> {
        let ObjectRef::Region(id) = self.caps.check(holder, cap, Rights::MANAGE)? else {
            return Err(IpcError::InvalidArgument);
        };
        self.regions.release(holder, id)?;
        self.caps.delete(holder, cap)
    }

    /// Regions still alive (for tests and statistics).
    pub fn live_regions(&self) -> usize {
        self.regions.live_regions()
    }

    /// Subscribes to `event_type` with a window of `capacity` events.
    pub fn subscribe(&self, event_type: u64, capacity: usize) -> Result<Subscription, IpcError> {
        self.bus.subscribe(event_type, capacity)
    }

    /// Broadcasts `message` to every subscriber of `event_type`; returns how many it reached.
    pub fn broadcast(
        &self,
        source: ServiceId,
        event_type: u64,
        priority: Priority,
        message: Message,
    ) -> usize {
        let header = self.header(source, ServiceId::KERNEL, MessageKind::Broadcast, priority);
        self.bus.broadcast(event_type, header, message)
    }

    /// `holder` is gone: its services (callers get `PeerDied`), their names, its
    /// capabilities and everything derived from them, and its regions.
    pub fn holder_died(&self, holder: HolderId) {
        self.registry.owner_died(holder);
        drop(self.drop_services(|_, entry| entry.owner == holder));
        self.regions.holder_died(holder);
        self.caps.holder_died(holder);
    }

    /// Removes the endpoints `doomed` picks and returns them, to be dropped by the caller
    /// outside the lock.
    fn drop_services(
        &self,
        doomed: impl Fn(ServiceId, &ServiceEntry) -> bool,
    ) -> Vec<ServiceEntry> {
        let mut services = self.services.lock();
        let ids: Vec<ServiceId> = services
            .iter()
            .filter(|(id, entry)| doomed(**id, entry))
            .map(|(id, _)| *id)
            .collect();
        ids.iter().filter_map(|id| services.remove(id)).collect()
    }

    /// Every registered service with its endpoint's counters, sorted by name.
    pub fn services(&self) -> Vec<ServiceSummary> {
        let stats: BTreeMap<ServiceId, EndpointStats> = self
            .services
            .lock()
            .iter()
            .map(|(id, entry)| (*id, entry.sender.stats()))
            .collect();
        self.registry
            .list()
            .into_iter()
            .filter_map(|info| {
                Some(ServiceSummary {
                    stats: *stats.get(&info.id)?,
                    name: info.name,
                    id: info.id,
                    owner: info.owner,
                })
            })
            .collect()
    }

    /// The newest `n` messages delivered by any endpoint, oldest first.
    pub fn trace(&self, n: usize) -> Vec<Header> {
        let mut headers: Vec<Header> = {
            let services = self.services.lock();
            services
                .values()
                .flat_map(|entry| entry.sender.trace(n))
                .collect()
        };
        headers.sort_by_key(|h| (h.timestamp, h.id));
        let skip = headers.len().saturating_sub(n);
        headers.split_off(skip)
    }

    /// Heap bytes used by the registry (the names and ids of every service).
    pub fn registry_bytes(&self) -> usize {
        self.registry.memory_bytes()
    }
}
