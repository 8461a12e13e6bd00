//! A process's receives and replies: through its services' queues, or lent to callers on
//! its core while it waits in a register receive (`lending.rs`).

use super::super::control::Control;
use super::super::lending::{Lend, Listing, Registration};
use super::{MAX_TOKENS, Parked, ProcessIpc, from_ipc};
use crate::arch::x86_64::{FrameLender, UserFrame, UserTables};
use alloc::sync::Arc;
use core::future::{Future, poll_fn};
use core::task::Poll;
use ipc::Message;
use mohhos_abi::Error;
use services::token_table::RESERVED_BIT;

impl ProcessIpc {
    /// `ipc_recv`: the next message for the service `cap` names, and the token that
    /// answers it (0: none wanted).
    pub async fn recv(&mut self, cap: u64) -> Result<(Message, u64), Error> {
        if self.tokens.len() >= MAX_TOKENS {
            return Err(Error::QuotaExceeded);
        }
        let Some(service) = self.services.get_mut(&cap) else {
            return Err(self.why_not_ours(cap));
        };
        let received = service.next().await.map_err(from_ipc)?;
        let token = self.token_for(received.reply);
        Ok((received.message, token))
    }

    /// `ipc_recv` into the registers of a process pinned to this core: while it waits,
    /// its frame is lent to callers on the core (`lending.rs`), who may run it in their
    /// trap. Ends with a message from the queue, or with the process handed back in the
    /// middle of such a call (the trap to handle). A process that holds a handed-back
    /// call unanswered, or whose core lends too many already, receives as [`recv`] does.
    ///
    /// [`recv`]: ProcessIpc::recv
    pub async fn recv_lent(
        &mut self,
        cap: u64,
        frame: &mut UserFrame,
        tables: UserTables,
        control: &Arc<Control>,
    ) -> Result<Parked, Error> {
        if self.handed_back.is_some() {
            let (message, token) = self.recv(cap).await?;
            return Ok(Parked::Received(message, token));
        }
        if self.tokens.len() >= MAX_TOKENS {
            return Err(Error::QuotaExceeded);
        }
        let Some(service) = self.services.get_mut(&cap) else {
            return Err(self.why_not_ours(cap));
        };
        if self.lending.is_none() {
            let lender = FrameLender::default();
            let lend = Lend::new(lender.handle(), control.clone());
            self.lending = Registration::new(lend).map(|registration| (lender, registration));
        }
        let (loan, listing) = match &mut self.lending {
            Some((lender, registration)) => (
                Some(lender.lend(frame, tables)),
                Listing::new(registration, service.id(), cap),
            ),
            None => (None, None),
        };
        let outcome = {
            let mut next = core::pin::pin!(service.next());
            poll_fn(|cx| {
                if let Some(listing) = &listing
                    && let Poll::Ready(back) = listing.lend().poll_handed_back(cx)
                {
                    return Poll::Ready(Err(back));
                }
                next.as_mut().poll(cx).map(Ok)
            })
            .await
        };
        drop(listing);
        drop(loan);
        match outcome {
            Ok(received) => {
                let received = received.map_err(from_ipc)?;
                let token = self.token_for(received.reply);
                Ok(Parked::Received(received.message, token))
            }
            Err(back) => {
                self.handed_back = Some((back.token, back.reply));
                Ok(Parked::HandedBack(back.trap))
            }
        }
    }

    /// `ipc_reply`: answers the call `token` stands for (a direct token answers the
    /// handed-back call it came with, `lending.rs`).
    pub fn reply(&mut self, token: u64, message: Message) -> Result<(), Error> {
        let reply = if token & RESERVED_BIT != 0 {
            match self.handed_back.take() {
                Some((held, reply)) if held == token => reply,
                other => {
                    self.handed_back = other;
                    return Err(Error::NotFound);
                }
            }
        } else {
            self.tokens.remove(token).ok_or(Error::NotFound)?
        };
        reply.reply(message).map_err(from_ipc)
    }
}
