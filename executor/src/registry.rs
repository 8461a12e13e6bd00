//! Registry of live tasks, for statistics and for cancelling everything at shutdown.
//!
//! Invariants: holds only `Weak` references (never keeps a task alive); a task is inserted
//! before its first enqueue and removed when it completes; sharded by id so spawns on
//! different cores rarely share a lock.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;

use crate::sync::Mutex;
use crate::task::{Task, TaskCell};
use crate::task_ref::TaskId;

const SHARDS: usize = 16;

pub(crate) struct Registry {
    shards: [Mutex<BTreeMap<u64, Weak<TaskCell>>>; SHARDS],
}

impl Registry {
    pub(crate) fn new() -> Self {
        Self {
            shards: core::array::from_fn(|_| Mutex::new(BTreeMap::new())),
        }
    }

    fn shard(&self, id: TaskId) -> &Mutex<BTreeMap<u64, Weak<TaskCell>>> {
        &self.shards[id.0 as usize % SHARDS]
    }

    pub(crate) fn insert(&self, task: &Task) {
        self.shard(task.id)
            .lock()
            .insert(task.id.0, Arc::downgrade(task));
    }

    pub(crate) fn remove(&self, id: TaskId) {
        self.shard(id).lock().remove(&id.0);
    }

    /// Live tasks in id order.
    pub(crate) fn live(&self) -> Vec<Task> {
        let mut tasks: Vec<Task> = self
            .shards
            .iter()
            .flat_map(|shard| {
                let shard = shard.lock();
                shard.values().filter_map(Weak::upgrade).collect::<Vec<_>>()
            })
            .collect();
        tasks.sort_by_key(|t| t.id);
        tasks
    }
}
