//! Stress test: many spawns and cross-core wakes on 8 worker threads; every task must
//! complete exactly once.
//!
//! `MOHHOS_STRESS_SPAWNS` sets the number of spawned tasks (default 200 000, which keeps a
//! debug run on 2 cores well under 30 s; use e.g. 5 000 000 with `--release`).
//! `MOHHOS_STRESS_ROUNDS` sets the ping-pong rounds per pair (default 2 000).
#![cfg(not(loom))]

mod common;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use common::{Watchdog, block_on, ping_pong, stop, threaded};
use executor::{Affinity, Executor, Platform, Priority, yield_now};
use futures_util::task::AtomicWaker;

const CORES: usize = 8;
const FAN_OUT: u64 = 16;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Spawns the leaves `first..first + count` as a tree: inner tasks spawn children on their
/// own core (local rings, overflow, stealing), leaves mark their slot.
/// Boxed because it is recursive.
fn tree<P: Platform>(
    exec: Executor<P>,
    hits: Arc<Vec<AtomicU8>>,
    first: u64,
    count: u64,
) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        if count == 1 {
            hits[first as usize].fetch_add(1, Ordering::Relaxed);
            return;
        }
        let chunk = count.div_ceil(FAN_OUT);
        let mut children = Vec::new();
        let mut start = first;
        while start < first + count {
            let n = chunk.min(first + count - start);
            let lane = Priority::from_index((start % 5) as usize);
            let child = tree(exec.clone(), hits.clone(), start, n);
            children.push(exec.build().priority(lane).spawn(child));
            start += n;
        }
        for child in children {
            child.await.expect("child cancelled");
        }
    })
}

#[test]
fn every_spawned_task_completes_exactly_once() {
    let _dog = Watchdog::arm("stress spawns", Duration::from_secs(120));
    let spawns = env_or("MOHHOS_STRESS_SPAWNS", 200_000);
    let (exec, workers) = threaded(CORES);
    let hits: Arc<Vec<AtomicU8>> = Arc::new((0..spawns).map(|_| AtomicU8::new(0)).collect());
    let roots = 4;
    let per_root = spawns.div_ceil(roots);
    let handles: Vec<_> = (0..roots)
        .map(|r| {
            let first = r * per_root;
            let count = per_root.min(spawns - first);
            exec.spawn_anywhere(tree(exec.clone(), hits.clone(), first, count))
        })
        .collect();
    for h in handles {
        assert_eq!(block_on(h), Ok(()));
    }
    let wrong = hits
        .iter()
        .filter(|h| h.load(Ordering::Relaxed) != 1)
        .count();
    assert_eq!(wrong, 0, "tasks that did not run exactly once");
    let snap = exec.snapshot();
    assert!(
        snap.tasks.is_empty(),
        "registry still lists {} tasks",
        snap.tasks.len()
    );
    let polls: u64 = snap.cores.iter().map(|c| c.polls).sum();
    assert!(polls >= spawns);
    stop(&exec, workers);
}

/// Leaves `first..first + count` as a binary tree whose inner tasks spawn their left half
/// (left for other cores to steal), then spawn their right half and await it at once (so
/// it is polled inline from the `JoinHandle`, while a sibling may run elsewhere), then
/// await the left half. Boxed because it is recursive.
fn joins<P: Platform>(
    exec: Executor<P>,
    hits: Arc<Vec<AtomicU8>>,
    first: u64,
    count: u64,
) -> Pin<Box<dyn Future<Output = u64> + Send>> {
    Box::pin(async move {
        if count == 1 {
            hits[first as usize].fetch_add(1, Ordering::Relaxed);
            if first.is_multiple_of(7) {
                yield_now().await; // an inline child that is not done at once
            }
            return 1;
        }
        let half = count / 2;
        let left = exec.spawn(joins(exec.clone(), hits.clone(), first, half));
        let right = exec
            .spawn(joins(
                exec.clone(),
                hits.clone(),
                first + half,
                count - half,
            ))
            .await
            .expect("right half cancelled");
        right + left.await.expect("left half cancelled")
    })
}

/// Spawn-and-await everywhere, on eight threads, with stealing: every leaf runs exactly
/// once and every join gets its child's output, whether the child was polled inline,
/// queued, or stolen.
#[test]
fn inline_joins_under_stealing_complete_exactly_once() {
    let _dog = Watchdog::arm("stress joins", Duration::from_secs(120));
    let leaves = env_or("MOHHOS_STRESS_SPAWNS", 200_000);
    let (exec, workers) = threaded(CORES);
    let hits: Arc<Vec<AtomicU8>> = Arc::new((0..leaves).map(|_| AtomicU8::new(0)).collect());
    let root = exec.spawn_anywhere(joins(exec.clone(), hits.clone(), 0, leaves));
    assert_eq!(block_on(root), Ok(leaves));
    let wrong = hits
        .iter()
        .filter(|h| h.load(Ordering::Relaxed) != 1)
        .count();
    assert_eq!(wrong, 0, "leaves that did not run exactly once");
    assert!(exec.snapshot().tasks.is_empty(), "tasks still listed");
    stop(&exec, workers);
}

#[test]
fn cross_thread_wakes_on_eight_cores() {
    let _dog = Watchdog::arm("stress wakes", Duration::from_secs(120));
    let rounds = env_or("MOHHOS_STRESS_ROUNDS", 2_000);
    let (exec, workers) = threaded(CORES);
    let completed = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for pair in 0..CORES {
        let turn = Arc::new(AtomicU64::new(0));
        let wakers = Arc::new([AtomicWaker::new(), AtomicWaker::new()]);
        for me in 0..2 {
            let core = (pair + me * 3) % CORES;
            let (turn, wakers, completed) = (turn.clone(), wakers.clone(), completed.clone());
            let affinity = if pair % 2 == 0 {
                Affinity::Pinned(core)
            } else {
                Affinity::Any
            };
            handles.push(exec.build().affinity(affinity).spawn_on(core, async move {
                ping_pong(me, rounds, turn, wakers).await;
                completed.fetch_add(1, Ordering::Relaxed);
            }));
        }
    }
    for h in handles {
        assert_eq!(block_on(h), Ok(()));
    }
    assert_eq!(completed.load(Ordering::Relaxed), 2 * CORES as u64);
    stop(&exec, workers);
}
