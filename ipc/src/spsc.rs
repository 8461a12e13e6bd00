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
//!   word) can tell which of its items had been taken ([`Producer::taken_before_close`]).
//!
//! Items are built in their slot ([`Producer::vacant`], [`Producer::push_slice`]) and, once
//! looked at in place ([`Consumer::front`], [`Readable::peek`]), either consumed there
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
    let capacity = capacity.clamp(1, MAX_CAPACITY).next_power_of_two();
    let ring = Arc::new(Ring {
        head: CacheLine(AtomicUsize::new(0)),
        tail: CacheLine(AtomicUsize::new(0)),
        producer_gone: AtomicBool::new(false),
        closed_at: AtomicUsize::new(0),
        mask: capacity - 1,
        slots: (0..capacity)
            .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
            .collect(),
    });
    let producer = Producer {
        ring: ring.clone(),
        mask: capacity - 1,
        tail: 0,
        limit: capacity,
    };
    let consumer = Consumer {
        ring,
        head: 0,
        held: 0,
        cached_tail: 0,
        id: 0,
    };
    (producer, consumer)
}

/// The `count` slots from index `start` on (`start` in bounds, `count` at most the ring's
/// capacity), as the run up to the end of `slots` and the run that wraps around to its
/// beginning.
#[inline]
fn runs<S>(slots: &[S], start: usize, count: usize) -> (&[S], &[S]) {
    let first = count.min(slots.len() - start);
    (&slots[start..start + first], &slots[..count - first])
}

/// The writing half. `Send`, not `Clone`: one producer per ring.
pub(crate) struct Producer<T> {
    ring: Arc<Ring<T>>,
    /// The ring's `mask`, kept here: no load through the `Arc` per check.
    mask: usize,
    /// Next position to write (published by [`Producer::flush`]).
    tail: usize,
    /// The consumer's `head` as last loaded plus the capacity: the producer may write up
    /// to here (a lower bound of the real limit).
    limit: usize,
}

impl<T> Producer<T> {
    /// Slots that can be written now without overwriting a live item; reloads the
    /// consumer's index only when the cached one says the ring is full.
    #[inline]
    pub(crate) fn free_slots(&mut self) -> usize {
        if self.free_cached() == 0 {
            self.reload_limit();
        }
        self.free_cached()
    }

    /// How many of `wanted` items fit now: reloads the consumer's index only when the
    /// cached one says fewer than `wanted` slots are free.
    #[inline]
    pub(crate) fn room_for(&mut self, wanted: usize) -> usize {
        let free = self.free_cached();
        if free >= wanted {
            return wanted;
        }
        self.reload_limit();
        self.free_cached().min(wanted)
    }

    /// Free slots as far as the cached `limit` says (a lower bound).
    #[inline]
    fn free_cached(&self) -> usize {
        self.limit.wrapping_sub(self.tail)
    }

    /// Loads the consumer's published `head`: the limit moves up by the slots it freed.
    #[inline]
    fn reload_limit(&mut self) {
        self.limit = self
            .ring
            .head
            .0
            .load(Ordering::Acquire)
            .wrapping_add(self.mask + 1);
    }

    /// Writes `value` into the next slot without publishing it (see [`Producer::flush`]);
    /// gives it back when the ring is full.
    #[inline]
    pub(crate) fn push(&mut self, value: T) -> Result<(), T> {
        if self.free_slots() == 0 {
            return Err(value);
        }
        // SAFETY: `free_slots()` just returned a positive count.
        unsafe { self.write_free_slot(value) };
        Ok(())
    }

    /// The next slot, when it is free (see [`Producer::free_slots`]): a [`Vacant`] writes
    /// it without a second check.
    #[inline]
    pub(crate) fn vacant(&mut self) -> Option<Vacant<'_, T>> {
        // `free_slots() > 0`, in fewer steps: the tail has not reached the limit.
        if self.tail == self.limit {
            self.reload_limit();
            if self.tail == self.limit {
                return None;
            }
        }
        Some(Vacant(self))
    }

    /// Writes one item for each of as many `items` as fit, publishes them once, and returns
    /// how many it wrote. Each is built in its slot: the slot gets `blank()`, then
    /// `fill(item, slot)` sets it (once inlined, the compiler drops the stores of the blank
    /// that `fill` overwrites; an item built by value and then moved in was staged on the
    /// stack and copied again).
    #[inline]
    pub(crate) fn push_slice<S>(
        &mut self,
        items: &[S],
        blank: impl Fn() -> T,
        mut fill: impl FnMut(&S, &mut T),
    ) -> usize {
        let room = self.room_for(items.len());
        // The slots as (at most) two contiguous runs, walked by pointer: no index
        // arithmetic per item, and the ring's fields stay in registers. (Through
        // `push_with`, indexing `items`, a batch costs half as much again.)
        let (first, second) = runs(&self.ring.slots, self.tail & self.mask, room);
        let (early, late) = items[..room].split_at(first.len());
        for (items, slots) in [(early, first), (late, second)] {
            for (item, slot) in items.iter().zip(slots) {
                // SAFETY: as in `push_with`.
                slot.with_mut(|slot| fill(item, unsafe { (*slot).write(blank()) }));
            }
        }
        self.tail = self.tail.wrapping_add(room);
        self.flush();
        room
    }

    /// [`Producer::push_slice`] for items made as they are written: as many of `wanted`
    /// as fit, the `i`-th built in its slot by `fill(i, slot)` (after `blank()`), published
    /// once; returns how many. An item made by `fill` never exists outside its slot.
    #[inline]
    pub(crate) fn push_with(
        &mut self,
        wanted: usize,
        blank: impl Fn() -> T,
        mut fill: impl FnMut(usize, &mut T),
    ) -> usize {
        let room = self.room_for(wanted);
        // The slots as (at most) two contiguous runs, walked by pointer: the ring's
        // fields stay in registers.
        let (first, second) = runs(&self.ring.slots, self.tail & self.mask, room);
        let mut index = 0;
        for run in [first, second] {
            for slot in run {
                // SAFETY: `room` slots were free when counted (the consumer only frees
                // more) and exactly the `room` slots from `tail` on are written, each
                // outside `[head, tail)`: uninitialised and unread until `tail` is
                // published.
                slot.with_mut(|slot| fill(index, unsafe { (*slot).write(blank()) }));
                index += 1;
            }
        }
        self.tail = self.tail.wrapping_add(room);
        self.flush();
        room
    }

    /// Writes slot `tail` and advances the local (unpublished) tail.
    ///
    /// # Safety
    /// The last [`Producer::free_slots`] returned more than the number of items written
    /// since it was called.
    #[inline]
    unsafe fn write_free_slot(&mut self, value: T) {
        // SAFETY: by the caller's contract `tail - head < capacity` for the published `head`
        // (`limit - capacity` is a lower bound of it), which never passes the read
        // position, so slot `tail` is outside the live `[read, tail)`: it is
        // uninitialised and the consumer does not read it before `tail` is published.
        self.ring
            .slot(self.tail)
            .with_mut(|slot| unsafe { (*slot).write(value) });
        self.tail = self.tail.wrapping_add(1);
    }

    /// Writes and publishes one item.
    #[inline]
    pub(crate) fn send(&mut self, value: T) -> Result<(), T> {
        self.push(value)?;
        self.flush();
        Ok(())
    }

    /// Publishes every written item to the consumer (one `Release` store; storing the
    /// published value again changes nothing).
    #[inline]
    pub(crate) fn flush(&mut self) {
        self.ring.tail.0.store(self.tail, Ordering::Release);
    }

    /// Whether the consumer has published every item written so far as taken.
    #[inline]
    pub(crate) fn all_taken(&self) -> bool {
        self.ring.head.0.load(Ordering::Acquire) == self.tail
    }

    /// The position of the next item written (items are numbered from 0).
    #[inline]
    pub(crate) fn position(&self) -> usize {
        self.tail
    }

    /// Of the items written from position `since` on, how many the consumer had read when
    /// it closed. Only meaningful once the caller knows (by an `Acquire` read of a flag the
    /// consumer set after [`Consumer::close`]) that the consumer has closed.
    pub(crate) fn taken_before_close(&self, since: usize) -> usize {
        let closed_at = self.ring.closed_at.load(Ordering::Acquire);
        let taken = closed_at.wrapping_sub(since);
        // A read position before `since` wraps to a huge count: none of them were taken.
        if taken > self.tail.wrapping_sub(since) {
            0
        } else {
            taken
        }
    }

    /// A handle that reads how many items this ring has carried (for statistics).
    pub(crate) fn watch(&self) -> Watch<T> {
        Watch(self.ring.clone())
    }
}

/// A read-only handle on a ring's published tail: the number of items ever published.
pub(crate) struct Watch<T>(Arc<Ring<T>>);

impl<T> Watch<T> {
    /// Items published so far.
    pub(crate) fn published(&self) -> usize {
        self.0.tail.0.load(Ordering::Relaxed)
    }

    /// Whether `consumer` is this ring's consumer.
    pub(crate) fn watches(&self, consumer: &Consumer<T>) -> bool {
        Arc::ptr_eq(&self.0, &consumer.ring)
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        self.flush();
        self.ring.producer_gone.store(true, Ordering::Release);
    }
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        // Items read and not yet published (held, or a `deliver` that panicked in the
        // middle of a batch) were moved out: publish them, so the ring never drops them.
        self.ring.head.0.store(self.head, Ordering::Release);
    }
}

/// The reading half. `Send`, not `Clone`: one consumer per ring.
pub(crate) struct Consumer<T> {
    ring: Arc<Ring<T>>,
    /// Next position to read; `head - held` is published.
    head: usize,
    /// Items read and held (not yet published as taken): at most `head - published head`.
    held: usize,
    /// The owner's name for this ring (see [`Consumer::set_id`]).
    id: u64,
    /// The producer's `tail` as last loaded: a lower bound of the real one.
    cached_tail: usize,
}

impl<T> Consumer<T> {
    /// Items readable now; reloads the producer's index only when the cached one says the
    /// ring is empty.
    #[inline]
    fn available(&mut self) -> usize {
        if self.cached_tail == self.head {
            self.cached_tail = self.ring.tail.0.load(Ordering::Acquire);
        }
        self.cached_tail.wrapping_sub(self.head)
    }

    /// Takes the oldest item and publishes the freed slot.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn pop(&mut self) -> Option<T> {
        Some(self.front()?.take())
    }

    /// Whether an item is readable now (see [`Consumer::front`]), from a fresh look at the
    /// producer's `tail`: one load, where the cached copy would cost a compare and, for a
    /// consumer that keeps up with its producer (the common case of a service answering
    /// calls), the same load after it.
    #[inline]
    pub(crate) fn ready(&mut self) -> bool {
        self.cached_tail = self.ring.tail.0.load(Ordering::Acquire);
        self.cached_tail != self.head
    }

    /// The oldest readable item, if any, to look at and then consume, take or leave in
    /// place: one readiness check and one slot address for all of it. Consuming or taking
    /// it publishes the read position: meant for a consumer that holds no items (see
    /// [`Consumer::drain_held`]; one that does would let their slots go early, which
    /// frees them for the producer sooner than promised but never overwrites a live one).
    #[inline]
    pub(crate) fn front(&mut self) -> Option<Readable<'_, T>> {
        if self.available() == 0 {
            return None;
        }
        let Consumer { ring, head, .. } = self;
        Some(Readable {
            slot: ring.slot(*head),
            ring,
            head,
        })
    }

    /// Moves up to `max` items (oldest first) into `deliver`, then publishes the freed slots
    /// once. Returns how many it moved.
    #[inline]
    pub(crate) fn drain(&mut self, max: usize, mut deliver: impl FnMut(T)) -> usize {
        let count = self.available().min(max);
        for _ in 0..count {
            // SAFETY: `head < cached_tail <= tail`, and the `Acquire` load of `tail` that
            // produced `cached_tail` synchronised with the producer's `Release` publication
            // after it wrote the slot, so the slot holds an initialised item that only this
            // consumer reads; it is moved out once and its position is then released.
            let value = self
                .ring
                .slot(self.head)
                .with(|slot| unsafe { (*slot).assume_init_read() });
            self.head = self.head.wrapping_add(1);
            deliver(value);
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
            // SAFETY: as in `drain`; the read position moves past the item at once, so it
            // is never read again (only its slot stays counted as occupied).
            let value = self
                .ring
                .slot(self.head)
                .with(|slot| unsafe { (*slot).assume_init_read() });
            self.head = self.head.wrapping_add(1);
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
    /// taking items (see [`Producer::taken_before_close`]).
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

    /// Whether the producer is gone and everything it wrote has been taken: the ring will
    /// never yield another item.
    pub(crate) fn is_finished(&mut self) -> bool {
        // The producer publishes its last items before setting the flag (`Release`).
        self.ring.producer_gone.load(Ordering::Acquire) && {
            self.cached_tail = self.ring.tail.0.load(Ordering::Acquire);
            self.cached_tail == self.head
        }
    }
}

/// The oldest readable item of a [`Consumer`] ([`Consumer::front`]): `head < cached_tail`,
/// so its slot holds an initialised item published to this consumer, which only this
/// consumer accesses.
pub(crate) struct Readable<'a, T> {
    ring: &'a Ring<T>,
    head: &'a mut usize,
    slot: &'a UnsafeCell<MaybeUninit<T>>,
}

impl<T> Readable<'_, T> {
    /// Applies `look` to the item, in place (it stays in the ring).
    #[inline]
    pub(crate) fn peek<R>(&self, look: impl FnOnce(&T) -> R) -> R {
        // SAFETY: the slot holds an initialised item that only this consumer accesses (type
        // invariant: the `Acquire` load that produced `cached_tail` synchronised with the
        // producer's publication of the slot). The shared reference does not outlive `look`.
        self.slot
            .with(|slot| look(unsafe { (*slot).assume_init_ref() }))
    }

    /// Hands the item to `consume` in place (nothing is copied out), then drops what is
    /// left of it and publishes the freed slot. The item is consumed exactly once even when
    /// `consume` panics (it is dropped then, and never handed out again).
    #[inline]
    pub(crate) fn consume<R>(self, consume: impl FnOnce(&mut T) -> R) -> R {
        let Readable { ring, head, slot } = self;
        let front = Front {
            slot,
            head: &mut *head,
        };
        // SAFETY: the item is initialised and only this consumer accesses it (type
        // invariant). The exclusive reference does not outlive `consume`; `front` drops the
        // item (once) when it goes out of scope.
        let seen = slot.with_mut(|slot| consume(unsafe { (*slot).assume_init_mut() }));
        drop(front);
        ring.head.0.store(*head, Ordering::Release);
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
        *self.head = self.head.wrapping_add(1);
        self.ring.head.0.store(*self.head, Ordering::Release);
        value
    }
}

/// The producer's next slot, known to be free ([`Producer::vacant`]).
pub(crate) struct Vacant<'a, T>(&'a mut Producer<T>);

impl<T> Vacant<'_, T> {
    /// Builds the item in the slot, then publishes it with everything written before: the
    /// slot gets `blank`, then `fill` sets it in place (as in [`Producer::push_slice`]).
    #[inline]
    pub(crate) fn send(self, blank: T, fill: impl FnOnce(&mut T)) {
        let producer = self.0;
        // SAFETY: `vacant` found a free slot (`tail < limit`, so `tail - head < capacity`
        // for the published `head`, which never passes the read position), and nothing was
        // written since (the `Vacant` borrows the producer), so slot `tail` is outside the
        // live `[read, tail)`:
        // uninitialised and not read by the consumer before `tail` is published. If `fill`
        // panics, the slot keeps an item that is never published (leaked, not read).
        producer
            .ring
            .slot(producer.tail)
            .with_mut(|slot| fill(unsafe { (*slot).write(blank) }));
        producer.tail = producer.tail.wrapping_add(1);
        producer.flush();
    }
}

/// The oldest readable item of a [`Consumer`] while it is handed out in place. When this
/// goes out of scope (also by unwinding), `head` moves past the item and the item is
/// dropped in its slot; the caller publishes `head` (or the consumer's drop does).
struct Front<'a, T> {
    slot: &'a UnsafeCell<MaybeUninit<T>>,
    head: &'a mut usize,
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

impl<T> Drop for Front<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // First, so that a panicking drop below never leads to a second one.
        *self.head = self.head.wrapping_add(1);
        // SAFETY: a `Front` exists only for a readable position (`head < cached_tail`, the
        // slot initialised and published to this consumer); it was handed out by reference
        // only, and `head` has just moved past it, so it is dropped exactly once and never
        // read again.
        self.slot
            .with_mut(|slot| unsafe { (*slot).assume_init_drop() });
    }
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
