//! Loom models of the endpoint's wakeup protocols (`shared.rs`): whatever the interleaving,
//! a waiting side either sees the other side's progress or is woken (no lost wakeup).

use alloc::vec::Vec;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::task::{ArcWake, waker};
use loom::thread;

use super::*;
use crate::error::IpcError;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound.get_or_insert(3);
    builder.check(f);
}

struct Flag(AtomicBool);

impl ArcWake for Flag {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.store(true, Ordering::SeqCst);
    }
}

/// Polls `future` once with a fresh flag waker; returns the result and the flag.
fn poll_with_flag<F: Future>(future: core::pin::Pin<&mut F>) -> (Poll<F::Output>, Arc<Flag>) {
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = waker(flag.clone());
    (future.poll(&mut Context::from_waker(&waker)), flag)
}

fn one_message() -> (Header, Message) {
    (Header::default(), Message::new(7))
}

/// A send (ring or fallback route) racing with a receiver that parks.
fn send_vs_parking_receiver(max_rings: usize) {
    model(move || {
        let config = EndpointConfig {
            capacity: 2,
            ring_capacity: 2,
            max_rings,
            ..EndpointConfig::default()
        };
        let (mut tx, mut rx) = channel(ServiceId(1), config);
        // Warm-up: the route exists and the lane bit is (stale) set, so the racing send
        // takes the fast path: no read-modify-write, only its fence and the `PARKED` check.
        let (header, message) = one_message();
        tx.try_send(header, message).unwrap();
        assert!(rx.try_recv().unwrap().is_some());
        let sender = thread::spawn(move || {
            let (header, message) = one_message();
            tx.try_send(header, message).unwrap();
            tx // kept alive: the receiver must not see `Closed`
        });
        let mut recv = pin!(rx.recv());
        let (first, flag) = poll_with_flag(recv.as_mut());
        let _tx = sender.join().unwrap();
        match first {
            Poll::Ready(received) => assert_eq!(received.unwrap().message.tag, 7),
            Poll::Pending => {
                assert!(
                    flag.0.load(Ordering::SeqCst),
                    "receiver parked and never woken"
                );
                let (second, _) = poll_with_flag(recv.as_mut());
                assert!(matches!(second, Poll::Ready(Ok(_))));
            }
        }
    });
}

#[test]
fn loom_ring_send_wakes_a_parked_receiver() {
    send_vs_parking_receiver(1);
}

#[test]
fn loom_fallback_send_wakes_a_parked_receiver() {
    send_vs_parking_receiver(0);
}

/// A sender waiting for room racing with the receiver freeing it: `ring_capacity` 1 (the
/// sender waits for a slot of its own ring: `SPACE`) or no ring (the fallback's
/// `capacity` 1: `WAITERS`).
fn freed_room_wakes_a_waiting_sender(max_rings: usize) {
    model(move || {
        let config = EndpointConfig {
            capacity: 1,
            ring_capacity: 1,
            max_rings,
            ..EndpointConfig::default()
        };
        let (mut tx, mut rx) = channel(ServiceId(1), config);
        let (header, message) = one_message();
        tx.try_send(header, message).unwrap();
        let receiver = thread::spawn(move || {
            assert!(rx.try_recv().unwrap().is_some());
            rx // kept alive: the sender must not see `PeerDied`
        });
        let mut send = pin!(tx.send(header, message));
        let (first, flag) = poll_with_flag(send.as_mut());
        let mut rx = receiver.join().unwrap();
        if first.is_pending() {
            if !flag.0.load(Ordering::SeqCst) {
                // The fallback's release is a read-modify-write of the word the waiter
                // marked: it never misses a waiter.
                assert!(
                    max_rings > 0,
                    "fallback room freed and the sender not woken"
                );
                // A ring's: the receiver's look missed the waiter, its next look must not
                // (the protocol's promise is "woken by the receiver's next look").
                assert!(rx.try_recv().unwrap().is_none());
                assert!(
                    flag.0.load(Ordering::SeqCst),
                    "room freed and the sender never woken"
                );
            }
            let (second, _) = poll_with_flag(send.as_mut());
            assert_eq!(second, Poll::Ready(Ok(())));
        }
        assert!(rx.try_recv().unwrap().is_some());
    });
}

#[test]
fn loom_a_freed_ring_slot_wakes_the_waiting_ring_sender() {
    freed_room_wakes_a_waiting_sender(1);
}

#[test]
fn loom_freed_fallback_room_wakes_a_waiting_sender() {
    freed_room_wakes_a_waiting_sender(0);
}

/// A ring sender whose waiting for room races with a receiver that parks after taking a
/// message: the receiver's park (a read-modify-write of `signals`) either sees `SPACE` and
/// wakes the sender, or comes first, and then the sender's look at its ring sees the slot.
#[test]
fn loom_a_parking_receiver_never_strands_a_waiting_ring_sender() {
    model(|| {
        let config = EndpointConfig {
            ring_capacity: 1,
            ..EndpointConfig::default()
        };
        let (mut tx, mut rx) = channel(ServiceId(1), config);
        let (header, message) = one_message();
        tx.try_send(header, message).unwrap();
        let receiver = thread::spawn(move || {
            let mut recv = pin!(rx.recv());
            let (first, _) = poll_with_flag(recv.as_mut());
            assert!(matches!(first, Poll::Ready(Ok(_))));
            // Asks again and parks (or finds the second message).
            let mut again = pin!(rx.recv());
            let (second, _) = poll_with_flag(again.as_mut());
            (rx, second.is_ready())
        });
        let mut send = pin!(tx.send(header, message));
        let (first, flag) = poll_with_flag(send.as_mut());
        let (_rx, _) = receiver.join().unwrap();
        if first.is_pending() {
            assert!(
                flag.0.load(Ordering::SeqCst),
                "the receiver parked without waking the waiting sender"
            );
            let (second, _) = poll_with_flag(send.as_mut());
            assert_eq!(second, Poll::Ready(Ok(())));
        }
    });
}

/// `try_send` through a ring racing with the receiver's death (`GONE`, `closed_at`): a
/// message the receiver took is never refused, a refused one was never taken (`Ok` for
/// one it never took means queued before its death and dropped with it, as for any
/// queued message), and once the receiver is gone every send is refused.
#[test]
fn loom_a_ring_send_racing_receiver_death_is_taken_or_refused() {
    model(|| {
        let (mut tx, mut rx) = channel(ServiceId(1), EndpointConfig::default());
        let (header, message) = one_message();
        // Warm-up: the ring exists and the receiver has adopted it.
        tx.try_send(header, message).unwrap();
        assert!(rx.try_recv().unwrap().is_some());
        let receiver = thread::spawn(move || {
            let taken = rx.try_recv().unwrap().is_some();
            drop(rx);
            taken
        });
        let sent = tx.try_send(header, message);
        let taken = receiver.join().unwrap();
        match sent {
            Ok(()) => {}
            Err(IpcError::PeerDied) => assert!(!taken, "refused but taken"),
            Err(other) => panic!("unexpected {other:?}"),
        }
        assert_eq!(tx.try_send(header, message), Err(IpcError::PeerDied));
    });
}

/// The lane bits a parking receiver clears (`shared.rs`) versus a sender queueing a `Low`
/// then a `High` message: whatever the interleaving, once both sends are done the receiver
/// delivers `High` before `Low` (the direct path trusts the lane bits, so a bit left clear
/// for a queued `High` would let `Low` overtake it), and a parked receiver is woken.
#[test]
fn loom_parking_clears_lane_bits_without_losing_priority() {
    model(|| {
        let config = EndpointConfig {
            capacity: 4,
            ring_capacity: 4,
            max_rings: 1,
            ..EndpointConfig::default()
        };
        let (mut tx, mut rx) = channel(ServiceId(1), config);
        // Warm-up: the ring exists and the `High` lane bit is (stale) set, so the racing
        // `High` send may skip its read-modify-write and rely on its fence alone.
        let low = Header {
            priority: crate::Priority::Low,
            ..Header::default()
        };
        let high = Header {
            priority: crate::Priority::High,
            ..Header::default()
        };
        tx.try_send(high, Message::new(0)).unwrap();
        assert!(rx.try_recv().unwrap().is_some());
        let sender = thread::spawn(move || {
            tx.try_send(low, Message::new(1)).unwrap();
            tx.try_send(high, Message::new(2)).unwrap();
            tx
        });
        let mut got = Vec::new();
        let woken = {
            let mut recv = pin!(rx.recv());
            let (first, flag) = poll_with_flag(recv.as_mut());
            match first {
                Poll::Ready(received) => {
                    got.push(received.unwrap().message.tag);
                    None
                }
                Poll::Pending => Some(flag),
            }
        };
        let _tx = sender.join().unwrap();
        if let Some(flag) = &woken {
            assert!(flag.0.load(Ordering::SeqCst), "parked and never woken");
        }
        while let Some(received) = rx.try_recv().unwrap() {
            got.push(received.message.tag);
        }
        // `Low` (1) may only come first if it was taken before `High` was queued.
        assert!(got == [2, 1] || got == [1, 2], "order: {got:?}");
        if got == [1, 2] {
            // Only possible when the first poll took `Low` before `High` was sent.
            assert!(woken.is_none());
        }
    });
}

/// A caller's one-way message, then its direct call, racing with the receiver taking
/// the message and waiting again: the direct handler may only run once the receiver
/// has handled the message (a caller never overtakes its own queue).
#[test]
fn loom_a_direct_call_never_overtakes_the_callers_queued_message() {
    model(|| {
        let config = EndpointConfig {
            capacity: 2,
            ring_capacity: 2,
            max_rings: 1,
            ..EndpointConfig::default()
        };
        let (mut tx, mut rx) = channel(ServiceId(1), config);
        let handled = Arc::new(AtomicBool::new(false));
        let seen = handled.clone();
        rx.serve_directly(alloc::boxed::Box::new(move |_, m, reply| {
            assert!(
                seen.load(Ordering::SeqCst),
                "a direct call overtook a queued message"
            );
            *reply = *m;
            true
        }))
        .unwrap();
        let receiver = thread::spawn(move || {
            {
                let mut recv = pin!(rx.recv());
                loop {
                    let (polled, flag) = poll_with_flag(recv.as_mut());
                    match polled {
                        Poll::Ready(received) => {
                            received.unwrap();
                            handled.store(true, Ordering::SeqCst);
                            break;
                        }
                        Poll::Pending => {
                            while !flag.0.load(Ordering::SeqCst) {
                                thread::yield_now();
                            }
                        }
                    }
                }
            }
            // Waits again (parked), so the caller's call may now be answered directly.
            let mut recv = pin!(rx.recv());
            let _ = poll_with_flag(recv.as_mut());
        });
        let (header, message) = one_message();
        tx.try_send(header, message).unwrap();
        let _ = tx.try_direct(&header, &message, &mut Message::default());
        receiver.join().unwrap();
    });
}
