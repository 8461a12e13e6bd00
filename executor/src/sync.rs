//! Synchronisation facade: the shared loom-switchable types of `mohhos-sync`, plus the
//! executor's own `Slot`.
//!
//! Invariant: the run queues, the task state machine and the idle handshake import their
//! atomics, `Mutex` and `Slot` only from here, so that under `cfg(loom)` the models in
//! `loom_models.rs` observe every shared access they make.

pub(crate) use mohhos_sync::{
    AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, AtomicWaker, Mutex, Ordering, fence,
};

/// A cell holding at most one value, exchanged atomically.
///
/// Outside loom it is a `crossbeam_utils::atomic::AtomicCell<Option<T>>`, which is a plain
/// lock-free 64-bit swap when `Option<T>` is pointer sized (true for `Arc<TaskCell>`; a unit
/// test checks it). This is what lets the ring buffer stay free of `unsafe`.
pub(crate) struct Slot<T> {
    #[cfg(not(loom))]
    cell: crossbeam_utils::atomic::AtomicCell<Option<T>>,
    #[cfg(loom)]
    cell: loom::sync::Mutex<Option<T>>,
}

impl<T> Slot<T> {
    pub(crate) fn empty() -> Self {
        Self {
            #[cfg(not(loom))]
            cell: crossbeam_utils::atomic::AtomicCell::new(None),
            #[cfg(loom)]
            cell: loom::sync::Mutex::new(None),
        }
    }

    /// Stores `value` and returns the previous content.
    pub(crate) fn swap(&self, value: Option<T>) -> Option<T> {
        #[cfg(not(loom))]
        return self.cell.swap(value);
        #[cfg(loom)]
        return core::mem::replace(&mut *self.cell.lock().expect("loom mutex poisoned"), value);
    }

    pub(crate) fn take(&self) -> Option<T> {
        self.swap(None)
    }

    /// Whether this slot type is lock-free outside loom.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn is_lock_free() -> bool {
        crossbeam_utils::atomic::AtomicCell::<Option<T>>::is_lock_free()
    }
}
