//! Host platforms for the integration tests.
//!
//! - `ThreadPlatform`: one std thread per core; `idle` parks on a condvar; `now` is real
//!   microseconds. Used by the threaded tests and the stress test.
//! - `SimPlatform`: a single thread plays every core (`act_as` sets the current core) with a
//!   manual clock; `idle` jumps the clock to the deadline. Fully deterministic.
//!
//! Every test that could hang arms a `Watchdog` that aborts the process after a bound.
#![allow(dead_code)] // each test file uses a different subset

use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use executor::{Config, Executor, Platform};
use futures_util::task::AtomicWaker;

thread_local! {
    static CORE: Cell<Option<usize>> = const { Cell::new(None) };
}

#[derive(Default)]
struct Parker {
    notified: Mutex<bool>,
    cv: Condvar,
}

/// One thread per core.
pub struct ThreadPlatform {
    parkers: Vec<Parker>,
    start: Instant,
    pub notifies: AtomicU64,
}

impl ThreadPlatform {
    pub fn new(cores: usize) -> Self {
        Self {
            parkers: (0..cores).map(|_| Parker::default()).collect(),
            start: Instant::now(),
            notifies: AtomicU64::new(0),
        }
    }
}

impl Platform for ThreadPlatform {
    fn current_core(&self) -> Option<usize> {
        CORE.with(Cell::get)
    }

    fn core_count(&self) -> usize {
        self.parkers.len()
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    fn notify(&self, core: usize) {
        self.notifies.fetch_add(1, Ordering::Relaxed);
        let parker = &self.parkers[core];
        *parker.notified.lock().unwrap() = true;
        parker.cv.notify_one();
    }

    fn idle(&self, deadline: Option<u64>, may_sleep: &dyn Fn() -> bool) {
        let parker = &self.parkers[CORE.with(Cell::get).expect("idle outside a core")];
        // Holding the lock from the last check to the wait plays `cli ... sti; hlt`.
        let mut notified = parker.notified.lock().unwrap();
        if !*notified && may_sleep() {
            notified = match deadline {
                None => parker.cv.wait(notified).unwrap(),
                Some(d) => {
                    let wait = Duration::from_micros(d.saturating_sub(self.now()));
                    parker.cv.wait_timeout(notified, wait).unwrap().0
                }
            };
        }
        *notified = false;
    }
}

/// Starts one worker thread per core; they run until `exec.shutdown()`.
pub fn start_workers(exec: &Executor<ThreadPlatform>) -> Vec<JoinHandle<()>> {
    (0..exec.platform().core_count())
        .map(|core| {
            let exec = exec.clone();
            thread::Builder::new()
                .name(format!("core{core}"))
                .spawn(move || {
                    CORE.with(|c| c.set(Some(core)));
                    exec.worker(core).expect("core free").run();
                })
                .unwrap()
        })
        .collect()
}

/// A threaded executor with `cores` workers running.
pub fn threaded(cores: usize) -> (Executor<ThreadPlatform>, Vec<JoinHandle<()>>) {
    let exec = Executor::new(ThreadPlatform::new(cores), Config::default());
    let workers = start_workers(&exec);
    (exec, workers)
}

pub fn stop(exec: &Executor<ThreadPlatform>, workers: Vec<JoinHandle<()>>) {
    exec.shutdown();
    for w in workers {
        w.join().expect("worker panicked");
    }
}

struct ThreadWaker(Thread);
impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future to completion on the calling (non-core) thread.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        thread::park();
    }
}

/// Aborts the whole test process if not dropped within `limit` (a hang is a failure).
pub struct Watchdog(Arc<AtomicBool>);

impl Watchdog {
    pub fn arm(what: &'static str, limit: Duration) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        thread::spawn(move || {
            let start = Instant::now();
            while !flag.load(Ordering::Acquire) {
                if start.elapsed() > limit {
                    eprintln!("watchdog: {what} still running after {limit:?}; aborting");
                    std::process::abort();
                }
                thread::sleep(Duration::from_millis(50));
            }
        });
        Self(done)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Deterministic platform: the test thread plays every core in turn.
pub struct SimPlatform {
    cores: usize,
    current: AtomicUsize,
    clock: AtomicU64,
    pub notified: Mutex<Vec<usize>>,
    pub idled: Mutex<Vec<Option<u64>>>,
    /// Run (in order, one per `idle` call) after the core published HALTED and re-checked
    /// its queues, before the last check: plays "another core acts right now".
    pub on_idle: Mutex<VecDeque<IdleHook>>,
}

pub type IdleHook = Box<dyn FnOnce() + Send>;

pub const OUTSIDE: usize = usize::MAX;

impl SimPlatform {
    pub fn new(cores: usize) -> Self {
        Self {
            cores,
            current: AtomicUsize::new(0),
            clock: AtomicU64::new(0),
            notified: Mutex::new(Vec::new()),
            idled: Mutex::new(Vec::new()),
            on_idle: Mutex::new(VecDeque::new()),
        }
    }

    /// Subsequent calls run "on" `core` (`OUTSIDE` for a non-core context).
    pub fn act_as(&self, core: usize) {
        self.current.store(core, Ordering::SeqCst);
    }

    pub fn set_time(&self, now: u64) {
        self.clock.store(now, Ordering::SeqCst);
    }

    pub fn push_idle_hook(&self, hook: impl FnOnce() + Send + 'static) {
        self.on_idle.lock().unwrap().push_back(Box::new(hook));
    }

    pub fn take_notified(&self) -> Vec<usize> {
        std::mem::take(&mut *self.notified.lock().unwrap())
    }
}

impl Platform for SimPlatform {
    fn current_core(&self) -> Option<usize> {
        Some(self.current.load(Ordering::SeqCst)).filter(|&c| c != OUTSIDE)
    }

    fn core_count(&self) -> usize {
        self.cores
    }

    fn now(&self) -> u64 {
        self.clock.load(Ordering::SeqCst)
    }

    fn notify(&self, core: usize) {
        self.notified.lock().unwrap().push(core);
    }

    fn idle(&self, deadline: Option<u64>, may_sleep: &dyn Fn() -> bool) {
        self.idled.lock().unwrap().push(deadline);
        let hook = self.on_idle.lock().unwrap().pop_front();
        if let Some(hook) = hook {
            hook();
        }
        if may_sleep() {
            let d = deadline.expect("simulated core would halt forever");
            self.clock.fetch_max(d, Ordering::SeqCst);
        }
    }
}

/// A deterministic executor with no spinning (so halts are observable).
pub fn simulated(cores: usize) -> Executor<SimPlatform> {
    let config = Config {
        spin_rounds: 0,
        ..Config::default()
    };
    Executor::new(SimPlatform::new(cores), config)
}

/// One player of a two-task ping-pong: in each round, waits for its turn
/// (`turn` even for player 0, odd for player 1), passes it on and wakes the
/// other player through `wakers[1 - me]`.
pub async fn ping_pong(
    me: usize,
    rounds: u64,
    turn: Arc<AtomicU64>,
    wakers: Arc<[AtomicWaker; 2]>,
) {
    for round in 0..rounds {
        let mine = round * 2 + me as u64;
        std::future::poll_fn(|cx| {
            wakers[me].register(cx.waker());
            if turn.load(Ordering::Acquire) == mine {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        turn.store(mine + 1, Ordering::Release);
        wakers[1 - me].wake();
    }
}
