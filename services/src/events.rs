//! Lifecycle events and the bounded log the supervisor keeps of them per service.

use alloc::collections::VecDeque;
use alloc::string::String;

/// What happened to a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// It became known to the supervisor.
    Registered,
    /// It serves and its health checks pass.
    Healthy,
    /// It serves, but late heartbeats or a filling queue say it struggles.
    Degraded,
    /// It stopped answering its health checks.
    Unhealthy,
    /// It ended and will be started again.
    Restarting,
    /// It was started again.
    Restarted,
    /// It restarted too often (or could not be started) and is left down.
    RestartFailed,
    /// It was removed (stopped for good).
    Unregistered,
    /// It is stopping: it takes no new work and finishes what it has.
    Draining,
}

impl EventKind {
    /// The event's name as the shell shows it.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Registered => "Registered",
            EventKind::Healthy => "Healthy",
            EventKind::Degraded => "Degraded",
            EventKind::Unhealthy => "Unhealthy",
            EventKind::Restarting => "Restarting",
            EventKind::Restarted => "Restarted",
            EventKind::RestartFailed => "RestartFailed",
            EventKind::Unregistered => "Unregistered",
            EventKind::Draining => "Draining",
        }
    }
}

/// One event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// When, in microseconds since boot.
    pub at_us: u64,
    /// What.
    pub kind: EventKind,
    /// Why, or anything else worth knowing ("exited with code 3", "core 2").
    pub detail: String,
}

/// The last events of one service, oldest first.
#[derive(Clone, Debug)]
pub struct EventLog {
    events: VecDeque<Event>,
    capacity: usize,
    /// Events pushed out to make room.
    dropped: u64,
}

impl EventLog {
    /// An empty log that keeps the last `capacity` events (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            events: VecDeque::new(),
            capacity: capacity.max(1),
            dropped: 0,
        }
    }

    /// Records an event, dropping the oldest if the log is full.
    pub fn push(&mut self, at_us: u64, kind: EventKind, detail: String) {
        if self.events.len() == self.capacity {
            self.events.pop_front();
            self.dropped += 1;
        }
        self.events.push_back(Event {
            at_us,
            kind,
            detail,
        });
    }

    /// The last `n` events, oldest first.
    pub fn recent(&self, n: usize) -> impl Iterator<Item = &Event> {
        self.events.iter().skip(self.events.len().saturating_sub(n))
    }

    /// How many events were dropped to make room.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// How many events of `kind` the log holds.
    pub fn count(&self, kind: EventKind) -> usize {
        self.events.iter().filter(|e| e.kind == kind).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_last_events_in_order() {
        let mut log = EventLog::new(3);
        for (at, kind) in [
            (1, EventKind::Registered),
            (2, EventKind::Healthy),
            (3, EventKind::Restarting),
            (4, EventKind::Restarted),
        ] {
            log.push(at, kind, String::new());
        }
        let kinds: alloc::vec::Vec<_> = log.recent(10).map(|e| (e.at_us, e.kind)).collect();
        assert_eq!(
            kinds,
            [
                (2, EventKind::Healthy),
                (3, EventKind::Restarting),
                (4, EventKind::Restarted)
            ]
        );
        assert_eq!(log.dropped(), 1);
        assert_eq!(
            log.recent(1).next().map(|e| e.kind),
            Some(EventKind::Restarted)
        );
        assert_eq!(log.count(EventKind::Restarting), 1);
    }

    #[test]
    fn names_are_the_issue_s() {
        assert_eq!(EventKind::RestartFailed.name(), "RestartFailed");
        assert_eq!(EventKind::Draining.name(), "Draining");
    }
}
