//! Host instruction counts of the endpoint's hot paths, for callgrind.
//!
//! `ipc_hotpath <msg|batch|call|service> N` runs the operation N times on one thread. Measure with
//! `valgrind --tool=callgrind` at N and 2N and take `(total(2N) - total(N)) / N`
//! (`ipc/hotpath.sh` does that; `batch` divides by 32 more, per message). The operations:
//! - `msg`: one `try_send` then one `try_recv` (the SPSC ring path);
//! - `batch`: one `try_send_batch` of 32 messages, then 32 `try_recv`s;
//! - `call`: a call round trip polled by hand with a counting waker: the call future polled
//!   once (request queued, `Pending`), the receiver's `try_recv`, `reply`, and the call
//!   future polled to completion;
//! - `service`: what the kernel's `bench ipc` measures as `ipc.call_rtt_same_core`: a task
//!   calls a service task through `ipc::System` (capability check, header) on one executor
//!   core, both pinned to it; one round trip including the executor's two wakes and polls.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use ipc::{EndpointConfig, Header, IpcError, Message, Priority, Received, ServiceId, channel};

/// Messages per batch in `batch`.
const BATCH: usize = 32;

/// A waker that only counts its wakes.
struct Counter(AtomicU64);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn header() -> Header {
    Header {
        priority: Priority::Normal,
        ..Header::default()
    }
}

/// Looks at a received message in place (no copy charged to the operation).
#[inline(always)]
fn consume(received: Result<Option<Received>, IpcError>) {
    match &received {
        Ok(Some(received)) => {
            black_box(received);
        }
        other => panic!("nothing received: {other:?}"),
    }
}

fn msg(n: u64) {
    let (mut tx, mut rx) = channel(ServiceId(1), EndpointConfig::default());
    for i in 0..n {
        tx.try_send(header(), Message::new(i)).unwrap();
        consume(rx.try_recv());
    }
}

fn batch(n: u64) {
    let (mut tx, mut rx) = channel(ServiceId(1), EndpointConfig::default());
    let messages: Vec<(Header, Message)> = (0..BATCH as u64)
        .map(|i| (header(), Message::new(i)))
        .collect();
    for _ in 0..n {
        assert_eq!(tx.try_send_batch(black_box(&messages)).unwrap(), BATCH);
        for _ in 0..BATCH {
            consume(rx.try_recv());
        }
    }
}

fn call(n: u64) {
    let (mut tx, mut rx) = channel(ServiceId(1), EndpointConfig::default());
    let counter = Arc::new(Counter(AtomicU64::new(0)));
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    for i in 0..n {
        let mut call = pin!(tx.call(header(), Message::new(i)));
        assert!(call.as_mut().poll(&mut cx).is_pending());
        let request = rx.try_recv().unwrap().unwrap();
        let token = request.reply.unwrap();
        token.reply(Message::new(request.message.tag + 1)).unwrap();
        match call.as_mut().poll(&mut cx) {
            Poll::Ready(Ok(reply)) => assert_eq!(reply.tag, i + 1),
            other => panic!("call did not complete: {other:?}"),
        }
    }
    assert_eq!(counter.0.load(Ordering::Relaxed), n);
}

/// One core, driven by hand; `idle` never sleeps.
struct OneCore;

impl executor::Platform for OneCore {
    fn current_core(&self) -> Option<usize> {
        Some(0)
    }
    fn core_count(&self) -> usize {
        1
    }
    fn now(&self) -> u64 {
        0
    }
    fn notify(&self, _core: usize) {}
    fn idle(&self, _deadline: Option<u64>, _may_sleep: &dyn Fn() -> bool) {}
}

fn clock() -> u64 {
    0
}

fn service(n: u64) {
    use executor::{Affinity, Executor};
    use ipc::{HolderId, SecurityLevel, System};
    let system: &'static System = Box::leak(Box::new(System::new(clock)));
    let exec = Executor::new(OneCore, executor::Config::default());
    let owner = HolderId(0);
    let handle = system
        .register(owner, "echo", SecurityLevel::System)
        .unwrap();
    let mut receiver = handle.receiver;
    exec.build()
        .affinity(Affinity::Pinned(0))
        .spawn(async move {
            while let Ok(request) = receiver.recv().await {
                if let Some(token) = request.reply {
                    let _ = token.reply(request.message);
                }
            }
        });
    let mut connection = system.connect(owner, handle.cap, ServiceId(0)).unwrap();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let finished = done.clone();
    exec.build()
        .affinity(Affinity::Pinned(0))
        .spawn(async move {
            for i in 0..n {
                let reply = connection.call(Priority::Normal, Message::new(i)).await;
                black_box(reply.unwrap());
            }
            finished.store(true, Ordering::Release);
        });
    let mut worker = exec.worker(0).unwrap();
    while !done.load(Ordering::Acquire) {
        assert!(worker.run_once(), "the core ran out of work");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    match args.get(1).map(String::as_str) {
        Some("msg") => msg(n),
        Some("batch") => batch(n),
        Some("call") => call(n),
        Some("service") => service(n),
        _ => {
            eprintln!("usage: ipc_hotpath <msg|batch|call|service> N");
            std::process::exit(2);
        }
    }
}
