//! Host instruction counts of the executor's hot paths, for callgrind.
//!
//! `hotpath <spawn|wake|remote> N` runs the operation N times on a deterministic
//! single-threaded platform (one thread plays every core, `idle` never sleeps). Measure with
//! `valgrind --tool=callgrind` at N and 2N and take `(total(2N) - total(N)) / N`
//! (`executor/hotpath.sh` does that). The operations mirror `bench executor` in the kernel:
//! - `spawn`: a running task does `spawn(async {}).await` (spawn, poll to completion, wake
//!   and re-poll the awaiting task);
//! - `wake`: a bare `poll_fn` task wakes itself (`wake_by_ref`) and returns Pending, N times;
//! - `remote`: `waker.wake()` from core 0 on a task pinned to (busy) core 1; core 1 then
//!   polls it again so it parks a fresh waker. The whole loop is counted; callgrind's
//!   `--toggle-collect='*remote_wake_op*'` counts the wake alone (what the kernel measures).

use std::cell::Cell;
use std::future::poll_fn;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use executor::{Affinity, Config, Executor, Platform};

static CURRENT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static CLOCK: Cell<u64> = const { Cell::new(0) };
}

struct Bench {
    cores: usize,
}

impl Platform for Bench {
    fn current_core(&self) -> Option<usize> {
        Some(CURRENT.load(Ordering::Relaxed))
    }
    fn core_count(&self) -> usize {
        self.cores
    }
    fn now(&self) -> u64 {
        CLOCK.with(|c| {
            let t = c.get() + 1;
            c.set(t);
            t
        })
    }
    fn notify(&self, _core: usize) {}
    fn idle(&self, _deadline: Option<u64>, _may_sleep: &dyn Fn() -> bool) {}
}

fn exec(cores: usize) -> Executor<Bench> {
    Executor::new(Bench { cores }, Config::default())
}

/// Runs core 0 until `done`.
fn drive(exec: &Executor<Bench>, done: &AtomicBool) {
    let mut worker = exec.worker(0).unwrap();
    while !done.load(Ordering::Acquire) {
        assert!(worker.run_once(), "core 0 ran out of work");
    }
}

fn spawn(n: u64) {
    let exec = exec(1);
    let done = Arc::new(AtomicBool::new(false));
    let (e, d) = (exec.clone(), done.clone());
    exec.spawn(async move {
        for _ in 0..n {
            let _ = black_box(e.spawn(async {}).await);
        }
        d.store(true, Ordering::Release);
    });
    drive(&exec, &done);
}

fn wake(n: u64) {
    let exec = exec(1);
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let mut left = n;
    exec.spawn(poll_fn(move |cx| {
        if left == 0 {
            d.store(true, Ordering::Release);
            return Poll::Ready(());
        }
        left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }));
    drive(&exec, &done);
}

#[inline(never)]
fn remote_wake_op(waker: Waker) {
    waker.wake();
}

fn remote(n: u64) {
    let exec = exec(2);
    let parked: Arc<Mutex<Option<Waker>>> = Arc::default();
    let p = parked.clone();
    CURRENT.store(0, Ordering::Relaxed);
    exec.build().affinity(Affinity::Pinned(1)).spawn_on(
        1,
        poll_fn(move |cx| {
            *p.lock().unwrap() = Some(cx.waker().clone());
            Poll::<()>::Pending
        }),
    );
    let mut w1 = exec.worker(1).unwrap();
    CURRENT.store(1, Ordering::Relaxed);
    assert!(w1.run_once());
    for _ in 0..n {
        CURRENT.store(0, Ordering::Relaxed);
        let waker = parked.lock().unwrap().take().expect("parked");
        remote_wake_op(waker);
        CURRENT.store(1, Ordering::Relaxed);
        assert!(w1.run_once());
    }
    exec.shutdown();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    match args.get(1).map(String::as_str) {
        Some("spawn") => spawn(n),
        Some("wake") => wake(n),
        Some("remote") => remote(n),
        _ => {
            eprintln!("usage: hotpath <spawn|wake|remote> N");
            std::process::exit(2);
        }
    }
}
