//! A subscriber's handle: its cursor into the topic ring and its window.
//!
//! Invariant: `cursor <= tail`, and after a read `tail - cursor <= capacity` (a subscriber
//! that lagged further is told how many it missed and jumps to its window's start).

use alloc::sync::{Arc, Weak};
use core::future::poll_fn;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_util::Stream;

use super::topic::Topic;
use super::{Event, Topics};
use crate::error::IpcError;

/// A subscription to one event type. Dropping it unsubscribes.
pub struct Subscription {
    topic: Arc<Topic>,
    topics: Weak<Topics>,
    event_type: u64,
    slot: u32,
    capacity: u64,
    cursor: u64,
}

impl Subscription {
    pub(super) fn new(
        topic: Arc<Topic>,
        topics: Weak<Topics>,
        event_type: u64,
        slot: u32,
        capacity: usize,
        cursor: u64,
    ) -> Self {
        Self {
            topic,
            topics,
            event_type,
            slot,
            capacity: capacity as u64,
            cursor,
        }
    }

    /// The event type subscribed to.
    pub fn event_type(&self) -> u64 {
        self.event_type
    }

    /// The next event, waiting for one if needed. `Closed` once the bus is gone and every
    /// event broadcast before that was read.
    pub async fn next(&mut self) -> Result<Event, IpcError> {
        poll_fn(|cx| self.poll_next(cx)).await
    }

    /// The next event if one is there: `Ok(None)` when up to date, `Closed` as for `next`.
    #[inline]
    pub fn try_next(&mut self) -> Result<Option<Event>, IpcError> {
        self.topic
            .state
            .lock()
            .next(&mut self.cursor, self.capacity)
    }

    /// Polls for the next event; when there is none, parks `cx`'s waker until the next
    /// broadcast (only parked subscribers are woken).
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Result<Event, IpcError>> {
        let replaced = {
            let mut state = self.topic.state.lock();
            match state.next(&mut self.cursor, self.capacity) {
                Ok(Some(event)) => return Poll::Ready(Ok(event)),
                Err(error) => return Poll::Ready(Err(error)),
                Ok(None) => state.park(self.slot, cx.waker()),
            }
        };
        drop(replaced);
        Poll::Pending
    }
}

/// A subscription is a stream of events (`Event::Missed` included) that ends when the bus
/// is gone and every event broadcast before that was read.
impl Stream for Subscription {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        match Subscription::poll_next(self.get_mut(), cx) {
            Poll::Ready(Ok(event)) => Poll::Ready(Some(event)),
            Poll::Ready(Err(_)) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let (remaining, waker) = self.topic.state.lock().leave(self.slot);
        drop(waker);
        if remaining == 0
            && let Some(topics) = self.topics.upgrade()
        {
            topics.remove_if_unused(self.event_type, &self.topic);
        }
    }
}
