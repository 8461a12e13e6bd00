//! The reading half of a ring ([`Consumer`]), its front item ([`Readable`]) and the guards
//! that consume items in place exactly once (the module invariants: `spsc.rs`).

use core::mem::MaybeUninit;

use super::{Ring, runs};
use crate::sync::{Arc, Ordering, UnsafeCell};

/// The reading half. `Send`, not `Clone`: one consumer per ring.
pub(crate) struct Consumer<T> {
    /// Its ring (`Watch::watches` compares it).
    pub(super) ring: Arc<Ring<T>>,
    /// Next position to read; `head - held` is published.
    head: usize,
    /// Items read and held (not yet published as taken): at most `head - published head`.
    held: usize,
    /// The owner's name for this ring (see [`Consumer::set_id`]).
    id: u64,
    /// The producer's `tail` as last loaded: a lower bound of the real one. It may lag
    /// behind `head` ([`Consumer::fresh_front_with`] does not record what it loads).
    cached_tail: usize,
}

impl<T> Consumer<T> {
    /// The reading half of an empty `ring`.
    pub(super) fn new(ring: Arc<Ring<T>>) -> Self {
        Self {
            ring,
            head: 0,
            held: 0,
            cached_tail: 0,
            id: 0,
        }
    }

    /// Items readable now; reloads the producer's index only when the cached one says the
    /// ring is empty.
    #[inline]
    fn available(&mut self) -> usize {
        // Positions wrap, so "at or behind `head`" is a signed distance.
        if self.cached_tail.wrapping_sub(self.head) as isize <= 0 {
            self.cached_tail = self.ring.tail.0.load(Ordering::Acquire);
        }
        self.cached_tail.wrapping_sub(self.head)
    }

    /// Takes the oldest item and publishes the freed slot.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn pop(&mut self) -> Option<T> {
        Some(self.fresh_front_with(|_| ())?.0.take())
    }

    /// Whether an item is readable now (see [`Consumer::fresh_front_with`]), from a fresh look at the
    /// producer's `tail`: one load, where the cached copy would cost a compare and, for a
    /// consumer that keeps up with its producer (the common case of a service answering
    /// calls), the same load after it.
    #[inline]
    pub(crate) fn ready(&mut self) -> bool {
        self.cached_tail = self.ring.tail.0.load(Ordering::Acquire);
        self.cached_tail != self.head
    }

    /// The oldest item from a fresh look at the producer's `tail` (as [`Consumer::ready`]),
    /// if any, with what `look` says of it, to consume or take in place or leave there:
    /// one load of the tail, one slot address and one readiness check for all of it, and
    /// nothing stored (the tail it saw is not kept: `cached_tail` may lag behind).
    /// Consuming or taking it publishes the read position: meant for a consumer that holds
    /// no items (see [`Consumer::drain_held`]; one that does would let their slots go early,
    /// which frees them for the producer sooner than promised but never overwrites a live
    /// one).
    #[inline]
    pub(crate) fn fresh_front_with<P>(
        &mut self,
        look: impl FnOnce(&T) -> P,
    ) -> Option<(Readable<'_, T>, P)> {
        // The read position and the ring's address are loaded before the `Acquire` load of
        // the tail (after it, the compiler would load them again).
        let Consumer { ring, head, .. } = self;
        let ring: &Ring<T> = ring;
        let position = *head;
        if ring.tail.0.load(Ordering::Acquire) == position {
            return None;
        }
        // `head` is below the tail just loaded (`Readable`'s invariant).
        let front = Readable {
            slot: ring.slot(position),
            ring,
            head,
            next: position.wrapping_add(1),
        };
        let seen = front.peek(look);
        Some((front, seen))
    }

    /// Moves the item at the read position out and moves the read position past it (the
    /// caller publishes the freed slot, or holds it).
    ///
    /// # Safety
    /// `head < cached_tail`: the `Acquire` load of `tail` that produced `cached_tail`
    /// synchronised with the producer's `Release` publication after it wrote the slot, so
    /// the slot holds an initialised item that only this consumer reads, and it is read
    /// once (the position moves on).
    #[inline]
    unsafe fn read_next(&mut self) -> T {
        // SAFETY: the caller's obligation.
        let value = self
            .ring
            .slot(self.head)
            .with(|slot| unsafe { (*slot).assume_init_read() });
        self.head = self.head.wrapping_add(1);
        value
    }

    /// Moves up to `max` items (oldest first) into `deliver`, then publishes the freed slots
    /// once. Returns how many it moved.
    #[inline]
    pub(crate) fn drain(&mut self, max: usize, mut deliver: impl FnMut(T)) -> usize {
        let count = self.available().min(max);
        for _ in 0..count {
            // SAFETY: `count` items from `head` on are below `cached_tail`.
            deliver(unsafe { self.read_next() });
        }
        if count > 0 {
            self.publish();
        }
        count
    }

    /// Moves every item published now into `deliver` (oldest first) and holds them: their slots
    /// stay occupied for the producer until [`Consumer::release_held`]. Returns how many
    /// it moved.
    #[inline]
    pub(crate) fn drain_held(&mut self, mut deliver: impl FnMut(T)) -> usize {
        // Everything published now, not only what the cached tail says.
        self.cached_tail = self.ring.tail.0.load(Ordering::Acquire);
        let count = self.cached_tail.wrapping_sub(self.head);
        for _ in 0..count {
            // SAFETY: `count` items from `head` on are below `cached_tail`; the read
            // position moves past each at once (only its slot stays counted as occupied).
            let value = unsafe { self.read_next() };
            self.held += 1;
            deliver(value);
        }
        count
    }

    /// Lets `n` held items go (at most as many as are held) and publishes their slots;
    /// returns how many are still held.
    #[inline]
    pub(crate) fn release_held(&mut self, n: usize) -> usize {
        debug_assert!(n <= self.held);
        self.held -= n.min(self.held);
        self.publish();
        self.held
    }

    /// Publishes the read position minus the held items.
    #[inline]
    fn publish(&mut self) {
        self.ring
            .head
            .0
            .store(self.head.wrapping_sub(self.held), Ordering::Release);
    }

    /// The read position: how many items were read (items are numbered from 0).
    #[inline]
    pub(crate) fn position(&self) -> usize {
        self.head
    }

    /// The owner's name for this ring (0 until set).
    #[inline]
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Names this ring, for the owner's bookkeeping.
    pub(crate) fn set_id(&mut self, id: u64) {
        self.id = id;
    }

    /// Records the read position for good, as the position where the consumer stopped
    /// taking items (see [`Producer::taken_of_last`](super::Producer::taken_of_last)).
    pub(crate) fn close(&mut self) {
        self.ring.closed_at.store(self.head, Ordering::Release);
    }

    /// Hands items (oldest first) to `consume` in place while `take` accepts the oldest
    /// one, at most `max`, dropping what is left of each after `consume`, then publishes
    /// the freed slots once. Returns how many it consumed. As with
    /// [`Readable::consume`], a panicking `consume` still consumes its item once.
    #[inline]
    pub(crate) fn consume_while(
        &mut self,
        max: usize,
        mut take: impl FnMut(&T) -> bool,
        mut consume: impl FnMut(&mut T),
    ) -> usize {
        let count = self.available().min(max);
        let Consumer {
            ring, head, held, ..
        } = self;
        let start = *head;
        // The slots as (at most) two contiguous runs, walked by pointer. A `Walk` counts
        // the items it handed out from where its iterator stands (nothing to count per
        // item) and moves `head` past them when it ends (also by unwinding).
        let (first, second) = runs(&ring.slots, start & ring.mask, count);
        'runs: for slots in [first, second] {
            let mut walk = Walk {
                slots: slots.iter(),
                len: slots.len(),
                head: &mut *head,
            };
            while let Some(slot) = walk.slots.as_slice().first() {
                // SAFETY: as in `drain`: the `count` slots from `head` on hold initialised
                // items published to this consumer; the reference does not outlive `take`.
                if !slot.with(|slot| take(unsafe { (*slot).assume_init_ref() })) {
                    break 'runs;
                }
                walk.slots.next();
                // Handed out now: `walk` counts it, `held` drops it once (also by unwinding).
                let held = Held(slot);
                // SAFETY: the same item, still initialised; the exclusive reference does not
                // outlive `consume`, and `held` drops the item once afterwards.
                held.0
                    .with_mut(|slot| consume(unsafe { (*slot).assume_init_mut() }));
            }
        }
        let moved = head.wrapping_sub(start);
        if moved > 0 {
            ring.head
                .0
                .store(head.wrapping_sub(*held), Ordering::Release);
        }
        moved
    }

    /// Whether the producer is gone and everything it wrote has been taken and let go of
    /// (none held): the ring will never yield another item, and none of its slots still
    /// counts as occupied.
    pub(crate) fn is_finished(&mut self) -> bool {
        // The producer publishes its last items before setting the flag (`Release`).
        self.held == 0 && self.ring.producer_gone.load(Ordering::Acquire) && {
            self.cached_tail = self.ring.tail.0.load(Ordering::Acquire);
            self.cached_tail == self.head
        }
    }
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        // Items read and not yet published (held, or a `deliver` that panicked in the
        // middle of a batch) were moved out: publish them, so the ring never drops them.
        self.ring.head.0.store(self.head, Ordering::Release);
    }
}

/// The oldest readable item of a [`Consumer`] ([`Consumer::fresh_front_with`]): `head` is below a
/// `tail` this consumer loaded with `Acquire`, so its slot holds an initialised item
/// published to this consumer, which only this consumer accesses.
pub(crate) struct Readable<'a, T> {
    ring: &'a Ring<T>,
    head: &'a mut usize,
    slot: &'a UnsafeCell<MaybeUninit<T>>,
    /// The read position after the item (`*head + 1`, kept from the look: not loaded again).
    next: usize,
}

impl<T> Readable<'_, T> {
    /// Applies `look` to the item, in place (it stays in the ring).
    #[inline]
    pub(crate) fn peek<R>(&self, look: impl FnOnce(&T) -> R) -> R {
        // SAFETY: the slot holds an initialised item that only this consumer accesses (type
        // invariant: the `Acquire` load of a `tail` past `head` synchronised with the
        // producer's publication of the slot). The shared reference does not outlive `look`.
        self.slot
            .with(|slot| look(unsafe { (*slot).assume_init_ref() }))
    }

    /// Hands the item to `consume` in place (nothing is copied out), then drops what is
    /// left of it and publishes the freed slot. The item is consumed exactly once even when
    /// `consume` panics (it is dropped then, and never handed out again).
    #[inline]
    pub(crate) fn consume<R>(self, consume: impl FnOnce(&mut T) -> R) -> R {
        let Readable {
            ring,
            head,
            slot,
            next,
        } = self;
        let front = Front { slot, head, next };
        // SAFETY: the item is initialised and only this consumer accesses it (type
        // invariant). The exclusive reference does not outlive `consume`; `front` drops the
        // item (once) when it goes out of scope.
        let seen = slot.with_mut(|slot| consume(unsafe { (*slot).assume_init_mut() }));
        drop(front);
        ring.head.0.store(next, Ordering::Release);
        seen
    }

    /// Moves the item out (straight to the caller: no staging copy) and publishes the
    /// freed slot.
    #[inline]
    pub(crate) fn take(self) -> T {
        // SAFETY: the item is initialised and only this consumer accesses it (type
        // invariant); it is moved out once and its position released right after, so it is
        // never read again.
        let value = self.slot.with(|slot| unsafe { (*slot).assume_init_read() });
        *self.head = self.next;
        self.ring.head.0.store(self.next, Ordering::Release);
        value
    }
}

/// The oldest readable item of a [`Consumer`] while it is handed out in place. When this
/// goes out of scope (also by unwinding), `head` moves past the item (to `next`) and the
/// item is dropped in its slot; the caller publishes `next` (or the consumer's drop does).
struct Front<'a, T> {
    slot: &'a UnsafeCell<MaybeUninit<T>>,
    head: &'a mut usize,
    /// The position after the item.
    next: usize,
}

impl<T> Drop for Front<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // First, so that a panicking drop below never leads to a second one.
        *self.head = self.next;
        // SAFETY: a `Front` exists only for a readable position (`Readable`'s invariant: the
        // slot initialised and published to this consumer); it was handed out by reference
        // only, and `head` has just moved past it, so it is dropped exactly once and never
        // read again.
        self.slot
            .with_mut(|slot| unsafe { (*slot).assume_init_drop() });
    }
}

/// A contiguous run of slots of [`Consumer::consume_while`]: when it ends (also by
/// unwinding), `head` moves past the `len - slots.len()` items it handed out.
struct Walk<'a, 'h, T> {
    slots: core::slice::Iter<'a, UnsafeCell<MaybeUninit<T>>>,
    len: usize,
    head: &'h mut usize,
}

impl<T> Drop for Walk<'_, '_, T> {
    #[inline]
    fn drop(&mut self) {
        *self.head = self.head.wrapping_add(self.len - self.slots.len());
    }
}

/// An item of [`Consumer::consume_while`] handed out in place, its position already
/// counted (by its [`Walk`]): dropped in its slot when this goes out of scope (also by
/// unwinding), exactly once.
struct Held<'a, T>(&'a UnsafeCell<MaybeUninit<T>>);

impl<T> Drop for Held<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: a `Held` exists only for an initialised item published to this consumer
        // that its `Walk` has counted (so `head` moves past it and it is never read or
        // dropped again); it was handed out by reference only.
        self.0
            .with_mut(|slot| unsafe { (*slot).assume_init_drop() });
    }
}
