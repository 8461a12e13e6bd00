//! Synchronisation facade: the shared loom-switchable types of `mohhos-sync`.
//!
//! Invariant: the lock-free structures (the SPSC ring, the endpoint's signal words, the
//! capability table's slot words) import their atomics, `Mutex`, `AtomicWaker`, `Arc` and
//! `UnsafeCell` only from here, so that the loom models observe every shared access they
//! make.

#[allow(unused_imports)]
pub(crate) use mohhos_sync::{
    Arc, AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, AtomicWaker, Mutex, Ordering,
    UnsafeCell, fence,
};
