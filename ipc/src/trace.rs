//! A bounded log of the most recent message headers of one endpoint.
//!
//! Invariant: at most `depth` headers are kept; recording into a full log overwrites the
//! oldest. The receiver records one header per delivered message, and a caller one per
//! call its service answered directly, under the log's lock; when tracing is off there
//! is no log and recording costs one branch.

use alloc::vec::Vec;

use crate::message::Header;
use crate::sync::Mutex;

/// The newest `depth` headers, oldest overwritten first.
pub(crate) struct TraceLog {
    ring: Mutex<HeaderRing>,
}

struct HeaderRing {
    headers: Vec<Header>,
    depth: usize,
    /// Where the next header goes once `headers` is full.
    next: usize,
}

impl TraceLog {
    /// A log of `depth` headers (at least one).
    pub(crate) fn new(depth: usize) -> Self {
        let depth = depth.max(1);
        Self {
            ring: Mutex::new(HeaderRing {
                headers: Vec::with_capacity(depth),
                depth,
                next: 0,
            }),
        }
    }

    /// Appends `header`, overwriting the oldest when full.
    /// Takes the header by value: the caller's envelope never escapes to this (outlined)
    /// function, so the compiler can move it straight to its destination.
    #[inline(never)]
    pub(crate) fn record(&self, header: Header) {
        let mut ring = self.ring.lock();
        if ring.headers.len() < ring.depth {
            ring.headers.push(header);
        } else {
            let next = ring.next;
            ring.headers[next] = header;
            ring.next = (next + 1) % ring.depth;
        }
    }

    /// The newest `n` headers (fewer if fewer were recorded), oldest first.
    pub(crate) fn newest(&self, n: usize) -> Vec<Header> {
        let ring = self.ring.lock();
        let len = ring.headers.len();
        let n = n.min(len);
        // Once full, the oldest header sits at `next`; before that, at 0 (and `next` is 0).
        (len - n..len)
            .map(|age| ring.headers[(ring.next + age) % len])
            .collect()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::ids::MessageId;

    fn header(id: u64) -> Header {
        Header {
            id: MessageId(id),
            ..Header::default()
        }
    }

    fn ids(headers: &[Header]) -> Vec<u64> {
        headers.iter().map(|h| h.id.0).collect()
    }

    #[test]
    fn keeps_the_newest_and_overwrites_the_oldest() {
        let log = TraceLog::new(3);
        assert!(log.newest(5).is_empty());
        log.record(header(1));
        log.record(header(2));
        assert_eq!(ids(&log.newest(5)), [1, 2]);
        for id in 3..=7 {
            log.record(header(id));
        }
        assert_eq!(ids(&log.newest(5)), [5, 6, 7]);
        assert_eq!(ids(&log.newest(2)), [6, 7]);
        assert_eq!(ids(&log.newest(0)), Vec::<u64>::new());
    }

    #[test]
    fn zero_depth_keeps_one() {
        let log = TraceLog::new(0);
        log.record(header(1));
        log.record(header(2));
        assert_eq!(ids(&log.newest(9)), [2]);
    }
}
