//! A process's calls and one-way sends: answered in the trap (a kernel service's direct
//! handler, or a lent service run in the caller's trap, `lending.rs`), or through the
//! queue, bounded by the call's timeout and the process's watchdog.

use super::super::call_deadline::Watchdog;
use super::super::lending::{self, LendCache, Served};
use super::super::message::{message_from_registers, message_to_registers};
use super::{ProcessIpc, from_ipc};
use crate::arch::x86_64::{self as arch, InterruptFrame};
use crate::runtime::us_to_ticks;
use executor::Priority;
use ipc::{Connection, ConnectionCall, DeferredCall, IpcError, Message};
use mohhos_abi::{Error, encode};

impl ProcessIpc {
    /// `ipc_call` answered without waiting, into `reply`: by the service's direct
    /// handler, or refused by the capability check; `None` when the call must wait
    /// ([`ProcessIpc::call`]). A request that carries a capability always takes the full
    /// path.
    pub fn try_call_now(
        &mut self,
        cap: u64,
        request: &Message,
        reply: &mut Message,
    ) -> Option<Result<(), Error>> {
        if request.cap != 0 {
            return None;
        }
        let connection = self.connection(cap).ok()?;
        connection
            .try_call_now(Priority::Normal, request, reply)
            .map(|answer| answer.map_err(from_ipc))
    }

    /// `ipc_call_regs` in the trap (`syscalls::call_in_trap`): answered at once by a
    /// kernel service's direct handler, or run in this trap by a user service lent on
    /// this core (`lending.rs`). `true` when answered (the answer, or the refusal, in
    /// `regs`); `false` when it must queue, or when the lent service took the call and
    /// answers later ([`ProcessIpc::call`] then waits for it). A request that carries
    /// a capability always takes the full path.
    #[inline]
    pub fn call_in_trap(&mut self, regs: &mut InterruptFrame, slice_end: u64) -> bool {
        if regs.r15 != 0 {
            return false;
        }
        let cap = regs.rdi;
        let Some(at) = self.connection_index(cap) else {
            return false;
        };
        // Beside the lend cache (a borrow of the list only).
        let connection = self.connections.at_mut(at);
        if connection.answers_directly() {
            let request = message_from_registers(regs);
            let mut reply = Message::default();
            let Some(answer) = connection.answer_now(Priority::Normal, &request, &mut reply) else {
                return false;
            };
            if answer.is_ok() {
                message_to_registers(regs, &reply);
            }
            regs.rax = encode(answer.map_err(from_ipc).map(|()| 0));
            return true;
        }
        match hand_off(connection, regs, slice_end, &mut self.lent_service) {
            HandOff::Done => true,
            HandOff::Queue => false,
            HandOff::Deferred(call) => {
                self.deferred = Some((cap, call));
                false
            }
        }
    }

    /// `ipc_call`: the reply to `request`, waiting at most `timeout_us` (0: for ever),
    /// bounded by the process's `watchdog`. A call that a lent service took in the trap
    /// ([`ProcessIpc::call_in_trap`] left it deferred) is not sent again: its answer is
    /// only waited for.
    pub async fn call(
        &mut self,
        cap: u64,
        mut request: Message,
        timeout_us: u64,
        watchdog: &mut Watchdog,
    ) -> Result<Message, Error> {
        // Deferred and awaited within one system call, on one capability.
        debug_assert!(
            self.deferred.as_ref().is_none_or(|(on, _)| *on == cap),
            "a deferred call awaited on another capability"
        );
        if let Some((on, deferred)) = self.deferred.take()
            && on == cap
        {
            let call = self.connection(cap)?.await_deferred(deferred);
            return bounded(call, timeout_us, watchdog).await.map_err(from_ipc);
        }
        let holder = self.holder;
        let connection = self.connection(cap)?;
        let destination = connection.destination();
        Self::transfer(holder, destination, &mut request)?;
        let call = connection.call(Priority::Normal, request);
        let reply = bounded(call, timeout_us, watchdog).await;
        // A timed-out request may have been delivered (the receiver keeps its copy).
        if let Err(error) = &reply
            && *error != IpcError::Timeout
        {
            Self::untransfer(destination, &request);
        }
        reply.map_err(from_ipc)
    }

    /// `ipc_send`: a one-way message, waiting while the queue is full.
    pub async fn send(&mut self, cap: u64, mut message: Message) -> Result<(), Error> {
        let holder = self.holder;
        let connection = self.connection(cap)?;
        let destination = connection.destination();
        Self::transfer(holder, destination, &mut message)?;
        let sent = connection.send(Priority::Normal, message).await;
        if sent.is_err() {
            Self::untransfer(destination, &message);
        }
        sent.map_err(from_ipc)
    }
}

/// The answer of `call`, waiting at most `timeout_us` (0: for ever), bounded by the
/// process's `watchdog`.
async fn bounded(
    call: ConnectionCall<'_>,
    timeout_us: u64,
    watchdog: &mut Watchdog,
) -> Result<Message, IpcError> {
    if timeout_us == 0 {
        return call.await.copied();
    }
    let deadline = arch::rdtsc().saturating_add(us_to_ticks(timeout_us));
    watchdog.bound(call, deadline).await.copied()
}

/// What a call in the trap came to ([`hand_off`]).
enum HandOff {
    /// Answered, or refused: the outcome is in the caller's registers.
    Done,
    /// Nothing could take it at once: queue it.
    Queue,
    /// The lent service took it and answers later.
    Deferred(DeferredCall),
}

/// Runs the call in `regs` (the caller's) through `connection` in this trap, when its
/// service is lent on this core and waits idle (`lending.rs`).
#[inline]
fn hand_off(
    connection: &mut Connection<'static>,
    regs: &mut InterruptFrame,
    slice_end: u64,
    lent: &mut LendCache,
) -> HandOff {
    let Some(lend) = lending::find(lent, connection.destination()) else {
        return HandOff::Queue;
    };
    if !lend.ready() {
        return HandOff::Queue;
    }
    let header = match connection.try_hand_off(Priority::Normal) {
        None => return HandOff::Queue,
        Some(Ok(header)) => header,
        Some(Err(error)) => {
            regs.rax = encode(Err(from_ipc(error)));
            return HandOff::Done;
        }
    };
    match lend.serve(regs, slice_end, connection, &header) {
        Some(Served::Answered) => HandOff::Done,
        Some(Served::Deferred(call)) => HandOff::Deferred(call),
        // The loan was ending: not on this core, whose task ends it outside traps.
        None => HandOff::Queue,
    }
}
