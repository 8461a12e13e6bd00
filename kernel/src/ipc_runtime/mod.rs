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
use executor::{Affinity, JoinHandle, Priority, TaskRef};
use ipc::{
    Cap, Connection, HolderId, IpcError, Quotas, Received, Receiver, SecurityLevel, ServiceId,
    System,
};

pub use echo::{ECHO_SERVICE, serve as serve_echo, serve_queued as serve_echo_queued};

/// The kernel as a capability holder.
pub const KERNEL: HolderId = HolderId(0);

/// Set in the holder id of every process (and in the source of its messages), which
/// no registered service's id reaches.
const PROCESS_BIT: u32 = 0x8000_0000;

/// The capability holder of process `pid`.
pub fn process_holder(pid: u32) -> HolderId {
    HolderId(PROCESS_BIT | pid)
}

/// The process that sent a message with source `source`, if a process did (the kernel
/// stamps the source: a process cannot pose as another).
pub fn sender_pid(source: ServiceId) -> Option<u32> {
    (source.0 & PROCESS_BIT != 0).then_some(source.0 & !PROCESS_BIT)
}

static SYSTEM: spin::Once<System> = spin::Once::new();

/// The owner's root capability (every right) on each registered service, from which
/// connections are granted.
static ROOTS: spin::Mutex<BTreeMap<ServiceId, (HolderId, Cap)>> = spin::Mutex::new(BTreeMap::new());

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
    /// The endpoint it serves.
    pub fn id(&self) -> ServiceId {
        self.receiver.id()
    }

    /// Wraps `receiver` for the task `task` will name (set once the task exists), at
    /// `base` priority, with priority inheritance wired to the endpoint.
    pub fn attach(
        receiver: Receiver,
        task: Arc<spin::Once<TaskRef>>,
        base: Priority,
    ) -> Result<Self, IpcError> {
        let hooked = task.clone();
        // A fresh endpoint has no hook yet, so this cannot be refused.
        receiver.on_priority(Box::new(move |priority| {
            // Raise only: the service lowers itself in `Service::next`.
            if let Some(task) = hooked.get()
                && priority < task.priority()
            {
                task.set_priority(priority);
            }
        }))?;
        Ok(Self {
            receiver,
            task,
            base,
        })
    }

    /// Answers calls on the caller's stack with `handler` while this service waits with
    /// nothing pending (see `ipc::Receiver::serve_directly`): the seL4-style fast path,
    /// no trip through the executor. The service still receives what `handler`
    /// declines (`None`) and every one-way message, and must handle them the same way.
    pub fn serve_directly(&self, handler: ipc::DirectHandler) -> Result<(), IpcError> {
        self.receiver.serve_directly(handler)
    }

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

/// Registers `name` for `owner` (holders below `level` can never reach it) as a
/// [`Service`] whose task `task` names; returns its id and the owner's root capability.
pub fn register(
    owner: HolderId,
    name: &str,
    level: SecurityLevel,
    task: Arc<spin::Once<TaskRef>>,
    base: Priority,
) -> Result<(ServiceId, Cap, Service), IpcError> {
    let handle = system().register(owner, name, level)?;
    let service = match Service::attach(handle.receiver, task, base) {
        Ok(service) => service,
        Err(error) => {
            let _ = system().unregister(owner, handle.id);
            return Err(error);
        }
    };
    ROOTS.lock().insert(handle.id, (owner, handle.cap));
    Ok((handle.id, handle.cap, service))
}

/// Registers `name` for the kernel and spawns `serve` as its task at `base` priority
/// (pinned to `core` if given, else anywhere), with priority inheritance wired to the
/// endpoint; holders below `level` cannot connect. Returns its id and its task.
pub fn spawn_service<F>(
    name: &str,
    level: SecurityLevel,
    base: Priority,
    core: Option<usize>,
    serve: impl FnOnce(Service) -> F,
) -> Result<(ServiceId, JoinHandle<()>), IpcError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let task: Arc<spin::Once<TaskRef>> = Arc::new(spin::Once::new());
    let (id, _, service) = register(KERNEL, name, level, task.clone(), base)?;
    let builder = executor()
        .build()
        .name(alloc::string::String::from(name))
        .priority(base);
    let join = match core {
        Some(core) => builder
            .affinity(Affinity::Pinned(core))
            .spawn_on(core, serve(service)),
        None => builder.spawn(serve(service)),
    };
    task.call_once(|| join.task().clone());
    Ok((id, join))
}

/// A kernel connection to the kernel service registered as `name`.
pub fn connect(name: &str) -> Result<Connection<'static>, IpcError> {
    let id = system().discover(name)?;
    let (owner, cap) = ROOTS.lock().get(&id).copied().ok_or(IpcError::NotFound)?;
    if owner != KERNEL {
        return Err(IpcError::Denied);
    }
    system().connect(KERNEL, cap, ServiceId::KERNEL)
}

/// A capability with the send right on the service registered as `name`, for holder
/// `to` at security level `level` (derived from the owner's root, so revoking that or
/// the owner's death kills it).
pub fn grant_send(name: &str, to: HolderId, level: SecurityLevel) -> Result<Cap, IpcError> {
    let id = system().discover(name)?;
    let (owner, root) = ROOTS.lock().get(&id).copied().ok_or(IpcError::NotFound)?;
    system().grant(owner, &root, to, ipc::Rights::SEND, level)
}

/// The holder that owns service `id` (who receives what is sent to it).
pub fn owner_of(id: ServiceId) -> Option<HolderId> {
    ROOTS.lock().get(&id).map(|(owner, _)| *owner)
}

/// `holder` is gone: its services (their callers get `PeerDied`), names, capabilities
/// and regions.
pub fn holder_died(holder: HolderId) {
    ROOTS.lock().retain(|_, (owner, _)| *owner != holder);
    system().holder_died(holder);
}

/// Unregisters the kernel service `id`: its task ends once the last connection to it
/// is gone (its receiver then reports `Closed`).
pub fn stop_service(id: ServiceId) -> Result<(), IpcError> {
    ROOTS.lock().remove(&id);
    system().unregister(KERNEL, id)
}
