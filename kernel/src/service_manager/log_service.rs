//! `log`: the log service. Anyone may write a record to it over IPC; the record goes
//! to the journal channel of its sender (the kernel stamps who sent a message, so a
//! process cannot write into another service's channel). `dmesg` reads the journal.
//!
//! Protocol (`docs/services.md`): tag [`LOG_WRITE`]; `data[0]` = level (0 error …
//! 4 trace) | text length << 8; `data[1..6]` = up to 40 bytes of UTF-8 text, little
//! endian. A call is answered with `data[0]` = 0, or an error code: 1 unknown tag, 2
//! bad level, 3 bad length, 4 no channel left.

use super::journal;
use super::table;
use crate::ipc_runtime::{self, Service};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use ipc::{Header, Message, ServiceId};
use services::log_book::Level;

/// The log service's endpoint.
pub const ENDPOINT: &str = "svc.log";
/// Writes one record.
pub const LOG_WRITE: u64 = 0x0101;
/// Most text bytes one record message carries.
pub const MAX_TEXT: usize = 40;

/// Why a write was refused (its wire code is the discriminant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refused {
    UnknownTag = 1,
    BadLevel = 2,
    BadLength = 3,
    NoChannel = 4,
}

/// Serves writes until the endpoint closes: calls directly on the caller's stack while
/// it waits, the rest (and every one-way write) from its queue.
pub async fn serve(mut service: Service) {
    // A fresh endpoint has no handler yet, so this cannot be refused.
    let _ = service.serve_directly(Box::new(|header, message| Some(answer(header, message))));
    while let Ok(request) = service.next().await {
        let reply = answer(&request.header, &request.message);
        if let Some(token) = request.reply {
            // A caller that gave up is its own loss.
            let _ = token.reply(reply);
        }
    }
}

/// Writes the record of `message` and says how that went.
fn answer(header: &Header, message: &Message) -> Message {
    let code = match write(header, message) {
        Ok(()) => 0,
        Err(refused) => refused as u64,
    };
    Message::with_data(LOG_WRITE, [code, 0, 0, 0, 0, 0])
}

fn write(header: &Header, message: &Message) -> Result<(), Refused> {
    if message.tag != LOG_WRITE {
        return Err(Refused::UnknownTag);
    }
    let level = *Level::ALL
        .get((message.data[0] & 0xff) as usize)
        .ok_or(Refused::BadLevel)?;
    let len = (message.data[0] >> 8) as usize;
    if len > MAX_TEXT {
        return Err(Refused::BadLength);
    }
    let mut bytes = [0u8; MAX_TEXT];
    for (chunk, word) in bytes.chunks_mut(8).zip(&message.data[1..]) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    let text = String::from_utf8_lossy(&bytes[..len]);
    let channel = journal::channel(&channel_of(header.source)).ok_or(Refused::NoChannel)?;
    journal::append(channel, level, &text);
    Ok(())
}

/// The channel a sender writes to: its service's, else `pid-N`, else `kernel`.
fn channel_of(source: ServiceId) -> String {
    match ipc_runtime::sender_pid(source) {
        Some(pid) => table::service_of_pid(pid).unwrap_or_else(|| format!("pid-{pid}")),
        None => String::from(journal::KERNEL_CHANNEL),
    }
}
