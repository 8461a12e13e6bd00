//! How an endpoint is sized and instrumented.

/// Largest `capacity` (and ring size) an endpoint accepts; bigger values are clamped.
pub const MAX_ENDPOINT_CAPACITY: usize = crate::spsc::MAX_CAPACITY;

/// Most senders of one endpoint with a ring of their own; bigger values are clamped.
pub const MAX_ENDPOINT_RINGS: usize = 1024;

/// Sizes and options of one endpoint, given to [`channel`](super::channel). Out-of-range
/// values are clamped, never rejected: `capacity` and `ring_capacity` to
/// `1..=MAX_ENDPOINT_CAPACITY` (the ring rounded up to a power of two), `max_rings` to at
/// most `MAX_ENDPOINT_RINGS`, `trace_depth` to at least one.
#[derive(Clone, Copy, Debug)]
pub struct EndpointConfig {
    /// Most messages queued at once on the shared fallback queue (those of the senders
    /// beyond `max_rings`), counting those the receiver has moved into its lanes and not
    /// handed out. A fallback send beyond it fails with `Full` (or waits).
    pub capacity: usize,
    /// Slots of each sender's SPSC ring (allocated on the sender's first send; rounded up
    /// to a power of two): that sender's bound, counting its messages the receiver has
    /// moved into its lanes and not handed out. A send beyond it fails with `Full` (or
    /// waits). Everything queued is at most `max_rings * ring_capacity + capacity`.
    pub ring_capacity: usize,
    /// Senders that get their own ring; later ones share the locked fallback queue.
    pub max_rings: usize,
    /// Whether to keep a log of the newest delivered headers ([`Receiver::trace`]).
    ///
    /// [`Receiver::trace`]: super::Receiver::trace
    pub trace: bool,
    /// Headers kept by the trace log.
    pub trace_depth: usize,
    /// The clock that stamped `Header::timestamp`; when given, the receiver records each
    /// message's latency in the stats histogram.
    pub clock: Option<fn() -> u64>,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        Self {
            capacity: 256,
            ring_capacity: 64,
            max_rings: 64,
            trace: false,
            trace_depth: 64,
            clock: None,
        }
    }
}

impl EndpointConfig {
    /// Most messages queued at once on an endpoint of this configuration (clamped): every
    /// ring full and the fallback at capacity.
    pub fn queued_bound(self) -> usize {
        let config = self.clamped();
        let ring = config.ring_capacity.next_power_of_two();
        config
            .max_rings
            .saturating_mul(ring)
            .saturating_add(config.capacity)
    }

    /// The same configuration with every field in range.
    pub(super) fn clamped(self) -> Self {
        Self {
            capacity: self.capacity.clamp(1, MAX_ENDPOINT_CAPACITY),
            ring_capacity: self.ring_capacity.clamp(1, MAX_ENDPOINT_CAPACITY),
            max_rings: self.max_rings.min(MAX_ENDPOINT_RINGS),
            trace_depth: self.trace_depth.max(1),
            ..self
        }
    }
}
