//! Loom models of the SPSC ring (run with `RUSTFLAGS="--cfg loom"`): every interleaving of
//! one producer and one consumer, with the slots as loom `UnsafeCell`s, so a missing
//! happens-before edge between a slot write and its read fails the model.

use alloc::vec::Vec;

use loom::sync::atomic::AtomicUsize;
use loom::thread;

use super::{Producer, ring};
use crate::sync::{Arc, Ordering};

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound.get_or_insert(3);
    builder.check(f);
}

/// Sends `item`, yielding while the ring is full.
fn send_spinning<T>(producer: &mut Producer<T>, mut item: T) {
    while let Err(back) = producer.send(item) {
        item = back;
        thread::yield_now();
    }
}

/// Three items through a ring of two: the producer must wait for the consumer to free a
/// slot, and positions wrap around the slot array.
#[test]
fn loom_push_pop_across_wrap_around() {
    model(|| {
        let (mut producer, mut consumer) = ring::<u32>(2);
        let writer = thread::spawn(move || {
            for i in 1..=3 {
                send_spinning(&mut producer, i);
            }
        });
        let mut got = Vec::new();
        while got.len() < 3 {
            match consumer.pop() {
                Some(v) => got.push(v),
                None => thread::yield_now(),
            }
        }
        writer.join().unwrap();
        assert_eq!(got, [1, 2, 3]);
        assert!(consumer.is_finished());
    });
}

/// A batch is published once, copied (`push_slice`) or made in place (`push_with`): the
/// consumer sees none of it or all of it, never a slot that was not written yet.
#[test]
fn loom_batched_publish() {
    model(|| {
        let (mut producer, mut consumer) = ring::<u32>(4);
        let writer = thread::spawn(move || {
            assert_eq!(producer.push_slice(&[1, 2], || 0, |&v, slot| *slot = v), 2);
            assert_eq!(producer.push_with(1, || 0, |_, slot| *slot = 3), 1);
        });
        let mut got = Vec::new();
        consumer.drain(usize::MAX, |v| got.push(v));
        assert!(
            got.is_empty() || got == [1, 2] || got == [1, 2, 3],
            "partial batch: {got:?}"
        );
        writer.join().unwrap();
        consumer.drain(usize::MAX, |v| got.push(v));
        assert_eq!(got, [1, 2, 3]);
    });
}

#[derive(Debug)]
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// The two halves are dropped on different threads while items are in flight: whoever
/// drops last drops what is left, and every item is dropped exactly once.
#[test]
fn loom_drop_with_items_left() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut producer, mut consumer) = ring::<Counted>(2);
        let writer = {
            let drops = drops.clone();
            thread::spawn(move || {
                producer.send(Counted(drops.clone())).ok();
                producer.push(Counted(drops.clone())).ok(); // published by the drop
            })
        };
        drop(consumer.pop());
        drop(consumer);
        writer.join().unwrap();
        assert_eq!(drops.load(Ordering::Relaxed), 2);
    });
}

/// Items consumed in place (a fresh look's `Readable::consume`, `consume_while`, and again)
/// while the producer reuses the slots they free: every item is seen whole, once, in
/// order, and dropped once (a slot published before its item was dropped, or read after
/// it was freed, fails here). The fresh look leaves the cached tail behind the read
/// position, which the cached paths after it must notice.
#[test]
fn loom_consume_in_place_against_slot_reuse() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut producer, mut consumer) = ring::<(u32, Counted)>(2);
        let writer = {
            let drops = drops.clone();
            thread::spawn(move || {
                for i in 1..=3 {
                    send_spinning(&mut producer, (i, Counted(drops.clone())));
                }
            })
        };
        let mut got = Vec::new();
        while got.len() < 3 {
            if got.is_empty() {
                // A fresh look (the cached tail stays behind), then the cached paths.
                if let Some((front, seen)) = consumer.fresh_front_with(|item| item.0) {
                    front.consume(|_| ());
                    got.push(seen);
                }
            } else if got.len() == 1 {
                consumer.consume_while(2, |_| true, |item| got.push(item.0));
            } else if let Some((front, ())) = consumer.fresh_front_with(|_| ()) {
                got.push(front.consume(|item| item.0));
            }
            if got.len() < 3 {
                thread::yield_now();
            }
        }
        writer.join().unwrap();
        assert_eq!(got, [1, 2, 3]);
        assert_eq!(drops.load(Ordering::Relaxed), 3);
        drop(consumer);
        assert_eq!(drops.load(Ordering::Relaxed), 3);
    });
}

/// Items moved out and held (`drain_held`) keep their slots occupied for the producer
/// until `release_held`, which frees them for reuse; the producer never writes a slot the
/// consumer still reads, and every item is seen once, in order.
#[test]
fn loom_held_items_keep_their_slots_until_released() {
    model(|| {
        let (mut producer, mut consumer) = ring::<u32>(2);
        let writer = thread::spawn(move || {
            for i in 1..=4 {
                send_spinning(&mut producer, i);
            }
        });
        let mut held = Vec::new();
        let mut got = Vec::new();
        while got.len() < 4 {
            consumer.drain_held(|item| held.push(item));
            // At most the ring's two slots are out at once: held items still count.
            assert!(held.len() <= 2, "{held:?}");
            if let Some(item) = held.first().copied() {
                held.remove(0);
                got.push(item);
                consumer.release_held(1);
            } else {
                thread::yield_now();
            }
        }
        writer.join().unwrap();
        assert_eq!(got, [1, 2, 3, 4]);
        assert!(consumer.is_finished());
    });
}
