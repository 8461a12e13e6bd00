//! The state every half of one endpoint shares, and the protocols on it.
//!
//! Bounds (what `capacity` and `ring_capacity` mean):
//! - a sender's own ring holds at most `ring_capacity` of its messages, counting those the
//!   receiver has moved into its private lanes and not yet handed out: the receiver frees
//!   (publishes) a ring's slot when it hands that slot's message out, straight from the
//!   ring or from its lanes (`Consumer::drain_held` / `release_held`). A full ring is that
//!   sender's backpressure (`try_send`: `Full`; `send().await` waits), and no ring
//!   message touches a shared counter;
//! - `occupancy` counts the fallback queue's messages, from the sender's reservation
//!   until the receiver hands them out (queue and lanes together): at most `capacity`.
//!
//! So everything queued is bounded by `max_rings * ring_capacity + capacity`, nothing is
//! dropped, and a sender's messages stay in one FIFO (its route never changes).
//!
//! `occupancy` = fallback messages (low bits) | `WAITERS` | `RECEIVER_GONE`.
//! - A fallback sender reserves before it enqueues (compare-exchange: fails with `Full` at
//!   capacity, `PeerDied` once `RECEIVER_GONE`); the receiver releases them in one step.
//! - `WAITERS` is set exactly while `space_waiters` may hold a fallback sender (changed
//!   under its lock). A waiting sender sets it, then retries its reservation; the
//!   receiver's release is a read-modify-write of the same word, so either the retry sees
//!   the freed space or the release sees `WAITERS` and wakes every waiter (outside the lock).
//!
//! `signals` = lane bits (bit `i`: lane `i` may have messages) | `PARKED` | `NEW_RINGS` |
//! `FALLBACK` | `HOOK` | `RETIRED` | `LANES` | `SPACE` | `GONE` | `INSTRUMENTED`.
//! - `RETIRED`: a ring may be finished: a sender with a ring left (set after its producer
//!   published its last items and marked itself gone), or the receiver handed out the
//!   last message it held in its lanes of such a ring. The receiver's direct path then
//!   does a full refill, which clears the flag before it scans the rings and retires every
//!   finished one (its sender gone, every message handed out: its slots count against the
//!   ring bound until then); so when the direct path finds every ring empty and no flag
//!   set, a refill would find nothing.
//! - `LANES`: the receiver's private lanes hold messages (set and cleared only by the
//!   receiver, with read-modify-writes). While it is set, the direct path stays off the
//!   rings, so a ring's newer message never overtakes its older ones waiting in the lanes.
//! - `SPACE`: a sender waits for room in its own ring. It lists itself in `space_waiters`,
//!   sets `SPACE` (read-modify-write), `fence(SeqCst)`, then looks at its ring again. The
//!   receiver, after freeing ring slots, wakes every waiter when it sees the bit: the
//!   direct path leaves the rings for it, a delivery from the lanes looks after freeing
//!   the last slot its ring held (one wake for all of them, not one per slot), and so do
//!   a refill and emptying the lanes. A look that missed the bit is
//!   always followed by another one: the receiver keeps receiving, or it parks, whose
//!   read-modify-write of `signals` either comes after the waiter's in the word's order
//!   (and is followed by a refill) or before it (and then the waiter's look at its ring
//!   sees the slots freed before the park).
//! - `GONE`: the receiver is gone (also `RECEIVER_GONE` in `occupancy`). It closes every
//!   ring first (`Consumer::close` records its read position), so a ring sender that sees
//!   `GONE` after publishing tells from that position whether its message was taken.
//! - `INSTRUMENTED` (constant): deliveries are timed or logged; the direct path then takes
//!   its instrumented variant.
//! - Lane bits: every message not yet moved into the receiver's lanes has its lane bit set,
//!   and so does every non-empty receiver lane. A bit may also be set with nothing behind
//!   it (sticky): the receiver's direct path (`receiver.rs`) delivers without clearing bits,
//!   so in a steady stream the sender finds its bit set and does no read-modify-write.
//!   Bits are cleared only (a) by a full refill, for the lanes it found empty: clear, then
//!   `fence(SeqCst)`, then read the rings; (b) when the receiver parks, all of them (it has
//!   just found every queue empty), in the read-modify-write that sets `PARKED`, followed by
//!   its fence and a full-refill re-check. A ring sender publishes, then `fence(SeqCst)`,
//!   then reads the bits; so either the receiver's read after its fence sees the message,
//!   or the sender sees its bit clear and sets it again. A sender whose bit was clear and no
//!   higher or equal lane was set calls the priority hook (outside any lock): with sticky
//!   bits that is the first message of a lane after the receiver parked or after
//!   `highest_waiting` (a full refill) found the lane empty.
//! - `PARKED`: the receiver registers its waker, sets `PARKED`, `fence(SeqCst)`, re-checks
//!   everything; a ring sender's fence-then-read above sees `PARKED` if the receiver could
//!   have missed its message, and wakes it. Fallback and new-ring flags are set with a
//!   read-modify-write of `signals`, which orders them against `PARKED` directly.
//!
//! Receiver death: under the new-ring lock it takes the rings registered last, closes every
//! ring, sets `GONE` and `RECEIVER_GONE`; then `fence(SeqCst)`, then everything queued is
//! dropped (each dropped reply token ends its call with `PeerDied`). Ring senders check
//! `GONE` after publishing (with the lane bits), fallback senders when reserving and under
//! the fallback lock, new rings under the new-ring lock, and calls after publishing.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::Received;
use super::caller::Caller;
use super::config::EndpointConfig;
use super::lanes::{ALL_LANES, FROM_FALLBACK, Lanes, lane_bit, lanes_above, lanes_at_or_above};
use crate::Priority;
use crate::error::IpcError;
use crate::ids::ServiceId;
use crate::message::{Header, Message};
use crate::spsc::{Consumer, Sealed, Watch};
use crate::stats::{EndpointStats, StatsCounters};
use crate::sync::{
    AtomicBool, AtomicU32, AtomicU64, AtomicUsize, AtomicWaker, Mutex, Ordering, fence,
};
use crate::trace::TraceLog;

/// The top bit: a release tests it as the sign of the word it read.
const WAITERS: usize = 1 << (usize::BITS - 1);
const RECEIVER_GONE: usize = 1 << (usize::BITS - 2);
const COUNT: usize = RECEIVER_GONE - 1;

pub(super) const PARKED: u32 = 1 << Priority::COUNT;
pub(super) const NEW_RINGS: u32 = PARKED << 1;
pub(super) const FALLBACK: u32 = PARKED << 2;
const HOOK: u32 = PARKED << 3;
/// A sender with a ring went away: the receiver's next full refill retires its ring.
pub(super) const RETIRED: u32 = PARKED << 4;
/// The receiver's private lanes hold messages.
pub(super) const LANES: u32 = PARKED << 5;
/// A sender waits for room in its own ring.
pub(super) const SPACE: u32 = PARKED << 6;
/// The receiver is gone.
pub(super) const GONE: u32 = PARKED << 7;
/// Deliveries are timed or logged (constant).
pub(super) const INSTRUMENTED: u32 = PARKED << 8;

/// What keeps the receiver off its fast paths (a run or a delivery straight out of a ring):
/// it must refill first, or deliver from its lanes.
pub(super) const OFF_RING: u32 = NEW_RINGS | FALLBACK | RETIRED | LANES | SPACE;

/// Per lane `l`: the signal bits that keep a ring's front message of lane `l` from being
/// delivered straight out of its slot (a higher lane may have messages, or [`OFF_RING`]),
/// plus `INSTRUMENTED`, which only picks the instrumented variant. One load and one test
/// on the receiver's direct path.
pub(super) const DIRECT_BLOCKERS: [u32; Priority::COUNT] = {
    let mut table = [0; Priority::COUNT];
    let mut lane = 0;
    while lane < Priority::COUNT {
        table[lane] = lanes_above(Priority::from_index(lane)) | OFF_RING | INSTRUMENTED;
        lane += 1;
    }
    table
};

/// Why a reservation was refused, from the occupancy word it saw.
fn refusal(occupancy: usize) -> IpcError {
    match occupancy & RECEIVER_GONE {
        0 => IpcError::Full,
        _ => IpcError::PeerDied,
    }
}

/// The priority-inheritance hook installed by `Receiver::on_priority`.
pub(super) type PriorityHook = Box<dyn Fn(Priority) + Send + Sync>;

/// A service's handler that answers a call on the caller's own stack (see
/// [`Sender::try_direct`](super::Sender::try_direct)): it writes the answer into its third
/// argument (the caller's reply, in place) and returns `true`, or returns `false` to leave
/// the call to the queue (for instance while the service's state is busy; what it wrote
/// then is ignored).
pub type DirectHandler = Box<dyn Fn(&Header, &Message, &mut Message) -> bool + Send + Sync>;

pub(super) struct Shared {
    pub(super) id: ServiceId,
    pub(super) config: EndpointConfig,
    occupancy: AtomicUsize,
    signals: AtomicU32,
    /// Live `Sender`s; the last one to go wakes the receiver (`Closed`).
    senders: AtomicUsize,
    /// Rings handed out and not yet retired by the receiver (at most `max_rings`).
    rings_live: AtomicUsize,
    new_rings: Mutex<Vec<Consumer<Received>>>,
    /// Every live ring's published count, for `stats` (no counter on the send path).
    ring_watches: Mutex<Vec<Watch<Received>>>,
    /// Messages published by rings that were retired (under `ring_watches`' lock).
    retired_sent: AtomicU64,
    /// What the retired rings carried to the receiver (their published read positions: a
    /// ring is retired only once every message is handed out), and once the receiver is
    /// gone, every ring's (its published read position when it closed: what it drops
    /// afterwards is not received).
    retired_received: AtomicU64,
    /// Set when the receiver closed: `retired_received` then counts every ring.
    received_final: AtomicBool,
    fallback: Mutex<Lanes>,
    space_waiters: Mutex<Vec<Arc<Caller>>>,
    priority_hook: spin::Once<PriorityHook>,
    direct_handler: spin::Once<DirectHandler>,
    receiver_waker: AtomicWaker,
    pub(super) stats: StatsCounters,
    pub(super) trace: Option<TraceLog>,
    /// Whether a delivery does more than count (`config.clock` or `trace` set): one
    /// test on the receiver's path instead of two.
    pub(super) instrumented: bool,
    /// The ring whose halves stand in for a ring where there is none: a sender's producer
    /// until it has a ring of its own, the receiver's first ring while it has none.
    pub(super) sealed: Sealed<Received>,
}

impl Shared {
    pub(super) fn new(id: ServiceId, config: EndpointConfig) -> Self {
        let instrumented = config.clock.is_some() || config.trace;
        Self {
            id,
            config,
            occupancy: AtomicUsize::new(0),
            signals: AtomicU32::new(if instrumented { INSTRUMENTED } else { 0 }),
            senders: AtomicUsize::new(1),
            rings_live: AtomicUsize::new(0),
            new_rings: Mutex::new(Vec::new()),
            ring_watches: Mutex::new(Vec::new()),
            retired_sent: AtomicU64::new(0),
            retired_received: AtomicU64::new(0),
            received_final: AtomicBool::new(false),
            fallback: Mutex::new(Lanes::new()),
            space_waiters: Mutex::new(Vec::new()),
            priority_hook: spin::Once::new(),
            direct_handler: spin::Once::new(),
            receiver_waker: AtomicWaker::new(),
            stats: StatsCounters::new(),
            trace: config.trace.then(|| TraceLog::new(config.trace_depth)),
            instrumented,
            sealed: Sealed::new(),
        }
    }

    /// The counters. `sent` is the rings' published counts plus the fallback's (a message
    /// refused after its publication, see `GONE`, is counted too); a ring's messages
    /// received are its consumer's published read position (nothing is counted per
    /// delivery).
    pub(super) fn stats(&self) -> EndpointStats {
        let (ring_sent, ring_received) = {
            let watches = self.ring_watches.lock();
            let live_received = match self.received_final.load(Ordering::Relaxed) {
                true => 0,
                false => watches.iter().map(|watch| watch.released() as u64).sum(),
            };
            (
                watches
                    .iter()
                    .map(|watch| watch.published() as u64)
                    .sum::<u64>()
                    + self.retired_sent.load(Ordering::Relaxed),
                live_received + self.retired_received.load(Ordering::Relaxed),
            )
        };
        self.stats.snapshot(ring_sent, ring_received)
    }

    // ---- capacity of the fallback queue (occupancy) ----

    /// Reserves room for one fallback message (exactly: a refused reservation changes
    /// nothing).
    #[inline]
    pub(super) fn reserve(&self) -> Result<(), IpcError> {
        let mut current = self.occupancy.load(Ordering::Acquire);
        loop {
            // One compare for both refusals: with `RECEIVER_GONE` set, the word without
            // `WAITERS` is above any capacity.
            if current & !WAITERS >= self.config.capacity {
                return Err(refusal(current));
            }
            match self.occupancy.compare_exchange_weak(
                current,
                current + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => current = actual,
            }
        }
    }

    /// Gives back room for `n` fallback messages and wakes the senders waiting for it.
    #[inline]
    pub(super) fn release(&self, n: usize) {
        if self.occupancy.fetch_sub(n, Ordering::AcqRel) & WAITERS != 0 {
            self.wake_space_waiters();
        }
    }

    pub(super) fn receiver_gone(&self) -> bool {
        self.occupancy.load(Ordering::Acquire) & RECEIVER_GONE != 0
    }

    /// Registers `caller` (whose waker is already registered) to be woken when fallback
    /// room is freed or the receiver dies. The caller must retry its reservation afterwards.
    pub(super) fn wait_for_space(&self, caller: &Arc<Caller>) {
        if caller.waiting_for_space.swap(true, Ordering::AcqRel) {
            return; // still listed: the wake that takes the list wakes the new waker too
        }
        let mut waiters = self.space_waiters.lock();
        waiters.push(caller.clone());
        self.occupancy.fetch_or(WAITERS, Ordering::AcqRel);
    }

    /// Registers `caller` (whose waker is already registered) to be woken when the
    /// receiver frees slots of its ring or dies (`SPACE`, module docs). The caller must
    /// look at its ring again afterwards.
    pub(super) fn wait_for_ring_space(&self, caller: &Arc<Caller>) {
        if !caller.waiting_for_space.swap(true, Ordering::AcqRel) {
            self.space_waiters.lock().push(caller.clone());
        }
        self.signals.fetch_or(SPACE, Ordering::AcqRel);
        fence(Ordering::SeqCst);
    }

    /// Receiver, with its lanes empty and every freed ring slot published: wakes the ring
    /// senders waiting for room, if `signals` (a recent read) says there are any.
    #[inline]
    pub(super) fn wake_ring_waiters(&self, signals: u32) {
        if signals & SPACE != 0 {
            self.wake_ring_waiters_slow();
        }
    }

    #[cold]
    fn wake_ring_waiters_slow(&self) {
        self.signals.fetch_and(!SPACE, Ordering::AcqRel);
        self.wake_space_waiters();
    }

    #[cold]
    fn wake_space_waiters(&self) {
        let waiters = {
            let mut list = self.space_waiters.lock();
            self.occupancy.fetch_and(!WAITERS, Ordering::AcqRel);
            core::mem::take(&mut *list)
        };
        for caller in waiters {
            // `AcqRel` pairs with the waiter's swap: a waker it registered before seeing
            // `true` is the one woken here.
            caller.waiting_for_space.swap(false, Ordering::AcqRel);
            caller.waker.wake();
        }
    }

    // ---- senders and rings ----

    pub(super) fn add_sender(&self) {
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn remove_sender(&self) {
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.receiver_waker.wake();
        }
    }

    pub(super) fn has_senders(&self) -> bool {
        self.senders.load(Ordering::Acquire) != 0
    }

    /// Claims one of the `max_rings` ring slots.
    pub(super) fn claim_ring(&self) -> bool {
        self.rings_live
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |live| {
                (live < self.config.max_rings).then_some(live + 1)
            })
            .is_ok()
    }

    /// A ring may be finished (a sender dropped its producer, which published everything
    /// first, or the receiver handed out the last message it held of such a ring): tells
    /// the receiver's direct path to do a full refill, which retires finished rings.
    pub(super) fn ring_may_be_finished(&self) {
        self.signals.fetch_or(RETIRED, Ordering::AcqRel);
    }

    /// Receiver, before looking for finished rings: forgets `RETIRED` (a sender that goes
    /// after this sets it again).
    pub(super) fn take_retired(&self) -> bool {
        self.signals.load(Ordering::Relaxed) & RETIRED != 0
            && self.signals.fetch_and(!RETIRED, Ordering::AcqRel) & RETIRED != 0
    }

    /// Frees a ring slot (a ring that will never be used again, or was never registered).
    pub(super) fn retire_ring(&self) {
        self.rings_live.fetch_sub(1, Ordering::AcqRel);
    }

    /// Receiver: `consumer`'s ring is finished; its published count moves to the total.
    pub(super) fn retire_ring_watch(&self, consumer: &Consumer<Received>) {
        self.forget_watch(|watch| watch.watches(consumer));
    }

    /// Stops watching the ring `is_it` picks, keeping what it carried.
    fn forget_watch(&self, is_it: impl Fn(&Watch<Received>) -> bool) {
        let mut watches = self.ring_watches.lock();
        if let Some(index) = watches.iter().position(is_it) {
            let watch = watches.swap_remove(index);
            self.retired_sent
                .fetch_add(watch.published() as u64, Ordering::Relaxed);
            self.retired_received
                .fetch_add(watch.released() as u64, Ordering::Relaxed);
        }
    }

    /// Hands a new ring's consumer half to the receiver; `PeerDied` if it is gone.
    pub(super) fn register_ring(
        &self,
        consumer: Consumer<Received>,
        watch: Watch<Received>,
    ) -> Result<(), IpcError> {
        // Listed first: the receiver may retire the ring as soon as it is registered.
        self.ring_watches.lock().push(watch);
        let registered = {
            let mut new_rings = self.new_rings.lock();
            if self.receiver_gone() {
                Err(consumer)
            } else {
                new_rings.push(consumer);
                self.signals.fetch_or(NEW_RINGS, Ordering::AcqRel);
                Ok(())
            }
        };
        registered.map_err(|consumer| {
            self.forget_watch(|watch| watch.watches(&consumer));
            IpcError::PeerDied
        })
    }

    /// Receiver: moves the rings registered since the last call into `rings`.
    pub(super) fn take_new_rings(&self, rings: &mut Vec<Consumer<Received>>) {
        let mut new_rings = self.new_rings.lock();
        self.signals.fetch_and(!NEW_RINGS, Ordering::AcqRel);
        rings.append(&mut new_rings);
    }

    // ---- publication and wakeups ----

    /// Ring sender, right after publishing messages of the lanes in `lanes` (a mask): wakes
    /// a parked receiver, keeps the lane bits set and calls the priority hook (module docs).
    /// `false`: the receiver is gone (`GONE`), and the messages may never be taken.
    #[inline]
    pub(super) fn announce(&self, lanes: u32) -> bool {
        fence(Ordering::SeqCst);
        // Every bit of `lanes` set, `PARKED` and `GONE` clear.
        if (self.signals.load(Ordering::Relaxed) ^ lanes) & (lanes | PARKED | GONE) != 0 {
            return self.announce_slow(lanes);
        }
        true
    }

    #[cold]
    #[inline(never)]
    fn announce_slow(&self, lanes: u32) -> bool {
        let mut signals = self.signals.load(Ordering::Relaxed);
        if signals & GONE != 0 {
            // Pairs with the receiver's read-modify-write that set it, after closing the
            // rings: the caller then reads where each ring was closed.
            return self.signals.load(Ordering::Acquire) & GONE == 0;
        }
        if signals & lanes != lanes {
            signals = self.signals.fetch_or(lanes, Ordering::AcqRel);
            self.maybe_call_hook(signals, lanes);
        }
        if signals & PARKED != 0 {
            self.wake_receiver();
        }
        true
    }

    /// Fallback sender: queues `envelope` (or gives it back when the receiver is gone, so
    /// that it is dropped outside the lock).
    // The refused envelope comes back by value: boxing it would allocate on the send path.
    #[allow(clippy::result_large_err)]
    pub(super) fn push_fallback(&self, envelope: Received) -> Result<(), Received> {
        let lane = envelope.header.priority;
        let signals = {
            let mut fallback = self.fallback.lock();
            if self.receiver_gone() {
                return Err(envelope);
            }
            fallback.push(envelope, FROM_FALLBACK);
            self.stats.record_fallback_sent();
            self.signals
                .fetch_or(FALLBACK | lane_bit(lane), Ordering::AcqRel)
        };
        if signals & lane_bit(lane) == 0 {
            self.maybe_call_hook(signals, lane_bit(lane));
        }
        if signals & PARKED != 0 {
            self.wake_receiver();
        }
        Ok(())
    }

    /// Receiver: moves the whole fallback queue into `lanes`; returns how many moved.
    pub(super) fn take_fallback(&self, lanes: &mut Lanes) -> usize {
        let mut fallback = self.fallback.lock();
        self.signals.fetch_and(!FALLBACK, Ordering::AcqRel);
        lanes.append(&mut fallback)
    }

    /// `previous` is the signal word before this sender set the bits of `lanes`: the hook
    /// runs when the highest of them is above every lane that was already waiting.
    fn maybe_call_hook(&self, previous: u32, lanes: u32) {
        let highest = Priority::from_index(lanes.trailing_zeros() as usize);
        if previous & HOOK != 0
            && previous & lanes_at_or_above(highest) == 0
            && let Some(hook) = self.priority_hook.get()
        {
            hook(highest);
        }
    }

    /// Installs the hook once (no lock or clone on the senders' path); `AlreadyExists`
    /// when one is installed.
    pub(super) fn set_priority_hook(&self, hook: PriorityHook) -> Result<(), IpcError> {
        let mut installed = false;
        self.priority_hook.call_once(|| {
            installed = true;
            hook
        });
        if !installed {
            return Err(IpcError::AlreadyExists);
        }
        self.signals.fetch_or(HOOK, Ordering::AcqRel);
        Ok(())
    }

    /// Installs the direct handler once; `AlreadyExists` when one is installed.
    pub(super) fn set_direct_handler(&self, handler: DirectHandler) -> Result<(), IpcError> {
        let mut installed = false;
        self.direct_handler.call_once(|| {
            installed = true;
            handler
        });
        if installed {
            Ok(())
        } else {
            Err(IpcError::AlreadyExists)
        }
    }

    /// Answers a call through the direct handler, when there is one (the caller has
    /// checked that the receiver waits idle for it: see [`Shared::receiver_waits_idle`]).
    /// Writes the answer into `reply`; `false`: use the queue (`reply` may have been
    /// written).
    #[inline]
    pub(super) fn answer_directly(
        &self,
        header: &Header,
        message: &Message,
        reply: &mut Message,
    ) -> bool {
        let Some(handler) = self.direct_handler.get() else {
            return false;
        };
        if !handler(header, message, reply) {
            return false;
        }
        self.count_direct(header);
        true
    }

    /// Counts (and logs) a call delivered outside the queue.
    #[inline]
    pub(super) fn count_direct(&self, header: &Header) {
        self.stats.record_direct();
        if let Some(log) = &self.trace {
            log.record(*header);
        }
    }

    /// Whether there is a direct handler.
    #[inline]
    pub(super) fn has_direct_handler(&self) -> bool {
        self.direct_handler.get().is_some()
    }

    /// Whether the receiver waits with nothing of the caller's accepted and unanswered,
    /// given that every message the caller sent has been handed out (`own_taken`, read
    /// before this: its ring's published head, or for a fallback sender `occupancy` 0):
    /// `PARKED`, which the receiver sets only when it asks again after handing a message
    /// out and finds nothing. A delivered call now overtakes nothing of the caller's. (The
    /// receiver clears `PARKED` before it hands out a message it found after parking, and
    /// publishes a ring's freed slots only as it hands their messages out, so a caller that
    /// read its ring's head first cannot see a `PARKED` older than that hand-out.)
    #[inline]
    pub(super) fn receiver_waits_idle(&self, own_taken: bool) -> bool {
        own_taken && self.signals.load(Ordering::Acquire) & PARKED != 0
    }

    /// Whether no fallback message is queued or in the receiver's lanes.
    #[inline]
    pub(super) fn fallback_empty(&self) -> bool {
        self.occupancy.load(Ordering::Acquire) & COUNT == 0
    }

    fn wake_receiver(&self) {
        if self.signals.fetch_and(!PARKED, Ordering::AcqRel) & PARKED != 0 {
            self.receiver_waker.wake();
        }
    }

    // ---- receiver side ----

    /// The signal word (relaxed: the receiver acts on it as a hint, see `ring_front`).
    #[inline]
    pub(super) fn signals(&self) -> u32 {
        self.signals.load(Ordering::Relaxed)
    }

    /// Receiver, before draining: clears the bits of its empty lanes (module docs) and
    /// returns the signal word to act on.
    #[inline]
    pub(super) fn begin_refill(&self, empty_lanes: u32) -> u32 {
        let signals = self.signals.load(Ordering::Relaxed);
        if signals & empty_lanes == 0 {
            return signals;
        }
        self.signals.fetch_and(!empty_lanes, Ordering::AcqRel);
        fence(Ordering::SeqCst);
        self.signals.load(Ordering::Acquire)
    }

    /// Receiver, after draining: sets the bits of its non-empty lanes, and `LANES` when
    /// there are any.
    #[inline]
    pub(super) fn end_refill(&self, nonempty_lanes: u32) {
        let wanted = match nonempty_lanes {
            0 => 0,
            lanes => lanes | LANES,
        };
        if self.signals.load(Ordering::Relaxed) & wanted != wanted {
            self.signals.fetch_or(wanted, Ordering::AcqRel);
        }
    }

    /// Receiver: its lanes are empty again: clears `LANES` and wakes the ring senders
    /// waiting for room (its read-modify-write sees any `SPACE` set before it).
    #[inline]
    pub(super) fn lanes_emptied(&self) {
        let signals = self.signals.fetch_and(!LANES, Ordering::AcqRel);
        self.wake_ring_waiters(signals);
    }

    /// Receiver, about to return `Pending`: registers `waker`; the caller must re-check
    /// every queue afterwards.
    pub(super) fn park_receiver(&self, waker: &core::task::Waker) {
        self.receiver_waker.register(waker);
        // The receiver found every queue empty: clear the (sticky) lane bits with the same
        // read-modify-write that sets `PARKED`, so the next message calls the hook again.
        let _ = self
            .signals
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |signals| {
                Some((signals & !ALL_LANES) | PARKED)
            });
        fence(Ordering::SeqCst);
    }

    /// Receiver: the re-check after parking found work.
    pub(super) fn unpark_receiver(&self) {
        self.signals.fetch_and(!PARKED, Ordering::Relaxed);
    }

    /// Receiver, when dropped: takes the rings registered last into `rings`, closes every
    /// ring (records where it stopped reading) and marks itself gone; from now on every
    /// send fails with `PeerDied`.
    pub(super) fn close_receiver(&self, rings: &mut Vec<Consumer<Received>>) {
        {
            let mut new_rings = self.new_rings.lock();
            rings.append(&mut new_rings);
            for ring in rings.iter_mut() {
                ring.close();
            }
            self.freeze_received();
            self.occupancy.fetch_or(RECEIVER_GONE, Ordering::AcqRel);
            self.signals.fetch_or(GONE, Ordering::AcqRel);
        }
        fence(Ordering::SeqCst);
    }

    /// Receiver, closing: what every ring has carried to it so far is final (what it
    /// drops from them afterwards is not received).
    fn freeze_received(&self) {
        let watches = self.ring_watches.lock();
        let received: usize = watches.iter().map(Watch::released).sum();
        self.retired_received
            .fetch_add(received as u64, Ordering::Relaxed);
        self.received_final.store(true, Ordering::Relaxed);
    }

    /// Receiver, when dropped: wakes every sender waiting for room (they see `PeerDied`).
    pub(super) fn wake_all_waiters(&self) {
        self.wake_space_waiters();
    }
}
