//! Threaded stress tests: exactly-once, per-sender ordered delivery under contention, and
//! call/reply with timeouts. Every join is bounded: a deadlock fails the test.

use alloc::vec;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use futures::executor::block_on;
use futures::task::noop_waker;

use super::*;
use crate::Priority;
use crate::error::IpcError;
use crate::test_support::join_within;

const LIMIT: Duration = Duration::from_secs(60);

/// 8 producers (6 with their own ring, 2 sharing the fallback), one consumer, 100 000
/// messages each across all five lanes: every (sender, sequence) arrives exactly once, and
/// each sender's sequence numbers rise within each lane.
#[test]
fn many_senders_exactly_once_and_in_order_per_lane() {
    many_senders(
        EndpointConfig {
            capacity: 512,
            ring_capacity: 64,
            max_rings: 6,
            ..EndpointConfig::default()
        },
        100_000,
    );
}

/// The same with rings of two slots and a fallback of two: senders wait for their own
/// ring's slots (`SPACE`), which messages moved into the receiver's lanes keep occupied
/// until they are handed out, and for the fallback's room (`WAITERS`).
#[test]
fn tiny_rings_and_fallback_exactly_once_and_in_order_per_lane() {
    many_senders(
        EndpointConfig {
            capacity: 2,
            ring_capacity: 2,
            max_rings: 6,
            ..EndpointConfig::default()
        },
        20_000,
    );
}

fn many_senders(config: EndpointConfig, per_sender: u64) {
    const SENDERS: u64 = 8;
    let (tx, mut rx) = channel(ServiceId(1), config);
    let producers: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let mut tx = tx.clone();
            thread::spawn(move || {
                for seq in 0..per_sender {
                    let header = Header {
                        priority: Priority::from_index((seq % 5) as usize),
                        ..Header::default()
                    };
                    let message = Message::with_data(0, [sender, seq, 0, 0, 0, 0]);
                    if seq % 3 == 0 {
                        block_on(tx.send(header, message)).unwrap();
                    } else {
                        while let Err(error) = tx.try_send(header, message) {
                            assert_eq!(error, IpcError::Full);
                            thread::yield_now();
                        }
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let consumer = thread::spawn(move || {
        let mut last = vec![[None::<u64>; Priority::COUNT]; SENDERS as usize];
        let mut count = vec![0u64; SENDERS as usize];
        loop {
            match block_on(rx.recv()) {
                Ok(received) => {
                    let [sender, seq, ..] = received.message.data;
                    let lane = received.header.priority.index();
                    let previous = &mut last[sender as usize][lane];
                    assert!(
                        previous.is_none_or(|p| p < seq),
                        "sender {sender} lane {lane}: {seq} after {previous:?}"
                    );
                    *previous = Some(seq);
                    count[sender as usize] += 1;
                }
                Err(error) => {
                    assert_eq!(error, IpcError::Closed);
                    break;
                }
            }
        }
        (count, rx.stats())
    });
    for producer in producers {
        join_within(producer, LIMIT);
    }
    let (count, stats) = join_within(consumer, LIMIT);
    // Strictly rising per lane and exactly per_sender each: nothing lost or duplicated.
    assert!(count.iter().all(|&c| c == per_sender), "{count:?}");
    assert_eq!(stats.received, SENDERS * per_sender);
    assert_eq!(stats.fast_path + stats.slow_path, SENDERS * per_sender);
    assert_eq!(stats.slow_path, 2 * per_sender);
    assert_eq!(stats.sent, SENDERS * per_sender);
}

/// Polls `future` a few times without blocking; `None` if it is still pending (the caller
/// then drops it: a timeout).
fn poll_briefly<F: Future>(future: F, polls: usize) -> Option<F::Output> {
    let mut future = pin!(future);
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    for _ in 0..polls {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Some(output);
        }
        thread::yield_now();
    }
    None
}

/// Callers time out about a third of their calls (by dropping the call future); the server
/// answers some requests late and drops some tokens. A reply only ever completes the call
/// it answers, and every discarded reply is counted as late.
#[test]
fn calls_with_timeouts_never_get_someone_elses_reply() {
    const CALLERS: u64 = 4;
    const CALLS: u64 = 5_000;
    let (tx, mut rx) = channel(
        ServiceId(2),
        EndpointConfig {
            capacity: 64,
            max_rings: 3,
            ..EndpointConfig::default()
        },
    );
    let callers: Vec<_> = (0..CALLERS)
        .map(|caller| {
            let mut tx = tx.clone();
            thread::spawn(move || {
                let (mut timed_out, mut refused) = (0u64, 0u64);
                for seq in 0..CALLS {
                    let request = Message::with_data(0, [caller, seq, 0, 0, 0, 0]);
                    let call = tx.call(Header::default(), request);
                    let outcome = if seq % 3 == 0 {
                        poll_briefly(call, 3)
                    } else {
                        Some(block_on(call))
                    };
                    match outcome {
                        None => timed_out += 1,
                        Some(Ok(reply)) => assert_eq!(reply.data[..2], [caller, seq]),
                        Some(Err(IpcError::PeerDied)) => {
                            assert_eq!(seq % 7, 0, "only dropped tokens end a call");
                            refused += 1;
                        }
                        Some(Err(error)) => panic!("call {caller}/{seq}: {error:?}"),
                    }
                }
                (timed_out, refused)
            })
        })
        .collect();
    drop(tx);
    let server = thread::spawn(move || {
        let mut delayed = Vec::new();
        let mut late = 0u64;
        let answer = |received: Received, late: &mut u64| {
            let [caller, seq, ..] = received.message.data;
            let token = received.reply.expect("calls carry tokens");
            if seq % 7 == 0 {
                drop(token);
            } else if token
                .reply(Message::with_data(1, [caller, seq, 0, 0, 0, 0]))
                .is_err()
            {
                *late += 1;
            }
        };
        loop {
            // Hold every fourth request back while more requests are queued: its caller may
            // time out (and move on to its next call) meanwhile. Answer all held ones before
            // waiting, so that blocked callers always get their replies.
            let next = match rx.try_recv() {
                Ok(Some(received)) => received,
                Ok(None) => {
                    for held in delayed.drain(..) {
                        answer(held, &mut late);
                    }
                    match block_on(rx.recv()) {
                        Ok(received) => received,
                        Err(_) => break,
                    }
                }
                Err(_) => break,
            };
            if next.message.data[1] % 4 == 1 {
                delayed.push(next);
            } else {
                answer(next, &mut late);
            }
        }
        for held in delayed.drain(..) {
            answer(held, &mut late);
        }
        (late, rx.stats())
    });
    let mut timed_out = 0;
    for caller in callers {
        timed_out += join_within(caller, LIMIT).0;
    }
    let (late, stats) = join_within(server, LIMIT);
    assert_eq!(stats.late_replies, late);
    assert!(late <= timed_out, "only cancelled calls get late replies");
}

/// 4 senders alternate one-way messages with direct calls while the receiver takes the
/// messages: whichever path each takes, every sender's sequence numbers are seen rising
/// (a direct call never overtakes its sender's queued messages), and every message and
/// call is seen exactly once.
#[test]
fn direct_calls_keep_each_sender_s_order() {
    use std::sync::Mutex as StdMutex;
    const SENDERS: u64 = 4;
    const PER_SENDER: u64 = 20_000;
    let last: Arc<StdMutex<Vec<Option<u64>>>> =
        Arc::new(StdMutex::new(vec![None; SENDERS as usize]));
    let seen = |last: &StdMutex<Vec<Option<u64>>>, m: &Message| {
        let (sender, seq) = (m.data[0] as usize, m.data[1]);
        let mut last = last.lock().unwrap();
        assert!(
            last[sender].is_none_or(|l| seq > l),
            "sender {sender}: {seq} after {:?}",
            last[sender]
        );
        last[sender] = Some(seq);
    };
    let (tx, mut rx) = channel(
        ServiceId(1),
        EndpointConfig {
            capacity: 256,
            ring_capacity: 32,
            max_rings: 4,
            ..EndpointConfig::default()
        },
    );
    let by_handler = last.clone();
    rx.serve_directly(alloc::boxed::Box::new(move |_, m, reply| {
        seen(&by_handler, m);
        *reply = *m;
        true
    }))
    .unwrap();
    let producers: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let mut tx = tx.clone();
            thread::spawn(move || {
                let mut direct = 0u64;
                for seq in 0..PER_SENDER {
                    let message = Message::with_data(0, [sender, seq, 0, 0, 0, 0]);
                    if seq % 2 == 1
                        && tx.try_direct(&Header::default(), &message, &mut Message::default())
                    {
                        direct += 1;
                        continue;
                    }
                    while let Err(error) = tx.try_send(Header::default(), message) {
                        assert_eq!(error, IpcError::Full);
                        thread::yield_now();
                    }
                }
                direct
            })
        })
        .collect();
    drop(tx);
    let consumer = thread::spawn(move || {
        let mut received = 0u64;
        while let Ok(envelope) = block_on(rx.recv()) {
            seen(&last, &envelope.message);
            received += 1;
        }
        received
    });
    let direct: u64 = producers.into_iter().map(|p| join_within(p, LIMIT)).sum();
    let received = join_within(consumer, LIMIT);
    assert_eq!(received + direct, SENDERS * PER_SENDER);
}

/// Senders (four with rings, two on the fallback) keep sending while the receiver takes a
/// few thousand messages and dies: no message the receiver took was refused (`PeerDied`),
/// each sender's accepted messages that were taken are a prefix of what it sent, and once
/// the receiver is gone every sender ends with `PeerDied`.
#[test]
fn a_dying_receiver_never_takes_a_refused_message() {
    const SENDERS: u64 = 6;
    const TAKEN: usize = 5_000;
    let (tx, mut rx) = channel(
        ServiceId(4),
        EndpointConfig {
            capacity: 8,
            ring_capacity: 8,
            max_rings: 4,
            ..EndpointConfig::default()
        },
    );
    let producers: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let mut tx = tx.clone();
            thread::spawn(move || {
                // The first refused sequence number: everything before it was accepted.
                let mut seq = 0u64;
                loop {
                    let message = Message::with_data(0, [sender, seq, 0, 0, 0, 0]);
                    match tx.try_send(Header::default(), message) {
                        Ok(()) => seq += 1,
                        Err(IpcError::Full) => thread::yield_now(),
                        Err(error) => {
                            assert_eq!(error, IpcError::PeerDied);
                            return seq;
                        }
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let consumer = thread::spawn(move || {
        let mut taken = vec![Vec::new(); SENDERS as usize];
        let mut count = 0;
        while count < TAKEN {
            if let Some(received) = rx.try_recv().unwrap() {
                let [sender, seq, ..] = received.message.data;
                taken[sender as usize].push(seq);
                count += 1;
            } else {
                thread::yield_now();
            }
        }
        drop(rx);
        taken
    });
    let taken = join_within(consumer, LIMIT);
    for (sender, producer) in producers.into_iter().enumerate() {
        let refused_from = join_within(producer, LIMIT);
        let seqs = &taken[sender];
        assert!(
            seqs.iter().all(|&seq| seq < refused_from),
            "sender {sender}: took {:?} at or after the refused {refused_from}",
            seqs.iter().find(|&&seq| seq >= refused_from)
        );
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "sender {sender}: order"
        );
        assert!(
            seqs.iter().copied().eq(0..seqs.len() as u64),
            "sender {sender}: what was taken is not a prefix of what was sent"
        );
    }
}
