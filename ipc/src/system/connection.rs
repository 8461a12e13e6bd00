//! A holder's connection to one service: a sender of its own whose capability is checked
//! on every message.
//!
//! Invariant: every message is preceded by a lock-free `check` of the connection's `SEND`
//! capability, so a revoked, deleted or stale capability stops the next message (and the
//! denial is counted and logged by the capability table).

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::capability::{Cap, ConfirmMemo, ObjectRef, Rights};
use crate::endpoint::{Call, DeferredCall, ReplyToken, Sender};
use crate::error::IpcError;
use crate::ids::{HolderId, ServiceId};
use crate::message::{Header, Message, MessageKind};
use crate::system::System;
use executor::Priority;

/// An open connection from [`System::connect`].
pub struct Connection<'a> {
    system: &'a System,
    holder: HolderId,
    cap: Cap,
    /// The capability's last passed check (`CapTable::confirms`).
    confirmed: ConfirmMemo,
    source: ServiceId,
    destination: ServiceId,
    sender: Sender,
    /// The answer of the latest call, lent to its caller (see [`Connection::call`]).
    answer: Message,
}

impl<'a> Connection<'a> {
    pub(super) fn new(
        system: &'a System,
        holder: HolderId,
        cap: Cap,
        source: ServiceId,
        destination: ServiceId,
        sender: Sender,
    ) -> Self {
        Self {
            system,
            holder,
            cap,
            confirmed: ConfirmMemo::default(),
            source,
            destination,
            sender,
            answer: Message::default(),
        }
    }

    /// The service this connection reaches.
    pub fn destination(&self) -> ServiceId {
        self.destination
    }

    /// The header of a message of `kind` on this connection.
    #[inline]
    fn header(&self, kind: MessageKind, priority: Priority) -> Header {
        self.system
            .header(self.source, self.destination, kind, priority)
    }

    /// The header of a request on this connection.
    #[inline]
    fn request_header(&self, priority: Priority) -> Header {
        self.header(MessageKind::Request, priority)
    }

    #[inline]
    fn authorise(&self) -> Result<(), IpcError> {
        let endpoint = ObjectRef::Endpoint(self.destination);
        if self.system.caps.confirms(
            &self.confirmed,
            self.holder,
            &self.cap,
            Rights::SEND,
            endpoint,
        ) {
            return Ok(());
        }
        self.authorise_slowly()
    }

    /// `authorise` when the fast look failed: the full check, with its reason (and its
    /// denial count) for the error.
    #[cold]
    fn authorise_slowly(&self) -> Result<(), IpcError> {
        match self
            .system
            .caps
            .check(self.holder, &self.cap, Rights::SEND)?
        {
            ObjectRef::Endpoint(id) if id == self.destination => Ok(()),
            _ => Err(IpcError::Denied),
        }
    }

    /// Sends a one-way message, failing with `Full` instead of waiting.
    pub fn try_send(&mut self, priority: Priority, message: Message) -> Result<(), IpcError> {
        self.authorise()?;
        let header = self.header(MessageKind::Event, priority);
        self.sender.try_send(header, message)
    }

    /// Sends a one-way message, waiting while the endpoint is full.
    pub async fn send(&mut self, priority: Priority, message: Message) -> Result<(), IpcError> {
        self.authorise()?;
        let header = self.header(MessageKind::Event, priority);
        self.sender.send(header, message).await
    }

    /// Sends a request and waits for its reply. Wrap it in a timeout to bound the wait:
    /// dropping the future cancels the call, and a late reply is discarded. (A plain
    /// function returning the endpoint's call future: no extra state machine per call.)
    ///
    /// The reply is lent: it lies in the connection's reply buffer until the next call
    /// (as in an IPC buffer), so a direct handler's answer is written once, there, and
    /// never moved; copy it (`*reply`) to keep it.
    #[inline]
    pub fn call(&mut self, priority: Priority, message: Message) -> ConnectionCall<'_> {
        if let Err(error) = self.authorise() {
            return ConnectionCall::Refused(Some(error));
        }
        let header = self.request_header(priority);
        if self.sender.try_direct(&header, &message, &mut self.answer) {
            return ConnectionCall::Answered(&self.answer);
        }
        ConnectionCall::Calling {
            call: self.sender.call(header, message),
            answer: Some(&mut self.answer),
        }
    }

    /// Whether the service's direct handler would answer a call now (unless it
    /// declines): [`Connection::try_call_now`] is worth a try.
    #[inline]
    pub fn answers_directly(&self) -> bool {
        self.sender.may_answer_directly()
    }

    /// [`Connection::try_call_now`] right after [`Connection::answers_directly`] said
    /// yes (no second look).
    #[inline]
    pub fn answer_now(
        &mut self,
        priority: Priority,
        message: &Message,
        reply: &mut Message,
    ) -> Option<Result<(), IpcError>> {
        if let Err(error) = self.authorise() {
            return Some(Err(error));
        }
        let header = self.request_header(priority);
        self.sender
            .answer_directly(&header, message, reply)
            .then_some(Ok(()))
    }

    /// The answer to a call when it needs no waiting, written into `reply`: the
    /// service's direct handler answered (see `Receiver::serve_directly`), or the
    /// capability check failed before it could (then `reply` is untouched). `None`: make
    /// the call with [`Connection::call`] (which checks again). (The answer goes into
    /// `reply` rather than the result so that a caller which keeps it elsewhere, such
    /// as a process's registers, moves it once.)
    pub fn try_call_now(
        &mut self,
        priority: Priority,
        message: &Message,
        reply: &mut Message,
    ) -> Option<Result<(), IpcError>> {
        // The capability check comes first on either path; this look only spares a
        // call that must queue anyway the cost of a second check.
        if !self.sender.may_answer_directly() {
            return None;
        }
        self.answer_now(priority, message, reply)
    }
}

/// Calls handed to a receiver that runs at once outside the queue (a user service
/// parked on the caller's CPU, run in the caller's trap: seL4's fastpath). The kernel
/// delivers the request and takes the answer itself; the connection checks, counts and
/// stands ready for an answer that comes later.
impl Connection<'_> {
    /// The header of a call that may be handed to the receiver now: it waits with
    /// nothing accepted and unanswered (so the call overtakes none of this connection's
    /// messages) and the capability allows it. `None`: call through the queue; an
    /// error: the capability check failed.
    #[inline]
    pub fn try_hand_off(&mut self, priority: Priority) -> Option<Result<Header, IpcError>> {
        if !self.sender.receiver_waits_idle() {
            return None;
        }
        if let Err(error) = self.authorise() {
            return Some(Err(error));
        }
        Some(Ok(self.request_header(priority)))
    }

    /// The receiver took (and answered, or will answer) a call of
    /// [`Connection::try_hand_off`]: counted and logged as a direct call.
    #[inline]
    pub fn handed_off(&self, header: &Header) {
        self.sender.count_direct(header);
    }

    /// The receiver took a handed-off call but answers it later: the token it answers
    /// with, and the call to await with [`Connection::await_deferred`].
    pub fn defer(&mut self) -> (ReplyToken, DeferredCall) {
        self.sender.defer_call()
    }

    /// Waits for the answer of a [`Connection::defer`] call (lent, as for
    /// [`Connection::call`]; drop the future to give up).
    pub fn await_deferred(&mut self, call: DeferredCall) -> ConnectionCall<'_> {
        ConnectionCall::Calling {
            call: self.sender.await_deferred(call),
            answer: Some(&mut self.answer),
        }
    }
}

/// The future of [`Connection::call`]: the reply (in the connection's reply buffer), or
/// why there is none.
#[must_use = "futures do nothing unless polled"]
pub enum ConnectionCall<'a> {
    /// The capability check failed (the error is taken by the first poll).
    Refused(Option<IpcError>),
    /// The service's direct handler answered at once, into the reply buffer (a future
    /// polled again after `Ready` may answer anything; this one repeats itself).
    Answered(&'a Message),
    /// The request is on its way, or the reply is awaited; the reply buffer it goes
    /// into (taken when it arrives).
    Calling {
        /// The endpoint's call.
        call: Call<'a>,
        /// The connection's reply buffer.
        answer: Option<&'a mut Message>,
    },
}

impl<'a> Future for ConnectionCall<'a> {
    type Output = Result<&'a Message, IpcError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            ConnectionCall::Refused(error) => {
                Poll::Ready(Err(error.take().unwrap_or(IpcError::InvalidArgument)))
            }
            ConnectionCall::Answered(answer) => Poll::Ready(Ok(*answer)),
            ConnectionCall::Calling { call, answer } => {
                let reply = core::task::ready!(Pin::new(call).poll(cx))?;
                let slot = answer.take().ok_or(IpcError::InvalidArgument)?;
                *slot = reply;
                Poll::Ready(Ok(slot))
            }
        }
    }
}
