//! User services lent to their callers (seL4's fastpath, on the process-as-future design).
//!
//! A process pinned to a core that waits in a register receive (`ipc_reply_recv_regs`,
//! `ipc_recv` into registers) for one of its services lists its [`Lend`] in its core's
//! table: a handle on its lent frame (`arch::FrameLender`), the receive's capability and
//! a waker. A process on the same core whose `ipc_call_regs` reaches that service while
//! it waits idle (`Connection::try_hand_off`) finds it ([`find`]: the lend its calls
//! found last, else the table) and runs it in its own trap ([`Lend::serve`]): the request
//! goes into the service's message registers with a *direct token* in `rax`, the service
//! runs until its next trap, and when that is `ipc_reply_recv_regs` with that token and
//! the same capability its answer goes straight into the caller's registers. The service
//! stays parked (its task never noticed), the executor never ran, no queue was touched.
//!
//! A trap of any other kind while it runs — another system call, a fault, the slice's
//! end (an interrupt with time left only interrupts: the service goes on) — hands the
//! service back: the trap, the direct token and the reply token of the call (made by the
//! caller's connection, `Connection::defer`) go into the `Lend`, and the service's task
//! is woken to handle the trap as if its own turn had taken it. The call is then an
//! ordinary call that waits for its answer: the service answers the direct token with
//! `ipc_reply` or `ipc_reply_recv(_regs)`, its death ends the call with `PeerDied`, and
//! the caller's timeout applies.
//!
//! Direct tokens have [`RESERVED_BIT`] set (no reply-token number has it) and a serial
//! per call, so a token answers one call only; a process holds at most one handed-back
//! call, and lends itself only while it holds none.

use super::control::Control;
use crate::arch::x86_64::{self as arch, InterruptFrame, LoanHandle, MAX_CPUS, Nested, Trap};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::task::{Context, Poll};
use futures_util::task::AtomicWaker;
use ipc::{Connection, DeferredCall, Header, ReplyToken, ServiceId};
use mohhos_abi::syscall::IPC_REPLY_RECV_REGS;
use services::token_table::RESERVED_BIT;

/// Most processes on one core that lend themselves (a core runs few pinned service
/// processes; one that finds the table full receives through the queue as before).
const LENT_PER_CORE: usize = 8;

/// [`Lend::listed`] of a lend listed nowhere.
const UNLISTED: u64 = u64::MAX;

/// [`Lend::listed`] of a lend listed on `core` for `endpoint`.
fn listed_at(core: usize, endpoint: ServiceId) -> u64 {
    (core as u64) << 32 | u64::from(endpoint.0)
}

/// Calls run in their caller's trap, and those of them handed back (for `ipc stats`).
static HANDED_OFF: AtomicU64 = AtomicU64::new(0);
static HANDED_BACK: AtomicU64 = AtomicU64::new(0);

/// How many calls ran in their caller's trap so far, and how many of them were handed
/// back to their service's task.
pub fn counts() -> (u64, u64) {
    (
        HANDED_OFF.load(Ordering::Relaxed),
        HANDED_BACK.load(Ordering::Relaxed),
    )
}

/// The lends of the processes pinned to each core (listed or not).
static TABLES: [spin::Mutex<heapless::Vec<Arc<Lend>, LENT_PER_CORE>>; MAX_CPUS] =
    [const { spin::Mutex::new(heapless::Vec::new()) }; MAX_CPUS];

/// A service's process, waiting in a register receive, lent to callers on its core.
pub struct Lend {
    /// Where it is listed now: `core << 32 | endpoint`, or [`UNLISTED`]. Written by its
    /// process's task on its core; callers on that core read it (`find`).
    listed: AtomicU64,
    /// The capability it receives with now: its answer must name it again.
    recv_cap: AtomicU64,
    frame: LoanHandle,
    control: Arc<Control>,
    /// Direct tokens handed out so far (each one's serial: never reused by the process);
    /// written only in traps on the lend's core, which never overlap.
    serial: AtomicU64,
    /// Set once the service was handed back: it runs no more calls.
    handed_back: AtomicBool,
    back: spin::Mutex<Option<HandBack>>,
    waker: AtomicWaker,
}

/// A lent service handed back to its task in the middle of a call.
pub struct HandBack {
    /// Why it stopped (its frame holds the trap, as after a turn of its own).
    pub trap: Trap,
    /// The direct token the call it was running came with.
    pub token: u64,
    /// What answers that call.
    pub reply: ReplyToken,
}

/// How a lent service's run for a call ended.
pub enum Served {
    /// It answered, into the caller's registers.
    Answered,
    /// It was handed back; its answer comes later, through the reply token the
    /// connection made for it (`Connection::defer`): await this.
    Deferred(DeferredCall),
}

impl Lend {
    /// The lend of the process `control`, whose frame `frame` runs when lent (made and
    /// registered once per process, listed for each receive with [`Listing::new`]).
    pub fn new(frame: LoanHandle, control: Arc<Control>) -> Arc<Self> {
        Arc::new(Self {
            listed: AtomicU64::new(UNLISTED),
            recv_cap: AtomicU64::new(0),
            frame,
            control,
            serial: AtomicU64::new(0),
            handed_back: AtomicBool::new(false),
            back: spin::Mutex::new(None),
            waker: AtomicWaker::new(),
        })
    }

    /// Whether the service may run a call now: not handed back, not asked to suspend.
    #[inline]
    pub fn ready(&self) -> bool {
        !self.handed_back.load(Ordering::Relaxed) && !self.control.suspend_requested()
    }

    /// Runs the lent service, found [`Lend::ready`], for the call in `caller`'s
    /// registers (from inside the caller's trap, with interrupts off) through
    /// `connection`, whose hand-off check gave `header`, until it answers — into
    /// `caller`'s message registers, `rax` 0 — or must be handed back, at `slice_end` at
    /// the latest. The call is counted (and logged) once the loan is taken, before the
    /// service runs. `None`: its loan is ending (nothing was counted; call through the
    /// queue).
    #[inline]
    pub fn serve(
        &self,
        caller: &mut InterruptFrame,
        slice_end: u64,
        connection: &mut Connection<'static>,
        header: &Header,
    ) -> Option<Served> {
        self.frame.with(|service| {
            connection.handed_off(header);
            let serial = self.serial.load(Ordering::Relaxed);
            self.serial.store(serial + 1, Ordering::Relaxed);
            HANDED_OFF.fetch_add(1, Ordering::Relaxed);
            let token = RESERVED_BIT | serial;
            let mut how = Nested::Call {
                request: caller,
                token,
            };
            loop {
                let trap = service.run_nested(slice_end, how);
                let regs = service.regs();
                match trap {
                    Trap::Syscall
                        if regs.rax == IPC_REPLY_RECV_REGS
                            && regs.rdi == token
                            && regs.rsi == self.recv_cap.load(Ordering::Relaxed) =>
                    {
                        copy_message_registers(regs, caller);
                        caller.rax = 0;
                        service.count_fast_call();
                        return Served::Answered;
                    }
                    // Handled already (`user_entry::other_trap`); the service goes on.
                    Trap::Interrupt(_)
                        if arch::rdtsc() < slice_end && !self.control.suspend_requested() =>
                    {
                        how = Nested::Resume;
                    }
                    trap => {
                        HANDED_BACK.fetch_add(1, Ordering::Relaxed);
                        let (reply, call) = connection.defer();
                        *self.back.lock() = Some(HandBack { trap, token, reply });
                        self.handed_back.store(true, Ordering::Release);
                        self.waker.wake();
                        return Served::Deferred(call);
                    }
                }
            }
        })
    }

    /// The hand-back, once there is one (else the task is woken when it comes).
    pub fn poll_handed_back(&self, cx: &mut Context<'_>) -> Poll<HandBack> {
        self.waker.register(cx.waker());
        if !self.handed_back.load(Ordering::Acquire) {
            return Poll::Pending;
        }
        match self.back.lock().take() {
            Some(back) => Poll::Ready(back),
            None => Poll::Pending,
        }
    }
}

/// A process's [`Lend`] in its core's table, for the process's life (it stays pinned
/// there); between receives it is there but not listed ([`Listing`]).
pub struct Registration {
    core: usize,
    lend: Arc<Lend>,
}

impl Registration {
    /// Puts `lend` into the calling core's table; `None` when the table is full.
    pub fn new(lend: Arc<Lend>) -> Option<Self> {
        let core = arch::cpu_index();
        TABLES[core].lock().push(lend.clone()).ok()?;
        Some(Self { core, lend })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        TABLES[self.core]
            .lock()
            .retain(|listed| !Arc::ptr_eq(listed, &self.lend));
    }
}

/// A registered [`Lend`] listed for one receive: callers on its core find it until
/// this is dropped.
pub struct Listing<'a> {
    lend: &'a Lend,
}

impl<'a> Listing<'a> {
    /// Lists the registered lend for the service `endpoint`, which it receives with
    /// `recv_cap` (and not handed back); `None` off the core it is registered on.
    pub fn new(registration: &'a Registration, endpoint: ServiceId, recv_cap: u64) -> Option<Self> {
        let core = arch::cpu_index();
        if core != registration.core {
            return None;
        }
        let lend = &*registration.lend;
        lend.recv_cap.store(recv_cap, Ordering::Relaxed);
        lend.handed_back.store(false, Ordering::Relaxed);
        lend.listed
            .store(listed_at(core, endpoint), Ordering::Relaxed);
        Some(Self { lend })
    }

    /// The lend listed.
    pub fn lend(&self) -> &'a Lend {
        self.lend
    }
}

impl Drop for Listing<'_> {
    fn drop(&mut self) {
        self.lend.listed.store(UNLISTED, Ordering::Relaxed);
        // A hand-back its receive did not take (the process was killed first): its
        // caller gets `PeerDied` now (the lend itself may live on in callers' caches).
        drop(self.lend.back.lock().take());
    }
}

/// The last lend a process's calls found: looked at first (one compare), the core's
/// table only when it is not listed here for the endpoint any more.
pub type LendCache = Option<Arc<Lend>>;

/// The service `endpoint` lent on the calling core, if it is (from a trap: the core's
/// table is never waited for; `None` when busy): `cache` if it still is the one, else
/// found in the table and kept in `cache`.
#[inline]
pub fn find(cache: &mut LendCache, endpoint: ServiceId) -> Option<&Lend> {
    let here = listed_at(arch::cpu_index(), endpoint);
    if !matches!(cache, Some(lend) if lend.listed.load(Ordering::Relaxed) == here) {
        *cache = look_up(here);
    }
    cache.as_deref()
}

/// [`find`] in the table (out of line: the usual call hits the cache).
#[cold]
#[inline(never)]
fn look_up(here: u64) -> Option<Arc<Lend>> {
    let table = TABLES[(here >> 32) as usize].try_lock()?;
    let lend = table
        .iter()
        .find(|lend| lend.listed.load(Ordering::Relaxed) == here)?;
    Some(lend.clone())
}

/// Copies the message registers (`docs/abi.md`: `rdx`, `r8`–`r10`, `r12`–`r15`) of
/// `from` into `to`.
#[inline]
fn copy_message_registers(from: &InterruptFrame, to: &mut InterruptFrame) {
    (to.rdx, to.r8, to.r9, to.r10) = (from.rdx, from.r8, from.r9, from.r10);
    (to.r12, to.r13, to.r14, to.r15) = (from.r12, from.r13, from.r14, from.r15);
}
