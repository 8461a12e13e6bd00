//! The shell's IPC commands: `services`, `ipc stats`, `ipc trace [N]`, `ipc ping [N]`.

use super::commands::Outcome;
use crate::arch::x86_64 as arch;
use crate::ipc_runtime::{self, ECHO_SERVICE};
use crate::runtime::{executor, us_to_ticks};
use crate::{println, process};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use executor::Priority;
use ipc::{EndpointStats, Message, MessageKind};

/// Most headers `ipc trace` prints.
const MAX_TRACE: usize = 1000;
/// Most round trips one `ipc ping` makes.
const MAX_PINGS: u64 = 100_000;
/// How long one ping waits for its reply.
const PING_TIMEOUT_US: u64 = 1_000_000;

/// `ipc services`: the registry of IPC endpoints.
fn services() -> Outcome {
    let services = ipc_runtime::system().services();
    println!("id    name                          owner  sent      received");
    for s in &services {
        println!(
            "{:<5} {:<29} {:<6} {:<9} {}",
            s.id.0, s.name, s.owner.0, s.stats.sent, s.stats.received
        );
    }
    println!("{} services", services.len());
    Ok(())
}

/// `ipc SUBCOMMAND …`.
pub async fn ipc(args: &str) -> Outcome {
    let (sub, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let rest = rest.trim();
    match sub {
        "services" if rest.is_empty() => services(),
        "services" => Err(String::from("ipc services takes no arguments")),
        "stats" if rest.is_empty() => stats(),
        "stats" => Err(String::from("ipc stats takes no arguments")),
        "trace" => trace(count(rest, 10, MAX_TRACE as u64)? as usize),
        "ping" => ping(count(rest, 1, MAX_PINGS)?).await,
        "" => Err(String::from(
            "usage: ipc services | ipc stats | ipc trace [N] | ipc ping [N]",
        )),
        _ => Err(format!(
            "unknown ipc command '{sub}' (ipc services | ipc stats | ipc trace [N] | ipc ping [N])"
        )),
    }
}

/// An optional count argument in `1..=max`.
fn count(arg: &str, default: u64, max: u64) -> Result<u64, String> {
    if arg.is_empty() {
        return Ok(default);
    }
    match arg.parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("'{arg}' is not a count from 1 to {max}")),
    }
}

/// The bucket holding the median latency, as "< N us" (the histogram is log2 ticks).
fn median_latency(stats: &EndpointStats) -> String {
    match services::health::median_bucket(&stats.latency_log2) {
        Some(bucket) => {
            let ticks = 1u64.checked_shl(bucket as u32).unwrap_or(u64::MAX);
            format!("<{}us", arch::ticks_to_us(ticks).max(1))
        }
        None => String::from("-"),
    }
}

fn stats() -> Outcome {
    let system = ipc_runtime::system();
    println!(
        "id    name                  sent      received  fast      slow      full  late  peer-died  latency-p50  direct"
    );
    for s in system.services() {
        let st = &s.stats;
        println!(
            "{:<5} {:<21} {:<9} {:<9} {:<9} {:<9} {:<5} {:<5} {:<10} {:<12} {}",
            s.id.0,
            s.name,
            st.sent,
            st.received,
            st.fast_path,
            st.slow_path,
            st.full,
            st.late_replies,
            st.peer_died,
            median_latency(st),
            st.direct
        );
    }
    println!("capability denials {}", system.caps().total_denials());
    let (handed_off, handed_back) = process::handoff_counts();
    println!("calls run in the caller's trap {handed_off}, handed back {handed_back}");
    Ok(())
}

fn trace(n: usize) -> Outcome {
    let headers = ipc_runtime::system().trace(n);
    println!("message  from   to     kind       priority    at-us");
    for h in &headers {
        let kind = match h.kind {
            MessageKind::Request => "request",
            MessageKind::Response => "response",
            MessageKind::Event => "event",
            MessageKind::Broadcast => "broadcast",
        };
        println!(
            "{:<8} {:<6} {:<6} {:<10} {:<11} {}",
            h.id.0,
            h.source.0,
            h.destination.0,
            kind,
            format!("{:?}", h.priority),
            arch::ticks_to_us(h.timestamp)
        );
    }
    println!("{} messages", headers.len());
    Ok(())
}

/// `n` calls to the echo service, each bounded by a timeout.
async fn ping(n: u64) -> Outcome {
    let mut connection =
        ipc_runtime::connect(ECHO_SERVICE).map_err(|e| format!("{ECHO_SERVICE}: {e}"))?;
    let mut ticks = Vec::with_capacity(n as usize);
    for i in 0..n {
        let start = arch::rdtsc();
        let request = Message::with_data(1, [i, 0, 0, 0, 0, 0]);
        let call = connection.call(Priority::Normal, request);
        let reply = match executor().timeout(us_to_ticks(PING_TIMEOUT_US), call).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(e)) => return Err(format!("ping {i}: {e}")),
            Err(_) => return Err(format!("ping {i}: no reply within {PING_TIMEOUT_US} us")),
        };
        ticks.push(arch::rdtsc() - start);
        if reply.data[0] != i + 1 {
            return Err(format!("ping {i}: wrong reply {}", reply.data[0]));
        }
    }
    ticks.sort_unstable();
    println!(
        "{n} replies from {ECHO_SERVICE}, round trip p50 {} ticks",
        ticks[ticks.len() / 2]
    );
    Ok(())
}
