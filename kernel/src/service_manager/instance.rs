//! One instance of a service: started as a kernel task or a user process, watched
//! until it serves, and awaited until it ends.

use super::catalog;
use super::failover_router;
use super::journal;
use super::poll_until;
use super::table::{Handle, Running};
use crate::ipc_runtime;
use crate::process::{self, Exit, Options};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use core::future::Future;
use core::pin::Pin;
use executor::{JoinHandle, TaskRef};
use ipc::ServiceId;
use services::manifest::{Manifest, RunsAs};
use services::restart::Ending;

/// How long a new instance may take to start serving.
const SERVING_TIMEOUT_US: u64 = 2_000_000;
/// How long a previous instance's endpoint name may take to be freed.
const NAME_FREED_TIMEOUT_US: u64 = 1_000_000;

/// The end of an instance: how it ended and a word on why.
pub type Ended = Pin<Box<dyn Future<Output = (Ending, String)> + Send>>;

/// A started instance.
pub struct Started {
    /// What the table records of it.
    pub running: Running,
    /// Resolves when it ends.
    pub ended: Ended,
}

/// Starts an instance of `manifest` on `core`, once the endpoint name of any
/// previous instance is free.
pub async fn start(manifest: &Manifest, core: usize) -> Result<Started, String> {
    if let Some(endpoint) = &manifest.endpoint {
        let freed = poll_until(NAME_FREED_TIMEOUT_US, || {
            ipc_runtime::system().discover(endpoint).is_err()
        })
        .await;
        if !freed {
            return Err(format!("{endpoint} is still registered by someone else"));
        }
    }
    let since_us = journal::now_us();
    match &manifest.runs_as {
        RunsAs::Kernel => {
            let (id, join) = catalog::start_kernel(&manifest.name, core)?;
            Ok(kernel_instance(id, join, since_us, core))
        }
        RunsAs::Failover { replicas } => {
            let endpoint = manifest.endpoint.as_deref().unwrap_or_default();
            let (id, join) = failover_router::start(&manifest.name, endpoint, replicas, core)?;
            Ok(kernel_instance(id, join, since_us, core))
        }
        RunsAs::User { program } => {
            let options = Options {
                core: Some(core),
                log: journal::channel(&manifest.name),
                argument: u64::from(manifest.instance),
                ..Options::default()
            };
            let (control, join) = process::spawn(program, options)?;
            let running = Running {
                handle: Handle::User(control.clone()),
                since_us,
                core: Some(core),
                pid: Some(control.pid),
            };
            let ended = Box::pin(async move {
                match join.await {
                    Ok(Exit::Code(0)) => (Ending::Clean, String::from("exited with code 0")),
                    Ok(Exit::Code(code)) => {
                        (Ending::Failed, format!("exited with code {}", code as i32))
                    }
                    Ok(Exit::Fault { vector, rip, .. }) => {
                        let (mnemonic, _) = crate::arch::x86_64::exception_name(vector);
                        (Ending::Failed, format!("fault {mnemonic} at {rip:#x}"))
                    }
                    Err(_) => (Ending::Failed, String::from("killed")),
                }
            });
            Ok(Started { running, ended })
        }
    }
}

/// A started kernel task serving endpoint `id`: its end frees the endpoint's name.
fn kernel_instance(id: ServiceId, join: JoinHandle<()>, since_us: u64, core: usize) -> Started {
    let running = Running {
        handle: Handle::Kernel(join.task().clone()),
        since_us,
        core: Some(core),
        pid: None,
    };
    let ended = Box::pin(async move {
        let result = join.await;
        // Frees its name for the next instance (it may be gone already).
        let _ = ipc_runtime::stop_service(id);
        match result {
            Ok(()) => (Ending::Clean, String::from("returned")),
            Err(_) => (Ending::Failed, String::from("killed")),
        }
    });
    Started { running, ended }
}

/// Waits until the instance `running` of `manifest` serves: its endpoint is
/// registered by it (a kernel service registers before its task starts; a service
/// without an endpoint serves once started). `Err` if it does not in time.
pub async fn wait_serving(manifest: &Manifest, running: &Running) -> Result<(), String> {
    let Some(endpoint) = &manifest.endpoint else {
        return Ok(());
    };
    let owner = match running.pid {
        Some(pid) => ipc_runtime::process_holder(pid),
        None => ipc_runtime::KERNEL,
    };
    let serving = || {
        ipc_runtime::system()
            .discover(endpoint)
            .ok()
            .and_then(ipc_runtime::owner_of)
            == Some(owner)
    };
    let ended = || running.handle.task().is_some_and(TaskRef::is_finished);
    if poll_until(SERVING_TIMEOUT_US, || serving() || ended()).await && serving() {
        Ok(())
    } else if ended() {
        Err(format!("ended before it registered {endpoint}"))
    } else {
        Err(format!("did not register {endpoint} in time"))
    }
}
