//! `log`: the log service. Anyone may write a record to it over IPC; the record goes
//! to the journal channel of its sender (the kernel stamps who sent a message, so a
//! process cannot write into another service's channel). `dmesg` reads the journal.
//!
//! Protocol: `mohhos_abi::log` (`docs/services.md`).

use super::journal;
use super::table;
use crate::ipc_runtime::{self, Service};
use crate::process;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use ipc::{Header, Message, ServiceId};
use mohhos_abi::log::{self as protocol, Refused};
use services::log_book::{ChannelId, Level};

/// The log service's endpoint.
pub const ENDPOINT: &str = protocol::ENDPOINT;

/// Serves writes until the endpoint closes: calls directly on the caller's stack while
/// it waits, the rest (and every one-way write) from its queue.
pub async fn serve(mut service: Service) {
    // A fresh endpoint has no handler yet, so this cannot be refused.
    let _ = service.serve_directly(Box::new(|header, message, reply| {
        *reply = answer(header, message);
        true
    }));
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
    Message::with_data(protocol::WRITE, [code, 0, 0, 0, 0, 0])
}

fn write(header: &Header, message: &Message) -> Result<(), Refused> {
    if message.tag != protocol::WRITE {
        return Err(Refused::UnknownTag);
    }
    let (level, bytes, len) = protocol::decode(&message.data)?;
    let text = String::from_utf8_lossy(&bytes[..len]);
    let channel = channel_of(header.source).ok_or(Refused::NoChannel)?;
    journal::append(channel, Level::ALL[level], &text);
    Ok(())
}

/// The channel a sender writes to: the one its process was started with (a service's
/// process gets its service's channel before it first runs, so even a record written at
/// once is attributed to the service, not only once the supervisor has listed the pid),
/// else its service's, else `pid-N`, else `kernel`.
fn channel_of(source: ServiceId) -> Option<ChannelId> {
    match ipc_runtime::sender_pid(source) {
        Some(pid) => process::find(pid)
            .and_then(|control| control.log)
            .or_else(|| {
                let name = table::service_of_pid(pid).unwrap_or_else(|| format!("pid-{pid}"));
                journal::channel(&name)
            }),
        None => journal::channel(journal::KERNEL_CHANNEL),
    }
}
