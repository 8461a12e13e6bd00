//! Synchronisation facade: `loom`'s types under `cfg(loom)`, `core`'s / `spin`'s /
//! `futures_util`'s otherwise.
//!
//! Invariant: the lock-free structures (the SPSC ring, the capability table's slot words)
//! import their atomics, `Mutex` and `AtomicWaker` only from here, so that the loom models
//! observe every shared access they make.

#[cfg(loom)]
#[allow(unused_imports)]
pub(crate) use loom::sync::atomic::{
    AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};

#[cfg(not(loom))]
#[allow(unused_imports)]
pub(crate) use core::sync::atomic::{
    AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};

/// A spin lock. Never held across an `.await`, a waker call or a lock of another structure.
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

#[allow(dead_code)]
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

/// A waker slot: `futures_util`'s `AtomicWaker`; under `cfg(loom)` a loom mutex around the
/// waker (linearizable like the real one), so the models see its hand-offs.
pub(crate) struct AtomicWaker {
    #[cfg(not(loom))]
    inner: futures_util::task::AtomicWaker,
    #[cfg(loom)]
    inner: loom::sync::Mutex<Option<core::task::Waker>>,
}

#[allow(dead_code)]
impl AtomicWaker {
    pub(crate) fn new() -> Self {
        Self {
            #[cfg(not(loom))]
            inner: futures_util::task::AtomicWaker::new(),
            #[cfg(loom)]
            inner: loom::sync::Mutex::new(None),
        }
    }

    /// Stores `waker` (replacing an older one) for the next [`AtomicWaker::wake`].
    #[inline]
    pub(crate) fn register(&self, waker: &core::task::Waker) {
        #[cfg(not(loom))]
        self.inner.register(waker);
        #[cfg(loom)]
        {
            *self.inner.lock().expect("loom mutex poisoned") = Some(waker.clone());
        }
    }

    /// Wakes (and forgets) the registered waker, if any.
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

#[cfg(not(loom))]
pub(crate) use alloc::sync::Arc;
/// Shared ownership: `loom`'s `Arc` under `cfg(loom)` (so the models see the reference
/// count's release/acquire hand-off before a last-owner drop), `alloc`'s otherwise.
#[cfg(loom)]
pub(crate) use loom::sync::Arc;

/// An `UnsafeCell` with loom's closure API (`with`/`with_mut`), so that under `cfg(loom)`
/// every access to a ring slot is checked for data races.
#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// `core`'s `UnsafeCell` behind loom's closure API (see the loom variant).
#[cfg(not(loom))]
#[repr(transparent)]
pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    /// Runs `f` with a shared raw pointer to the value.
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with a mutable raw pointer to the value.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
