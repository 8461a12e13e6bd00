//! MOHHOS per-core work-stealing async executor: the hardware-independent core.
//!
//! The kernel plugs in through [`Platform`] (current core, clock, IPI, halt); host tests
//! plug in threads. `no_std` + `alloc`; the only `unsafe` is in `raw.rs` (the task's
//! future/output stored inline in the task allocation, without a lock).
//!
//! # Design
//! - **Tasks** ([`spawn`](Executor::spawn), [`spawn_on`](Executor::spawn_on),
//!   [`spawn_anywhere`](Executor::spawn_anywhere), [`build`](Executor::build) for a name,
//!   priority and hints) return a [`JoinHandle`]. Dropping the handle detaches the task;
//!   [`JoinHandle::abort`] cancels it. The task state machine is in `state.rs`.
//! - **Queues**: per core, one bounded lock-free ring per priority lane (owner pushes and
//!   pops, anyone steals half), a LIFO slot for the task woken last, an inbox for work sent
//!   from other cores, and a pinned queue; one global injector. An idle core steals about
//!   half of a pseudo-random victim's highest non-empty lane.
//! - **Priorities**: five [`Priority`] lanes served by a weighted budget round (see
//!   [`Priority::budget`]), so no lane starves.
//! - **Idle**: a core spins a little, publishes HALTED, re-checks every queue, then calls
//!   [`Platform::idle`] with its earliest timer deadline. Wakers publish work first and IPI
//!   a core only if it published HALTED (`idle.rs` has the handshake).
//! - **Interrupts**: [`IrqWakers::fire`] from the handler; wakers run in task context.
//! - **Time**: [`Executor::sleep`], [`Executor::timeout`], [`Executor::interval`], per-core
//!   timer queues, one-shot deadlines only.
//!
//! # Scheduling hints
//! Hints live in the task and are applied at its next enqueue (spawn, wake, or re-queue
//! after a poll); a task already queued is not moved.
//! - [`TaskRef::set_priority`]: which lane it joins.
//! - [`TaskRef::set_affinity`]: [`Affinity::Any`] (run where woken), [`Affinity::Prefer`]`(c)`
//!   (sent to core `c`, still stealable), [`Affinity::Pinned`]`(c)` (only core `c`, never
//!   stolen). Out-of-range cores count as `Any`.
//! - [`TaskRef::run_near`]`(peer)`: prefer the core `peer` last ran on (weakly held).
//!
//! A [`TaskRef`] comes from [`JoinHandle::task`]; the same hints exist on [`Builder`].

#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod core_queues;
mod executor;
mod idle;
mod irq;
mod join;
mod lane_queue;
mod platform;
mod priority;
mod raw;
mod registry;
mod ring;
mod shared;
mod spawn;
mod state;
mod stats;
mod sync;
mod task;
mod task_ref;
mod time;
mod timer_queue;
mod worker;
mod yield_now;

#[cfg(all(test, loom))]
mod loom_models;

pub use executor::Executor;
pub use idle::CoreRunState;
pub use irq::{IrqError, IrqWait, IrqWakers};
pub use join::{JoinError, JoinHandle};
pub use platform::{Config, Platform};
pub use priority::Priority;
pub use shared::IRQ_SLOTS;
pub use spawn::Builder;
pub use stats::{CoreStats, Snapshot, TaskStats};
pub use task_ref::{Affinity, TaskId, TaskRef, TaskState};
pub use time::{Elapsed, Interval, Sleep, Timeout};
pub use worker::{Worker, WorkerError};
pub use yield_now::{YieldNow, yield_now};
