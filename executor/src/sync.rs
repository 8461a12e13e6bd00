//! Synchronisation facade.
//!
//! Invariant: the run queues, the task state machine and the idle handshake import their
//! atomics, `Mutex` and `Slot` only from here, so that under `cfg(loom)` the models in
//! `loom_models.rs` observe every shared access they make.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{
    AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};

/// A spin lock. Never held across a poll, a wake or a lock of another structure.
pub(crate) struct Mutex<T> {
    #[cfg(not(loom))]
    inner: spin::Mutex<T>,
    #[cfg(loom)]
    inner: loom::sync::Mutex<T>,
}

#[cfg(not(loom))]
pub(crate) type MutexGuard<'a, T> = spin::MutexGuard<'a, T>;
#[cfg(loom)]
pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Self {
            #[cfg(not(loom))]
            inner: spin::Mutex::new(value),
            #[cfg(loom)]
            inner: loom::sync::Mutex::new(value),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        #[cfg(not(loom))]
        return self.inner.lock();
        #[cfg(loom)]
        return self.inner.lock().expect("loom mutex poisoned");
    }
}

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

/// A task's join waker slot: `futures_util`'s `AtomicWaker`; under `cfg(loom)` a loom
/// mutex around the waker (linearizable like the real one), so the models see its handoffs
/// and may switch threads inside `register`/`wake` (`join_handle_never_misses_completion`).
pub(crate) struct AtomicWaker {
    #[cfg(not(loom))]
    inner: futures_util::task::AtomicWaker,
    #[cfg(loom)]
    inner: loom::sync::Mutex<Option<core::task::Waker>>,
}

impl AtomicWaker {
    pub(crate) fn new() -> Self {
        Self {
            #[cfg(not(loom))]
            inner: futures_util::task::AtomicWaker::new(),
            #[cfg(loom)]
            inner: loom::sync::Mutex::new(None),
        }
    }

    #[inline]
    pub(crate) fn register(&self, waker: &core::task::Waker) {
        #[cfg(not(loom))]
        self.inner.register(waker);
        #[cfg(loom)]
        {
            *self.inner.lock().expect("loom mutex poisoned") = Some(waker.clone());
        }
    }

    #[inline]
    pub(crate) fn wake(&self) {
        #[cfg(not(loom))]
        self.inner.wake();
        #[cfg(loom)]
        {
            let waker = self.inner.lock().expect("loom mutex poisoned").take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}
