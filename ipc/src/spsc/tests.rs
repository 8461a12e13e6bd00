//! Unit tests and a two-thread stress test of the SPSC ring.

use alloc::vec::Vec;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use super::*;
use crate::test_support::join_within;

/// `push_slice`'s fill: the item is a copy of the source.
fn copy<T: Copy>(source: &T, slot: &mut T) {
    *slot = *source;
}

#[test]
fn capacity_is_rounded_up_to_a_power_of_two_and_clamped() {
    let (mut producer, _consumer) = ring::<u8>(5);
    assert_eq!(producer.free_slots(), 8);
    let (mut producer, _consumer) = ring::<u8>(0);
    assert_eq!(producer.free_slots(), 1);
    let (mut producer, _consumer) = ring::<u8>(usize::MAX);
    assert_eq!(producer.free_slots(), MAX_CAPACITY);
}

#[test]
fn fifo_and_full() {
    let (mut producer, mut consumer) = ring(4);
    for i in 0..4 {
        producer.send(i).unwrap();
    }
    assert_eq!(producer.send(99), Err(99));
    for i in 0..4 {
        assert_eq!(consumer.pop(), Some(i));
    }
    assert_eq!(consumer.pop(), None);
}

#[test]
fn a_vacant_slot_is_built_in_place_and_published_with_what_came_before() {
    let (mut producer, mut consumer) = ring(4);
    producer.push([9u64; 4]).unwrap(); // not flushed
    for i in 0..3 {
        let slot = producer.vacant().expect("a free slot");
        slot.send([0u64; 4], |item| item[3] = i);
    }
    assert!(producer.vacant().is_none(), "four slots, four items");
    assert_eq!(consumer.pop(), Some([9, 9, 9, 9]));
    assert!(producer.vacant().is_some(), "the consumer freed one");
    assert_eq!(consumer.pop(), Some([0, 0, 0, 0]));
    assert_eq!(consumer.pop(), Some([0, 0, 0, 1]));
    assert_eq!(consumer.pop(), Some([0, 0, 0, 2]));
    assert_eq!(consumer.pop(), None);
}

#[test]
fn unflushed_items_are_invisible_until_flush() {
    let (mut producer, mut consumer) = ring(4);
    producer.push(1).unwrap();
    producer.push(2).unwrap();
    assert_eq!(consumer.pop(), None);
    producer.flush();
    assert_eq!(consumer.pop(), Some(1));
    assert_eq!(consumer.pop(), Some(2));
}

#[test]
fn consumer_publishes_once_per_drain() {
    let (mut producer, mut consumer) = ring(4);
    assert_eq!(producer.push_slice(&[0, 1, 2, 3], || 0, copy), 4);
    assert_eq!(producer.free_slots(), 0);
    let mut got = Vec::new();
    assert_eq!(consumer.drain(3, |v| got.push(v)), 3);
    assert_eq!(got, [0, 1, 2]);
    assert_eq!(producer.free_slots(), 3);
}

#[test]
fn push_slice_takes_only_what_fits() {
    let (mut producer, mut consumer) = ring(4);
    let items: Vec<u32> = (0..10).collect();
    let mut made = 0;
    assert_eq!(
        producer.push_slice(
            &items,
            || 0,
            |&v, slot| {
                made += 1;
                *slot = v * 10;
            }
        ),
        4
    );
    assert_eq!(made, 4, "only the items that fit are built");
    let mut got = Vec::new();
    consumer.drain(usize::MAX, |v| got.push(v));
    assert_eq!(got, [0, 10, 20, 30]);
}

#[test]
fn push_with_makes_only_what_fits_in_order_across_the_wrap() {
    let (mut producer, mut consumer) = ring(4);
    assert_eq!(producer.push_slice(&[7, 7, 7], || 0, copy), 3);
    let mut got = Vec::new();
    consumer.drain(usize::MAX, |v| got.push(v));
    let mut made = Vec::new();
    let written = producer.push_with(
        10,
        || 0,
        |i, slot| {
            made.push(i);
            *slot = i as u32 * 10;
        },
    );
    assert_eq!(written, 4);
    assert_eq!(
        made,
        [0, 1, 2, 3],
        "only the items that fit are made, in order"
    );
    got.clear();
    consumer.drain(usize::MAX, |v| got.push(v));
    assert_eq!(
        got,
        [0, 10, 20, 30],
        "the batch wraps around the ring's end"
    );
    assert_eq!(producer.push_with(0, || 0, |_, _| unreachable!()), 0);
}

#[test]
fn consume_while_stops_at_the_first_refused_item_and_keeps_it() {
    let (mut producer, mut consumer) = ring(8);
    assert_eq!(producer.push_slice(&[1, 2, 30, 4], || 0, copy), 4);
    let mut got = Vec::new();
    assert_eq!(consumer.consume_while(8, |&v| v < 10, |v| got.push(*v)), 2);
    assert_eq!(got, [1, 2]);
    assert_eq!(consumer.consume_while(1, |_| true, |v| got.push(*v)), 1);
    assert_eq!(consumer.consume_while(8, |_| true, |v| got.push(*v)), 1);
    assert_eq!(got, [1, 2, 30, 4]);
    // Four slots were never used; the other four only come back through the published head.
    assert_eq!(producer.push_slice(&[0; 4], || 0, copy), 4);
    assert_eq!(
        producer.push_slice(&[0; 4], || 0, copy),
        4,
        "every taken slot was published"
    );
}

#[test]
fn the_front_is_consumed_in_place_then_its_slot_is_freed() {
    let (mut producer, mut consumer) = ring(2);
    producer.send(5).unwrap();
    producer.send(6).unwrap();
    assert_eq!(producer.free_slots(), 0);
    let front = consumer.fresh_front_with(|_| ()).expect("an item").0;
    assert_eq!(front.peek(|&v| v), 5);
    let seen = front.consume(|v| {
        *v += 1; // the consumer may take parts out; the rest is dropped in place
        *v
    });
    assert_eq!(seen, 6);
    assert_eq!(producer.free_slots(), 1, "the slot is published right away");
    assert_eq!(consumer.pop(), Some(6));
    assert_eq!(consumer.pop(), None);
}

#[test]
fn consumed_items_are_dropped_in_their_slot_once() {
    let drops = AtomicUsize::new(0);
    let (producer, mut consumer) = counted_ring(&drops, 4, 3);
    let front = consumer.fresh_front_with(|_| ()).expect("an item").0;
    front.consume(|item| assert_eq!(item.0.load(Ordering::Relaxed), 0));
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert_eq!(consumer.consume_while(8, |_| true, |_| ()), 2);
    assert_eq!(drops.load(Ordering::Relaxed), 3);
    drop((producer, consumer));
    assert_eq!(drops.load(Ordering::Relaxed), 3, "nothing is dropped twice");
}

#[test]
fn a_panicking_consumer_consumes_its_item_once() {
    let drops = AtomicUsize::new(0);
    let (producer, mut consumer) = counted_ring(&drops, 8, 4);
    let failed = panics(|| {
        let mut seen = 0;
        consumer.consume_while(
            usize::MAX,
            |_| true,
            |_| {
                seen += 1;
                assert!(seen < 2, "consume fails on the second item");
            },
        );
    });
    assert!(failed);
    assert_eq!(
        drops.load(Ordering::Relaxed),
        2,
        "the item it failed on is dropped"
    );
    let failed = panics(|| {
        let front = consumer.fresh_front_with(|_| ()).expect("an item").0;
        front.consume(|_| panic!("consume fails"));
    });
    assert!(failed);
    assert_eq!(drops.load(Ordering::Relaxed), 3);
    let mut left = 0;
    consumer.drain(usize::MAX, |_| left += 1);
    assert_eq!(left, 1, "no consumed item is handed out again");
    drop((producer, consumer));
    assert_eq!(drops.load(Ordering::Relaxed), 4);
}

/// A batch written and consumed across the end of the slot array keeps its order.
#[test]
fn batches_across_the_wrap_around_keep_their_order() {
    let (mut producer, mut consumer) = ring(4);
    for start in 0..9u32 {
        let items: Vec<u32> = (start * 10..start * 10 + 3).collect();
        assert_eq!(producer.push_slice(&items, || 0, copy), 3);
        let mut got = Vec::new();
        assert_eq!(consumer.consume_while(8, |_| true, |v| got.push(*v)), 3);
        assert_eq!(got, items, "batch {start} (first slot {})", start * 3 % 4);
    }
}

#[test]
fn wraps_around_many_times() {
    let (mut producer, mut consumer) = ring(4);
    for i in 0..10_000u32 {
        producer.send(i).unwrap();
        producer.send(i + 1).unwrap();
        assert_eq!(consumer.pop(), Some(i));
        assert_eq!(consumer.pop(), Some(i + 1));
    }
}

#[test]
fn finished_only_after_producer_gone_and_drained() {
    let (mut producer, mut consumer) = ring(4);
    producer.push(7).unwrap(); // not flushed: the drop publishes it
    assert!(!consumer.is_finished());
    drop(producer);
    assert!(!consumer.is_finished());
    assert_eq!(consumer.pop(), Some(7));
    assert!(consumer.is_finished());
}

/// An item that counts its drops in the counter it points to.
#[derive(Debug)]
struct Counted<'a>(&'a AtomicUsize);

/// A ring of `capacity` holding `items` published [`Counted`] items that count into `drops`.
fn counted_ring(
    drops: &AtomicUsize,
    capacity: usize,
    items: usize,
) -> (Producer<Counted<'_>>, Consumer<Counted<'_>>) {
    let (mut producer, consumer) = ring(capacity);
    for _ in 0..items {
        producer.push(Counted(drops)).unwrap();
    }
    producer.flush();
    (producer, consumer)
}

/// Whether `f` panics.
fn panics(f: impl FnOnce()) -> bool {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err()
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn dropping_the_ring_drops_remaining_items_once() {
    let drops = AtomicUsize::new(0);
    let (mut producer, mut consumer) = counted_ring(&drops, 8, 5);
    producer.push(Counted(&drops)).unwrap(); // unpublished: still owned by the ring
    drop(consumer.pop());
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    drop(producer);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    drop(consumer);
    assert_eq!(drops.load(Ordering::Relaxed), 6);
}

#[test]
fn a_panicking_deliver_never_causes_a_double_drop() {
    let drops = AtomicUsize::new(0);
    let (producer, mut consumer) = counted_ring(&drops, 8, 4);
    let failed = panics(|| {
        let mut seen = 0;
        consumer.drain(usize::MAX, |item| {
            seen += 1;
            drop(item);
            assert!(seen < 2, "deliver fails on the second item");
        });
    });
    assert!(failed);
    drop(consumer);
    drop(producer);
    assert_eq!(drops.load(Ordering::Relaxed), 4);
}

/// Two threads, millions of items, batches of every size, copied or made in place: each item
/// arrives once, in order.
#[test]
fn two_threads_deliver_everything_in_order() {
    const ITEMS: u64 = 4_000_000;
    let (mut producer, mut consumer) = ring::<u64>(256);
    let writer = thread::spawn(move || {
        let mut next = 0;
        let mut batch = 1;
        while next < ITEMS {
            let end = (next + batch).min(ITEMS);
            // Odd batches are copied from a buffer, even ones made in their slots.
            let written = if batch % 2 == 1 {
                let items: Vec<u64> = (next..end).collect();
                producer.push_slice(&items, || 0, copy)
            } else {
                let wanted = (end - next) as usize;
                producer.push_with(wanted, || 0, |i, slot| *slot = next + i as u64)
            } as u64;
            if written == 0 {
                std::hint::spin_loop();
                thread::yield_now();
            }
            next += written;
            batch = batch % 97 + 1;
        }
    });
    let reader = thread::spawn(move || {
        let mut expected = 0u64;
        while expected < ITEMS {
            let taken = consumer.drain(61, |v| {
                assert_eq!(v, expected, "lost, duplicated or reordered");
                expected += 1;
            });
            if taken == 0 {
                thread::yield_now();
            }
        }
        assert_eq!(consumer.pop(), None);
        expected
    });
    join_within(writer, Duration::from_secs(60));
    assert_eq!(join_within(reader, Duration::from_secs(60)), ITEMS);
}

/// A fresh look does not record the tail it saw, so the cached tail can fall behind the
/// read position: the cached paths (`drain`, `consume_while`) must then look again, never
/// read past what was published.
#[test]
fn cached_paths_after_fresh_looks_read_only_published_items() {
    let (mut producer, mut consumer) = ring(8);
    producer.send(0u64).unwrap();
    // The cached paths see a tail of 1.
    let mut first = Vec::new();
    assert_eq!(consumer.drain(1, |item| first.push(item)), 1);
    assert_eq!(first, [0]);
    for i in 1..4 {
        producer.send(i).unwrap();
    }
    for expected in 1..3 {
        let (front, seen) = consumer.fresh_front_with(|item| *item).expect("an item");
        assert_eq!(seen, expected);
        front.consume(|_| ());
    }
    // The cached tail (1) is now behind the read position (3): one item is left (taken
    // by a fresh look), then neither cached path may read anything.
    assert_eq!(consumer.pop(), Some(3));
    assert_eq!(consumer.pop(), None);
    assert_eq!(
        consumer.drain(usize::MAX, |_| panic!("nothing published")),
        0
    );
    assert_eq!(
        consumer.consume_while(usize::MAX, |_| true, |_| panic!("nothing published")),
        0
    );
    assert!(consumer.fresh_front_with(|_| ()).is_none());
    producer.send(4).unwrap();
    producer.send(5).unwrap();
    let mut drained = Vec::new();
    assert_eq!(consumer.drain(usize::MAX, |item| drained.push(item)), 2);
    assert_eq!(drained, [4, 5]);
    assert_eq!(consumer.pop(), None);
    producer.send(6).unwrap();
    let mut consumed = Vec::new();
    assert_eq!(
        consumer.consume_while(usize::MAX, |_| true, |item| consumed.push(*item)),
        1
    );
    assert_eq!(consumed, [6]);
}
