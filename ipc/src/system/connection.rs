//! A holder's connection to one service: a sender of its own whose capability is checked
//! on every message.
//!
//! Invariant: every message is preceded by a lock-free `check` of the connection's `SEND`
//! capability, so a revoked, deleted or stale capability stops the next message (and the
//! denial is counted and logged by the capability table).

use crate::capability::{Cap, ObjectRef, Rights};
use crate::endpoint::Sender;
use crate::error::IpcError;
use crate::ids::{HolderId, ServiceId};
use crate::message::{Message, MessageKind};
use crate::system::System;
use executor::Priority;

/// An open connection from [`System::connect`].
pub struct Connection<'a> {
    system: &'a System,
    holder: HolderId,
    cap: Cap,
    source: ServiceId,
    destination: ServiceId,
    sender: Sender,
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
            source,
            destination,
            sender,
        }
    }

    /// The service this connection reaches.
    pub fn destination(&self) -> ServiceId {
        self.destination
    }

    fn authorise(&self) -> Result<(), IpcError> {
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
        let header =
            self.system
                .header(self.source, self.destination, MessageKind::Event, priority);
        self.sender.try_send(header, message)
    }

    /// Sends a one-way message, waiting while the endpoint is full.
    pub async fn send(&mut self, priority: Priority, message: Message) -> Result<(), IpcError> {
        self.authorise()?;
        let header =
            self.system
                .header(self.source, self.destination, MessageKind::Event, priority);
        self.sender.send(header, message).await
    }

    /// Sends a request and waits for its reply. Wrap it in a timeout to bound the wait:
    /// dropping the future cancels the call, and a late reply is discarded.
    pub async fn call(
        &mut self,
        priority: Priority,
        message: Message,
    ) -> Result<Message, IpcError> {
        self.authorise()?;
        let header = self.system.header(
            self.source,
            self.destination,
            MessageKind::Request,
            priority,
        );
        self.sender.call(header, message).await
    }
}
