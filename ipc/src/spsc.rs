//! A bounded lock-free single-producer single-consumer ring with batched index publication:
//! the per (sender core, receiver core) fast path of an endpoint.
//!
//! Why `unsafe` (the only module of the crate allowed it): a slot must hold a message by
//! value without a lock or a swap per access. A `Mutex` or an atomic swap cell per slot
//! would cost an atomic read-modify-write per message on each side, where this ring costs
//! one plain store (the index) per *batch*. The slots are `UnsafeCell<MaybeUninit<T>>`.
//!
//! Invariants (what makes the blocks below sound):
//! - positions grow without bound (wrapping `usize`); slot `pos & mask` holds the item at
//!   `pos`. `tail` is written only by the [`Producer`], `head` only by the [`Consumer`];
//! - slots in `[head, tail)` hold initialised items; all others are uninitialised.
//!   `tail - head <= capacity` always, so the producer never writes a live slot;
//! - the producer writes a slot, then publishes `tail` with `Release`; the consumer loads
//!   `tail` with `Acquire` before reading a slot, so it sees the whole item. The consumer
//!   moves an item out, then publishes `head` with `Release`; the producer loads `head` with
//!   `Acquire` before reusing that slot. Each side may publish after many items (a batch);
//!   unpublished positions simply look occupied (producer side) or empty (consumer side);
//! - there is exactly one `Producer` and one `Consumer` per ring (neither is `Clone`, every
//!   slot access takes `&mut self`), so the type system enforces single producer / single
//!   consumer;
//! - the consumer may publish less than it has read: the published `head` is its read
//!   position minus the items it *holds* ([`Consumer::drain_held`] moves items out and
//!   holds them, [`Consumer::release_held`] lets them go). The producer then sees fewer
//!   free slots than there are, which bounds how much the consumer keeps elsewhere (the
//!   endpoint's lanes). The published `head` never passes the read position (`held`
//!   never exceeds what was read), so the producer still never writes a live slot;
//! - the `Producer` publishes its last items when dropped, the `Consumer` its read position
//!   when dropped, and whoever drops the ring last (the `Arc`) drops the items still in
//!   `[head, tail)`;
//! - [`Consumer::close`] records the read position once, for good (`closed_at`), so that
//!   a producer that later learns of the consumer's end (through the endpoint's signal
//!   word) can tell which of its items had been taken ([`Producer::taken_of_last`]).
//!
//! Items are built in their slot ([`Producer::vacant`], [`Producer::push_slice`]) and, once
//! looked at in place ([`Consumer::fresh_front_with`], [`Readable::peek`]), either consumed there
//! ([`Readable::consume`], [`Consumer::consume_while`]: handed out by reference, then
//! dropped in place) or moved out straight to the caller ([`Readable::take`]), so an
//! endpoint message is copied once by its sender and at most once by its receiver.
//!
//! Each side caches the other's index and reloads it only when the ring looks full (producer)
//! or empty (consumer), so a steady stream touches the shared index lines once per batch.
//! Loom models: `spsc/loom_tests.rs`.

#![allow(unsafe_code)]

use alloc::boxed::Box;
use core::mem::MaybeUninit;

use crate::sync::{Arc, AtomicBool, AtomicUsize, Ordering, UnsafeCell};

mod consumer;
mod producer;

pub(crate) use consumer::{Consumer, Readable};
pub(crate) use producer::{Producer, Watch};

/// Largest ring the endpoint asks for; bigger requests are clamped.
pub(crate) const MAX_CAPACITY: usize = 1 << 20;

/// Keeps the two indices on separate cache lines (no false sharing between the sides).
#[repr(align(64))]
struct CacheLine<T>(T);

struct Ring<T> {
    head: CacheLine<AtomicUsize>,
    tail: CacheLine<AtomicUsize>,
    producer_gone: AtomicBool,
    /// The consumer's read position when it closed (see [`Consumer::close`]).
    closed_at: AtomicUsize,
    mask: usize,
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
}

// SAFETY: the ring moves `T`s from the producer's thread to the consumer's (`T: Send`);
// a slot is accessed by one side at a time, handed over by the release/acquire pairs on
// `head` and `tail` (module invariants).
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above; shared access through `&Ring` never touches a slot outside the side's
// own range.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    #[inline]
    fn slot(&self, pos: usize) -> &UnsafeCell<MaybeUninit<T>> {
        debug_assert_eq!(self.slots.len(), self.mask + 1);
        // SAFETY: `slots` has `mask + 1` entries (a power of two, set once in `ring`), so
        // `pos & mask` is always in bounds.
        unsafe { self.slots.get_unchecked(pos & self.mask) }
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // Both halves are gone (the `Arc`'s last release synchronises with us), so this is
        // the only accessor; the producer published its last items when it was dropped.
        let head = self.head.0.load(Ordering::Acquire);
        let tail = self.tail.0.load(Ordering::Acquire);
        let mut pos = head;
        while pos != tail {
            // SAFETY: `[head, tail)` holds initialised items (module invariants), each
            // dropped exactly once here, and nobody else can access the ring any more.
            self.slot(pos)
                .with_mut(|slot| unsafe { (*slot).assume_init_drop() });
            pos = pos.wrapping_add(1);
        }
    }
}

/// Creates a ring of at least `capacity` slots (rounded up to a power of two, clamped to
/// `1..=MAX_CAPACITY`) and returns its two halves.
pub(crate) fn ring<T>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    let ring = new_ring(capacity);
    (Producer::new(ring.clone()), Consumer::new(ring))
}

/// An empty ring of at least `capacity` slots (see [`ring`]).
fn new_ring<T>(capacity: usize) -> Arc<Ring<T>> {
    let capacity = capacity.clamp(1, MAX_CAPACITY).next_power_of_two();
    Arc::new(Ring {
        head: CacheLine(AtomicUsize::new(0)),
        tail: CacheLine(AtomicUsize::new(0)),
        producer_gone: AtomicBool::new(false),
        closed_at: AtomicUsize::new(0),
        mask: capacity - 1,
        slots: (0..capacity)
            .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
            .collect(),
    })
}

/// A ring that never carries an item, whose halves stand in where a producer or a consumer
/// must always exist (so that "is there a ring" and "is there room or an item" are one
/// test): its producers have no room at all (capacity 0), so its `tail` stays 0 and its
/// consumers never find an item. The one exception to one producer and one consumer per
/// ring: halves of a sealed ring never touch a slot, and the indices they publish (when
/// dropped) are the ones already there.
pub(crate) struct Sealed<T>(Arc<Ring<T>>);

impl<T> Sealed<T> {
    /// A sealed ring.
    pub(crate) fn new() -> Self {
        Self(new_ring(1))
    }

    /// A producer that always finds the ring full.
    pub(crate) fn producer(&self) -> Producer<T> {
        Producer::sealed(self.0.clone())
    }

    /// A consumer that always finds the ring empty.
    pub(crate) fn consumer(&self) -> Consumer<T> {
        Consumer::new(self.0.clone())
    }
}

/// The `count` slots from index `start` on (`start` in bounds, `count` at most the ring's
/// capacity), as the run up to the end of `slots` and the run that wraps around to its
/// beginning.
#[inline]
fn runs<S>(slots: &[S], start: usize, count: usize) -> (&[S], &[S]) {
    let first = count.min(slots.len() - start);
    (&slots[start..start + first], &slots[..count - first])
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
