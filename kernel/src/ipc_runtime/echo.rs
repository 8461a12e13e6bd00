//! `kernel.echo`: answers every call with the request itself (its first data word
//! plus one), and drops one-way messages. The shell's `ipc ping`, the in-kernel
//! tests and `bench ipc` talk to it.

use super::{Service, spawn_service};
use alloc::boxed::Box;
use executor::Priority;
use ipc::{IpcError, Message, SecurityLevel};

/// The echo service's registered name.
pub const ECHO_SERVICE: &str = "kernel.echo";

/// Registers and spawns the echo service.
pub fn start() -> Result<(), IpcError> {
    // Open to user processes: it only echoes.
    spawn_service(
        ECHO_SERVICE,
        SecurityLevel::User,
        Priority::Normal,
        None,
        serve,
    )
    .map(drop)
}

/// The answer to `request`: itself, its first data word plus one.
fn answer(request: &Message) -> Message {
    let mut answer = *request;
    answer.data[0] = answer.data[0].wrapping_add(1);
    answer
}

/// Answers every call (first data word plus one) until the endpoint closes: directly
/// while it waits, else from its queue.
pub async fn serve(service: Service) {
    // A fresh endpoint has no handler yet, so this cannot be refused.
    let _ = service.serve_directly(Box::new(|_, request, reply| {
        *reply = answer(request);
        true
    }));
    serve_queued(service).await
}

/// Answers every call from its queue only (no direct handler) until the endpoint
/// closes: what `bench ipc` measures the queued path with.
pub async fn serve_queued(mut service: Service) {
    while let Ok(request) = service.next().await {
        if let Some(token) = request.reply {
            // The caller may have given up (timeout): its loss, nothing to do.
            let _ = token.reply(answer(&request.message));
        }
    }
}
