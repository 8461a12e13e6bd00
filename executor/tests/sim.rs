//! Deterministic executor tests: one thread plays every core (`SimPlatform`).
#![cfg(not(loom))]

mod common;

use std::future::{pending, ready};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use common::{OUTSIDE, SimPlatform, simulated};
use executor::{
    Affinity, CoreRunState, Elapsed, Executor, JoinError, JoinHandle, Platform, Priority,
    TaskState, Worker, WorkerError, yield_now,
};

type Exec = Executor<SimPlatform>;

fn poll_handle<T>(handle: &mut JoinHandle<T>) -> Option<Result<T, JoinError>> {
    match Pin::new(handle).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

/// Runs `worker` as its core until it finds nothing; returns the number of polls.
/// Runs `worker` until it finds nothing to do; returns its turns (a turn polls one task,
/// more than once when the task yields with nothing else to run: the yield fast path).
fn drain(exec: &Exec, worker: &mut Worker<'_, SimPlatform>) -> usize {
    exec.platform().act_as(worker.core());
    let mut turns = 0;
    while worker.run_once() {
        turns += 1;
    }
    turns
}

/// A waker the test can fire by hand, and a future waiting for it.
#[derive(Default)]
struct Gate {
    open: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Gate {
    fn wait(self: &Arc<Self>) -> impl Future<Output = ()> + Send + 'static {
        let gate = self.clone();
        std::future::poll_fn(move |cx| {
            *gate.waker.lock().unwrap() = Some(cx.waker().clone());
            if gate.open.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }

    fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
        if let Some(w) = self.waker.lock().unwrap().take() {
            w.wake();
        }
    }
}

#[test]
fn spawn_from_outside_runs_and_joins() {
    let exec = simulated(1);
    exec.platform().act_as(OUTSIDE);
    let mut handle = exec.spawn(async { 6 * 7 });
    assert_eq!(poll_handle(&mut handle), None);
    let mut w = exec.worker(0).unwrap();
    assert_eq!(drain(&exec, &mut w), 1);
    assert_eq!(poll_handle(&mut handle), Some(Ok(42)));
}

#[test]
fn worker_claims_are_exclusive() {
    let exec = simulated(2);
    let w = exec.worker(0).unwrap();
    assert_eq!(exec.worker(0).err(), Some(WorkerError::AlreadyRunning));
    assert_eq!(exec.worker(2).err(), Some(WorkerError::NoSuchCore));
    drop(w);
    assert!(exec.worker(0).is_ok());
}

#[test]
fn higher_lanes_run_first() {
    let exec = simulated(1);
    exec.platform().act_as(OUTSIDE);
    let order = Arc::new(Mutex::new(Vec::new()));
    for lane in Priority::ALL.into_iter().rev() {
        let order = order.clone();
        exec.build()
            .priority(lane)
            .spawn(async move { order.lock().unwrap().push(lane) });
    }
    let mut w = exec.worker(0).unwrap();
    drain(&exec, &mut w);
    assert_eq!(*order.lock().unwrap(), Priority::ALL.to_vec());
}

#[test]
fn background_is_not_starved_by_critical_flood() {
    let exec = simulated(1);
    exec.platform().act_as(OUTSIDE);
    let ran = Arc::new(AtomicUsize::new(0));
    let background_at = Arc::new(AtomicUsize::new(usize::MAX));
    for _ in 0..1000 {
        let ran = ran.clone();
        exec.build()
            .priority(Priority::Critical)
            .spawn(async move { ran.fetch_add(1, Ordering::SeqCst) });
    }
    let (r, at) = (ran.clone(), background_at.clone());
    exec.build()
        .priority(Priority::Background)
        .spawn(async move { at.store(r.load(Ordering::SeqCst), Ordering::SeqCst) });
    let mut w = exec.worker(0).unwrap();
    drain(&exec, &mut w);
    let at = background_at.load(Ordering::SeqCst);
    assert!(
        at <= Priority::Critical.budget() as usize,
        "background ran after {at} critical polls"
    );
}

#[test]
fn wake_during_poll_requeues_the_task() {
    let exec = simulated(1);
    exec.platform().act_as(0);
    let mut handle = exec.spawn(async {
        for _ in 0..3 {
            yield_now().await;
        }
        "done"
    });
    let mut w = exec.worker(0).unwrap();
    // Nothing else to run: every re-poll happens inside the first turn.
    assert_eq!(drain(&exec, &mut w), 1);
    assert_eq!(handle.task().polls(), 4);
    assert_eq!(poll_handle(&mut handle), Some(Ok("done")));
}

#[test]
fn abort_drops_the_future_and_reports_cancelled() {
    struct Guard(Arc<AtomicBool>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let exec = simulated(1);
    exec.platform().act_as(OUTSIDE);
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = Guard(dropped.clone());
    let mut handle = exec.spawn(async move {
        let _guard = guard;
        pending::<()>().await;
    });
    let mut w = exec.worker(0).unwrap();
    assert_eq!(drain(&exec, &mut w), 1);
    assert_eq!(handle.task().state(), TaskState::Idle);
    handle.abort();
    assert!(handle.task().is_cancelled());
    drain(&exec, &mut w);
    assert!(dropped.load(Ordering::SeqCst));
    assert!(handle.is_finished());
    assert_eq!(poll_handle(&mut handle), Some(Err(JoinError::Cancelled)));
}

#[test]
fn abort_before_first_poll_never_polls() {
    let exec = simulated(1);
    exec.platform().act_as(OUTSIDE);
    let polled = Arc::new(AtomicBool::new(false));
    let p = polled.clone();
    let mut handle = exec.spawn(async move { p.store(true, Ordering::SeqCst) });
    handle.abort();
    let mut w = exec.worker(0).unwrap();
    drain(&exec, &mut w);
    assert!(!polled.load(Ordering::SeqCst));
    assert_eq!(handle.task().polls(), 0);
    assert_eq!(poll_handle(&mut handle), Some(Err(JoinError::Cancelled)));
}

#[test]
fn dropping_the_handle_detaches() {
    let exec = simulated(1);
    exec.platform().act_as(OUTSIDE);
    let gate = Arc::new(Gate::default());
    let ran = Arc::new(AtomicBool::new(false));
    let (g, r) = (gate.clone(), ran.clone());
    drop(exec.spawn(async move {
        g.wait().await;
        r.store(true, Ordering::SeqCst);
    }));
    let mut w = exec.worker(0).unwrap();
    drain(&exec, &mut w);
    gate.open();
    drain(&exec, &mut w);
    assert!(ran.load(Ordering::SeqCst));
}

#[test]
fn idle_core_steals_half_of_a_victims_ring() {
    let exec = simulated(2);
    let (mut w0, mut w1) = (exec.worker(0).unwrap(), exec.worker(1).unwrap());
    exec.platform().act_as(0);
    let handles: Vec<_> = (0..8).map(|i| exec.spawn(async move { i })).collect();
    assert_eq!(exec.snapshot().cores[0].queue_len, 8);
    exec.platform().act_as(1);
    assert!(w1.run_once());
    let snap = exec.snapshot();
    assert_eq!(snap.cores[1].steals, 1);
    assert_eq!(snap.cores[1].queue_len, 3);
    assert_eq!(snap.cores[0].queue_len, 4);
    drain(&exec, &mut w0);
    drain(&exec, &mut w1);
    for mut h in handles {
        assert!(poll_handle(&mut h).unwrap().is_ok());
    }
    assert_eq!(
        exec.snapshot().cores.iter().map(|c| c.polls).sum::<u64>(),
        8
    );
}

/// The yield fast path re-polls in place only when nothing else is runnable: two
/// yielding tasks on one core still alternate, and a task woken into the LIFO slot by a
/// yielding task runs before the yielder's next poll.
#[test]
fn yielding_tasks_take_turns() {
    let exec = simulated(1);
    exec.platform().act_as(0);
    let order = Arc::new(Mutex::new(Vec::new()));
    for name in ["a", "b"] {
        let order = order.clone();
        exec.spawn(async move {
            for _ in 0..3 {
                order.lock().unwrap().push(name);
                yield_now().await;
            }
        });
    }
    let mut w = exec.worker(0).unwrap();
    drain(&exec, &mut w);
    assert_eq!(*order.lock().unwrap(), ["a", "b", "a", "b", "a", "b"]);

    let gate = Arc::new(Gate::default());
    let woken_first = Arc::new(AtomicBool::new(false));
    let (g, seen) = (gate.clone(), woken_first.clone());
    let mut waiter = exec.spawn(async move {
        g.wait().await;
        seen.store(true, Ordering::SeqCst);
    });
    drain(&exec, &mut w);
    let (g, seen) = (gate.clone(), woken_first.clone());
    let mut yielder = exec.spawn(async move {
        g.open();
        yield_now().await;
        seen.load(Ordering::SeqCst)
    });
    drain(&exec, &mut w);
    assert_eq!(poll_handle(&mut waiter), Some(Ok(())));
    assert_eq!(
        poll_handle(&mut yielder),
        Some(Ok(true)),
        "the woken task ran first"
    );
}

#[test]
fn pinned_task_runs_only_on_its_core() {
    let exec = simulated(2);
    let (mut w0, mut w1) = (exec.worker(0).unwrap(), exec.worker(1).unwrap());
    exec.platform().act_as(0);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (s, e) = (seen.clone(), exec.clone());
    let handle = exec
        .build()
        .affinity(Affinity::Pinned(1))
        .spawn(async move {
            for _ in 0..3 {
                s.lock().unwrap().push(e.platform().current_core());
                yield_now().await;
            }
        });
    assert_eq!(
        drain(&exec, &mut w0),
        0,
        "core 0 must not steal a pinned task"
    );
    assert_eq!(
        drain(&exec, &mut w1),
        1,
        "one turn: the yields re-poll in place"
    );
    assert_eq!(*seen.lock().unwrap(), vec![Some(1); 3]);
    assert!(handle.is_finished());
}

#[test]
fn pinned_task_woken_on_its_core_runs_there_next_and_is_never_stolen() {
    let exec = simulated(2);
    let (mut w0, mut w1) = (exec.worker(0).unwrap(), exec.worker(1).unwrap());
    exec.platform().act_as(0);
    let gate = Arc::new(Gate::default());
    let ran_on = Arc::new(Mutex::new(Vec::new()));
    let (wait, r, e) = (gate.wait(), ran_on.clone(), exec.clone());
    let mut pinned = exec
        .build()
        .affinity(Affinity::Pinned(0))
        .spawn_on(0, async move {
            wait.await;
            r.lock().unwrap().push(e.platform().current_core());
        });
    assert_eq!(
        drain(&exec, &mut w0),
        1,
        "the pinned task parks at the gate"
    );
    // Woken on its own core: into core 0's pinned LIFO slot, with other work queued.
    let other = exec.spawn(async {});
    exec.platform().act_as(0);
    gate.open();
    assert!(w0.run_once());
    assert_eq!(
        *ran_on.lock().unwrap(),
        vec![Some(0)],
        "the woken pinned task runs before the older queued one"
    );
    assert_eq!(drain(&exec, &mut w1), 1, "core 1 steals the unpinned task");
    assert!(poll_handle(&mut pinned).is_some());
    drop(other);
}

#[test]
fn hints_apply_at_next_enqueue_and_ipi_only_halted_cores() {
    let exec = simulated(2);
    let mut w0 = exec.worker(0).unwrap();
    exec.platform().act_as(0);
    let gate = Arc::new(Gate::default());
    let handle = exec.spawn(gate.wait());
    drain(&exec, &mut w0);
    handle.task().set_affinity(Affinity::Prefer(1));
    handle.task().set_priority(Priority::High);
    exec.platform().act_as(0);
    gate.open();
    let snap = exec.snapshot();
    assert_eq!(snap.cores[1].queue_len, 1, "woken into core 1's inbox");
    assert_eq!(snap.cores[0].queue_len, 0);
    assert_eq!(snap.cores[1].state, CoreRunState::Running);
    assert!(
        exec.platform().take_notified().is_empty(),
        "core 1 is not halted"
    );
    let task = snap.tasks.iter().find(|t| t.id == handle.id()).unwrap();
    assert_eq!(task.priority, Priority::High);
    assert_eq!(task.affinity, Affinity::Prefer(1));
}

#[test]
fn remote_wake_of_a_halting_core_sends_one_ipi_and_is_not_lost() {
    let exec = simulated(2);
    let mut w0 = exec.worker(0).unwrap();
    exec.platform().act_as(0);
    let gate = Arc::new(Gate::default());
    let handle = exec
        .build()
        .affinity(Affinity::Prefer(1))
        .spawn(gate.wait());
    exec.platform().take_notified();
    drain(&exec, &mut w0); // core 0 may steal it; then it waits on the gate
    let mut w1 = exec.worker(1).unwrap();
    drain(&exec, &mut w1);
    // Core 1 halts; while it is HALTED, "core 0" opens the gate (twice: one IPI only).
    let (p, e, g) = (exec.clone(), exec.clone(), gate.clone());
    exec.platform().push_idle_hook(move || {
        p.platform().act_as(0);
        g.open();
        g.open();
        assert_eq!(p.platform().take_notified(), vec![1]);
        p.platform().act_as(1);
    });
    exec.platform().push_idle_hook(move || e.shutdown());
    exec.platform().act_as(1);
    w1.run();
    assert!(handle.is_finished());
    let snap = exec.snapshot();
    assert_eq!(snap.cores[0].ipis_sent, 1);
    // One for the gate, one for the shutdown that ended the second halt.
    assert_eq!(snap.cores[1].ipis_received, 2);
}

#[test]
fn run_near_follows_the_peer() {
    let exec = simulated(2);
    let (mut w0, mut w1) = (exec.worker(0).unwrap(), exec.worker(1).unwrap());
    exec.platform().act_as(0);
    let peer_gate = Arc::new(Gate::default());
    let peer = exec.spawn_on(1, peer_gate.wait());
    drain(&exec, &mut w1); // the peer runs on core 1
    let gate = Arc::new(Gate::default());
    let follower = exec.spawn(gate.wait());
    drain(&exec, &mut w0);
    follower.task().run_near(peer.task());
    exec.platform().act_as(0);
    gate.open();
    assert_eq!(exec.snapshot().cores[1].queue_len, 1);
    drain(&exec, &mut w1);
    assert!(follower.is_finished());
}

#[test]
fn spawn_on_targets_the_core_inbox() {
    let exec = simulated(3);
    exec.platform().act_as(0);
    let handle = exec.spawn_on(2, async {});
    assert_eq!(exec.snapshot().cores[2].queue_len, 1);
    let mut w2 = exec.worker(2).unwrap();
    drain(&exec, &mut w2);
    assert!(handle.is_finished());
    let anywhere = exec.spawn_anywhere(async {});
    assert_eq!(exec.snapshot().injector_len, 1);
    drain(&exec, &mut w2);
    assert!(anywhere.is_finished());
}

#[test]
fn sleep_completes_at_its_deadline_only() {
    let exec = simulated(1);
    exec.platform().act_as(OUTSIDE);
    let e = exec.clone();
    let mut handle = exec.spawn(async move { e.sleep(100).await });
    let mut w = exec.worker(0).unwrap();
    exec.platform().act_as(0);
    assert!(w.run_once());
    assert_eq!(exec.snapshot().cores[0].timers, 1);
    exec.platform().set_time(99);
    assert!(!w.run_once());
    exec.platform().set_time(100);
    assert!(w.run_once());
    assert_eq!(poll_handle(&mut handle), Some(Ok(())));
    assert_eq!(exec.snapshot().cores[0].timers, 0);
}

#[test]
fn timeout_reports_elapsed_and_cleans_up() {
    let exec = simulated(1);
    exec.platform().act_as(0);
    let e = exec.clone();
    let mut slow = exec.spawn(async move { e.timeout(50, pending::<u8>()).await });
    let e = exec.clone();
    let mut fast = exec.spawn(async move { e.timeout(50, ready(5u8)).await });
    let mut w = exec.worker(0).unwrap();
    drain(&exec, &mut w);
    assert_eq!(poll_handle(&mut fast), Some(Ok(Ok(5))));
    assert_eq!(poll_handle(&mut slow), None);
    exec.platform().set_time(50);
    drain(&exec, &mut w);
    assert_eq!(poll_handle(&mut slow), Some(Ok(Err(Elapsed))));
    assert_eq!(exec.snapshot().cores[0].timers, 0);
}

#[test]
fn interval_keeps_phase_and_skips_missed_ticks() {
    let exec = simulated(1);
    exec.platform().act_as(0);
    let ticks = Arc::new(Mutex::new(Vec::new()));
    let (e, t) = (exec.clone(), ticks.clone());
    exec.spawn(async move {
        let mut interval = e.interval(10);
        for _ in 0..4 {
            let tick = interval.tick().await;
            t.lock().unwrap().push(tick);
        }
    });
    let mut w = exec.worker(0).unwrap();
    for now in [0, 10, 20, 55, 60] {
        exec.platform().set_time(now);
        drain(&exec, &mut w);
    }
    assert_eq!(*ticks.lock().unwrap(), vec![10, 20, 30, 60]);
}

#[test]
fn idle_programs_the_earliest_timer_deadline() {
    let exec = simulated(1);
    exec.platform().act_as(0);
    let e = exec.clone();
    exec.spawn(async move {
        e.sleep(1_000).await;
        e.shutdown();
    });
    exec.worker(0).unwrap().run();
    assert_eq!(*exec.platform().idled.lock().unwrap(), vec![Some(1_000)]);
    assert_eq!(exec.platform().now(), 1_000);
}

#[test]
fn irq_wait_completes_after_fire() {
    let exec = simulated(1);
    exec.platform().act_as(0);
    let e = exec.clone();
    let mut handle = exec.spawn(async move { e.irq().wait(33).unwrap().await });
    let mut w = exec.worker(0).unwrap();
    drain(&exec, &mut w);
    assert_eq!(poll_handle(&mut handle), None);
    exec.irq().fire(33).unwrap(); // interrupt context
    assert!(exec.irq().is_pending());
    drain(&exec, &mut w);
    assert_eq!(poll_handle(&mut handle), Some(Ok(1)));
}

#[test]
fn snapshot_lists_named_tasks_with_counters() {
    let exec = simulated(1);
    exec.platform().act_as(0);
    let gate = Arc::new(Gate::default());
    let handle = exec
        .build()
        .name("net-rx")
        .priority(Priority::High)
        .spawn(gate.wait());
    let snap = exec.snapshot();
    assert!(
        snap.tasks.is_empty(),
        "listed only once its first poll returned Pending"
    );
    assert_eq!(snap.cores[0].queue_len, 1);
    let mut w = exec.worker(0).unwrap();
    drain(&exec, &mut w);
    let snap = exec.snapshot();
    assert_eq!(snap.tasks.len(), 1);
    let t = &snap.tasks[0];
    assert_eq!(
        (t.name.as_str(), t.state, t.priority, t.polls, t.home),
        ("net-rx", TaskState::Idle, Priority::High, 1, 0)
    );
    assert_eq!(snap.cores[0].polls, 1);
    gate.open();
    drain(&exec, &mut w);
    assert!(handle.is_finished());
    assert!(exec.snapshot().tasks.is_empty());
}

#[test]
fn shutdown_cancels_everything_and_later_spawns() {
    let exec = simulated(1);
    exec.platform().act_as(0);
    let mut idle = exec.spawn(pending::<()>());
    let mut w = exec.worker(0).unwrap();
    drain(&exec, &mut w);
    let mut queued = exec.spawn(async {});
    exec.shutdown();
    assert_eq!(poll_handle(&mut idle), Some(Err(JoinError::Cancelled)));
    drop(w); // the worker drops what is left in its rings
    assert_eq!(poll_handle(&mut queued), Some(Err(JoinError::Cancelled)));
    let mut late = exec.spawn(async {});
    assert_eq!(poll_handle(&mut late), Some(Err(JoinError::Cancelled)));
    assert!(exec.snapshot().tasks.is_empty());
}

/// A shutdown that lists the registry while a task's first poll runs (so before the task
/// is listed) still cancels it: the listing sees the shutdown and aborts it.
#[test]
fn shutdown_during_a_first_poll_cancels_the_task() {
    let exec = simulated(1);
    exec.platform().act_as(0);
    let e = exec.clone();
    let dropped = Arc::new(AtomicBool::new(false));
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let guard = SetOnDrop(dropped.clone());
    let mut handle = exec.spawn(async move {
        let _guard = guard;
        e.shutdown();
        pending::<()>().await;
    });
    let mut w = exec.worker(0).unwrap();
    drain(&exec, &mut w);
    assert!(dropped.load(Ordering::SeqCst), "the future was dropped");
    assert_eq!(poll_handle(&mut handle), Some(Err(JoinError::Cancelled)));
    assert!(exec.snapshot().tasks.is_empty());
}

#[test]
fn spawn_on_own_core_wakes_a_halted_core_to_steal() {
    let exec = simulated(2);
    let mut w1 = exec.worker(1).unwrap();
    let (p, e) = (exec.clone(), exec.clone());
    let spawned = Arc::new(std::sync::Mutex::new(None));
    let slot = spawned.clone();
    // While core 1 is halted, core 0 (busy) queues a task on its own inbox: the
    // task is stealable, so the halted core must be told.
    exec.platform().push_idle_hook(move || {
        p.platform().act_as(0);
        *slot.lock().unwrap() = Some(p.spawn_on(0, async {}));
        assert_eq!(p.platform().take_notified(), vec![1]);
        p.platform().act_as(1);
    });
    exec.platform().push_idle_hook(move || e.shutdown());
    exec.platform().act_as(1);
    w1.run();
    let handle = spawned.lock().unwrap().take().unwrap();
    assert!(handle.is_finished(), "core 1 stole and ran the task");
    assert_eq!(exec.snapshot().cores[1].steals, 1);
}

/// The stage is inline up to 128 bytes and 16-byte alignment, boxed beyond: both paths
/// poll, keep the output for the handle, and drop what they hold exactly once.
#[test]
fn big_and_over_aligned_futures_and_outputs() {
    #[repr(align(64))]
    struct Aligned(u64);
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let exec = simulated(1);
    exec.platform().act_as(OUTSIDE);
    let drops = Arc::new(AtomicUsize::new(0));
    let big = [7u8; 1000];
    let mut big_handle = exec.spawn(async move {
        yield_now().await;
        big.iter().map(|&b| u32::from(b)).sum::<u32>()
    });
    let aligned = Aligned(5);
    let mut aligned_handle = exec.spawn(async move {
        yield_now().await;
        let a = &aligned;
        assert_eq!(a as *const Aligned as usize % 64, 0);
        Aligned(a.0 + 1)
    });
    let (d1, d2, d3) = (drops.clone(), drops.clone(), drops.clone());
    // A big output, joined: dropped once, by the joiner.
    let mut out_handle = exec.spawn(async move { ([1u64; 40], Counted(d1)) });
    // Outputs of detached tasks are dropped with the task (inline and boxed stage).
    drop(exec.spawn(async move { Counted(d2) }));
    drop(exec.spawn(async move { ([0u8; 500], Counted(d3)) }));
    let mut w = exec.worker(0).unwrap();
    drain(&exec, &mut w);
    assert_eq!(poll_handle(&mut big_handle), Some(Ok(7000)));
    assert_eq!(
        poll_handle(&mut aligned_handle).map(|r| r.map(|a| a.0)),
        Some(Ok(6))
    );
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    let (array, counted) = poll_handle(&mut out_handle).unwrap().unwrap();
    assert_eq!(array, [1u64; 40]);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    drop(counted);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    drop(out_handle);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

/// A task that spawns and awaits at once has its child polled inside its own poll (the
/// child was never queued): one turn, one poll each, and nothing left in the queues.
#[test]
fn spawn_and_await_polls_the_child_inline() {
    let exec = simulated(1);
    exec.platform().act_as(0);
    let e = exec.clone();
    let child_polls = Arc::new(AtomicUsize::new(0));
    let c = child_polls.clone();
    let mut parent = exec.spawn(async move {
        let child = e.spawn(async move {
            c.fetch_add(1, Ordering::SeqCst);
            6 * 7
        });
        let id = child.id();
        (child.await, id)
    });
    let mut w = exec.worker(0).unwrap();
    assert_eq!(
        drain(&exec, &mut w),
        1,
        "the parent's single turn ran the child"
    );
    assert_eq!(parent.task().polls(), 1);
    assert_eq!(child_polls.load(Ordering::SeqCst), 1);
    let (output, _) = poll_handle(&mut parent).unwrap().unwrap();
    assert_eq!(output, Ok(42));
    assert_eq!(exec.snapshot().cores[0].queue_len, 0);
}

/// Tasks a poll spawns and does not await run after it, in the order they were spawned;
/// awaiting one spawned earlier than the last one waits the ordinary way.
#[test]
fn spawned_tasks_keep_their_order_and_earlier_ones_are_not_inlined() {
    let exec = simulated(1);
    exec.platform().act_as(0);
    let e = exec.clone();
    let order = Arc::new(Mutex::new(Vec::new()));
    let o = order.clone();
    let mut parent = exec.spawn(async move {
        let handles: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|name| {
                let o = o.clone();
                e.spawn(async move { o.lock().unwrap().push(name) })
            })
            .collect();
        let mut handles = handles.into_iter();
        // "a" is not the latest spawn: not polled inline; the parent waits for it.
        let first = handles.next().unwrap().await;
        o.lock().unwrap().push("parent");
        first
    });
    let mut w = exec.worker(0).unwrap();
    drain(&exec, &mut w);
    assert_eq!(poll_handle(&mut parent), Some(Ok(Ok(()))));
    assert_eq!(parent.task().polls(), 2, "the parent waited for \"a\"");
    let order = order.lock().unwrap();
    let children: Vec<_> = order.iter().filter(|&&n| n != "parent").collect();
    assert_eq!(children, [&"a", &"b", &"c"]);
}

/// A child polled inline that is not done goes on as an ordinary task (its own wakes
/// queue it) and its parent is woken when it completes; a chain of spawn-and-await
/// deeper than the inline bound still completes.
#[test]
fn inline_child_that_waits_and_deep_chains_complete() {
    fn chain(e: Exec, depth: u32) -> Pin<Box<dyn std::future::Future<Output = u32> + Send>> {
        Box::pin(async move {
            if depth == 0 {
                yield_now().await;
                return 0;
            }
            let inner = e.clone();
            e.spawn(chain(inner, depth - 1)).await.unwrap() + 1
        })
    }
    let exec = simulated(1);
    exec.platform().act_as(0);
    let gate = Arc::new(Gate::default());
    let (e, g) = (exec.clone(), gate.clone());
    let mut waiting = exec.spawn(async move { e.spawn(g.wait()).await });
    let mut deep = exec.spawn(chain(exec.clone(), 6));
    let mut w = exec.worker(0).unwrap();
    drain(&exec, &mut w);
    assert_eq!(poll_handle(&mut deep), Some(Ok(6)));
    assert_eq!(
        poll_handle(&mut waiting),
        None,
        "the child waits on the gate"
    );
    exec.platform().act_as(OUTSIDE);
    gate.open();
    drain(&exec, &mut w);
    assert_eq!(poll_handle(&mut waiting), Some(Ok(Ok(()))));
}

/// A child whose hints send it elsewhere, or that was aborted, is never polled inline;
/// hints set between the spawn and the end of the spawner's poll apply to its first
/// enqueue.
#[test]
fn pinned_or_aborted_children_are_not_polled_inline() {
    let exec = simulated(2);
    exec.platform().act_as(0);
    let e = exec.clone();
    let ran_on: Arc<Mutex<Option<usize>>> = Arc::new(Mutex::new(None));
    let r = ran_on.clone();
    let mut parent = exec.spawn(async move {
        let here = e.clone();
        let child = e.spawn(async move { *r.lock().unwrap() = here.platform().current_core() });
        child.task().set_affinity(Affinity::Pinned(1));
        let aborted = e.spawn(async { unreachable!("an aborted task is never polled") });
        aborted.abort();
        (aborted.await, child.await)
    });
    let (mut w0, mut w1) = (exec.worker(0).unwrap(), exec.worker(1).unwrap());
    drain(&exec, &mut w0);
    drain(&exec, &mut w1);
    drain(&exec, &mut w0);
    assert_eq!(
        poll_handle(&mut parent),
        Some(Ok((Err(JoinError::Cancelled), Ok(()))))
    );
    assert_eq!(*ran_on.lock().unwrap(), Some(1));
}
