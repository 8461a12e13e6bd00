//! Spawning: task options and placement.
//!
//! Placement of a new task: `spawn` uses the current core's local queue (the injector when
//! called from outside the executor), `spawn_on(core)` that core's inbox (stealable unless
//! pinned), `spawn_anywhere` the global injector. A `Pinned`/`Prefer`/`run_near` hint set on
//! the builder wins over the placement. Invariants: a task is enqueued exactly once here
//! (the registry lists it only after a first poll that returns `Pending`, `registry.rs`); a spawn allocates once (`raw::new_task`: the
//! task cell with the future, later its output, inline; a future over `raw::INLINE_STAGE`
//! bytes is boxed, a second allocation).

use alloc::borrow::Cow;
use alloc::sync::Arc;
use core::future::Future;

use crate::executor::Executor;
use crate::join::JoinHandle;
use crate::platform::Platform;
use crate::priority::Priority;
use crate::raw::new_task;
use crate::shared::Shared;
use crate::sync::Ordering;
use crate::task::{Header, Origin, Placement, Schedule};
use crate::task_ref::{Affinity, TaskId, TaskRef};

#[derive(Clone, Copy)]
enum Place {
    Current,
    Core(usize),
    Anywhere,
}

/// Options for one spawn; obtained from [`Executor::build`].
#[must_use = "a Builder does nothing until one of its spawn methods is called"]
pub struct Builder<'a, P: Platform> {
    exec: &'a Executor<P>,
    name: Cow<'static, str>,
    priority: Priority,
    affinity: Affinity,
    near: Option<TaskRef>,
}

impl<'a, P: Platform> Builder<'a, P> {
    #[inline]
    pub(crate) fn new(exec: &'a Executor<P>) -> Self {
        Self {
            exec,
            name: Cow::Borrowed("task"),
            priority: Priority::Normal,
            affinity: Affinity::Any,
            near: None,
        }
    }

    /// Name shown by the `tasks` command.
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = name.into();
        self
    }

    /// Initial lane.
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }

    /// Initial affinity hint.
    pub fn affinity(mut self, affinity: Affinity) -> Self {
        self.affinity = affinity;
        self
    }

    /// Initial `run_near` hint.
    pub fn run_near(mut self, peer: &TaskRef) -> Self {
        self.near = Some(peer.clone());
        self
    }

    /// Spawns on the current core (the injector outside the executor).
    #[inline]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_at(Place::Current, future)
    }

    /// Spawns into `core`'s inbox; an out-of-range core falls back to `spawn`.
    #[inline]
    pub fn spawn_on<F>(self, core: usize, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_at(Place::Core(core), future)
    }

    /// Spawns into the global injector: whichever core is free first takes it.
    #[inline]
    pub fn spawn_anywhere<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_at(Place::Anywhere, future)
    }

    /// Inline: at a call site the builder's options are constants, so the unused hints
    /// and placements fold away.
    #[inline]
    fn spawn_at<F>(self, place: Place, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let Self {
            exec,
            name,
            priority,
            affinity,
            near,
        } = self;
        let shared: &Arc<Shared<P>> = &exec.shared;
        let id = TaskId(shared.next_task.fetch_add(1, Ordering::Relaxed));
        let here = shared.here();
        let home = match place {
            Place::Core(core) if core < shared.cores.len() => core,
            _ => here.unwrap_or(0),
        };
        let scheduler: Arc<dyn Schedule> = shared.clone();
        let header = || Header::new(id, name, priority, affinity, home, scheduler);
        let (task, take_output) = new_task(header, future);
        let placement = match &near {
            Some(peer) => {
                task.set_near(&peer.0);
                task.placement()
            }
            None => Placement::of(affinity),
        };
        let handle = JoinHandle::new(TaskRef(task.clone()), take_output);
        match (place, placement) {
            (Place::Current, Placement::Any)
                if here.is_some()
                    && shared.cores[home].polling.load(Ordering::Relaxed)
                    && !shared.is_shutdown() =>
            {
                // The common spawn, from a task: the back of this core's ring once the
                // spawner's poll ends, unless the spawner awaits it first (`run_inline`).
                shared.push_spawned(home, task);
            }
            (Place::Core(core), _) => shared.push_to_core(core, task),
            (Place::Anywhere, Placement::Any) if !shared.is_shutdown() => {
                shared.push_injector(task)
            }
            _ => shared.schedule(task, Origin::Spawn),
        }
        handle
    }
}
