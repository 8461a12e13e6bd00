//! Synchronisation facade of the MOHHOS host-testable crates: `loom`'s types under
//! `cfg(loom)`, `core`'s / `alloc`'s / `spin`'s / `futures_util`'s otherwise.
//!
//! Invariant: the executor's and the IPC crate's lock-free structures import their atomics,
//! locks, waker slots, `Arc`s and cells only through this crate (via their own `sync`
//! modules), so that under `cfg(loom)` their models observe every shared access.

#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(loom)]
pub use loom::sync::atomic::{
    AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};

#[cfg(not(loom))]
pub use core::sync::atomic::{
    AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};

#[cfg(not(loom))]
pub use alloc::sync::Arc;
/// Shared ownership: `loom`'s `Arc` under `cfg(loom)` (so the models see the reference
/// count's release/acquire hand-off before a last-owner drop), `alloc`'s otherwise.
#[cfg(loom)]
pub use loom::sync::Arc;

/// An `UnsafeCell` with loom's closure API (`with`/`with_mut`), so that under `cfg(loom)`
/// every access is checked for data races.
#[cfg(loom)]
pub use loom::cell::UnsafeCell;

/// `core`'s `UnsafeCell` behind loom's closure API (see the loom variant).
#[cfg(not(loom))]
#[repr(transparent)]
pub struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    /// A cell holding `value`.
    pub const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    /// Runs `f` with a shared raw pointer to the value.
    #[inline(always)]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with a mutable raw pointer to the value.
    #[inline(always)]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// A spin lock. Never held across a poll, an `.await`, a waker call or a lock of another
/// structure.
pub struct Mutex<T> {
    #[cfg(not(loom))]
    inner: spin::Mutex<T>,
    #[cfg(loom)]
    inner: loom::sync::Mutex<T>,
}

/// The guard of a [`Mutex`].
#[cfg(not(loom))]
pub type MutexGuard<'a, T> = spin::MutexGuard<'a, T>;
/// The guard of a [`Mutex`].
#[cfg(loom)]
pub type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    pub fn new(value: T) -> Self {
        Self {
            #[cfg(not(loom))]
            inner: spin::Mutex::new(value),
            #[cfg(loom)]
            inner: loom::sync::Mutex::new(value),
        }
    }

    /// Spins until the lock is taken.
    #[inline]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        #[cfg(not(loom))]
        return self.inner.lock();
        #[cfg(loom)]
        return self.inner.lock().expect("loom mutex poisoned");
    }
}

/// A waker slot: `futures_util`'s `AtomicWaker`; under `cfg(loom)` a loom mutex around the
/// waker (linearizable like the real one), so the models see its hand-offs and may switch
/// threads inside `register`/`wake`.
pub struct AtomicWaker {
    #[cfg(not(loom))]
    inner: futures_util::task::AtomicWaker,
    #[cfg(loom)]
    inner: loom::sync::Mutex<Option<core::task::Waker>>,
}

impl AtomicWaker {
    /// An empty slot.
    pub fn new() -> Self {
        Self {
            #[cfg(not(loom))]
            inner: futures_util::task::AtomicWaker::new(),
            #[cfg(loom)]
            inner: loom::sync::Mutex::new(None),
        }
    }

    /// Stores `waker` (replacing an older one) for the next [`AtomicWaker::wake`].
    #[inline]
    pub fn register(&self, waker: &core::task::Waker) {
        #[cfg(not(loom))]
        self.inner.register(waker);
        #[cfg(loom)]
        {
            *self.inner.lock().expect("loom mutex poisoned") = Some(waker.clone());
        }
    }

    /// Wakes (and forgets) the registered waker, if any.
    #[inline]
    pub fn wake(&self) {
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

impl Default for AtomicWaker {
    fn default() -> Self {
        Self::new()
    }
}
