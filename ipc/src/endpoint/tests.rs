//! Unit tests of every endpoint API and error path (single thread, futures polled by hand).

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::pin;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::task::{Context, Poll};
use std::sync::Mutex as StdMutex;

use futures::executor::block_on;
use futures::task::{ArcWake, waker};

use super::sender::Route;
use super::*;
use crate::Priority;
use crate::error::IpcError;
use crate::ids::MessageId;

const ID: ServiceId = ServiceId(9);

fn config(capacity: usize) -> EndpointConfig {
    EndpointConfig {
        capacity,
        ..EndpointConfig::default()
    }
}

/// A configuration without rings: every sender takes the fallback of `capacity`.
fn fallback_only(capacity: usize) -> EndpointConfig {
    EndpointConfig {
        max_rings: 0,
        ..config(capacity)
    }
}

fn header(id: u64, priority: Priority) -> Header {
    Header {
        id: MessageId(id),
        destination: ID,
        priority,
        ..Header::default()
    }
}

fn message(value: u64) -> Message {
    Message::with_data(1, [value, 0, 0, 0, 0, 0])
}

fn recv_id(receiver: &mut Receiver) -> Option<u64> {
    receiver.try_recv().unwrap().map(|r| r.header.id.0)
}

/// A waker that records that it was woken.
struct Flag(AtomicBool);

impl ArcWake for Flag {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.store(true, Ordering::SeqCst);
    }
}

impl Flag {
    fn new() -> Arc<Self> {
        Arc::new(Flag(AtomicBool::new(false)))
    }

    fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

/// A call of `value` from `sender`, polled once: queued and waiting for its answer.
fn waiting_call<'a>(
    sender: &'a mut Sender,
    header: Header,
    value: u64,
    flag: &Arc<Flag>,
) -> core::pin::Pin<Box<Call<'a>>> {
    let mut call = Box::pin(sender.call(header, message(value)));
    assert!(poll_once(call.as_mut(), flag).is_pending());
    call
}

fn poll_once<F: Future>(future: core::pin::Pin<&mut F>, flag: &Arc<Flag>) -> Poll<F::Output> {
    let waker = waker(flag.clone());
    future.poll(&mut Context::from_waker(&waker))
}

#[test]
fn messages_arrive_in_order_then_the_queue_is_empty() {
    let (mut tx, mut rx) = channel(ID, config(8));
    assert_eq!((tx.id(), rx.id()), (ID, ID));
    assert_eq!(rx.try_recv().unwrap().map(|r| r.header), None);
    for i in 0..5 {
        tx.try_send(header(i, Priority::Normal), message(i))
            .unwrap();
    }
    for i in 0..5 {
        let got = rx.try_recv().unwrap().unwrap();
        assert_eq!((got.header.id.0, got.message.data[0]), (i, i));
        assert!(got.reply.is_none());
    }
    assert_eq!(recv_id(&mut rx), None);
}

#[test]
fn highest_priority_first_fifo_within_a_lane() {
    let (mut tx, mut rx) = channel(ID, config(16));
    let sent = [
        (1, Priority::Low),
        (2, Priority::Normal),
        (3, Priority::Critical),
        (4, Priority::Low),
        (5, Priority::Critical),
        (6, Priority::Background),
    ];
    for (id, priority) in sent {
        tx.try_send(header(id, priority), message(id)).unwrap();
    }
    let order: Vec<u64> = core::iter::from_fn(|| recv_id(&mut rx)).collect();
    assert_eq!(order, [3, 5, 2, 1, 4, 6]);
}

#[test]
fn a_later_higher_message_overtakes_drained_lower_ones() {
    let (mut tx, mut rx) = channel(ID, config(16));
    tx.try_send(header(1, Priority::Low), message(1)).unwrap();
    tx.try_send(header(2, Priority::Low), message(2)).unwrap();
    assert_eq!(recv_id(&mut rx), Some(1)); // 2 now waits in the receiver's lane
    tx.try_send(header(3, Priority::High), message(3)).unwrap();
    assert_eq!(recv_id(&mut rx), Some(3));
    assert_eq!(recv_id(&mut rx), Some(2));
}

fn ring_config(ring_capacity: usize) -> EndpointConfig {
    EndpointConfig {
        ring_capacity,
        ..EndpointConfig::default()
    }
}

/// A channel whose first sender has filled its own ring of `ring_capacity` (messages
/// `0..ring_capacity`, normal priority) with room left on the fallback (`capacity`), and
/// was refused the next message with `Full`.
fn with_a_full_ring(capacity: usize, ring_capacity: usize) -> (Sender, Receiver) {
    let (mut tx, rx) = channel(
        ID,
        EndpointConfig {
            capacity,
            ring_capacity,
            ..EndpointConfig::default()
        },
    );
    for i in 0..ring_capacity as u64 {
        tx.try_send(header(i, Priority::Normal), message(i))
            .unwrap();
    }
    let next = ring_capacity as u64;
    assert_eq!(
        tx.try_send(header(next, Priority::Normal), message(next)),
        Err(IpcError::Full),
        "the sender's own ring is full"
    );
    (tx, rx)
}

#[test]
fn a_ring_s_messages_in_the_lanes_keep_their_slots_until_handed_out() {
    let (mut tx, mut rx) = channel(ID, ring_config(4));
    let mut urgent = tx.clone();
    for i in 0..4 {
        tx.try_send(header(i, Priority::Low), message(i)).unwrap();
    }
    assert_eq!(
        tx.try_send(header(9, Priority::Low), message(9)),
        Err(IpcError::Full)
    );
    urgent
        .try_send(header(10, Priority::High), message(10))
        .unwrap();
    assert_eq!(recv_id(&mut rx), Some(10)); // the four low ones now sit in the lanes
    assert_eq!(
        tx.try_send(header(9, Priority::Low), message(9)),
        Err(IpcError::Full),
        "messages moved into the lanes still count against their ring"
    );
    assert_eq!(recv_id(&mut rx), Some(0));
    tx.try_send(header(4, Priority::Low), message(4)).unwrap();
    assert_eq!(
        tx.try_send(header(9, Priority::Low), message(9)),
        Err(IpcError::Full)
    );
    let order: Vec<u64> = core::iter::from_fn(|| recv_id(&mut rx)).collect();
    assert_eq!(order, [1, 2, 3, 4]);
    assert_eq!(tx.stats().full, 3);
    assert_eq!((tx.stats().sent, tx.stats().received), (6, 6));
}

#[test]
fn the_fallback_capacity_counts_the_receivers_lanes_too() {
    let (mut tx, mut rx) = channel(ID, fallback_only(4));
    for i in 0..4 {
        tx.try_send(header(i, Priority::Normal), message(i))
            .unwrap();
    }
    assert_eq!(
        tx.try_send(header(9, Priority::Normal), message(9)),
        Err(IpcError::Full)
    );
    assert_eq!(recv_id(&mut rx), Some(0)); // three now sit in the lanes
    tx.try_send(header(4, Priority::Normal), message(4))
        .unwrap();
    assert_eq!(
        tx.try_send(header(9, Priority::Normal), message(9)),
        Err(IpcError::Full)
    );
    let order: Vec<u64> = core::iter::from_fn(|| recv_id(&mut rx)).collect();
    assert_eq!(order, [1, 2, 3, 4]);
    assert_eq!(tx.stats().full, 2);
}

/// Ring messages are bounded by their ring, not by the endpoint's `capacity` (which
/// bounds the fallback queue).
#[test]
fn the_endpoint_capacity_does_not_bound_a_ring() {
    let (_tx, mut rx) = with_a_full_ring(1, 4);
    let order: Vec<u64> = core::iter::from_fn(|| recv_id(&mut rx)).collect();
    assert_eq!(order, [0, 1, 2, 3]);
}

#[test]
fn a_full_own_ring_reports_full() {
    let (mut tx, mut rx) = channel(
        ID,
        EndpointConfig {
            capacity: 16,
            ring_capacity: 2,
            ..EndpointConfig::default()
        },
    );
    tx.try_send(header(0, Priority::Normal), message(0))
        .unwrap();
    tx.try_send(header(1, Priority::Normal), message(1))
        .unwrap();
    assert_eq!(
        tx.try_send(header(2, Priority::Normal), message(2)),
        Err(IpcError::Full)
    );
    assert_eq!(
        tx.stats().sent,
        2,
        "the refused message was not counted as queued"
    );
    assert_eq!(recv_id(&mut rx), Some(0));
    tx.try_send(header(2, Priority::Normal), message(2))
        .unwrap();
}

#[test]
fn out_of_range_config_is_clamped() {
    let (mut tx, mut rx) = channel(
        ID,
        EndpointConfig {
            capacity: 0,
            ring_capacity: 0,
            trace_depth: 0,
            trace: true,
            ..EndpointConfig::default()
        },
    );
    tx.try_send(header(1, Priority::Normal), message(1))
        .unwrap();
    assert_eq!(
        tx.try_send(header(2, Priority::Normal), message(2)),
        Err(IpcError::Full)
    );
    assert_eq!(recv_id(&mut rx), Some(1));
    assert_eq!(rx.trace(10).len(), 1);
}

#[test]
fn senders_beyond_max_rings_use_the_fallback_in_order() {
    let (mut first, mut rx) = channel(
        ID,
        EndpointConfig {
            max_rings: 1,
            ..config(64)
        },
    );
    let mut second = first.clone();
    for i in 0..3 {
        first
            .try_send(header(i, Priority::Normal), message(0))
            .unwrap();
        second
            .try_send(header(10 + i, Priority::Normal), message(1))
            .unwrap();
    }
    assert!(matches!(first.route, Route::Ring));
    assert!(matches!(second.route, Route::Fallback));
    let got: Vec<u64> = core::iter::from_fn(|| recv_id(&mut rx)).collect();
    let from =
        |base: u64| -> Vec<u64> { got.iter().copied().filter(|id| id / 10 == base).collect() };
    assert_eq!(from(0), [0, 1, 2]);
    assert_eq!(from(1), [10, 11, 12]);
    let stats = rx.stats();
    assert_eq!(
        (stats.fast_path, stats.slow_path, stats.received),
        (3, 3, 6)
    );
}

#[test]
fn a_dropped_senders_ring_is_retired_and_reused() {
    let (first, mut rx) = channel(
        ID,
        EndpointConfig {
            max_rings: 1,
            ..config(64)
        },
    );
    let mut gone = first.clone();
    gone.try_send(header(1, Priority::Normal), message(1))
        .unwrap();
    drop(gone);
    assert_eq!(recv_id(&mut rx), Some(1));
    assert_eq!(recv_id(&mut rx), None); // retires the finished ring
    let mut next = first;
    next.try_send(header(2, Priority::Normal), message(2))
        .unwrap();
    assert!(matches!(next.route, Route::Ring));
    assert_eq!(recv_id(&mut rx), Some(2));
}

#[test]
fn batches_are_queued_up_to_the_room_left() {
    let (mut tx, mut rx) = channel(ID, ring_config(4));
    let batch: Vec<(Header, Message)> = (0..3)
        .map(|i| (header(i, Priority::Normal), message(i)))
        .collect();
    assert_eq!(tx.try_send_batch(&batch), Ok(3)); // first message picks the ring
    assert_eq!(tx.try_send_batch(&batch), Ok(1)); // room for one more
    assert_eq!(tx.try_send_batch(&batch), Err(IpcError::Full));
    assert_eq!(tx.try_send_batch(&[]), Ok(0));
    let got: Vec<u64> = core::iter::from_fn(|| recv_id(&mut rx)).collect();
    assert_eq!(got, [0, 1, 2, 0]);
}

/// Messages made as they are queued go in order, only as many as there is room for
/// (`make` is asked only for those on the ring), and a higher lane's bit is announced.
#[test]
fn batches_made_in_their_slots_are_queued_up_to_the_room_left() {
    let (mut tx, mut rx) = channel(ID, ring_config(4));
    let mut asked = Vec::new();
    let mut make = |i: usize| {
        asked.push(i);
        let priority = if i == 1 {
            Priority::High
        } else {
            Priority::Normal
        };
        (header(i as u64, priority), message(i as u64))
    };
    assert_eq!(tx.try_send_batch_with(3, &mut make), Ok(3)); // first message picks the ring
    assert_eq!(tx.try_send_batch_with(3, &mut make), Ok(1)); // room for one more
    assert_eq!(tx.try_send_batch_with(3, &mut make), Err(IpcError::Full));
    assert_eq!(tx.try_send_batch_with(0, &mut make), Ok(0));
    assert_eq!(asked, [0, 1, 2, 0]);
    let got: Vec<u64> = core::iter::from_fn(|| recv_id(&mut rx)).collect();
    // The high-priority message goes first; the rest keep their order.
    assert_eq!(got, [1, 0, 2, 0]);
    assert_eq!(tx.stats().full, 1);
}

/// Off the ring, made messages go one at a time, up to the fallback's room.
#[test]
fn batches_made_in_place_through_the_fallback() {
    let (mut tx, mut rx) = channel(ID, fallback_only(3));
    let sent = tx.try_send_batch_with(4, |i| (header(i as u64, Priority::High), message(i as u64)));
    assert_eq!(sent, Ok(3));
    let got: Vec<u64> = core::iter::from_fn(|| recv_id(&mut rx)).collect();
    assert_eq!(got, [0, 1, 2]);
}

#[test]
fn batches_through_the_fallback() {
    let (mut tx, mut rx) = channel(ID, fallback_only(3));
    let batch: Vec<(Header, Message)> = (0..4)
        .map(|i| (header(i, Priority::High), message(i)))
        .collect();
    assert_eq!(tx.try_send_batch(&batch), Ok(3));
    assert!(matches!(tx.route, Route::Fallback));
    let got: Vec<u64> = core::iter::from_fn(|| recv_id(&mut rx)).collect();
    assert_eq!(got, [0, 1, 2]);
}

#[test]
fn send_waits_for_room_and_is_woken_when_the_receiver_frees_it() {
    let (mut tx, mut rx) = channel(ID, ring_config(1));
    tx.try_send(header(1, Priority::Normal), message(1))
        .unwrap();
    let flag = Flag::new();
    {
        let mut send = pin!(tx.send(header(2, Priority::Normal), message(2)));
        assert!(poll_once(send.as_mut(), &flag).is_pending());
        assert_eq!(recv_id(&mut rx), Some(1));
        assert!(flag.take(), "freeing room wakes the waiting sender");
        assert_eq!(poll_once(send.as_mut(), &flag), Poll::Ready(Ok(())));
    }
    assert_eq!(recv_id(&mut rx), Some(2));
    assert_eq!(rx.stats().full, 1);
}

#[test]
fn recv_waits_and_is_woken_by_a_send() {
    let (mut tx, mut rx) = channel(ID, config(4));
    let flag = Flag::new();
    let mut recv = pin!(rx.recv());
    assert!(poll_once(recv.as_mut(), &flag).is_pending());
    tx.try_send(header(7, Priority::Low), message(7)).unwrap();
    assert!(flag.take());
    match poll_once(recv.as_mut(), &flag) {
        Poll::Ready(Ok(got)) => assert_eq!(got.header.id.0, 7),
        other => panic!("expected the message, got {other:?}"),
    }
}

#[test]
fn recv_is_woken_by_a_fallback_send() {
    let (mut tx, mut rx) = channel(ID, fallback_only(4));
    let flag = Flag::new();
    let mut recv = pin!(rx.recv());
    assert!(poll_once(recv.as_mut(), &flag).is_pending());
    tx.try_send(header(7, Priority::Low), message(7)).unwrap();
    assert!(flag.take());
    assert!(matches!(
        poll_once(recv.as_mut(), &flag),
        Poll::Ready(Ok(_))
    ));
}

#[test]
fn recv_returns_closed_after_the_last_sender_once_drained() {
    let (mut tx, mut rx) = channel(ID, config(4));
    let mut other = tx.clone();
    tx.try_send(header(1, Priority::Normal), message(1))
        .unwrap();
    other
        .try_send(header(2, Priority::Normal), message(2))
        .unwrap();
    drop(tx);
    drop(other);
    let mut got: Vec<u64> = Vec::new();
    loop {
        match block_on(rx.recv()) {
            Ok(received) => got.push(received.header.id.0),
            Err(error) => {
                assert_eq!(error, IpcError::Closed);
                break;
            }
        }
    }
    got.sort_unstable();
    assert_eq!(got, [1, 2]);
    assert_eq!(rx.try_recv().unwrap_err(), IpcError::Closed);
}

#[test]
fn a_parked_recv_is_woken_by_the_last_sender_leaving() {
    let (tx, mut rx) = channel(ID, config(4));
    let flag = Flag::new();
    let mut recv = pin!(rx.recv());
    assert!(poll_once(recv.as_mut(), &flag).is_pending());
    drop(tx);
    assert!(flag.take());
    assert!(matches!(
        poll_once(recv.as_mut(), &flag),
        Poll::Ready(Err(IpcError::Closed))
    ));
}

#[test]
fn call_gets_its_reply() {
    let (mut tx, mut rx) = channel(ID, config(4));
    let flag = Flag::new();
    let mut call = waiting_call(&mut tx, header(1, Priority::High), 41, &flag);
    let request = rx.try_recv().unwrap().unwrap();
    assert_eq!(request.message.data[0], 41);
    let token = request.reply.expect("a call carries a reply token");
    token.reply(message(42)).unwrap();
    assert!(flag.take());
    assert_eq!(
        poll_once(call.as_mut(), &flag),
        Poll::Ready(Ok(message(42)))
    );
}

#[test]
fn a_dropped_reply_token_ends_the_call_with_peer_died() {
    let (mut tx, mut rx) = channel(ID, config(4));
    let flag = Flag::new();
    let mut call = waiting_call(&mut tx, header(1, Priority::Normal), 1, &flag);
    drop(rx.try_recv().unwrap().unwrap());
    assert_eq!(
        poll_once(call.as_mut(), &flag),
        Poll::Ready(Err(IpcError::PeerDied))
    );
    assert_eq!(rx.stats().peer_died, 1);
}

#[test]
fn a_late_reply_is_discarded_and_never_reaches_the_next_call() {
    let (mut tx, mut rx) = channel(ID, config(4));
    let flag = Flag::new();
    // Timed out: the future is dropped.
    drop(waiting_call(&mut tx, header(1, Priority::Normal), 1, &flag));
    let late = rx.try_recv().unwrap().unwrap().reply.unwrap();
    let mut call = waiting_call(&mut tx, header(2, Priority::Normal), 2, &flag);
    assert_eq!(late.reply(message(100)), Err(IpcError::Timeout));
    assert!(
        poll_once(call.as_mut(), &flag).is_pending(),
        "stale reply must not complete"
    );
    let current = rx.try_recv().unwrap().unwrap().reply.unwrap();
    current.reply(message(200)).unwrap();
    assert_eq!(
        poll_once(call.as_mut(), &flag),
        Poll::Ready(Ok(message(200)))
    );
    assert_eq!(rx.stats().late_replies, 1);
}

#[test]
fn a_reply_after_cancel_but_before_the_next_call_is_late() {
    let (mut tx, mut rx) = channel(ID, config(4));
    let flag = Flag::new();
    drop(waiting_call(&mut tx, header(1, Priority::Normal), 1, &flag));
    let token = rx.try_recv().unwrap().unwrap().reply.unwrap();
    assert_eq!(token.reply(message(5)), Err(IpcError::Timeout));
    assert_eq!(tx.stats().late_replies, 1);
}

#[test]
fn call_over_the_fallback_and_with_block_on() {
    let (mut tx, mut rx) = channel(ID, fallback_only(4));
    let server = std::thread::spawn(move || {
        let request = block_on(rx.recv()).unwrap();
        let value = request.message.data[0];
        request.reply.unwrap().reply(message(value * 2)).unwrap();
        rx
    });
    assert_eq!(
        block_on(tx.call(header(1, Priority::Normal), message(21))),
        Ok(message(42))
    );
    crate::test_support::join_within(server, std::time::Duration::from_secs(60));
}

#[test]
fn receiver_death_fails_sends_calls_and_waiters_and_leaks_nothing() {
    let (mut tx, rx) = channel(ID, ring_config(1));
    let mut caller = tx.clone();
    let flag = Flag::new();
    let weak_shared = Arc::downgrade(&tx.caller.shared);
    let weak_caller = Arc::downgrade(&caller.caller);
    {
        let mut call = waiting_call(&mut caller, header(1, Priority::Normal), 1, &flag);
        tx.try_send(header(2, Priority::Normal), message(2))
            .unwrap();
        let mut waiting = pin!(tx.send(header(3, Priority::Normal), message(3)));
        assert!(
            poll_once(waiting.as_mut(), &flag).is_pending(),
            "the sender's ring is full"
        );
        drop(rx);
        assert!(flag.take());
        assert_eq!(
            poll_once(waiting.as_mut(), &flag),
            Poll::Ready(Err(IpcError::PeerDied))
        );
        assert_eq!(
            poll_once(call.as_mut(), &flag),
            Poll::Ready(Err(IpcError::PeerDied))
        );
    }
    assert_eq!(
        tx.try_send(header(4, Priority::Normal), message(4)),
        Err(IpcError::PeerDied)
    );
    assert_eq!(
        block_on(caller.call(header(5, Priority::Normal), message(5))),
        Err(IpcError::PeerDied)
    );
    assert_eq!(
        block_on(tx.send(header(6, Priority::Normal), message(6))),
        Err(IpcError::PeerDied)
    );
    assert!(tx.stats().peer_died >= 4);
    assert_eq!(
        Arc::strong_count(&caller.caller),
        1,
        "no reply token survives"
    );
    drop(tx);
    drop(caller);
    assert!(weak_shared.upgrade().is_none(), "endpoint state freed");
    assert!(weak_caller.upgrade().is_none(), "call slot freed");
}

#[test]
fn a_new_sender_after_receiver_death_gets_peer_died() {
    let (tx, rx) = channel(ID, config(2));
    drop(rx);
    let mut fresh = tx.clone();
    assert_eq!(
        fresh.try_send(header(1, Priority::Normal), message(1)),
        Err(IpcError::PeerDied)
    );
    assert!(matches!(fresh.route, Route::Unassigned));
}

#[test]
fn priority_hook_fires_only_for_a_higher_priority_than_any_waiting() {
    let (mut tx, mut rx) = channel(ID, config(16));
    let seen = Arc::new(StdMutex::new(Vec::new()));
    {
        let seen = seen.clone();
        rx.on_priority(Box::new(move |priority| {
            seen.lock().unwrap().push(priority)
        }))
        .unwrap();
    }
    assert_eq!(
        rx.on_priority(Box::new(|_| {})),
        Err(IpcError::AlreadyExists),
        "one hook per endpoint"
    );
    tx.try_send(header(1, Priority::Low), message(1)).unwrap();
    tx.try_send(header(2, Priority::Low), message(2)).unwrap();
    tx.try_send(header(3, Priority::High), message(3)).unwrap();
    tx.try_send(header(4, Priority::Normal), message(4))
        .unwrap();
    let mut fallback = tx.clone();
    fallback.route = Route::Fallback;
    fallback
        .try_send(header(5, Priority::Critical), message(5))
        .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [Priority::Low, Priority::High, Priority::Critical]
    );
    assert_eq!(rx.highest_waiting(), Some(Priority::Critical));
    assert_eq!(recv_id(&mut rx), Some(5));
    assert_eq!(recv_id(&mut rx), Some(3));
    assert_eq!(rx.highest_waiting(), Some(Priority::Normal));
    while recv_id(&mut rx).is_some() {}
    assert_eq!(rx.highest_waiting(), None);
    tx.try_send(header(6, Priority::Background), message(6))
        .unwrap();
    assert_eq!(seen.lock().unwrap().last(), Some(&Priority::Background));
}

static NOW: AtomicU64 = AtomicU64::new(0);

fn test_clock() -> u64 {
    NOW.load(Ordering::Relaxed)
}

#[test]
fn stats_and_trace() {
    let (mut tx, mut rx) = channel(
        ID,
        EndpointConfig {
            trace: true,
            trace_depth: 2,
            clock: Some(test_clock),
            ..config(8)
        },
    );
    NOW.store(1000, Ordering::Relaxed);
    for i in 0..3 {
        let mut h = header(i, Priority::Normal);
        h.timestamp = 1000 - 8 * i; // latencies 0, 8, 16
        tx.try_send(h, message(i)).unwrap();
    }
    assert_eq!(tx.stats().sent, 3);
    while recv_id(&mut rx).is_some() {}
    let stats = rx.stats();
    assert_eq!(
        (stats.sent, stats.received, stats.fast_path, stats.slow_path),
        (3, 3, 3, 0)
    );
    assert_eq!(stats.latency_log2[0], 1);
    assert_eq!(stats.latency_log2[4], 1);
    assert_eq!(stats.latency_log2[5], 1);
    let ids: Vec<u64> = rx.trace(10).iter().map(|h| h.id.0).collect();
    assert_eq!(ids, [1, 2]);
    assert_eq!(tx.trace(1).len(), 1);
}

#[test]
fn tracing_off_records_nothing() {
    let (mut tx, mut rx) = channel(ID, config(8));
    tx.try_send(header(1, Priority::Normal), message(1))
        .unwrap();
    assert_eq!(recv_id(&mut rx), Some(1));
    assert!(rx.trace(5).is_empty());
    assert_eq!(rx.stats().latency_log2.iter().sum::<u64>(), 0);
}

#[test]
fn futures_polled_after_completion_return_an_error() {
    let (mut tx, mut rx) = channel(ID, config(8));
    let flag = Flag::new();
    {
        let mut send = pin!(tx.send(header(1, Priority::Normal), message(1)));
        assert_eq!(poll_once(send.as_mut(), &flag), Poll::Ready(Ok(())));
        assert_eq!(
            poll_once(send.as_mut(), &flag),
            Poll::Ready(Err(IpcError::InvalidArgument))
        );
    }
    let mut call = waiting_call(&mut tx, header(2, Priority::Normal), 2, &flag);
    drop(rx.try_recv().unwrap());
    rx.try_recv()
        .unwrap()
        .unwrap()
        .reply
        .unwrap()
        .reply(message(3))
        .unwrap();
    assert_eq!(poll_once(call.as_mut(), &flag), Poll::Ready(Ok(message(3))));
    assert_eq!(
        poll_once(call.as_mut(), &flag),
        Poll::Ready(Err(IpcError::InvalidArgument))
    );
}

#[test]
fn a_sender_whose_own_ring_is_full_waits_without_waking_itself() {
    let (mut tx, mut rx) = with_a_full_ring(256, 4);
    let flag = Flag::new();
    {
        let mut send = pin!(tx.send(header(4, Priority::Normal), message(4)));
        assert!(poll_once(send.as_mut(), &flag).is_pending());
        // Nothing changed for the receiver: a wake now would only make the sender spin.
        assert!(!flag.take(), "the waiting sender woke itself");
        assert!(poll_once(send.as_mut(), &flag).is_pending());
        assert!(
            !flag.take(),
            "the waiting sender woke itself on its second poll"
        );
        assert_eq!(recv_id(&mut rx), Some(0));
        assert!(
            flag.take(),
            "taking a message did not wake the waiting sender"
        );
        assert_eq!(poll_once(send.as_mut(), &flag), Poll::Ready(Ok(())));
    }
    for i in 1..5 {
        assert_eq!(recv_id(&mut rx), Some(i));
    }
}

/// A receiver that waits in `recv` (parked): polled once with nothing there.
fn park(rx: &mut Receiver, flag: &Arc<Flag>) {
    let mut recv = pin!(rx.recv());
    assert!(poll_once(recv.as_mut(), flag).is_pending());
}

fn doubling() -> DirectHandler {
    Box::new(|_, m, reply| {
        *reply = message(m.data[0] * 2);
        true
    })
}

/// `Sender::try_direct` with its answer returned.
fn try_direct(tx: &Sender, header: Header, message: Message) -> Option<Message> {
    let mut reply = Message::default();
    tx.try_direct(&header, &message, &mut reply)
        .then_some(reply)
}

#[test]
fn a_waiting_receiver_s_direct_handler_answers_calls_at_once() {
    let (tx, mut rx) = channel(ID, config(8));
    rx.serve_directly(doubling()).unwrap();
    assert_eq!(
        rx.serve_directly(doubling()).err(),
        Some(IpcError::AlreadyExists)
    );
    // Not waiting yet: the queue takes the call.
    assert_eq!(
        try_direct(&tx, header(1, Priority::Normal), message(3)),
        None
    );
    let flag = Flag::new();
    park(&mut rx, &flag);
    let answer = try_direct(&tx, header(2, Priority::Normal), message(3));
    assert_eq!(answer.map(|m| m.data[0]), Some(6));
    assert_eq!(rx.stats().direct, 1);
    // Nothing reached the receiver, and it was not woken.
    assert!(!flag.take());
    assert_eq!(recv_id(&mut rx), None);
}

#[test]
fn a_direct_call_never_overtakes_the_caller_s_own_queued_messages() {
    let (mut tx, mut rx) = channel(ID, config(8));
    rx.serve_directly(doubling()).unwrap();
    let flag = Flag::new();
    park(&mut rx, &flag);
    tx.try_send(header(1, Priority::Normal), message(1))
        .unwrap();
    // A message is accepted and not yet handed out: the call must queue behind it.
    assert_eq!(
        try_direct(&tx, header(2, Priority::Normal), message(2)),
        None
    );
    assert_eq!(recv_id(&mut rx), Some(1));
    // Handed out, but the receiver has not asked again (it is handling it).
    assert_eq!(
        try_direct(&tx, header(3, Priority::Normal), message(3)),
        None
    );
    park(&mut rx, &flag);
    assert!(try_direct(&tx, header(4, Priority::Normal), message(4)).is_some());
}

#[test]
fn a_declining_handler_leaves_the_call_to_the_queue() {
    let (tx, mut rx) = channel(ID, config(8));
    rx.serve_directly(Box::new(|_, _, _| false)).unwrap();
    let flag = Flag::new();
    park(&mut rx, &flag);
    assert_eq!(
        try_direct(&tx, header(1, Priority::Normal), message(1)),
        None
    );
    assert_eq!(rx.stats().direct, 0);
}

/// Sends the same mixed-priority traffic from two senders (one of them through a batch)
/// into a fresh endpoint; returns the receiver.
fn mixed_traffic() -> (Sender, Sender, Receiver) {
    let (mut a, mut receiver) = channel(ID, config(64));
    let mut b = a.clone();
    let lanes = [
        Priority::Low,
        Priority::High,
        Priority::Normal,
        Priority::Low,
    ];
    for (i, &lane) in lanes.iter().enumerate() {
        a.try_send(header(i as u64, lane), message(0)).unwrap();
    }
    let batch: Vec<_> = (10..16)
        .map(|i| {
            (
                header(
                    i,
                    if i % 3 == 0 {
                        Priority::Critical
                    } else {
                        Priority::Normal
                    },
                ),
                message(0),
            )
        })
        .collect();
    assert_eq!(b.try_send_batch(&batch), Ok(6));
    assert_eq!(receiver.try_recv_batch(0, |_| unreachable!()), Ok(0));
    (a, b, receiver)
}

/// A batched drain delivers exactly what repeated `try_recv` calls would, in the same
/// order (highest lane first, each sender's order within a lane), `max` at a time, and
/// gives the room back.
#[test]
fn batched_drain_matches_repeated_receives() {
    let (_a1, _b1, mut one_by_one) = mixed_traffic();
    let mut expected = Vec::new();
    while let Some(id) = recv_id(&mut one_by_one) {
        expected.push(id);
    }
    let (mut a, _b, mut batched) = mixed_traffic();
    let mut got = Vec::new();
    assert_eq!(
        batched.try_recv_batch(3, |r| got.push(r.header.id.0)),
        Ok(3)
    );
    while batched
        .try_recv_batch(4, |r| got.push(r.header.id.0))
        .unwrap()
        > 0
    {}
    assert_eq!(got, expected);
    assert_eq!(batched.stats().received, expected.len() as u64);
    // Every delivered message's room is back: the endpoint takes its capacity again.
    for i in 0..64 {
        a.try_send(header(100 + i, Priority::Normal), message(0))
            .unwrap();
    }
    assert_eq!(
        a.try_send(header(200, Priority::Normal), message(0)),
        Err(IpcError::Full)
    );
}

/// A batched drain reads the signal word once per run: a higher lane announced while a
/// run is handed out goes first right after that run (not in the middle of it).
#[test]
fn a_higher_lane_announced_during_a_run_goes_first_after_it() {
    let (mut a, mut rx) = channel(ID, config(16));
    let mut b = a.clone();
    // Both rings known to the receiver first, so the drain below takes the run path.
    a.try_send(header(0, Priority::Normal), message(0)).unwrap();
    b.try_send(header(0, Priority::Normal), message(0)).unwrap();
    assert_eq!(rx.try_recv_batch(8, |_| {}), Ok(2));
    let batch: Vec<(Header, Message)> = (1..=3)
        .map(|i| (header(i, Priority::Normal), message(0)))
        .collect();
    assert_eq!(a.try_send_batch(&batch), Ok(3));
    a.try_send(header(4, Priority::Normal), message(0)).unwrap();
    let mut got = Vec::new();
    let mut sent = false;
    while rx
        .try_recv_batch(8, |r| {
            got.push(r.header.id.0);
            if !sent {
                sent = true;
                b.try_send(header(9, Priority::Critical), message(0))
                    .unwrap();
                a.try_send(header(5, Priority::Normal), message(0)).unwrap();
            }
        })
        .unwrap()
        > 0
    {}
    assert_eq!(got, [1, 2, 3, 4, 9, 5]);
}

/// Once every sender is gone the batch drains what is left, then reports `Closed`.
#[test]
fn batched_drain_reports_closed_after_the_last_message() {
    let (mut tx, mut rx) = channel(ID, config(8));
    tx.try_send(header(1, Priority::Normal), message(7))
        .unwrap();
    tx.try_send(header(2, Priority::Normal), message(8))
        .unwrap();
    drop(tx);
    let mut data = Vec::new();
    assert_eq!(
        rx.try_recv_batch(8, |r| data.push(r.message.data[0])),
        Ok(2)
    );
    assert_eq!(data, [7, 8]);
    assert_eq!(
        rx.try_recv_batch(8, |_| unreachable!()),
        Err(IpcError::Closed)
    );
}

/// Receiving in place hands over what `try_recv` would, in the same order, and gives the
/// room back once each message is consumed.
#[test]
fn receiving_in_place_matches_repeated_receives() {
    let (_a1, _b1, mut one_by_one) = mixed_traffic();
    let mut expected = Vec::new();
    while let Some(id) = recv_id(&mut one_by_one) {
        expected.push(id);
    }
    let (mut a, _b, mut in_place) = mixed_traffic();
    let mut got = Vec::new();
    while let Some(id) = in_place.try_recv_with(|r| r.header.id.0).unwrap() {
        got.push(id);
    }
    assert_eq!(got, expected);
    assert_eq!(in_place.stats().received, expected.len() as u64);
    for i in 0..64 {
        a.try_send(header(100 + i, Priority::Normal), message(0))
            .unwrap();
    }
    assert_eq!(
        a.try_send(header(200, Priority::Normal), message(0)),
        Err(IpcError::Full)
    );
    drop((a, _b));
    assert_eq!(
        in_place.try_recv_with(|r| r.header.id.0).unwrap(),
        Some(100)
    );
}

/// A call received in place is answered with the token taken out of its slot; a token
/// left behind ends its call with `PeerDied` (the same for a batch).
#[test]
fn a_call_received_in_place_keeps_its_token_only_when_taken() {
    let (mut tx, mut rx) = channel(ID, config(4));
    let flag = Flag::new();
    {
        let mut call = waiting_call(&mut tx, header(1, Priority::Normal), 41, &flag);
        let token = rx.try_recv_with(|r| r.reply.take()).unwrap().flatten();
        assert!(!flag.take(), "taking the token out does not end the call");
        token
            .expect("a call carries a token")
            .reply(message(42))
            .unwrap();
        assert_eq!(
            poll_once(call.as_mut(), &flag),
            Poll::Ready(Ok(message(42)))
        );
    }
    {
        let mut call = waiting_call(&mut tx, header(2, Priority::Normal), 1, &flag);
        assert_eq!(rx.try_recv_batch(4, |r| assert!(r.reply.is_some())), Ok(1));
        assert_eq!(
            poll_once(call.as_mut(), &flag),
            Poll::Ready(Err(IpcError::PeerDied))
        );
    }
    assert_eq!(rx.stats().peer_died, 1);
}

/// `DIRECT_BLOCKERS[l]` holds every lane above `l`, no lane at or below it, every
/// off-ring flag and `INSTRUMENTED`, and nothing else (not `PARKED`, `HOOK` or `GONE`).
#[test]
fn direct_blockers_hold_the_higher_lanes_and_the_off_ring_flags() {
    use super::lanes::lanes_above;
    use super::shared::{DIRECT_BLOCKERS, INSTRUMENTED, OFF_RING};
    for (index, blockers) in DIRECT_BLOCKERS.into_iter().enumerate() {
        let lane = Priority::from_index(index);
        assert_eq!(
            blockers,
            lanes_above(lane) | OFF_RING | INSTRUMENTED,
            "{lane:?}"
        );
        assert_eq!(blockers & (1 << index), 0);
    }
    assert_eq!(OFF_RING & ((1 << Priority::COUNT) - 1), 0);
}

/// A sender waiting for room in its own ring, whose messages the receiver moved into its
/// lanes: it is woken once those are handed out (their slots freed), not before.
#[test]
fn a_ring_sender_waiting_for_held_slots_is_woken_when_they_are_handed_out() {
    let (mut tx, mut rx) = channel(ID, ring_config(2));
    let mut urgent = tx.clone();
    tx.try_send(header(0, Priority::Low), message(0)).unwrap();
    tx.try_send(header(1, Priority::Low), message(1)).unwrap();
    urgent
        .try_send(header(9, Priority::High), message(9))
        .unwrap();
    assert_eq!(recv_id(&mut rx), Some(9)); // 0 and 1 are now held in the lanes
    let flag = Flag::new();
    {
        let mut send = pin!(tx.send(header(2, Priority::Low), message(2)));
        assert!(poll_once(send.as_mut(), &flag).is_pending());
        assert_eq!(recv_id(&mut rx), Some(0));
        assert_eq!(recv_id(&mut rx), Some(1));
        assert!(flag.take(), "handing out the held messages woke the sender");
        assert_eq!(poll_once(send.as_mut(), &flag), Poll::Ready(Ok(())));
    }
    assert_eq!(recv_id(&mut rx), Some(2));
    assert_eq!(recv_id(&mut rx), None);
}

/// After the receiver's death a ring sender's message is refused even when its ring has
/// room (it is published, then found after `GONE`, never taken), one at a time or in a
/// batch, while one it took before dying was accepted.
#[test]
fn a_ring_send_after_the_receiver_closed_is_refused_and_counted() {
    let (mut tx, mut rx) = channel(ID, config(16));
    tx.try_send(header(1, Priority::Normal), message(1))
        .unwrap();
    assert_eq!(recv_id(&mut rx), Some(1));
    drop(rx);
    assert_eq!(
        tx.try_send(header(2, Priority::Normal), message(2)),
        Err(IpcError::PeerDied)
    );
    let batch = [(header(3, Priority::Normal), message(3))];
    assert_eq!(tx.try_send_batch(&batch), Err(IpcError::PeerDied));
    let made = tx.try_send_batch_with(2, |i| (header(5 + i as u64, Priority::Normal), message(5)));
    assert_eq!(made, Err(IpcError::PeerDied));
    assert_eq!(
        block_on(tx.send(header(4, Priority::Normal), message(4))),
        Err(IpcError::PeerDied)
    );
    assert_eq!(tx.stats().peer_died, 4);
    assert_eq!(tx.stats().received, 1);
}

/// A ring's newer message never overtakes its older ones waiting in the receiver's lanes
/// (`LANES` keeps the direct path off the rings while the lanes hold messages).
#[test]
fn a_ring_s_newer_message_waits_for_its_older_ones_in_the_lanes() {
    let (mut tx, mut rx) = channel(ID, config(16));
    let mut urgent = tx.clone();
    tx.try_send(header(1, Priority::Low), message(1)).unwrap();
    tx.try_send(header(2, Priority::Low), message(2)).unwrap();
    urgent
        .try_send(header(9, Priority::High), message(9))
        .unwrap();
    assert_eq!(recv_id(&mut rx), Some(9)); // 1 and 2 now wait in the lanes
    tx.try_send(header(3, Priority::Low), message(3)).unwrap();
    let mut order = Vec::new();
    assert_eq!(rx.try_recv_batch(8, |r| order.push(r.header.id.0)), Ok(3));
    assert_eq!(order, [1, 2, 3]);
}

/// Three senders with full rings: the receiver serves them in turns of at most `TURN`
/// messages each, so none waits behind another for long, and each keeps its order.
#[test]
fn rings_take_turns_and_none_starves() {
    use super::turns::TURN;
    const SENDERS: u64 = 3;
    const EACH: u64 = 60;
    let (tx, mut rx) = channel(ID, config(4));
    let mut senders: Vec<Sender> = (0..SENDERS).map(|_| tx.clone()).collect();
    drop(tx);
    for (index, sender) in senders.iter_mut().enumerate() {
        for n in 0..EACH {
            let id = index as u64 * 1000 + n;
            sender
                .try_send(header(id, Priority::Normal), message(id))
                .unwrap();
        }
    }
    let mut order = Vec::new();
    while let Some(id) = rx.try_recv_with(|received| received.header.id.0).unwrap() {
        order.push(id);
    }
    assert_eq!(order.len() as u64, SENDERS * EACH);
    for sender in 0..SENDERS {
        let mine: Vec<u64> = order
            .iter()
            .copied()
            .filter(|id| id / 1000 == sender)
            .collect();
        assert_eq!(
            mine,
            (0..EACH).map(|n| sender * 1000 + n).collect::<Vec<_>>()
        );
    }
    // The longest run of one sender's messages while another still had some queued.
    let mut longest = 0;
    let mut run = 0;
    for (at, id) in order.iter().enumerate() {
        let sender = id / 1000;
        run = if at > 0 && order[at - 1] / 1000 == sender {
            run + 1
        } else {
            1
        };
        if order[at + 1..].iter().any(|later| later / 1000 != sender) {
            longest = longest.max(run);
        }
    }
    assert!(longest <= TURN, "a run of {longest} while others waited");
    // Everyone was served early: each sender's first message within the first turns.
    for sender in 0..SENDERS {
        let first = order.iter().position(|id| id / 1000 == sender).unwrap();
        assert!(
            first <= 2 * TURN * SENDERS as usize,
            "sender {sender} first at {first}"
        );
    }
}

/// One sender alone is never made to change turns: its messages all come straight out
/// of its ring, in order.
#[test]
fn a_lone_ring_keeps_its_turn() {
    let (mut tx, mut rx) = channel(ID, EndpointConfig::default());
    for round in 0..5u64 {
        for n in 0..40 {
            tx.try_send(header(round * 100 + n, Priority::Normal), message(n))
                .unwrap();
        }
        for n in 0..40 {
            assert_eq!(recv_id(&mut rx), Some(round * 100 + n));
        }
    }
    let stats = rx.stats();
    assert_eq!(stats.slow_path, 0);
}

/// A configuration with room for one ring: a second sender takes the fallback.
fn one_ring() -> EndpointConfig {
    EndpointConfig {
        max_rings: 1,
        ..EndpointConfig::default()
    }
}

/// The last ring going and a new one coming: the receiver serves the newcomer straight
/// from its ring (the idle ring that stands in while there is none is never served or
/// counted), and a refill that moves a ring's read position past its turn does not stop
/// the turns.
#[test]
fn rings_come_and_go() {
    let (tx, mut rx) = channel(ID, one_ring());
    assert_eq!(recv_id(&mut rx), None);
    assert!(alloc::format!("{rx:?}").contains("rings: 0"), "{rx:?}");
    let mut first = tx.clone();
    first
        .try_send(header(1, Priority::Normal), message(1))
        .unwrap();
    assert!(matches!(first.route, Route::Ring));
    drop(first);
    assert_eq!(recv_id(&mut rx), Some(1));
    // The finished ring is retired (its room goes back to the endpoint)...
    assert_eq!(recv_id(&mut rx), None);
    assert!(alloc::format!("{rx:?}").contains("rings: 0"), "{rx:?}");
    // ...so the next sender gets a ring of its own, served from its slots.
    let mut second = tx.clone();
    let mut third = tx.clone();
    for id in 2..40 {
        second
            .try_send(header(id, Priority::Normal), message(id))
            .unwrap();
    }
    assert!(matches!(second.route, Route::Ring));
    // A message on the fallback makes the receiver refill: the ring's read position jumps.
    third
        .try_send(header(100, Priority::Normal), message(100))
        .unwrap();
    assert!(matches!(third.route, Route::Fallback));
    let mut order = Vec::new();
    while let Some(id) = recv_id(&mut rx) {
        order.push(id);
    }
    assert_eq!(order.len(), 39);
    assert!(order.contains(&100));
    order.retain(|&id| id != 100);
    assert_eq!(order, (2..40).collect::<Vec<_>>());
    // And afterwards the ring's messages come straight from it again.
    let before = rx.stats();
    for id in 40..80 {
        second
            .try_send(header(id, Priority::Normal), message(id))
            .unwrap();
        assert_eq!(recv_id(&mut rx), Some(id));
    }
    let after = rx.stats();
    assert_eq!(after.slow_path, before.slow_path);
    assert_eq!(after.fast_path - before.fast_path, 40);
    assert!(alloc::format!("{rx:?}").contains("rings: 1"), "{rx:?}");
}

/// `received`, `fast_path` and `slow_path` count messages handed out: a ring's by its
/// published read position (those the receiver moved into its lanes count once handed
/// out), the fallback's as each is handed out; what a dying receiver drops is not
/// received. A ring whose sender left is retired only once all its messages are handed
/// out: until then its slots count against the ring bound.
#[test]
fn stats_count_what_is_handed_out() {
    let (tx, mut rx) = channel(ID, one_ring());
    let mut ring = tx.clone();
    let mut fallback = tx.clone();
    for id in 0..3 {
        ring.try_send(header(id, Priority::Normal), message(id))
            .unwrap();
    }
    fallback
        .try_send(header(10, Priority::High), message(10))
        .unwrap();
    assert!(matches!(fallback.route, Route::Fallback));
    let counts = |rx: &Receiver| {
        let stats = rx.stats();
        (stats.sent, stats.received, stats.fast_path, stats.slow_path)
    };
    assert_eq!(counts(&rx), (4, 0, 0, 0));
    // The fallback's message makes the receiver move everything into its lanes: the
    // ring's three are held there, not yet received.
    assert_eq!(recv_id(&mut rx), Some(10));
    assert_eq!(counts(&rx), (4, 1, 0, 1));
    assert_eq!(recv_id(&mut rx), Some(0));
    assert_eq!(counts(&rx), (4, 2, 1, 1));
    // The ring's sender leaves; a more urgent message makes the receiver refill. The
    // ring still has two messages in the lanes, so it is not retired: a new sender finds
    // no ring free and takes the fallback.
    drop(ring);
    fallback
        .try_send(header(11, Priority::Critical), message(11))
        .unwrap();
    assert_eq!(recv_id(&mut rx), Some(11));
    assert_eq!(counts(&rx), (5, 3, 1, 2));
    let mut waiting = tx.clone();
    waiting
        .try_send(header(12, Priority::Low), message(12))
        .unwrap();
    assert!(matches!(waiting.route, Route::Fallback));
    assert_eq!(recv_id(&mut rx), Some(1));
    assert_eq!(recv_id(&mut rx), Some(2));
    assert_eq!(recv_id(&mut rx), Some(12));
    assert_eq!(counts(&rx), (6, 6, 3, 3));
    // Everything handed out: the receiver's next look retires the ring, and the next
    // sender gets one. Two of its five messages are taken before the receiver goes.
    assert_eq!(recv_id(&mut rx), None);
    assert!(alloc::format!("{rx:?}").contains("rings: 0"), "{rx:?}");
    let mut late = tx.clone();
    for id in 20..25 {
        late.try_send(header(id, Priority::Normal), message(id))
            .unwrap();
    }
    assert!(matches!(late.route, Route::Ring));
    assert_eq!(recv_id(&mut rx), Some(20));
    assert_eq!(recv_id(&mut rx), Some(21));
    drop(rx);
    let stats = late.stats();
    assert_eq!(
        (stats.sent, stats.received, stats.fast_path, stats.slow_path),
        (11, 8, 5, 3)
    );
}

/// Out-of-range sizes are clamped (never rejected), and the bound of what an endpoint
/// queues counts every ring (rounded up to a power of two) and the fallback.
#[test]
fn configurations_are_clamped_and_bounded() {
    assert_eq!(EndpointConfig::default().queued_bound(), 64 * 64 + 256);
    let huge = EndpointConfig {
        capacity: 10,
        ring_capacity: 3,
        max_rings: usize::MAX,
        ..EndpointConfig::default()
    };
    assert_eq!(huge.queued_bound(), MAX_ENDPOINT_RINGS * 4 + 10);
    let none = EndpointConfig {
        capacity: 0,
        max_rings: 0,
        ..EndpointConfig::default()
    };
    assert_eq!(none.queued_bound(), 1);
}
