//! The state every half of one endpoint shares, and the protocols on it.
//!
//! Two atomic words carry everything the fast path needs:
//!
//! `occupancy` = messages queued (low bits) | `WAITERS` | `RECEIVER_GONE`.
//! - A sender reserves before it enqueues (compare-exchange: fails with `Full` at capacity,
//!   `PeerDied` once `RECEIVER_GONE`); the receiver releases when it delivers. So the count
//!   covers rings, fallback and the receiver's lanes, and never exceeds the capacity.
//!   `try_send`'s fast path reserves with one `fetch_add` instead and gives a refused
//!   reservation back at once (`reserve_one_optimistic`): the word may then exceed the
//!   capacity by the refused reservations in flight, never by a queued message.
//! - `WAITERS` is set exactly while `space_waiters` is non-empty (both changed under its
//!   lock). A waiting sender sets it, then retries its reservation; the receiver's release
//!   is a read-modify-write of the same word, so either the retry sees the freed space or
//!   the release sees `WAITERS` and wakes every waiter (outside the lock).
//!
//! `signals` = lane bits (bit `i`: lane `i` may have messages) | `PARKED` | `NEW_RINGS` |
//! `FALLBACK` | `HOOK` | `RETIRED`.
//! - `RETIRED`: a sender with a ring left (set after its producer published its last items
//!   and marked itself gone). The receiver's direct path then does a full refill, which
//!   clears the flag before it scans the rings and retires every finished one; so when the
//!   direct path finds every ring empty and no flag set, a refill would find nothing.
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
//! Receiver death: `RECEIVER_GONE` is set, then `fence(SeqCst)`, then everything queued is
//! dropped (each dropped reply token ends its call with `PeerDied`). Senders check the flag
//! when reserving, under the fallback / new-ring locks, and (calls) after publishing.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::Received;
use super::caller::Caller;
use super::config::EndpointConfig;
use super::lanes::{ALL_LANES, Lanes, lane_bit, lanes_at_or_above};
use crate::Priority;
use crate::error::IpcError;
use crate::ids::ServiceId;
use crate::message::{Header, Message};
use crate::spsc::Consumer;
use crate::stats::{EndpointStats, StatsCounters};
use crate::sync::{AtomicU32, AtomicUsize, AtomicWaker, Mutex, Ordering, fence};
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
/// [`Shared::try_direct`]): it writes the answer into its third argument (the caller's
/// reply, in place) and returns `true`, or returns `false` to leave the call to the
/// queue (for instance while the service's state is busy; what it wrote then is
/// ignored).
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
}

impl Shared {
    pub(super) fn new(id: ServiceId, config: EndpointConfig) -> Self {
        Self {
            id,
            config,
            occupancy: AtomicUsize::new(0),
            signals: AtomicU32::new(0),
            senders: AtomicUsize::new(1),
            rings_live: AtomicUsize::new(0),
            new_rings: Mutex::new(Vec::new()),
            fallback: Mutex::new(Lanes::new()),
            space_waiters: Mutex::new(Vec::new()),
            priority_hook: spin::Once::new(),
            direct_handler: spin::Once::new(),
            receiver_waker: AtomicWaker::new(),
            stats: StatsCounters::new(),
            trace: config.trace.then(|| TraceLog::new(config.trace_depth)),
            instrumented: config.clock.is_some() || config.trace,
        }
    }

    pub(super) fn stats(&self) -> EndpointStats {
        let queued = self.occupancy.load(Ordering::Relaxed) & COUNT;
        self.stats.snapshot(queued as u64)
    }

    // ---- capacity (occupancy) ----

    /// Reserves room for one message (exactly: a refused reservation changes nothing).
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

    /// Reserves room for one message with one read-modify-write (`try_send`'s fast path):
    /// counts first, then looks. A refused reservation is given back at once with
    /// [`Shared::release`], which wakes the senders waiting for room: its brief excess
    /// may have refused one of them (a waiter retries after setting `WAITERS`, so either
    /// its retry comes after the give-back, or the give-back sees `WAITERS`). So the count
    /// of queued messages never exceeds the capacity, and a send is refused only while
    /// the endpoint is full or another refused send's excess is being given back. Not for
    /// a sender that waits for room itself: the give-back would wake it, and it would spin.
    #[inline]
    pub(super) fn reserve_one_optimistic(&self) -> Result<(), IpcError> {
        let previous = self.occupancy.fetch_add(1, Ordering::AcqRel);
        // Without flags, one compare; `WAITERS` or `RECEIVER_GONE` set make the word huge.
        if previous < self.config.capacity {
            return Ok(());
        }
        self.reserved_with_flags(previous)
    }

    /// [`Shared::reserve_one_optimistic`] when the word it read was at or above the
    /// capacity: the room is ours if only `WAITERS` made it so, else it is given back.
    #[cold]
    #[inline(never)]
    fn reserved_with_flags(&self, previous: usize) -> Result<(), IpcError> {
        if previous & !WAITERS < self.config.capacity {
            return Ok(());
        }
        self.release(1);
        Err(refusal(previous))
    }

    /// Reserves room for between 1 and `wanted` messages (as many as there is room for).
    #[inline]
    pub(super) fn reserve_up_to(&self, wanted: usize) -> Result<usize, IpcError> {
        let mut current = self.occupancy.load(Ordering::Acquire);
        loop {
            if current & RECEIVER_GONE != 0 {
                return Err(IpcError::PeerDied);
            }
            let room = self.config.capacity.saturating_sub(current & COUNT);
            let granted = room.min(wanted);
            if granted == 0 {
                return Err(IpcError::Full);
            }
            match self.occupancy.compare_exchange_weak(
                current,
                current + granted,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(granted),
                Err(actual) => current = actual,
            }
        }
    }

    /// Gives back room for `n` messages (delivered, or reserved and not enqueued) and wakes
    /// the senders waiting for it.
    #[inline]
    pub(super) fn release(&self, n: usize) {
        if self.occupancy.fetch_sub(n, Ordering::AcqRel) & WAITERS != 0 {
            self.wake_space_waiters();
        }
    }

    pub(super) fn receiver_gone(&self) -> bool {
        self.occupancy.load(Ordering::Acquire) & RECEIVER_GONE != 0
    }

    /// Registers `caller` (whose waker is already registered) to be woken when room is
    /// freed or the receiver dies. The caller must retry its reservation afterwards.
    pub(super) fn wait_for_space(&self, caller: &Arc<Caller>) {
        if caller.waiting_for_space.swap(true, Ordering::AcqRel) {
            return; // still listed: the wake that takes the list wakes the new waker too
        }
        let mut waiters = self.space_waiters.lock();
        waiters.push(caller.clone());
        self.occupancy.fetch_or(WAITERS, Ordering::AcqRel);
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

    /// A sender dropped its ring's producer (which published everything first): tells the
    /// receiver's direct path to do a full refill, which retires the finished ring.
    pub(super) fn ring_sender_gone(&self) {
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

    /// Hands a new ring's consumer half to the receiver; `PeerDied` if it is gone.
    pub(super) fn register_ring(&self, consumer: Consumer<Received>) -> Result<(), IpcError> {
        let mut new_rings = self.new_rings.lock();
        if self.receiver_gone() {
            return Err(IpcError::PeerDied);
        }
        new_rings.push(consumer);
        self.signals.fetch_or(NEW_RINGS, Ordering::AcqRel);
        Ok(())
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
    #[inline]
    pub(super) fn announce(&self, lanes: u32) {
        fence(Ordering::SeqCst);
        let signals = self.signals.load(Ordering::Relaxed);
        if signals & (lanes | PARKED) != lanes {
            self.announce_slow(signals, lanes);
        }
    }

    #[cold]
    fn announce_slow(&self, mut signals: u32, lanes: u32) {
        if signals & lanes != lanes {
            signals = self.signals.fetch_or(lanes, Ordering::AcqRel);
            self.maybe_call_hook(signals, lanes);
        }
        if signals & PARKED != 0 {
            self.wake_receiver();
        }
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
            fallback.push(envelope);
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

    /// Answers a call at once through the direct handler, when there is one and the
    /// receiver waits with nothing accepted and unanswered: `occupancy` 0 (every message
    /// handed out, the receiver only hands one out to handle it before it asks again)
    /// and `PARKED` (it asked again and found nothing). So a caller never overtakes its
    /// own earlier messages: they are counted in `occupancy` until the receiver takes
    /// them, and `PARKED` is clear while it handles them. (Another sender's message
    /// may arrive meanwhile and be handled concurrently: the handler serialises itself,
    /// and messages of different senders were never ordered.) Writes the answer into
    /// `reply`; `false`: use the queue (`reply` may have been written).
    #[inline]
    pub(super) fn try_direct(
        &self,
        header: &Header,
        message: &Message,
        reply: &mut Message,
    ) -> bool {
        self.may_answer_directly() && self.answer_directly(header, message, reply)
    }

    /// [`Shared::try_direct`] for a caller that has just seen `may_answer_directly`
    /// (its own earlier messages, the ones a direct answer must not overtake, cannot
    /// have come back into the queue since).
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

    /// Whether a call now would be answered by the direct handler (it exists, and the
    /// receiver waits with nothing pending), unless the handler declines.
    pub(super) fn may_answer_directly(&self) -> bool {
        self.direct_handler.get().is_some() && self.receiver_waits_idle()
    }

    /// Whether the receiver waits with nothing accepted and unanswered (`occupancy` 0
    /// and `PARKED`): a call delivered to it outside the queue now overtakes nothing of
    /// its caller's (see [`Shared::try_direct`]).
    #[inline]
    pub(super) fn receiver_waits_idle(&self) -> bool {
        self.occupancy.load(Ordering::Acquire) & COUNT == 0
            && self.signals.load(Ordering::Acquire) & PARKED != 0
    }

    fn wake_receiver(&self) {
        if self.signals.fetch_and(!PARKED, Ordering::AcqRel) & PARKED != 0 {
            self.receiver_waker.wake();
        }
    }

    // ---- receiver side ----

    /// The signal word (relaxed: the receiver acts on it as a hint, see `take_direct`).
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

    /// Receiver, after draining: sets the bits of its non-empty lanes.
    #[inline]
    pub(super) fn end_refill(&self, nonempty_lanes: u32) {
        if self.signals.load(Ordering::Relaxed) & nonempty_lanes != nonempty_lanes {
            self.signals.fetch_or(nonempty_lanes, Ordering::AcqRel);
        }
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

    /// Receiver, when dropped: from now on every reservation fails with `PeerDied`.
    pub(super) fn close_receiver(&self) {
        self.occupancy.fetch_or(RECEIVER_GONE, Ordering::AcqRel);
        fence(Ordering::SeqCst);
    }

    /// Receiver, when dropped: wakes every sender waiting for room (they see `PeerDied`).
    pub(super) fn wake_all_waiters(&self) {
        self.wake_space_waiters();
    }
}
