//! Event bus behaviour: ordering, exact missed counts, many subscribers, unsubscribe on
//! drop, wake-ups of parked subscribers only, closing.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::task::{Context, Poll, Waker};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Wake;
use std::time::{Duration, Instant};

use super::*;
use crate::ids::MessageId;

const TICK: u64 = 1;
const KEY: u64 = 2;

fn header(n: u64) -> Header {
    Header {
        id: MessageId(n),
        ..Header::default()
    }
}

fn send(bus: &EventBus, event_type: u64, n: u64) -> usize {
    bus.broadcast(event_type, header(n), Message::new(n))
}

fn message(n: u64) -> Event {
    Event::Message {
        header: header(n),
        message: Message::new(n),
    }
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

fn poll(
    subscription: &mut Subscription,
    waker: &Arc<CountingWaker>,
) -> Poll<Result<Event, IpcError>> {
    let waker = Waker::from(waker.clone());
    subscription.poll_next(&mut Context::from_waker(&waker))
}

#[test]
fn events_arrive_in_broadcast_order() {
    let bus = EventBus::new();
    let mut subscription = bus.subscribe(TICK, 8).unwrap();
    for n in 1..=5 {
        assert_eq!(send(&bus, TICK, n), 1);
    }
    for n in 1..=5 {
        assert_eq!(subscription.try_next(), Ok(Some(message(n))));
    }
    assert_eq!(subscription.try_next(), Ok(None));
    assert_eq!(subscription.event_type(), TICK);
}

#[test]
fn slow_subscriber_learns_exactly_how_many_it_missed() {
    let bus = EventBus::new();
    let mut slow = bus.subscribe(TICK, 4).unwrap();
    for n in 1..=10 {
        send(&bus, TICK, n);
    }
    assert_eq!(slow.try_next(), Ok(Some(Event::Missed(6))));
    for n in 7..=10 {
        assert_eq!(slow.try_next(), Ok(Some(message(n))));
    }
    assert_eq!(slow.try_next(), Ok(None));
}

#[test]
fn a_slow_subscriber_does_not_hold_back_a_fast_one() {
    let bus = EventBus::new();
    let mut slow = bus.subscribe(TICK, 2).unwrap();
    let mut fast = bus.subscribe(TICK, 64).unwrap();
    for n in 1..=40 {
        send(&bus, TICK, n);
        assert_eq!(fast.try_next(), Ok(Some(message(n))));
    }
    assert_eq!(slow.try_next(), Ok(Some(Event::Missed(38))));
    assert_eq!(slow.try_next(), Ok(Some(message(39))));
}

#[test]
fn a_bigger_window_joining_keeps_the_events_others_still_need() {
    let bus = EventBus::new();
    let mut small = bus.subscribe(TICK, 4).unwrap();
    for n in 1..=3 {
        send(&bus, TICK, n);
    }
    let mut big = bus.subscribe(TICK, 100).unwrap();
    for n in 4..=6 {
        send(&bus, TICK, n);
    }
    assert_eq!(small.try_next(), Ok(Some(Event::Missed(2))));
    for n in 3..=6 {
        assert_eq!(small.try_next(), Ok(Some(message(n))));
    }
    for n in 4..=6 {
        assert_eq!(big.try_next(), Ok(Some(message(n))));
    }
}

#[test]
fn capacity_must_be_within_bounds() {
    let bus = EventBus::new();
    assert_eq!(
        bus.subscribe(TICK, 0).err(),
        Some(IpcError::InvalidArgument)
    );
    assert_eq!(
        bus.subscribe(TICK, MAX_SUBSCRIBER_CAPACITY + 1).err(),
        Some(IpcError::InvalidArgument)
    );
    assert!(bus.subscribe(TICK, MAX_SUBSCRIBER_CAPACITY).is_ok());
}

#[test]
fn event_types_are_separate() {
    let bus = EventBus::new();
    let mut ticks = bus.subscribe(TICK, 4).unwrap();
    let mut keys = bus.subscribe(KEY, 4).unwrap();
    send(&bus, KEY, 9);
    assert_eq!(ticks.try_next(), Ok(None));
    assert_eq!(keys.try_next(), Ok(Some(message(9))));
    assert_eq!(send(&bus, 77, 1), 0);
}

#[test]
fn a_thousand_subscribers_each_get_the_event() {
    let bus = EventBus::new();
    let mut subscriptions: Vec<Subscription> =
        (0..1000).map(|_| bus.subscribe(TICK, 1).unwrap()).collect();
    assert_eq!(send(&bus, TICK, 42), 1000);
    for subscription in &mut subscriptions {
        assert_eq!(subscription.try_next(), Ok(Some(message(42))));
    }
}

#[test]
fn dropping_a_subscription_unsubscribes() {
    let bus = EventBus::new();
    let first = bus.subscribe(TICK, 4).unwrap();
    let mut second = bus.subscribe(TICK, 4).unwrap();
    assert_eq!(send(&bus, TICK, 1), 2);
    drop(first);
    assert_eq!(send(&bus, TICK, 2), 1);
    assert_eq!(second.try_next(), Ok(Some(message(1))));
    drop(second);
    assert_eq!(send(&bus, TICK, 3), 0);
    assert!(bus.topics.by_event_type.lock().is_empty());
    // A new subscriber after the topic went away starts fresh.
    let mut third = bus.subscribe(TICK, 4).unwrap();
    assert_eq!(third.try_next(), Ok(None));
}

#[test]
fn only_parked_subscribers_are_woken_once_per_broadcast() {
    let bus = EventBus::new();
    let mut parked = bus.subscribe(TICK, 4).unwrap();
    let mut idle = bus.subscribe(TICK, 4).unwrap();
    let parked_waker = Arc::new(CountingWaker::default());
    assert_eq!(poll(&mut parked, &parked_waker), Poll::Pending);
    assert_eq!(poll(&mut parked, &parked_waker), Poll::Pending);
    send(&bus, TICK, 1);
    send(&bus, TICK, 2);
    assert_eq!(parked_waker.count(), 1);
    assert_eq!(
        poll(&mut parked, &parked_waker),
        Poll::Ready(Ok(message(1)))
    );
    assert_eq!(idle.try_next(), Ok(Some(message(1))));
}

#[test]
fn a_new_waker_replaces_the_old_one() {
    let bus = EventBus::new();
    let mut subscription = bus.subscribe(TICK, 4).unwrap();
    let (old, new) = (
        Arc::new(CountingWaker::default()),
        Arc::new(CountingWaker::default()),
    );
    assert_eq!(poll(&mut subscription, &old), Poll::Pending);
    assert_eq!(poll(&mut subscription, &new), Poll::Pending);
    send(&bus, TICK, 1);
    assert_eq!((old.count(), new.count()), (0, 1));
}

#[test]
fn a_dropped_parked_subscription_is_not_woken() {
    let bus = EventBus::new();
    let mut gone = bus.subscribe(TICK, 4).unwrap();
    let _stays = bus.subscribe(TICK, 4).unwrap();
    let waker = Arc::new(CountingWaker::default());
    assert_eq!(poll(&mut gone, &waker), Poll::Pending);
    drop(gone);
    assert_eq!(send(&bus, TICK, 1), 1);
    assert_eq!(waker.count(), 0);
    assert_eq!(Arc::strong_count(&waker), 1);
}

#[test]
fn dropping_the_bus_wakes_and_closes_after_draining() {
    let bus = EventBus::new();
    let mut subscription = bus.subscribe(TICK, 4).unwrap();
    let waker = Arc::new(CountingWaker::default());
    send(&bus, TICK, 1);
    assert_eq!(poll(&mut subscription, &waker), Poll::Ready(Ok(message(1))));
    assert_eq!(poll(&mut subscription, &waker), Poll::Pending);
    send(&bus, TICK, 2);
    drop(bus);
    assert_eq!(waker.count(), 1);
    assert_eq!(subscription.try_next(), Ok(Some(message(2))));
    assert_eq!(subscription.try_next(), Err(IpcError::Closed));
    assert_eq!(
        poll(&mut subscription, &waker),
        Poll::Ready(Err(IpcError::Closed))
    );
}

#[test]
fn a_waiting_subscriber_on_another_thread_wakes_up() {
    let bus = EventBus::new();
    let mut subscription = bus.subscribe(TICK, 4).unwrap();
    let receiver = std::thread::spawn(move || {
        let first = futures::executor::block_on(subscription.next());
        let second = futures::executor::block_on(subscription.next());
        (first, second)
    });
    send(&bus, TICK, 1);
    send(&bus, TICK, 2);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !receiver.is_finished() {
        assert!(Instant::now() < deadline, "subscriber was never woken");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(receiver.join().unwrap(), (Ok(message(1)), Ok(message(2))));
}

#[test]
fn a_subscription_is_a_stream_that_ends_with_the_bus() {
    use futures::StreamExt;
    let bus = EventBus::new();
    let subscription = bus.subscribe(7, 4).unwrap();
    for i in 0..3 {
        bus.broadcast(7, Header::default(), Message::new(i));
    }
    drop(bus);
    let tags: Vec<u64> = futures::executor::block_on(subscription.collect::<Vec<Event>>())
        .into_iter()
        .map(|event| match event {
            Event::Message { message, .. } => message.tag,
            Event::Missed(n) => 1000 + n,
        })
        .collect();
    assert_eq!(tags, [0, 1, 2]);
}
