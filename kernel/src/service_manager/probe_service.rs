//! `probe`: a kernel service that depends on `echo` and checks, every
//! [`PERIOD_US`], that `svc.echo` answers a call correctly. A call on its own endpoint
//! returns the counts: `data` = [probes answered, probes failed, reconnections].

use super::catalog::ECHO_ENDPOINT;
use crate::ipc_runtime::{self, KERNEL, Service};
use crate::runtime::{executor, us_to_ticks};
use executor::Priority;
use ipc::{Connection, Message, SecurityLevel, ServiceId};

/// The probe service's endpoint.
pub const ENDPOINT: &str = "svc.probe";
/// Time between probes.
pub const PERIOD_US: u64 = 100_000;
/// How long one probe waits for its answer.
const PROBE_TIMEOUT_US: u64 = 50_000;

#[derive(Default)]
struct Counts {
    answered: u64,
    failed: u64,
    connections: u64,
}

/// Probes and answers until the endpoint closes.
pub async fn serve(mut service: Service) {
    let mut counts = Counts::default();
    let mut echo: Option<Connection<'static>> = None;
    let mut round = 0u64;
    loop {
        match executor()
            .timeout(us_to_ticks(PERIOD_US), service.next())
            .await
        {
            Ok(Ok(request)) => {
                if let Some(token) = request.reply {
                    let data = [counts.answered, counts.failed, counts.connections, 0, 0, 0];
                    let _ = token.reply(Message::with_data(request.message.tag, data));
                }
            }
            Ok(Err(_)) => return,
            Err(_) => {
                round += 1;
                if probe(&mut echo, &mut counts, round).await {
                    counts.answered += 1;
                } else {
                    counts.failed += 1;
                    echo = None;
                }
            }
        }
    }
}

/// One call to `svc.echo` (connecting first if needed); whether it answered right.
async fn probe(echo: &mut Option<Connection<'static>>, counts: &mut Counts, round: u64) -> bool {
    if echo.is_none() {
        let Ok(cap) = ipc_runtime::grant_send(ECHO_ENDPOINT, KERNEL, SecurityLevel::System) else {
            return false;
        };
        match ipc_runtime::system().connect(KERNEL, cap, ServiceId::KERNEL) {
            Ok(connection) => {
                counts.connections += 1;
                *echo = Some(connection);
            }
            Err(_) => return false,
        }
    }
    let Some(connection) = echo.as_mut() else {
        return false;
    };
    let request = Message::with_data(1, [round, 0, 0, 0, 0, 0]);
    let call = connection.call(Priority::Normal, request);
    matches!(
        executor().timeout(us_to_ticks(PROBE_TIMEOUT_US), call).await,
        Ok(Ok(reply)) if reply.data[0] == round + 1
    )
}
