//! Loom models (run with `RUSTFLAGS="--cfg loom"`, see README): every interleaving of the
//! run queue, injector, task state machine and idle handshake, within a preemption bound.

use alloc::sync::Arc;
use alloc::vec::Vec;

use loom::thread;

use crate::idle::{IdleCounts, IdleState};
use crate::lane_queue::LaneQueue;
use crate::priority::Priority;
use crate::ring::Ring;
use crate::state::State;
use crate::sync::{AtomicBool, AtomicUsize, Ordering};

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound.get_or_insert(3);
    builder.check(f);
}

fn sorted(mut v: Vec<u32>) -> Vec<u32> {
    v.sort_unstable();
    v
}

#[test]
fn ring_push_pop_vs_steal() {
    model(|| {
        let victim = Arc::new(Ring::<u32, 4>::new());
        let stealer = {
            let victim = victim.clone();
            thread::spawn(move || {
                let own = Ring::<u32, 4>::new();
                let mut got: Vec<u32> = victim.steal_into(&own).into_iter().collect();
                got.extend(core::iter::from_fn(|| own.pop()));
                got
            })
        };
        let mut got = Vec::new();
        for i in 1..=3 {
            victim.push(i).unwrap();
        }
        got.extend(victim.pop());
        got.extend(stealer.join().unwrap());
        got.extend(core::iter::from_fn(|| victim.pop()));
        assert_eq!(sorted(got), [1, 2, 3]);
    });
}

#[test]
fn ring_overflow_vs_steal() {
    model(|| {
        let victim = Arc::new(Ring::<u32, 2>::new());
        victim.push(1).unwrap();
        victim.push(2).unwrap();
        let stealer = {
            let victim = victim.clone();
            thread::spawn(move || {
                let own = Ring::<u32, 2>::new();
                let mut got: Vec<u32> = victim.steal_into(&own).into_iter().collect();
                got.extend(core::iter::from_fn(|| own.pop()));
                got
            })
        };
        let mut got = Vec::new();
        match victim.push(3) {
            Ok(()) => {}
            Err(task) => {
                got.extend(victim.drain_half().into_iter().flatten());
                got.push(task);
            }
        }
        got.extend(stealer.join().unwrap());
        got.extend(core::iter::from_fn(|| victim.pop()));
        assert_eq!(sorted(got), [1, 2, 3]);
    });
}

#[test]
fn two_stealers_never_share_a_task() {
    model(|| {
        let victim = Arc::new(Ring::<u32, 4>::new());
        for i in 1..=3 {
            victim.push(i).unwrap();
        }
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let victim = victim.clone();
                thread::spawn(move || {
                    let own = Ring::<u32, 4>::new();
                    let mut got: Vec<u32> = victim.steal_into(&own).into_iter().collect();
                    got.extend(core::iter::from_fn(|| own.pop()));
                    got
                })
            })
            .collect();
        let mut got: Vec<u32> = thieves
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        got.extend(core::iter::from_fn(|| victim.pop()));
        assert_eq!(sorted(got), [1, 2, 3]);
    });
}

#[test]
fn injector_is_mpmc() {
    model(|| {
        let q = Arc::new(LaneQueue::<u32>::new());
        let producers: Vec<_> = (1..=2)
            .map(|i| {
                let q = q.clone();
                thread::spawn(move || q.push(Priority::Normal, i))
            })
            .collect();
        let consumer = {
            let q = q.clone();
            thread::spawn(move || q.pop(Priority::Normal))
        };
        for p in producers {
            p.join().unwrap();
        }
        let mut got: Vec<u32> = consumer.join().unwrap().into_iter().collect();
        got.extend(core::iter::from_fn(|| q.pop(Priority::Normal)));
        assert_eq!(sorted(got), [1, 2]);
        assert_eq!(q.mask(), 0);
    });
}

/// A task waits for `ready`; a waker sets it and wakes. Whatever the interleaving with the
/// poll, the task either saw `ready` or was enqueued exactly once (no lost wakeup).
#[test]
fn wake_during_poll_is_never_lost() {
    model(|| {
        let state = Arc::new(State::new_scheduled());
        let ready = Arc::new(AtomicBool::new(false));
        let waker = {
            let (state, ready) = (state.clone(), ready.clone());
            thread::spawn(move || {
                ready.store(true, Ordering::Release);
                state.wake()
            })
        };
        // The worker dequeued the task and polls it once.
        assert!(state.start_run().is_some());
        let saw_ready = ready.load(Ordering::Acquire);
        let requeued = !saw_ready && state.end_run();
        if saw_ready {
            state.complete();
        }
        let woke = waker.join().unwrap();
        let enqueues = usize::from(requeued) + usize::from(woke);
        assert!(enqueues <= 1, "enqueued twice");
        assert!(saw_ready || enqueues == 1, "wakeup lost");
    });
}

#[test]
fn concurrent_wakes_enqueue_once() {
    model(|| {
        let state = Arc::new(State::new_scheduled());
        state.start_run();
        state.end_run(); // idle
        let enqueues = Arc::new(AtomicUsize::new(0));
        let wakers: Vec<_> = (0..2)
            .map(|_| {
                let (state, enqueues) = (state.clone(), enqueues.clone());
                thread::spawn(move || {
                    if state.wake() {
                        enqueues.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        let cancelled = state.cancel();
        for w in wakers {
            w.join().unwrap();
        }
        let total = enqueues.load(Ordering::Relaxed) + usize::from(cancelled);
        assert_eq!(total, 1);
    });
}

/// The halt handshake: a core publishes HALTED and re-checks its queue; a waker publishes
/// work and IPIs only a halted core. The core either sees the work or gets exactly one IPI.
#[test]
fn halt_handshake_never_loses_work() {
    model(|| {
        let idle = Arc::new(IdleState::new());
        let queue = Arc::new(LaneQueue::<u32>::new());
        let wakers: Vec<_> = (0..2)
            .map(|i| {
                let (idle, queue) = (idle.clone(), queue.clone());
                thread::spawn(move || {
                    queue.push(Priority::Normal, i);
                    idle.claim_wake()
                })
            })
            .collect();
        let counts = IdleCounts::new();
        idle.set_spinning(&counts);
        idle.prepare_halt(&counts);
        let saw_work = queue.mask() != 0;
        let ipis = wakers
            .into_iter()
            .map(|w| w.join().unwrap())
            .filter(|&sent| sent)
            .count();
        assert!(ipis <= 1, "more than one IPI for one halt");
        assert!(
            saw_work || ipis == 1,
            "work published, core neither saw it nor got an IPI"
        );
        // After an IPI the last check before `hlt` refuses to sleep.
        assert!(ipis == 0 || !idle.may_sleep());
    });
}

/// Work conservation through the idle counts (`Shared::wake_idle_core`): a core spins, then
/// halts and re-checks; a pusher publishes work, fences and reads the halted count, claiming
/// the core only when it is non-zero. The core either sees the work or gets the IPI.
#[test]
fn idle_counts_never_hide_a_halted_core() {
    model(|| {
        let counts = Arc::new(IdleCounts::new());
        let idle = Arc::new(IdleState::new());
        let queue = Arc::new(LaneQueue::<u32>::new());
        let pusher = {
            let (counts, idle, queue) = (counts.clone(), idle.clone(), queue.clone());
            thread::spawn(move || {
                queue.push(Priority::Normal, 1);
                crate::sync::fence(Ordering::SeqCst);
                counts.halted() > 0 && idle.claim_wake()
            })
        };
        idle.set_spinning(&counts);
        idle.prepare_halt(&counts);
        let saw_work = queue.mask() != 0;
        let ipi = pusher.join().unwrap();
        assert!(
            saw_work || ipi,
            "work published, halted core neither saw it nor got an IPI"
        );
        idle.set_running(&counts);
        assert_eq!((counts.spinning(), counts.halted()), (0, 0));
    });
}

/// The owner-only `local_mask` (`core_queues.rs`): the owner pushes and marks its lane while
/// a stealer empties the ring. A stale set bit is allowed; a clear bit must mean an empty
/// ring (the yield fast path and the halt re-check rely on it), and no task is lost.
#[test]
fn local_mask_clear_means_empty_ring() {
    use crate::lane_queue::bit;

    model(|| {
        let victim = Arc::new(Ring::<u32, 4>::new());
        let stealer = {
            let victim = victim.clone();
            thread::spawn(move || {
                let own = Ring::<u32, 4>::new();
                let mut got: Vec<u32> = victim.steal_into(&own).into_iter().collect();
                got.extend(core::iter::from_fn(|| own.pop()));
                got
            })
        };
        // The owner side of `Shared::push_ring` + `Worker::find_task`, on a ring of 4.
        let mask = crate::sync::AtomicU8::new(0);
        let lane = Priority::Normal;
        for i in 1..=2 {
            mask.store(mask.load(Ordering::Relaxed) | bit(lane), Ordering::Relaxed);
            victim.push(i).unwrap();
        }
        let mut got: Vec<u32> = victim.pop().into_iter().collect();
        // `refresh_local`: clear the bit only when the owner sees the ring empty.
        if victim.len() == 0 {
            mask.store(0, Ordering::Relaxed);
        }
        if mask.load(Ordering::Relaxed) == 0 {
            assert_eq!(victim.len(), 0, "clear bit on a non-empty ring");
        }
        got.extend(stealer.join().unwrap());
        got.extend(core::iter::from_fn(|| victim.pop()));
        assert_eq!(sorted(got), [1, 2]);
    });
}

/// The lock-free stage (`raw.rs`): runners on different threads (handing the task over by
/// the state word: a wake during a poll, consumed by an in-place re-poll or turned into a
/// re-queue, a wake after it) and a joiner that
/// takes the output once it sees `COMPLETE`. The stage is a loom `UnsafeCell`, so loom
/// fails the model if two of these accesses are not ordered by happens-before.
#[test]
fn stage_handoff() {
    use alloc::borrow::Cow;
    use core::future::poll_fn;
    use core::task::Poll;
    use futures_util::task::ArcWake;

    use crate::raw::new_task;
    use crate::state::COMPLETE;
    use crate::task::{Header, Origin, RunResult, Schedule, Task, TaskCell};
    use crate::task_ref::{Affinity, TaskId};

    struct Queue(loom::sync::Mutex<Vec<Task>>);
    impl Schedule for Queue {
        fn schedule(&self, task: Task, _: Origin) {
            self.0.lock().unwrap().push(task);
        }
        fn run_inline(&self, _: &Task) -> bool {
            false
        }
        fn register(&self, _: &Task, _: usize) {}
        fn release(&self, _: &TaskCell) {}
    }
    /// One turn; `repoll`: the worker has nothing else to do, so a wake that arrived
    /// during the poll is consumed by a poll right away (the yield fast path).
    fn run(queue: &Queue, task: &Task, repoll: bool) {
        let mut clock = 0;
        if task.run(0, &mut clock, || 0, |_| repoll) == RunResult::Requeue {
            queue.schedule(task.clone(), Origin::Requeue);
        }
    }
    fn pop(queue: &Queue) -> Option<Task> {
        queue.0.lock().unwrap().pop()
    }

    model(|| {
        let queue = Arc::new(Queue(loom::sync::Mutex::new(Vec::new())));
        let mut polls = 0u32;
        let future = poll_fn(move |_| {
            polls += 1;
            if polls == 2 {
                Poll::Ready(polls * 21)
            } else {
                Poll::Pending
            }
        });
        let header = || {
            Header::new(
                TaskId(1),
                Cow::Borrowed("t"),
                Priority::Normal,
                Affinity::Any,
                0,
                queue.clone(),
            )
        };
        let (task, take_output) = new_task(header, future);
        let waker = {
            let task = task.clone();
            thread::spawn(move || ArcWake::wake_by_ref(&task))
        };
        let runner = {
            let queue = queue.clone();
            thread::spawn(move || {
                if let Some(task) = pop(&queue) {
                    run(&queue, &task, false);
                }
            })
        };
        let joiner = {
            let task = task.clone();
            thread::spawn(move || {
                (task.state.load() & COMPLETE != 0)
                    .then(|| take_output(&task))
                    .flatten()
            })
        };
        run(&queue, &task, true);
        waker.join().unwrap();
        runner.join().unwrap();
        let joined = joiner.join().unwrap();
        // Whatever is left (a wake before the first poll changes nothing: wake once more).
        for _ in 0..3 {
            while let Some(task) = pop(&queue) {
                run(&queue, &task, false);
            }
            if task.state.load() & COMPLETE != 0 {
                break;
            }
            ArcWake::wake_by_ref(&task);
        }
        assert!(task.state.load() & COMPLETE != 0);
        let output = joined.or_else(|| take_output(&task));
        assert_eq!(output, Some(42));
    });
}

/// `JoinHandle::poll` checks `COMPLETE`, registers its waker, checks again: a completion
/// racing with the poll either makes it return `Ready` or wakes the registered waker.
#[test]
fn join_handle_never_misses_completion() {
    use alloc::borrow::Cow;
    use core::future::{Future, ready};
    use core::pin::Pin;
    use core::task::{Context, Poll};
    use futures_util::task::{ArcWake, waker};

    use crate::join::JoinHandle;
    use crate::raw::new_task;
    use crate::task::{Header, Origin, Schedule, Task, TaskCell};
    use crate::task_ref::{Affinity, TaskId, TaskRef};

    struct NoQueue;
    impl Schedule for NoQueue {
        fn schedule(&self, _: Task, _: Origin) {}
        fn run_inline(&self, _: &Task) -> bool {
            false
        }
        fn register(&self, _: &Task, _: usize) {}
        fn release(&self, _: &TaskCell) {}
    }
    struct Flag(AtomicBool);
    impl ArcWake for Flag {
        fn wake_by_ref(arc_self: &Arc<Self>) {
            arc_self.0.store(true, Ordering::Release);
        }
    }

    model(|| {
        let header = || {
            Header::new(
                TaskId(1),
                Cow::Borrowed("t"),
                Priority::Normal,
                Affinity::Any,
                0,
                Arc::new(NoQueue),
            )
        };
        let (task, take_output) = new_task(header, ready(7u32));
        let mut handle = JoinHandle::new(TaskRef(task.clone()), take_output);
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let runner = thread::spawn(move || {
            let mut clock = 0;
            task.run(0, &mut clock, || 0, |_| false);
        });
        let waker = waker(flag.clone());
        let mut cx = Context::from_waker(&waker);
        let first = Pin::new(&mut handle).poll(&mut cx);
        runner.join().unwrap();
        match first {
            Poll::Ready(output) => assert_eq!(output, Ok(7)),
            Poll::Pending => {
                assert!(flag.0.load(Ordering::Acquire), "completion lost");
                assert_eq!(Pin::new(&mut handle).poll(&mut cx), Poll::Ready(Ok(7)));
            }
        }
    });
}
