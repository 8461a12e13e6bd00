//! Per-endpoint counters, read as a `Copy` snapshot.
//!
//! Invariant: a ring's messages are counted by the ring itself (its published indices,
//! read at snapshot time), not here. The counters here have a single writer at a time, and
//! are then bumped with a relaxed load and store (no locked instruction): the receiver's
//! (fallback messages handed out, latencies) and the fallback's sent count (written under
//! the fallback queue's lock); the counters of the rare paths (full, late reply, peer
//! died, direct calls), written by any sender, use `fetch_add`. All are relaxed: a
//! snapshot is a set of independent counts, not a consistent cut.

use crate::sync::{AtomicU64, Ordering};

/// Buckets of the latency histogram: bucket `i` counts latencies in `[2^(i-1), 2^i)` clock
/// ticks (bucket 0: zero ticks).
pub const LATENCY_BUCKETS: usize = 65;

/// A copy of an endpoint's counters at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndpointStats {
    /// Messages the endpoint accepted (received, still queued, or dropped with the
    /// receiver; a ring message published just as the receiver went, and refused with
    /// `PeerDied`, is counted too).
    pub sent: u64,
    /// Messages handed to the receiver (`fast_path + slow_path`).
    pub received: u64,
    /// Messages handed to the receiver that travelled through a per-sender SPSC ring.
    pub fast_path: u64,
    /// Messages handed to the receiver that travelled through the shared fallback queue.
    pub slow_path: u64,
    /// Sends that found the endpoint full (a `try_send` error, or a `send` that had to wait).
    pub full: u64,
    /// Replies that arrived after their call was cancelled (dropped), and were discarded.
    pub late_replies: u64,
    /// Operations that failed because the peer was gone (receiver dropped, reply token
    /// dropped without a reply).
    pub peer_died: u64,
    /// Calls answered at once by the service's direct handler, never queued.
    pub direct: u64,
    /// Log2 histogram of send-to-receive latency in clock ticks (see [`LATENCY_BUCKETS`]);
    /// empty unless the endpoint was configured with a clock.
    pub latency_log2: [u64; LATENCY_BUCKETS],
}

/// The live counters behind [`EndpointStats`].
pub(crate) struct StatsCounters {
    /// Fallback messages handed out. (A ring's messages handed out are its consumer's
    /// published read position: counted by the ring itself, nothing per delivery.)
    fallback_received: AtomicU64,
    /// Messages queued on the fallback (bumped under its lock).
    fallback_sent: AtomicU64,
    full: AtomicU64,
    late_replies: AtomicU64,
    peer_died: AtomicU64,
    direct: AtomicU64,
    latency_log2: [AtomicU64; LATENCY_BUCKETS],
}

/// Adds `n` to a counter that only one thread writes (plain load and store).
#[inline]
fn add_single_writer(counter: &AtomicU64, n: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(n),
        Ordering::Relaxed,
    );
}

/// Bucket of a latency of `ticks` (see [`LATENCY_BUCKETS`]).
pub(crate) const fn latency_bucket(ticks: u64) -> usize {
    (u64::BITS - ticks.leading_zeros()) as usize
}

impl StatsCounters {
    pub(crate) fn new() -> Self {
        Self {
            fallback_received: AtomicU64::new(0),
            fallback_sent: AtomicU64::new(0),
            full: AtomicU64::new(0),
            late_replies: AtomicU64::new(0),
            peer_died: AtomicU64::new(0),
            direct: AtomicU64::new(0),
            latency_log2: core::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Fallback senders, under the fallback queue's lock: one message queued.
    pub(crate) fn record_fallback_sent(&self) {
        add_single_writer(&self.fallback_sent, 1);
    }

    /// Receiver only: `n` fallback messages handed out (their latencies, if any, are
    /// recorded apart).
    #[inline]
    pub(crate) fn record_fallback_received(&self, n: u64) {
        add_single_writer(&self.fallback_received, n);
    }

    /// Receiver only: a delivered message arrived `ticks` after it was stamped (counted
    /// as received apart).
    pub(crate) fn record_latency(&self, ticks: u64) {
        add_single_writer(&self.latency_log2[latency_bucket(ticks)], 1);
    }

    /// Any sender: a send found the endpoint full.
    pub(crate) fn record_full(&self) {
        self.full.fetch_add(1, Ordering::Relaxed);
    }

    /// Any replier: a reply came after its call was cancelled.
    pub(crate) fn record_late_reply(&self) {
        self.late_replies.fetch_add(1, Ordering::Relaxed);
    }

    /// Any sender: a call answered by the direct handler.
    pub(crate) fn record_direct(&self) {
        self.direct.fetch_add(1, Ordering::Relaxed);
    }

    /// Anyone: an operation failed because the peer was gone.
    pub(crate) fn record_peer_died(&self) {
        self.peer_died.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads every counter; `ring_sent` is the number of messages the senders' rings
    /// have carried (their published counts), `ring_received` the number of them handed
    /// out (the consumers' published read positions).
    pub(crate) fn snapshot(&self, ring_sent: u64, ring_received: u64) -> EndpointStats {
        let fallback_received = self.fallback_received.load(Ordering::Relaxed);
        EndpointStats {
            sent: ring_sent + self.fallback_sent.load(Ordering::Relaxed),
            received: ring_received + fallback_received,
            fast_path: ring_received,
            slow_path: fallback_received,
            full: self.full.load(Ordering::Relaxed),
            late_replies: self.late_replies.load(Ordering::Relaxed),
            peer_died: self.peer_died.load(Ordering::Relaxed),
            direct: self.direct.load(Ordering::Relaxed),
            latency_log2: core::array::from_fn(|i| self.latency_log2[i].load(Ordering::Relaxed)),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn latency_buckets_are_log2() {
        assert_eq!(latency_bucket(0), 0);
        assert_eq!(latency_bucket(1), 1);
        assert_eq!(latency_bucket(2), 2);
        assert_eq!(latency_bucket(3), 2);
        assert_eq!(latency_bucket(1024), 11);
        assert_eq!(latency_bucket(u64::MAX), LATENCY_BUCKETS - 1);
    }

    #[test]
    fn snapshot_reads_back_the_counts() {
        let counters = StatsCounters::new();
        counters.record_fallback_received(2);
        counters.record_latency(5);
        counters.record_full();
        counters.record_late_reply();
        counters.record_peer_died();
        counters.record_fallback_sent();
        let stats = counters.snapshot(5, 3);
        assert_eq!(stats.sent, 6);
        assert_eq!(
            (stats.fast_path, stats.slow_path, stats.received),
            (3, 2, 5)
        );
        assert_eq!((stats.full, stats.late_replies, stats.peer_died), (1, 1, 1));
        assert_eq!(stats.latency_log2[latency_bucket(5)], 1);
        assert_eq!(stats.latency_log2.iter().sum::<u64>(), 1);
    }
}
