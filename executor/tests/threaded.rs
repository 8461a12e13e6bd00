//! Executor tests with one std thread per core (`ThreadPlatform`). They assert outcomes,
//! never timing; each one is bounded by a watchdog.
#![cfg(not(loom))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::{ThreadPlatform, Watchdog, block_on, ping_pong, start_workers, stop, threaded};
use executor::{Affinity, Config, Executor, Platform};
use futures_util::task::AtomicWaker;

const LIMIT: Duration = Duration::from_secs(120);

#[test]
fn tasks_spawned_from_outside_all_complete() {
    let _dog = Watchdog::arm("outside spawns", LIMIT);
    let (exec, workers) = threaded(4);
    let handles: Vec<_> = (0..2_000u64)
        .map(|i| exec.spawn_anywhere(async move { i * 2 }))
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(block_on(h), Ok(i as u64 * 2));
    }
    stop(&exec, workers);
}

#[test]
fn halted_cores_never_miss_new_work() {
    let _dog = Watchdog::arm("halt handshake", LIMIT);
    let config = Config {
        spin_rounds: 0,
        ..Config::default()
    };
    let exec = Executor::new(ThreadPlatform::new(2), config);
    let workers = start_workers(&exec);
    // Each spawn lands while the cores are halting or halted; a lost wakeup hangs here.
    for i in 0..3_000u32 {
        let handle = match i % 3 {
            0 => exec.spawn_anywhere(async move { i }),
            1 => exec.spawn_on(1, async move { i }),
            _ => exec
                .build()
                .affinity(Affinity::Pinned(0))
                .spawn(async move { i }),
        };
        assert_eq!(block_on(handle), Ok(i));
    }
    assert!(exec.platform().notifies.load(Ordering::Relaxed) > 0);
    stop(&exec, workers);
}

/// Two tasks pinned to different cores hand a token back and forth.
fn spawn_ping_pong(
    exec: &Executor<ThreadPlatform>,
    cores: (usize, usize),
    rounds: u64,
) -> [executor::JoinHandle<()>; 2] {
    let turn = Arc::new(AtomicU64::new(0));
    let wakers = Arc::new([AtomicWaker::new(), AtomicWaker::new()]);
    let player = |me: usize, core: usize| {
        let (turn, wakers) = (turn.clone(), wakers.clone());
        exec.build()
            .name("ping-pong")
            .affinity(Affinity::Pinned(core))
            .spawn(ping_pong(me, rounds, turn, wakers))
    };
    [player(0, cores.0), player(1, cores.1)]
}

#[test]
fn cross_core_wakes_are_not_lost() {
    let _dog = Watchdog::arm("ping-pong", LIMIT);
    let (exec, workers) = threaded(2);
    for handle in spawn_ping_pong(&exec, (0, 1), 5_000) {
        assert_eq!(block_on(handle), Ok(()));
    }
    stop(&exec, workers);
}

#[test]
fn sleeping_tasks_wake_up() {
    let _dog = Watchdog::arm("sleepers", LIMIT);
    let (exec, workers) = threaded(2);
    let handles: Vec<_> = (0..50u64)
        .map(|i| {
            let e = exec.clone();
            exec.spawn_anywhere(async move {
                e.sleep(100 * (i % 5)).await;
                let before = e.platform().now();
                e.sleep(200).await;
                e.platform().now() >= before + 200
            })
        })
        .collect();
    for h in handles {
        assert_eq!(block_on(h), Ok(true));
    }
    stop(&exec, workers);
}
