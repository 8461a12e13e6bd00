//! The running kernel's IPC: one [`ipc::System`] whose messages are stamped with the
//! TSC, the kernel's own services, and priority inheritance through the executor's hints.
//!
//! A service is a task that owns the receiving end of its endpoint. When a message
//! arrives whose priority is above everything the service has waiting, the endpoint's
//! priority hook raises the service task's executor lane to that priority (applied at
//! its next enqueue, which the same message's wake causes); once the service has
//! nothing above its base priority waiting, it drops back to its base.

mod echo;

use crate::arch::x86_64 as arch;
use crate::runtime::executor;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::future::Future;
use executor::{Affinity, Priority, TaskRef};
use ipc::{
    Cap, Connection, HolderId, IpcError, Quotas, Received, Receiver, SecurityLevel, ServiceId,
    System,
};

pub use echo::{ECHO_SERVICE, serve as serve_echo};

/// The kernel as a capability holder.
pub const KERNEL: HolderId = HolderId(0);

static SYSTEM: spin::Once<System> = spin::Once::new();

/// The kernel's root capability on each service it registered.
static ROOTS: spin::Mutex<BTreeMap<ServiceId, Cap>> = spin::Mutex::new(BTreeMap::new());

fn clock() -> u64 {
    arch::rdtsc()
}

/// The kernel's IPC system (created on first use).
pub fn system() -> &'static System {
    SYSTEM.call_once(|| {
        let system = System::new(clock);
        system.caps().set_quotas(KERNEL, Quotas::UNLIMITED);
        system
    })
}

/// Starts the kernel's own services.
pub fn start() {
    if let Err(error) = echo::start() {
        log::warn!("ipc: {ECHO_SERVICE} did not start: {error}");
    }
}

/// A running kernel service: its endpoint's receiving end and its own task, whose
/// executor priority follows the most urgent message waiting for it.
pub struct Service {
    receiver: Receiver,
    task: Arc<spin::Once<TaskRef>>,
    base: Priority,
}

impl Service {
    /// The service task's executor priority now (after inheritance); the in-kernel
    /// tests check inheritance with it.
    #[cfg(feature = "ktest")]
    pub fn priority(&self) -> Option<Priority> {
        self.task.get().map(TaskRef::priority)
    }

    /// The next message. First drops the task back to its base priority unless
    /// something more urgent than the base still waits.
    pub async fn next(&mut self) -> Result<Received, IpcError> {
        // Only a raised task has anything to undo (the hook never lowers it).
        if let Some(task) = self.task.get()
            && task.priority() != self.base
        {
            let wanted = self
                .receiver
                .highest_waiting()
                .map_or(self.base, |p| p.min(self.base));
            task.set_priority(wanted);
        }
        self.receiver.recv().await
    }
}

/// Registers `name` for the kernel and spawns `serve` as its task at `base` priority
/// (pinned to `core` if given, else anywhere), with priority inheritance wired to the
/// endpoint.
pub fn spawn_service<F>(
    name: &'static str,
    base: Priority,
    core: Option<usize>,
    serve: impl FnOnce(Service) -> F,
) -> Result<ServiceId, IpcError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let handle = system().register(KERNEL, name, SecurityLevel::System)?;
    ROOTS.lock().insert(handle.id, handle.cap);
    let task: Arc<spin::Once<TaskRef>> = Arc::new(spin::Once::new());
    let hooked = task.clone();
    // A fresh endpoint has no hook yet, so this cannot be refused.
    handle.receiver.on_priority(Box::new(move |priority| {
        // Raise only: the service lowers itself in `Service::next`.
        if let Some(task) = hooked.get()
            && priority < task.priority()
        {
            task.set_priority(priority);
        }
    }))?;
    let service = Service {
        receiver: handle.receiver,
        task: task.clone(),
        base,
    };
    let builder = executor().build().name(name).priority(base);
    let join = match core {
        Some(core) => builder
            .affinity(Affinity::Pinned(core))
            .spawn_on(core, serve(service)),
        None => builder.spawn(serve(service)),
    };
    task.call_once(|| join.task().clone());
    Ok(handle.id)
}

/// A kernel connection to the kernel service registered as `name`.
pub fn connect(name: &str) -> Result<Connection<'static>, IpcError> {
    let id = system().discover(name)?;
    let cap = ROOTS.lock().get(&id).copied().ok_or(IpcError::NotFound)?;
    system().connect(KERNEL, cap, ServiceId::KERNEL)
}

/// Unregisters the kernel service `id`: its task ends once the last connection to it
/// is gone (its receiver then reports `Closed`).
pub fn stop_service(id: ServiceId) -> Result<(), IpcError> {
    ROOTS.lock().remove(&id);
    system().unregister(KERNEL, id)
}
