//! The service registry: dotted names (`storage.vfs`) to service ids.
//!
//! Invariants: names are unique and valid (1..=63 bytes; segments of `[a-z0-9_-]+` joined
//! by single dots); entries are kept sorted by name (binary-search lookup, sorted listing);
//! ids come from a monotonic counter and are never reused while the system runs
//! (`ServiceId(0)` is the kernel, so the first service gets 1).
//!
//! Sized for hundreds to a few thousand services: one sorted vector, one lock, no per-entry
//! node overhead.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::IpcError;
use crate::ids::{HolderId, ServiceId};
use crate::sync::Mutex;

/// The longest service name, in bytes.
pub const MAX_SERVICE_NAME_LEN: usize = 63;

/// One registered service, as the `services` shell command lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceInfo {
    /// The dotted name.
    pub name: String,
    /// Its id.
    pub id: ServiceId,
    /// Who registered it.
    pub owner: HolderId,
}

struct Entry {
    name: Box<str>,
    id: ServiceId,
    owner: HolderId,
}

struct Services {
    by_name: Vec<Entry>,
    next_id: u32,
}

/// Name → service id, for discovery.
pub struct Registry {
    services: Mutex<Services>,
}

/// Whether `name` is a valid dotted service name.
fn is_valid_name(name: &str) -> bool {
    let valid_byte = |byte: u8| {
        byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_' || byte == b'-'
    };
    (1..=MAX_SERVICE_NAME_LEN).contains(&name.len())
        && name
            .split('.')
            .all(|segment| !segment.is_empty() && segment.bytes().all(valid_byte))
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self {
            services: Mutex::new(Services {
                by_name: Vec::new(),
                next_id: 1,
            }),
        }
    }

    /// Registers `name` for `owner`. `InvalidArgument` for a malformed name,
    /// `AlreadyExists` for a taken one, `QuotaExceeded` once every id has been used.
    pub fn register(&self, name: &str, owner: HolderId) -> Result<ServiceId, IpcError> {
        if !is_valid_name(name) {
            return Err(IpcError::InvalidArgument);
        }
        let mut services = self.services.lock();
        let position = match services
            .by_name
            .binary_search_by(|entry| (*entry.name).cmp(name))
        {
            Ok(_) => return Err(IpcError::AlreadyExists),
            Err(position) => position,
        };
        let id = ServiceId(services.next_id);
        services.next_id = services
            .next_id
            .checked_add(1)
            .ok_or(IpcError::QuotaExceeded)?;
        services.by_name.insert(
            position,
            Entry {
                name: name.into(),
                id,
                owner,
            },
        );
        Ok(id)
    }

    /// The id registered under `name`, or `NotFound`.
    pub fn discover(&self, name: &str) -> Result<ServiceId, IpcError> {
        let services = self.services.lock();
        services
            .by_name
            .binary_search_by(|entry| (*entry.name).cmp(name))
            .map(|position| services.by_name[position].id)
            .map_err(|_| IpcError::NotFound)
    }

    /// Removes service `id`. `NotFound` if unknown, `Denied` unless `owner` registered it.
    pub fn unregister(&self, id: ServiceId, owner: HolderId) -> Result<(), IpcError> {
        let mut services = self.services.lock();
        let position = services
            .by_name
            .iter()
            .position(|entry| entry.id == id)
            .ok_or(IpcError::NotFound)?;
        if services.by_name[position].owner != owner {
            return Err(IpcError::Denied);
        }
        services.by_name.remove(position);
        Ok(())
    }

    /// Removes every service `holder` registered; returns how many.
    pub fn owner_died(&self, holder: HolderId) -> usize {
        let mut services = self.services.lock();
        let before = services.by_name.len();
        services.by_name.retain(|entry| entry.owner != holder);
        before - services.by_name.len()
    }

    /// Every service, sorted by name.
    pub fn list(&self) -> Vec<ServiceInfo> {
        self.services
            .lock()
            .by_name
            .iter()
            .map(|entry| ServiceInfo {
                name: String::from(&*entry.name),
                id: entry.id,
                owner: entry.owner,
            })
            .collect()
    }

    /// How many services are registered.
    pub fn len(&self) -> usize {
        self.services.lock().by_name.len()
    }

    /// Whether no service is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes in use: the entry vector's capacity plus every name's bytes (allocator
    /// overhead per name, typically 8-16 bytes, not included).
    pub fn memory_bytes(&self) -> usize {
        let services = self.services.lock();
        let names: usize = services.by_name.iter().map(|entry| entry.name.len()).sum();
        services.by_name.capacity() * core::mem::size_of::<Entry>() + names
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use alloc::format;

    const OWNER: HolderId = HolderId(1);
    const OTHER: HolderId = HolderId(2);

    #[test]
    fn register_then_discover() {
        let registry = Registry::new();
        let vfs = registry.register("storage.vfs", OWNER).unwrap();
        let net = registry.register("net", OWNER).unwrap();
        assert_eq!(vfs, ServiceId(1));
        assert_eq!(net, ServiceId(2));
        assert_eq!(registry.discover("storage.vfs"), Ok(vfs));
        assert_eq!(registry.discover("net"), Ok(net));
        assert_eq!(registry.discover("storage"), Err(IpcError::NotFound));
        assert_eq!(registry.len(), 2);
    }

    #[test]
    fn names_are_validated() {
        let registry = Registry::new();
        let too_long = "a".repeat(MAX_SERVICE_NAME_LEN + 1);
        let longest = "a".repeat(MAX_SERVICE_NAME_LEN);
        for bad in [
            "",
            ".",
            "a.",
            ".a",
            "a..b",
            "Storage",
            "a b",
            "é",
            "a/b",
            too_long.as_str(),
        ] {
            assert_eq!(
                registry.register(bad, OWNER),
                Err(IpcError::InvalidArgument),
                "{bad:?}"
            );
        }
        for good in [
            "a",
            "storage.vfs",
            "net-0.tcp_ip",
            "0.1.2",
            longest.as_str(),
        ] {
            assert!(registry.register(good, OWNER).is_ok(), "{good:?}");
        }
        assert!(registry.discover("").is_err());
    }

    #[test]
    fn duplicate_name_is_refused() {
        let registry = Registry::new();
        registry.register("storage.vfs", OWNER).unwrap();
        assert_eq!(
            registry.register("storage.vfs", OTHER),
            Err(IpcError::AlreadyExists)
        );
        assert_eq!(registry.len(), 1);
    }

    #[test]
    fn only_the_owner_unregisters() {
        let registry = Registry::new();
        let id = registry.register("storage.vfs", OWNER).unwrap();
        assert_eq!(registry.unregister(id, OTHER), Err(IpcError::Denied));
        assert_eq!(registry.unregister(id, OWNER), Ok(()));
        assert_eq!(registry.unregister(id, OWNER), Err(IpcError::NotFound));
        assert_eq!(registry.discover("storage.vfs"), Err(IpcError::NotFound));
    }

    #[test]
    fn ids_are_never_reused() {
        let registry = Registry::new();
        let first = registry.register("storage.vfs", OWNER).unwrap();
        registry.unregister(first, OWNER).unwrap();
        let second = registry.register("storage.vfs", OWNER).unwrap();
        assert!(second > first);
    }

    #[test]
    fn owner_death_removes_only_its_entries() {
        let registry = Registry::new();
        registry.register("a", OWNER).unwrap();
        registry.register("b", OTHER).unwrap();
        registry.register("c", OWNER).unwrap();
        assert_eq!(registry.owner_died(OWNER), 2);
        assert_eq!(registry.owner_died(OWNER), 0);
        let names: Vec<String> = registry.list().into_iter().map(|info| info.name).collect();
        assert_eq!(names, ["b"]);
    }

    #[test]
    fn list_is_sorted_by_name() {
        let registry = Registry::new();
        let zeta = registry.register("zeta", OWNER).unwrap();
        let alpha = registry.register("alpha.one", OTHER).unwrap();
        assert_eq!(
            registry.list(),
            [
                ServiceInfo {
                    name: "alpha.one".into(),
                    id: alpha,
                    owner: OTHER
                },
                ServiceInfo {
                    name: "zeta".into(),
                    id: zeta,
                    owner: OWNER
                },
            ]
        );
    }

    #[test]
    fn a_thousand_services_fit_well_under_the_memory_target() {
        let registry = Registry::new();
        assert!(registry.is_empty());
        for i in (0..1000).rev() {
            registry
                .register(&format!("svc.group{}.service{i}", i % 10), HolderId(i))
                .unwrap();
        }
        assert_eq!(registry.len(), 1000);
        for i in 0..1000 {
            let id = registry
                .discover(&format!("svc.group{}.service{i}", i % 10))
                .unwrap();
            assert_eq!(id, ServiceId(1000 - i));
        }
        let list = registry.list();
        assert!(list.windows(2).all(|pair| pair[0].name < pair[1].name));
        let bytes = registry.memory_bytes();
        assert!(bytes >= 1000 * core::mem::size_of::<Entry>());
        assert!(bytes <= 8 << 20, "{bytes} bytes");
    }
}
