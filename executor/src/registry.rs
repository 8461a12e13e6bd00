//! Registry of live tasks, for statistics and for cancelling everything at shutdown.
//!
//! Invariants: holds only `Weak` references (never keeps a task alive); a task is inserted
//! by its `RUNNING` owner when its first poll returns `Pending` (a task that completes in its
//! first poll, the common short task, never costs a listing; one waiting for its first poll
//! is counted in its core's queue length instead) and removed when it completes, each a
//! short critical section of one slab (a `Vec` slot plus a free list: no tree, no
//! allocation once the slab has grown). Sharded by the core that ran that first poll, so
//! cores do not share a lock; the task keeps its `(shard, slot)` key.

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;

use crate::sync::Mutex;
use crate::task::{Task, TaskCell};

const SHARDS: usize = 16;

#[derive(Default)]
struct Slab {
    slots: Vec<Option<Weak<TaskCell>>>,
    free: Vec<u32>,
}

pub(crate) struct Registry {
    shards: [Mutex<Slab>; SHARDS],
}

impl Registry {
    pub(crate) fn new() -> Self {
        Self {
            shards: core::array::from_fn(|_| Mutex::new(Slab::default())),
        }
    }

    /// Registers `task` (its first poll, on `core`, just returned `Pending`) in `core`'s
    /// shard; returns its key.
    #[inline]
    pub(crate) fn insert(&self, core: usize, task: &Task) -> (u32, u32) {
        let shard_index = core % SHARDS;
        let weak = Arc::downgrade(task);
        let mut shard = self.shards[shard_index].lock();
        let slot = match shard.free.pop() {
            Some(slot) => {
                shard.slots[slot as usize] = Some(weak);
                slot
            }
            None => {
                shard.slots.push(Some(weak));
                (shard.slots.len() - 1) as u32
            }
        };
        (shard_index as u32, slot)
    }

    /// Unlists `task` (completing) if it was listed.
    pub(crate) fn remove(&self, task: &TaskCell) {
        let Some((shard, slot)) = task.registry_key() else {
            return;
        };
        let weak = {
            let mut shard = self.shards[shard as usize].lock();
            let weak = shard.slots[slot as usize].take();
            shard.free.push(slot);
            weak
        };
        drop(weak);
    }

    /// Live tasks in id order.
    pub(crate) fn live(&self) -> Vec<Task> {
        let mut tasks: Vec<Task> = self
            .shards
            .iter()
            .flat_map(|shard| {
                let shard = shard.lock();
                shard
                    .slots
                    .iter()
                    .filter_map(|w| w.as_ref().and_then(Weak::upgrade))
                    .collect::<Vec<_>>()
            })
            .collect();
        tasks.sort_by_key(|t| t.id);
        tasks
    }
}
