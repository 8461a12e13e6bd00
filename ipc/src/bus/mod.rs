//! The event bus: one-to-many broadcast of (header, message) events by event type.
//!
//! Each event type has one shared ring (see `topic.rs`) and every subscriber keeps its own
//! cursor into it, tokio-broadcast style: a broadcast writes one slot and wakes only the
//! subscribers that are parked, so its cost does not grow with idle subscribers.
//!
//! Invariants: nothing grows without bound (each subscriber sees at most its `capacity`
//! newest events; a subscriber that falls further behind reads [`Event::Missed`] with the
//! exact number it lost); a broadcast never blocks on, or fails because of, a slow
//! subscriber; no lock is held while a waker is woken or dropped. Lock order: the bus's
//! topic map, then a topic.

mod subscription;
mod topic;

#[cfg(all(test, not(loom)))]
mod tests;

pub use subscription::Subscription;

use alloc::collections::BTreeMap;
use alloc::sync::Arc;

use crate::error::IpcError;
use crate::message::{Header, Message};
use crate::sync::Mutex;
use topic::Topic;

/// The largest window a subscriber may ask for, in events.
pub const MAX_SUBSCRIBER_CAPACITY: usize = 4096;

/// What a subscriber receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A broadcast event.
    Message {
        /// Its header.
        header: Header,
        /// Its message.
        message: Message,
    },
    /// The subscriber fell behind and lost this many events (the oldest ones).
    Missed(u64),
}

/// The topics, shared with subscriptions so the last one can remove its topic.
struct Topics {
    by_event_type: Mutex<BTreeMap<u64, Arc<Topic>>>,
}

impl Topics {
    /// Removes `topic` from the map if it is still there and has no subscriber left.
    fn remove_if_unused(&self, event_type: u64, topic: &Arc<Topic>) {
        let removed = {
            let mut topics = self.by_event_type.lock();
            let unused = topics.get(&event_type).is_some_and(|current| {
                Arc::ptr_eq(current, topic) && current.state.lock().subscribers() == 0
            });
            if unused {
                topics.remove(&event_type)
            } else {
                None
            }
        };
        drop(removed);
    }
}

/// One-to-many broadcast by event type. Dropping the bus closes every subscription.
pub struct EventBus {
    topics: Arc<Topics>,
}

impl EventBus {
    /// A bus without subscribers.
    pub fn new() -> Self {
        Self {
            topics: Arc::new(Topics {
                by_event_type: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// Subscribes to `event_type` with a window of `capacity` events (see [`Event::Missed`]).
    /// `InvalidArgument` unless `1 <= capacity <= MAX_SUBSCRIBER_CAPACITY`.
    pub fn subscribe(&self, event_type: u64, capacity: usize) -> Result<Subscription, IpcError> {
        if !(1..=MAX_SUBSCRIBER_CAPACITY).contains(&capacity) {
            return Err(IpcError::InvalidArgument);
        }
        let mut topics = self.topics.by_event_type.lock();
        let topic = topics
            .entry(event_type)
            .or_insert_with(|| Arc::new(Topic::new()))
            .clone();
        let (slot, cursor) = topic.state.lock().join(capacity);
        drop(topics);
        Ok(Subscription::new(
            topic,
            Arc::downgrade(&self.topics),
            event_type,
            slot,
            capacity,
            cursor,
        ))
    }

    /// Sends an event to every current subscriber of `event_type`; returns how many it
    /// reached. Never blocks on a subscriber: one that is too slow loses its oldest events.
    pub fn broadcast(&self, event_type: u64, header: Header, message: Message) -> usize {
        let Some(topic) = self.topics.by_event_type.lock().get(&event_type).cloned() else {
            return 0;
        };
        let (reached, waiters) = {
            let mut state = topic.state.lock();
            (state.push(header, message), state.take_waiters())
        };
        waiters.into_iter().for_each(|waker| waker.wake());
        reached
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for EventBus {
    fn drop(&mut self) {
        let topics = core::mem::take(&mut *self.topics.by_event_type.lock());
        for topic in topics.values() {
            let waiters = {
                let mut state = topic.state.lock();
                state.close();
                state.take_waiters()
            };
            waiters.into_iter().for_each(|waker| waker.wake());
        }
    }
}
