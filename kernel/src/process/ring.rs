//! The process's asynchronous IPC rings (layout: `mohhos_abi::ring`).
//!
//! The kernel reads and writes the ring only inside the process's own future, never
//! while its user code runs (that happens inside the same future's poll), so the shared
//! pages need no atomics; every index the process writes is checked before use. Sends
//! and receives become futures that own the connection or service they use (lent by
//! [`ProcessIpc`]) and give it back when they complete; replies complete at once. A
//! submission is taken only while its completion is sure to find room (completions
//! waiting plus operations in flight stay below `entries`), so none is ever dropped;
//! one that cannot be taken yet stays in the queue. A submission whose capability an
//! earlier operation still uses waits in the kernel (`deferred`) while the ones after
//! it go on: each capability's operations run in order, and a receive waiting on a
//! quiet service holds up nothing else.

use super::ipc_holder::{Lent, ProcessIpc, from_ipc};
use super::memory::{UserMemory, UserSlice};
use super::message::{read_message, write_message_at};
use crate::runtime::{executor, us_to_ticks};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use core::future::poll_fn;
use core::pin::Pin;
use core::task::{Context, Poll};
use executor::Priority;
use futures_util::stream::{FuturesUnordered, StreamExt};
use ipc::{Message, ReplyToken};
use mohhos_abi::ring::{
    self, ENTRY_SIZE, MAX_ENTRIES, OP_RECV, OP_REPLY, OP_SEND, SQ_OFFSET, cqe, sqe,
};
use mohhos_abi::syscall::MAX_TIMEOUT_US;
use mohhos_abi::{Error, SysResult, encode};

/// A finished asynchronous operation.
struct Done {
    user_data: u64,
    result: SysResult,
    message: Message,
    /// A received call's reply token (kept by the process, its number in the completion).
    reply: Option<ReplyToken>,
    /// What the operation borrowed.
    lent: Option<Lent>,
}

impl Done {
    fn immediate(user_data: u64, result: SysResult) -> Self {
        Self {
            user_data,
            result,
            message: Message::default(),
            reply: None,
            lent: None,
        }
    }
}

// A completion's first words, in the order `complete` writes them.
const _: () = assert!(cqe::USER_DATA == 0 && cqe::RESULT == 8 && cqe::TOKEN == 16);

type Operation = Pin<Box<dyn Future<Output = Done> + Send>>;

/// One process's rings.
pub struct Ring {
    base: u64,
    entries: u32,
    /// The kernel's own copies of the indices it owns (the shared ones are only written).
    sq_head: u32,
    cq_tail: u32,
    in_flight: FuturesUnordered<Operation>,
    /// Submissions taken whose capability an earlier operation still uses, in order.
    deferred: VecDeque<Submission>,
}

/// A submission as read from the ring.
struct Submission {
    op: u64,
    cap: u64,
    user_data: u64,
    message: Result<Message, Error>,
}

fn read_u32(memory: &mut UserMemory, addr: u64) -> Result<u32, Error> {
    let mut bytes = [0u8; 4];
    UserSlice::new(addr, 4)?.read(memory, &mut bytes)?;
    Ok(u32::from_le_bytes(bytes))
}

fn write_u64s(memory: &mut UserMemory, addr: u64, words: &[u64]) -> Result<(), Error> {
    let mut bytes = [0u8; 32];
    for (i, word) in words.iter().enumerate() {
        bytes[i * 8..i * 8 + 8].copy_from_slice(&word.to_le_bytes());
    }
    UserSlice::new(addr, 8 * words.len() as u64)?.write(memory, &bytes[..8 * words.len()])
}

impl Ring {
    /// `ring_setup(entries)`: maps the rings (pinned) and writes their header.
    pub fn setup(memory: &mut UserMemory, entries: u64) -> Result<Ring, Error> {
        let entries = u32::try_from(entries).map_err(|_| Error::InvalidArgument)?;
        if !entries.is_power_of_two() || entries > MAX_ENTRIES {
            return Err(Error::InvalidArgument);
        }
        let base = memory.map_pinned(ring::ring_bytes(entries))?;
        let mut header = [0u8; 20];
        header[16..20].copy_from_slice(&entries.to_le_bytes());
        UserSlice::new(base, 20)?.write(memory, &header)?;
        Ok(Ring {
            base,
            entries,
            sq_head: 0,
            cq_tail: 0,
            in_flight: FuturesUnordered::new(),
            deferred: VecDeque::new(),
        })
    }

    /// The address `ring_setup` returns.
    pub fn base(&self) -> u64 {
        self.base
    }

    fn slot(&self, queue: u64, index: u32) -> u64 {
        let slot = u64::from(index & (self.entries - 1));
        self.base + SQ_OFFSET + (queue * u64::from(self.entries) + slot) * ENTRY_SIZE
    }

    /// Completions written and not yet taken by the process (its `cq_head` checked).
    fn waiting(&self, memory: &mut UserMemory) -> Result<u32, Error> {
        let cq_head = read_u32(memory, self.base + 8)?;
        let waiting = self.cq_tail.wrapping_sub(cq_head);
        if waiting > self.entries {
            return Err(Error::InvalidArgument);
        }
        Ok(waiting)
    }

    /// Whether one more submission's completion is sure to find room: completions
    /// waiting, operations in flight and deferred submissions stay below `entries`.
    fn has_room(&self, memory: &mut UserMemory) -> Result<bool, Error> {
        let pending = self.in_flight.len() + self.deferred.len();
        Ok(self.waiting(memory)? + (pending as u32) < self.entries)
    }

    /// `ring_enter(min_complete, timeout_us)`: takes the new submissions and waits until
    /// `min_complete` completions wait or the timeout passes; returns how many wait.
    pub async fn enter(
        &mut self,
        memory: &mut UserMemory,
        ipc: &mut ProcessIpc,
        min_complete: u64,
        timeout_us: u64,
    ) -> SysResult {
        if min_complete > u64::from(self.entries) || timeout_us > MAX_TIMEOUT_US {
            return Err(Error::InvalidArgument);
        }
        let mut waited = 0;
        let wait = poll_fn(|cx| {
            loop {
                // New submissions first; each new operation is polled once by `collect`
                // (which registers its waker) before this may wait.
                let taken = match self.submit(memory, ipc) {
                    Ok(taken) => taken,
                    Err(error) => return Poll::Ready(Err(error)),
                };
                let waiting = match self.collect(cx, memory, ipc) {
                    Ok(waiting) => waiting,
                    Err(error) => return Poll::Ready(Err(error)),
                };
                if u64::from(waiting) >= min_complete {
                    return Poll::Ready(Ok(u64::from(waiting)));
                }
                // Go round again only after progress: a finished operation may have given
                // back the capability a queued submission waits for.
                let progress = taken > 0 || waiting != waited;
                waited = waiting;
                if !progress {
                    return Poll::Pending;
                }
            }
        });
        if timeout_us == 0 {
            return wait.await;
        }
        match executor().timeout(us_to_ticks(timeout_us), wait).await {
            Ok(result) => result,
            Err(_) => self.waiting(memory).map(u64::from),
        }
    }

    /// Takes every submission that can be taken now; returns how many it took.
    /// `InvalidArgument` when the process corrupted its indices.
    fn submit(&mut self, memory: &mut UserMemory, ipc: &mut ProcessIpc) -> Result<u32, Error> {
        let sq_tail = read_u32(memory, self.base + 4)?;
        if sq_tail.wrapping_sub(self.sq_head) > self.entries {
            return Err(Error::InvalidArgument);
        }
        let mut taken = self.start_deferred(memory, ipc)?;
        while self.sq_head != sq_tail && self.has_room(memory)? {
            let submission = self.read_submission(memory)?;
            self.sq_head = self.sq_head.wrapping_add(1);
            taken += 1;
            let busy = matches!(submission.op, OP_SEND | OP_RECV)
                && (ipc.is_lent(submission.cap)
                    || self.deferred.iter().any(|d| d.cap == submission.cap));
            if busy {
                // Its capability is busy with an earlier operation: it waits its turn
                // here, and the submissions after it go on.
                self.deferred.push_back(submission);
            } else {
                self.start(memory, ipc, submission)?;
            }
        }
        UserSlice::new(self.base, 4)?.write(memory, &self.sq_head.to_le_bytes())?;
        Ok(taken)
    }

    /// Starts, in order, the deferred submissions whose capability is free now.
    fn start_deferred(
        &mut self,
        memory: &mut UserMemory,
        ipc: &mut ProcessIpc,
    ) -> Result<u32, Error> {
        let mut started = 0;
        let mut index = 0;
        while index < self.deferred.len() {
            let cap = self.deferred[index].cap;
            let earlier = self.deferred.iter().take(index).any(|d| d.cap == cap);
            if earlier || ipc.is_lent(cap) {
                index += 1;
                continue;
            }
            let submission = self.deferred.remove(index).expect("index is in range");
            self.start(memory, ipc, submission)?;
            started += 1;
        }
        Ok(started)
    }

    fn read_submission(&self, memory: &mut UserMemory) -> Result<Submission, Error> {
        let at = self.slot(0, self.sq_head);
        let mut words = [0u8; 24];
        UserSlice::new(at, 24)?.read(memory, &mut words)?;
        let word = |offset: usize| {
            u64::from_le_bytes(words[offset..offset + 8].try_into().expect("8 bytes"))
        };
        Ok(Submission {
            op: word(sqe::OP),
            cap: word(sqe::CAP),
            user_data: word(sqe::USER_DATA),
            message: read_message(memory, at + sqe::MESSAGE as u64),
        })
    }

    /// Starts one submission (a reply, or a refused one, completes at once).
    fn start(
        &mut self,
        memory: &mut UserMemory,
        ipc: &mut ProcessIpc,
        submission: Submission,
    ) -> Result<(), Error> {
        let Submission {
            op,
            cap,
            user_data,
            message,
        } = submission;
        let started = match (op, message) {
            (_, Err(error)) => Err(error),
            (OP_SEND, Ok(mut message)) => ipc.lend_connection(cap).and_then(|mut connection| {
                let destination = connection.destination();
                if let Err(error) = ProcessIpc::transfer(ipc.holder(), destination, &mut message) {
                    ipc.give_back(Lent::Connection(cap, connection));
                    return Err(error);
                }
                Ok(Box::pin(async move {
                    let result = connection.send(Priority::Normal, message).await;
                    if result.is_err() {
                        ProcessIpc::untransfer(destination, &message);
                    }
                    Done {
                        lent: Some(Lent::Connection(cap, connection)),
                        ..Done::immediate(user_data, result.map(|()| 0).map_err(from_ipc))
                    }
                }) as Operation)
            }),
            (OP_RECV, Ok(_)) => ipc.lend_service(cap).map(|mut service| {
                Box::pin(async move {
                    let received = service.next().await;
                    let lent = Some(Lent::Service(cap, service));
                    match received {
                        Ok(received) => Done {
                            user_data,
                            result: Ok(0),
                            message: received.message,
                            reply: received.reply,
                            lent,
                        },
                        Err(error) => Done {
                            lent,
                            ..Done::immediate(user_data, Err(from_ipc(error)))
                        },
                    }
                }) as Operation
            }),
            (OP_REPLY, Ok(message)) => {
                let result = ipc.reply(cap, message).map(|()| 0);
                return self.complete(memory, ipc, Done::immediate(user_data, result));
            }
            _ => Err(Error::InvalidArgument),
        };
        match started {
            Ok(operation) => {
                self.in_flight.push(operation);
                Ok(())
            }
            Err(error) => self.complete(memory, ipc, Done::immediate(user_data, Err(error))),
        }
    }

    /// Writes the completions of every operation that finished (also between the
    /// process's turns); returns how many completions wait for the process.
    pub fn collect(
        &mut self,
        cx: &mut Context<'_>,
        memory: &mut UserMemory,
        ipc: &mut ProcessIpc,
    ) -> Result<u32, Error> {
        while let Poll::Ready(Some(done)) = self.in_flight.poll_next_unpin(cx) {
            self.complete(memory, ipc, done)?;
        }
        self.waiting(memory)
    }

    fn complete(
        &mut self,
        memory: &mut UserMemory,
        ipc: &mut ProcessIpc,
        mut done: Done,
    ) -> Result<(), Error> {
        if let Some(lent) = done.lent.take() {
            ipc.give_back(lent);
        }
        let token = done.reply.take().map_or(0, |reply| ipc.keep_token(reply));
        let at = self.slot(1, self.cq_tail);
        write_u64s(memory, at, &[done.user_data, encode(done.result), token])?;
        write_message_at(memory, at + cqe::MESSAGE as u64, &done.message)?;
        self.cq_tail = self.cq_tail.wrapping_add(1);
        UserSlice::new(self.base + 12, 4)?.write(memory, &self.cq_tail.to_le_bytes())
    }
}
