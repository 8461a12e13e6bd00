//! The writing half of a ring ([`Producer`]), its free slot ([`Vacant`]) and the
//! read-only [`Watch`] on its published tail (the module invariants: `spsc.rs`).

use super::{Consumer, Ring, runs};
use crate::sync::{Arc, Ordering};

/// The writing half. `Send`, not `Clone`: one producer per ring.
pub(crate) struct Producer<T> {
    ring: Arc<Ring<T>>,
    /// The ring's `mask`, kept here: no load through the `Arc` per check (`usize::MAX`, a
    /// capacity of 0, for a producer of a sealed ring).
    mask: usize,
    /// Next position to write (published by [`Producer::flush`]).
    tail: usize,
    /// The consumer's `head` as last loaded plus the capacity: the producer may write up
    /// to here (a lower bound of the real limit).
    limit: usize,
}

impl<T> Producer<T> {
    /// The writing half of an empty `ring`.
    pub(super) fn new(ring: Arc<Ring<T>>) -> Self {
        let capacity = ring.mask + 1;
        Self {
            ring,
            mask: capacity - 1,
            tail: 0,
            limit: capacity,
        }
    }

    /// A producer of the sealed `ring` (see [`Sealed`](super::Sealed)): capacity 0, so
    /// its limit stays at its tail (0) and it never writes a slot.
    pub(super) fn sealed(ring: Arc<Ring<T>>) -> Self {
        Self {
            ring,
            mask: usize::MAX,
            tail: 0,
            limit: 0,
        }
    }

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
            .wrapping_add(self.mask.wrapping_add(1));
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

    /// Of the last `count` items written, how many the consumer had read when it closed.
    /// Only meaningful once the caller knows (by an `Acquire` read of a flag the consumer
    /// set after [`Consumer::close`]) that the consumer has closed.
    pub(crate) fn taken_of_last(&self, count: usize) -> usize {
        let since = self.tail.wrapping_sub(count);
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

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        self.flush();
        self.ring.producer_gone.store(true, Ordering::Release);
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

/// A read-only handle on a ring's published tail: the number of items ever published.
pub(crate) struct Watch<T>(Arc<Ring<T>>);

impl<T> Watch<T> {
    /// Items published so far.
    pub(crate) fn published(&self) -> usize {
        self.0.tail.0.load(Ordering::Relaxed)
    }

    /// Items the consumer has let go of so far (its published read position: those it
    /// holds are not counted yet).
    pub(crate) fn released(&self) -> usize {
        self.0.head.0.load(Ordering::Relaxed)
    }

    /// Whether `consumer` is this ring's consumer.
    pub(crate) fn watches(&self, consumer: &Consumer<T>) -> bool {
        Arc::ptr_eq(&self.0, &consumer.ring)
    }
}
