//! A bounded log of the most recent message headers of one endpoint.
//!
//! Invariant: at most `depth` headers are kept; recording into a full log overwrites the
//! oldest. The receiver records one header per delivered message, and a caller one per
//! call its service answered directly, under the log's lock; when tracing is off there
//! is no log and recording costs one branch.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::message::Header;
use crate::sync::Mutex;

/// The newest `depth` headers, oldest overwritten first.
pub(crate) struct TraceLog {
    ring: Mutex<HeaderRing>,
}

/// A ring allocated whole at creation, so recording is a store and an index step (no
/// growth branch, no division).
struct HeaderRing {
    headers: Box<[Header]>,
    /// Where the next header goes.
    next: usize,
    /// Every slot holds a recorded header (the oldest sits at `next`).
    full: bool,
}

impl TraceLog {
    /// A log of `depth` headers (at least one).
    pub(crate) fn new(depth: usize) -> Self {
        Self {
            ring: Mutex::new(HeaderRing {
                headers: alloc::vec![Header::default(); depth.max(1)].into_boxed_slice(),
                next: 0,
                full: false,
            }),
        }
    }

    /// Appends `header`, overwriting the oldest when full.
    /// Takes the header by value: the caller's envelope never escapes to this function,
    /// so the compiler can move it straight to its destination (inlined into every
    /// caller, so it is stored from registers rather than staged on the stack).
    #[inline(always)]
    pub(crate) fn record(&self, header: Header) {
        let mut ring = self.ring.lock();
        let next = ring.next;
        if let Some(slot) = ring.headers.get_mut(next) {
            *slot = header;
        }
        if next + 1 >= ring.headers.len() {
            ring.next = 0;
            ring.full = true;
        } else {
            ring.next = next + 1;
        }
    }

    /// The newest `n` headers (fewer if fewer were recorded), oldest first.
    pub(crate) fn newest(&self, n: usize) -> Vec<Header> {
        let ring = self.ring.lock();
        let capacity = ring.headers.len();
        let (len, oldest) = match ring.full {
            true => (capacity, ring.next),
            false => (ring.next, 0),
        };
        let n = n.min(len);
        (len - n..len)
            .map(|age| ring.headers[(oldest + age) % capacity])
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
