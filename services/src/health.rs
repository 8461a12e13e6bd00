//! A service's health from its heartbeats and the kernel's signals.
//!
//! A service reports a heartbeat at least every `interval_us`; the kernel adds what it
//! sees itself: how full the service's queue is, and how long messages waited in it.
//! One missed heartbeat, a queue three quarters full, or a median wait of
//! [`SLOW_WAIT_US`] or more is `Degraded`; three missed heartbeats are `Unhealthy`.

/// How healthy a service looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Heartbeats on time, queue not filling up.
    Healthy,
    /// A heartbeat is late or the queue fills up.
    Degraded,
    /// Heartbeats stopped.
    Unhealthy,
}

/// Missed heartbeat intervals after which a service is unhealthy.
pub const MISSED_FOR_UNHEALTHY: u64 = 3;

/// A median wait in the queue (send to receive) this long or longer is `Degraded`.
pub const SLOW_WAIT_US: u64 = 10_000;

/// What the kernel observed of one service.
#[derive(Clone, Copy, Debug)]
pub struct Signals {
    /// Now, microseconds.
    pub now_us: u64,
    /// Its last heartbeat (or its start), microseconds.
    pub last_heartbeat_us: u64,
    /// The heartbeat interval it promised, microseconds (0: it sends none, only the
    /// queue counts).
    pub interval_us: u64,
    /// Messages waiting in its queue.
    pub queued: usize,
    /// Its queue's capacity.
    pub capacity: usize,
    /// The median time the messages it took since the last look had waited in its
    /// queue, microseconds (0 when it took none).
    pub median_wait_us: u64,
}

/// The bucket holding the median of a log2 histogram (`counts[b]` = samples in bucket
/// `b`); `None` when it is empty.
pub fn median_bucket(counts: &[u64]) -> Option<usize> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    let mut seen = 0;
    counts.iter().position(|&c| {
        seen += c;
        seen * 2 >= total
    })
}

/// The health `signals` show.
pub fn assess(signals: &Signals) -> Health {
    let silent = signals.now_us.saturating_sub(signals.last_heartbeat_us);
    if let Some(missed) = silent.checked_div(signals.interval_us) {
        if missed >= MISSED_FOR_UNHEALTHY {
            return Health::Unhealthy;
        }
        if missed >= 1 {
            return Health::Degraded;
        }
    }
    if signals.median_wait_us >= SLOW_WAIT_US {
        return Health::Degraded;
    }
    if signals.capacity > 0
        && signals.queued.saturating_mul(4) >= signals.capacity.saturating_mul(3)
    {
        return Health::Degraded;
    }
    Health::Healthy
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals(silent_us: u64, queued: usize) -> Signals {
        Signals {
            now_us: 1_000_000 + silent_us,
            last_heartbeat_us: 1_000_000,
            interval_us: 100,
            queued,
            capacity: 64,
            median_wait_us: 0,
        }
    }

    #[test]
    fn heartbeats_and_queue_depth_decide() {
        assert_eq!(assess(&signals(50, 0)), Health::Healthy);
        assert_eq!(assess(&signals(150, 0)), Health::Degraded);
        assert_eq!(assess(&signals(300, 0)), Health::Unhealthy);
        assert_eq!(assess(&signals(0, 47)), Health::Healthy);
        assert_eq!(assess(&signals(0, 48)), Health::Degraded);
        let quiet = Signals {
            interval_us: 0,
            ..signals(u64::MAX / 2, 0)
        };
        assert_eq!(assess(&quiet), Health::Healthy);
        let slow = Signals {
            median_wait_us: SLOW_WAIT_US,
            ..signals(0, 0)
        };
        assert_eq!(assess(&slow), Health::Degraded);
    }

    #[test]
    fn the_median_bucket_splits_the_samples() {
        assert_eq!(median_bucket(&[0, 0, 0]), None);
        assert_eq!(median_bucket(&[0, 5, 0, 1]), Some(1));
        assert_eq!(median_bucket(&[1, 1, 1, 1]), Some(1));
        assert_eq!(median_bucket(&[0, 1, 0, 9]), Some(3));
    }
}
