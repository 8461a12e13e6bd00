//! The services MOHHOS boots: their manifests, and how each kernel service starts.

use super::{log_service, probe_service, storage_service};
use crate::ipc_runtime::{self, Service};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::future::Future;
use executor::{JoinHandle, Priority};
use ipc::{SecurityLevel, ServiceId};
use services::manifest::{Manifest, RestartConfig, RestartPolicy, Version};

/// Endpoints that exist before S-INIT starts anything (the kernel's own).
pub const KERNEL_ENDPOINTS: &[&str] = &[ipc_runtime::ECHO_SERVICE];

/// The supervised user echo service's endpoint.
pub const ECHO_ENDPOINT: &str = "svc.echo";

/// The policy of the small user services: back at once, up to 100 times a minute.
const QUICK_RESTART: RestartConfig = RestartConfig {
    policy: RestartPolicy::OnFailure,
    max_restarts: 100,
    window_us: 60_000_000,
    delay_us: 0,
};

/// The manifests, in no particular order (S-INIT plans the order).
pub fn manifests() -> Vec<Manifest> {
    let v1 = Version::new(1, 0, 0);
    vec![
        Manifest::kernel("log", v1)
            .endpoint(log_service::ENDPOINT)
            .restart(RestartConfig {
                policy: RestartPolicy::Always,
                ..RestartConfig::DEFAULT
            }),
        Manifest::kernel("storage", v1)
            .endpoint(storage_service::ENDPOINT)
            .depends_on(&["log"]),
        // A small user service.
        Manifest::user("echo", v1, "svc-echo")
            .endpoint(ECHO_ENDPOINT)
            .depends_on(&["log"])
            .needs(&[log_service::ENDPOINT])
            .restart(QUICK_RESTART),
        // Two replicas behind a failover router (`manifest::expand_replicas`).
        Manifest::user("mirror", v1, "svc-mirror")
            .endpoint("svc.mirror")
            .depends_on(&["log"])
            .needs(&[log_service::ENDPOINT])
            .replicas(2)
            .restart(QUICK_RESTART),
        // Hangs on request: the health monitor's test case, started by hand.
        Manifest::user("stuck", v1, "svc-stuck")
            .endpoint("svc.stuck")
            .manual()
            .restart(QUICK_RESTART),
        Manifest::kernel("probe", v1)
            .endpoint(probe_service::ENDPOINT)
            .depends_on(&["echo"])
            .needs(&[ECHO_ENDPOINT]),
    ]
}

/// Starts the kernel service `name` pinned to `core`: its endpoint registered, its
/// task spawned.
pub fn start_kernel(name: &str, core: usize) -> Result<(ServiceId, JoinHandle<()>), String> {
    match name {
        "log" => spawn(log_service::ENDPOINT, core, log_service::serve),
        "probe" => spawn(probe_service::ENDPOINT, core, probe_service::serve),
        "storage" => spawn(storage_service::ENDPOINT, core, storage_service::serve),
        _ => Err(format!("no kernel service '{name}'")),
    }
}

fn spawn<F>(
    endpoint: &'static str,
    core: usize,
    serve: impl FnOnce(Service) -> F,
) -> Result<(ServiceId, JoinHandle<()>), String>
where
    F: Future<Output = ()> + Send + 'static,
{
    // Open to user processes: every one of them may log and be probed.
    ipc_runtime::spawn_service(
        endpoint,
        SecurityLevel::User,
        Priority::Normal,
        Some(core),
        serve,
    )
    .map_err(|e| format!("{endpoint}: {e}"))
}
