//! The failover router in front of a replicated service: it owns the service's
//! endpoint, and forwards each request, in a task of its own, to the first replica
//! that answers (the primary: the first in order that serves). A forward whose
//! replica dies before answering (`PeerDied`, `Stale`, no such endpoint) is replayed
//! to the next replica, then around again until [`FAILOVER_TIMEOUT_US`] passes.
//!
//! The client's reply token stays with the forwarding task, so every accepted request
//! is answered exactly once: with the first replica's answer, or with `PeerDied`
//! (the token dropped) only if no replica answered in time. A replica may see a
//! replayed request after its predecessor had already begun it (execution is at least
//! once; the answer exactly once), which is what the message id in the header lets a
//! stateful replica detect.

use crate::ipc_runtime::{self, KERNEL, Service};
use crate::runtime::{executor, us_to_ticks};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use executor::{JoinHandle, Priority};
use ipc::{Cap, IpcError, Received, SecurityLevel, ServiceId};

/// How long a request may wait for some replica to answer it.
pub const FAILOVER_TIMEOUT_US: u64 = 2_000_000;
/// Wait before going around the replicas again when none answered.
const RETRY_US: u64 = 100;

/// A router's counters.
#[derive(Default)]
pub struct RouterStats {
    /// Requests accepted.
    pub accepted: AtomicU64,
    /// Requests answered by a replica.
    pub answered: AtomicU64,
    /// Forwards replayed to another replica after one died with the request.
    pub replayed: AtomicU64,
    /// Requests no replica answered in time (their callers got `PeerDied`).
    pub failed: AtomicU64,
}

/// The counters of every router, by service name (they outlive restarts).
static STATS: spin::Mutex<BTreeMap<String, Arc<RouterStats>>> = spin::Mutex::new(BTreeMap::new());

/// The counters of the router of service `name`.
pub fn stats(name: &str) -> Arc<RouterStats> {
    STATS.lock().entry(String::from(name)).or_default().clone()
}

/// Registers `endpoint` for the router of service `name` over `replicas` (their
/// endpoints, in order) and spawns it pinned to `core`.
pub fn start(
    name: &str,
    endpoint: &str,
    replicas: &[String],
    core: usize,
) -> Result<(ServiceId, JoinHandle<()>), String> {
    let replicas = Arc::new(Replicas {
        caps: spin::Mutex::new(alloc::vec![None; replicas.len()]),
        endpoints: replicas.to_vec(),
    });
    let stats = stats(name);
    ipc_runtime::spawn_service(
        endpoint,
        SecurityLevel::User,
        Priority::High,
        Some(core),
        move |service| serve(service, replicas, stats),
    )
    .map_err(|e| format!("{endpoint}: {e}"))
}

/// The replicas, and the router's send capability on each: granted on first use and
/// kept, forgotten once it stops working (a dying replica takes the capabilities
/// derived from its own with it), so a request costs no capability work.
struct Replicas {
    endpoints: Vec<String>,
    caps: spin::Mutex<Vec<Option<Cap>>>,
}

impl Replicas {
    /// The capability on replica `i`, granted now if there is none.
    fn cap(&self, i: usize) -> Result<Cap, IpcError> {
        if let Some(cap) = self.caps.lock()[i] {
            return Ok(cap);
        }
        let cap = ipc_runtime::grant_send(&self.endpoints[i], KERNEL, SecurityLevel::System)?;
        self.caps.lock()[i] = Some(cap);
        Ok(cap)
    }

    /// Replica `i` failed with `cap`: forgets (and deletes) it, unless another forward
    /// replaced it already.
    fn forget(&self, i: usize, cap: Cap) {
        let mut caps = self.caps.lock();
        if caps[i] == Some(cap) {
            caps[i] = None;
            drop(caps);
            let _ = ipc_runtime::system().caps().delete(KERNEL, &cap);
        }
    }
}

async fn serve(mut service: Service, replicas: Arc<Replicas>, stats: Arc<RouterStats>) {
    while let Ok(request) = service.next().await {
        stats.accepted.fetch_add(1, Ordering::Relaxed);
        let (replicas, stats) = (replicas.clone(), stats.clone());
        executor()
            .build()
            .name("failover forward")
            .priority(Priority::High)
            .spawn(forward(request, replicas, stats));
    }
}

/// Delivers `request` to the first replica that answers and passes the answer on.
async fn forward(request: Received, replicas: Arc<Replicas>, stats: Arc<RouterStats>) {
    let deadline = crate::arch::x86_64::rdtsc() + us_to_ticks(FAILOVER_TIMEOUT_US);
    let mut tries = 0u64;
    loop {
        for i in 0..replicas.endpoints.len() {
            tries += 1;
            match call(&replicas, i, &request).await {
                Ok(answer) => {
                    if tries > 1 {
                        stats.replayed.fetch_add(tries - 1, Ordering::Relaxed);
                    }
                    stats.answered.fetch_add(1, Ordering::Relaxed);
                    if let Some(token) = request.reply {
                        // The caller may have given up: its loss.
                        let _ = token.reply(answer);
                    }
                    return;
                }
                Err(_) => continue,
            }
        }
        if crate::arch::x86_64::rdtsc() > deadline {
            stats.failed.fetch_add(1, Ordering::Relaxed);
            // Dropping the token tells the caller `PeerDied`.
            return;
        }
        executor().sleep(us_to_ticks(RETRY_US)).await;
    }
}

/// One call of replica `i` with `request`'s message (a one-way message is sent, and
/// counts as answered once queued).
async fn call(replicas: &Replicas, i: usize, request: &Received) -> Result<ipc::Message, IpcError> {
    let cap = replicas.cap(i)?;
    let result = match ipc_runtime::system().connect(KERNEL, cap, request.header.source) {
        Ok(mut connection) => {
            let priority = request.header.priority;
            match request.reply {
                Some(_) => connection.call(priority, request.message).await.copied(),
                None => connection
                    .send(priority, request.message)
                    .await
                    .map(|()| request.message),
            }
        }
        Err(error) => Err(error),
    };
    if result.is_err() {
        replicas.forget(i, cap);
    }
    result
}
