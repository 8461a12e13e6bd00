//! `kernel.echo`: answers every call with the request itself (its first data word
//! plus one), and drops one-way messages. The shell's `ipc ping`, the in-kernel
//! tests and `bench ipc` talk to it.

use super::{Service, spawn_service};
use executor::Priority;
use ipc::{IpcError, SecurityLevel};

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

/// Answers every call (first data word plus one) until the endpoint closes.
pub async fn serve(mut service: Service) {
    while let Ok(request) = service.next().await {
        if let Some(token) = request.reply {
            let mut answer = request.message;
            answer.data[0] = answer.data[0].wrapping_add(1);
            // The caller may have given up (timeout): its loss, nothing to do.
            let _ = token.reply(answer);
        }
    }
}
