//! The baseline operations. Each `run` function performs [`WARMUP`] operations, then `n` more.

use std::hint::black_box;

use tokio::runtime::{Builder, Runtime};
use tokio::sync::mpsc;

/// Operations performed before the counted ones, so that allocator caches and the runtime's
/// queues are in their steady state. The same in every run, so the N/2N difference removes them.
const WARMUP: u64 = 1_000;

/// One host baseline.
pub struct Baseline {
    /// Name of its figure, `<library>.<what>`.
    pub name: &'static str,
    /// The `cargo xtask bench` suite it belongs to.
    pub suite: &'static str,
    /// The kernel figure it is the anchor for.
    pub anchors: &'static str,
    /// Performs the warm-up, then `n` operations.
    pub run: fn(n: u64),
}

/// Every baseline.
pub const BASELINES: &[Baseline] = &[
    Baseline {
        name: "tokio.spawn_await",
        suite: "executor",
        anchors: "executor.spawn_complete",
        run: tokio_spawn_await,
    },
    Baseline {
        name: "tokio.pingpong_rtt",
        suite: "executor",
        anchors: "executor.pingpong_rtt",
        run: tokio_pingpong_rtt,
    },
    Baseline {
        name: "crossbeam.send_recv",
        suite: "executor",
        anchors: "executor.remote_wake",
        run: crossbeam_send_recv,
    },
    Baseline {
        name: "tokio.mpsc_call_rtt",
        suite: "ipc",
        anchors: "ipc.call_rtt_same_core",
        run: tokio_mpsc_call_rtt,
    },
    Baseline {
        name: "crossbeam.msg64_send_recv",
        suite: "ipc",
        anchors: "ipc.spsc_message",
        run: crossbeam_msg64_send_recv,
    },
];

/// A 64-byte message, the size of an IPC fast message.
#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct Msg64([u64; 8]);

/// tokio's current-thread runtime (no I/O or timer driver: the operations need neither).
fn runtime() -> Runtime {
    Builder::new_current_thread()
        .build()
        .expect("building a tokio current-thread runtime")
}

/// Spawn a trivial task and await its `JoinHandle`.
fn tokio_spawn_await(n: u64) {
    runtime().block_on(async {
        for i in 0..WARMUP + n {
            let task = tokio::spawn(async move { black_box(i) });
            black_box(task.await.expect("the trivial task completes"));
        }
    });
}

/// One round trip between two tasks over two capacity-1 mpsc channels.
fn tokio_pingpong_rtt(n: u64) {
    runtime().block_on(async {
        let (ping_tx, mut ping_rx) = mpsc::channel::<u64>(1);
        let (pong_tx, mut pong_rx) = mpsc::channel::<u64>(1);
        // Ends when the pinger drops `ping_tx`.
        let ponger = tokio::spawn(async move {
            while let Some(v) = ping_rx.recv().await {
                pong_tx
                    .send(v)
                    .await
                    .expect("the pinger waits for the pong");
            }
        });
        let pinger = tokio::spawn(async move {
            for i in 0..WARMUP + n {
                ping_tx.send(i).await.expect("the ponger is alive");
                black_box(pong_rx.recv().await.expect("the ponger answers"));
            }
        });
        pinger.await.expect("the pinger completes");
        ponger.await.expect("the ponger completes");
    });
}

/// `send` then `recv` on a bounded crossbeam channel, on one thread.
fn crossbeam_send_recv(n: u64) {
    let (tx, rx) = crossbeam_channel::bounded(1);
    for i in 0..WARMUP + n {
        tx.send(black_box(i)).expect("the receiver is alive");
        black_box(rx.recv().expect("the value just sent"));
    }
}

/// A call round trip between two tasks on one thread: a 64-byte request over a bounded mpsc
/// channel and a 64-byte reply over another (what a same-core IPC call does).
fn tokio_mpsc_call_rtt(n: u64) {
    runtime().block_on(async {
        let (request_tx, mut request_rx) = mpsc::channel::<Msg64>(16);
        let (reply_tx, mut reply_rx) = mpsc::channel::<Msg64>(16);
        let server = tokio::spawn(async move {
            while let Some(mut request) = request_rx.recv().await {
                request.0[1] = request.0[0] + 1;
                reply_tx.send(request).await.expect("the caller waits");
            }
        });
        let caller = tokio::spawn(async move {
            for i in 0..WARMUP + n {
                let mut request = Msg64::default();
                request.0[0] = i;
                request_tx.send(request).await.expect("the server is alive");
                black_box(reply_rx.recv().await.expect("the server replies"));
            }
        });
        caller.await.expect("the caller completes");
        server.await.expect("the server completes");
    });
}

/// `send` then `recv` of a 64-byte message on a bounded crossbeam channel, on one thread.
fn crossbeam_msg64_send_recv(n: u64) {
    let (tx, rx) = crossbeam_channel::bounded(16);
    for i in 0..WARMUP + n {
        let mut msg = Msg64::default();
        msg.0[0] = i;
        tx.send(black_box(msg)).expect("the receiver is alive");
        black_box(rx.recv().expect("the message just sent"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_baseline_runs() {
        for b in BASELINES {
            (b.run)(10);
        }
    }

    #[test]
    fn names_are_unique_single_words() {
        for (i, b) in BASELINES.iter().enumerate() {
            for field in [b.name, b.suite, b.anchors] {
                assert!(
                    !field.is_empty() && !field.contains(char::is_whitespace),
                    "{field:?}"
                );
            }
            assert!(
                BASELINES[..i]
                    .iter()
                    .all(|o| o.name != b.name && o.anchors != b.anchors)
            );
        }
    }
}
