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
];

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
