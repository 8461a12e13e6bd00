//! `bench executor`: the costs of the executor's basic operations.
//!
//! Each figure is measured from the shell task with the TSC around the
//! operation. Cross-core figures depend on the other core's state (spinning or
//! halted), which each measurement arranges; under QEMU's icount all vCPUs take
//! turns on one host thread, so cross-core *latency* there is an artefact, while
//! the instructions the waking core spends are exact.

use super::Report;
use super::sampling::{SAMPLES, WARMUP, run_pinned, sample_in_task};
use crate::arch::x86_64 as arch;
use crate::runtime::{executor, us_to_ticks};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::future::poll_fn;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::task::Poll;
use executor::{Affinity, yield_now};
use futures_util::task::AtomicWaker;

const CROSS_SAMPLES: usize = 200;
const STEAL_TASKS: usize = 10_000;
/// Loop iterations of each stealing task (~40 000 instructions): far above the
/// cost of spawning it, so the shares measure stealing, not how fast core 0 spawns.
const STEAL_TASK_WORK: u64 = 10_000;

/// Runs every measurement of the suite.
pub async fn run(report: &mut Report) -> Result<(), String> {
    spawn_complete(report).await;
    wake_same_core(report).await;
    yield_now_in_async(report).await;
    if arch::online_cpus() > 1 {
        remote_wake(report, false).await;
        remote_wake(report, true).await;
        pingpong(report).await;
        cacheline_pingpong(report).await;
        stealing(report).await;
        fanout(report).await;
    }
    sleep_error(report).await;
    Ok(())
}

async fn spawn_complete(report: &mut Report) {
    let mut samples = sample_in_task(|| async {
        let start = arch::rdtsc();
        let _ = executor().spawn(async {}).await;
        arch::rdtsc() - start
    })
    .await;
    report.ticks("executor.spawn_complete", &mut samples);
}

/// Same-core wake → poll, in a bare task (its future is the `poll_fn` itself, nothing
/// nested): each poll reads the TSC, keeps the ticks since it woke itself in the
/// previous poll, and wakes itself again just before returning `Pending`. The window
/// is the wake, the end of that poll, the executor's step and the start of the next.
async fn wake_same_core(report: &mut Report) {
    // Preallocated and filled by index, so the measured poll carries no growth path.
    let mut samples = alloc::vec![0u64; WARMUP + SAMPLES];
    let mut taken = 0;
    let mut woken_at = None;
    let task = poll_fn(move |cx| {
        let now = arch::rdtsc();
        if let Some(at) = woken_at
            && let Some(slot) = samples.get_mut(taken)
        {
            *slot = now - at;
            taken += 1;
        }
        if taken == samples.len() {
            return Poll::Ready(core::mem::take(&mut samples));
        }
        woken_at = Some(arch::rdtsc());
        cx.waker().wake_by_ref();
        Poll::Pending
    });
    let mut samples = executor().spawn(task).await.unwrap_or_default();
    report.ticks(
        "executor.wake_same_core",
        samples.get_mut(WARMUP..).unwrap_or(&mut []),
    );
}

/// What `yield_now().await` costs an `async fn` (the sampling task's nested futures
/// resume around the same wake → poll).
async fn yield_now_in_async(report: &mut Report) {
    let mut samples = sample_in_task(|| async {
        let start = arch::rdtsc();
        yield_now().await;
        arch::rdtsc() - start
    })
    .await;
    report.ticks("executor.yield_now", &mut samples);
}

/// State shared with a task parked on another core.
#[derive(Default)]
struct Parked {
    waker: AtomicWaker,
    stop: AtomicBool,
    /// TSC when the parked task was last polled (for wake → poll latency).
    polled_at: AtomicU64,
}

fn other_core() -> usize {
    (arch::cpu_index() + 1) % arch::online_cpus()
}

/// Spawns a task pinned on `core` that keeps its waker in `parked` until stopped.
fn park_on(core: usize, parked: &Arc<Parked>, record_polls: bool) {
    let parked = parked.clone();
    executor()
        .build()
        .name("bench-parked")
        .affinity(Affinity::Pinned(core))
        .spawn_on(
            core,
            poll_fn(move |cx| {
                if record_polls {
                    parked.polled_at.store(arch::rdtsc(), Ordering::Release);
                }
                parked.waker.register(cx.waker());
                if parked.stop.load(Ordering::Acquire) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }),
        );
}

/// Spawns a task pinned on `core` that yields until `stop`: keeps that core busy.
fn spin_on(core: usize, stop: &Arc<AtomicBool>) {
    let stop = stop.clone();
    executor()
        .build()
        .name("bench-spinner")
        .affinity(Affinity::Pinned(core))
        .spawn_on(core, async move {
            while !stop.load(Ordering::Acquire) {
                yield_now().await;
            }
        });
}

/// The core that wakes in [`remote_wake`], and the core it wakes a task on.
const WAKER_CORE: usize = 0;
const TARGET_CORE: usize = 1;

/// Cost for the waking core of waking a task owned by another core, which is
/// busy (`spinning`: no IPI needed) or halted (the wake sends an IPI); for the
/// halted core also the latency from the wake to the task's poll there (TSCs
/// are synchronised; under icount it mostly measures QEMU's vCPU turns, hence
/// the `accel` label on every figure).
///
/// The waker runs pinned to core 0 and the target is core 1, wherever the shell
/// task runs: under icount QEMU runs all vCPUs round robin on one thread, and a
/// vCPU that never halts (the spinner) can keep the other from ever running again
/// (known QEMU behaviour; seen here with the spinner on core 0 and the waker
/// halted on core 1 waiting for its timer, never with the roles as fixed here).
async fn remote_wake(report: &mut Report, spinning: bool) {
    let measured = run_pinned(WAKER_CORE, wake_on_target(spinning)).await;
    let Some((mut samples, mut latencies, ipis)) = measured else {
        report.note("executor.remote_wake: the sampling task was cancelled");
        return;
    };
    let name = if spinning {
        "executor.remote_wake"
    } else {
        "executor.remote_wake_halted"
    };
    report.ticks(name, &mut samples);
    if !spinning {
        report.ticks(&alloc::format!("{name}.latency"), &mut latencies);
    }
    report.value(&alloc::format!("{name}.ipis"), "count", ipis);
}

/// The samples of [`remote_wake`], taken on the calling core against
/// [`TARGET_CORE`]: wake costs, wake → poll latencies, IPIs sent.
async fn wake_on_target(spinning: bool) -> (Vec<u64>, Vec<u64>, u64) {
    let target = TARGET_CORE;
    let parked = Arc::new(Parked::default());
    let stop_spinner = Arc::new(AtomicBool::new(false));
    if spinning {
        spin_on(target, &stop_spinner);
    }
    park_on(target, &parked, !spinning);
    let before = executor().snapshot().cores[arch::cpu_index()].ipis_sent;
    let mut samples = Vec::with_capacity(CROSS_SAMPLES);
    let mut latencies = Vec::with_capacity(CROSS_SAMPLES);
    let mut woken_at = None;
    while samples.len() < CROSS_SAMPLES {
        // Waiting by sleeping (not spinning) lets the target run even where
        // vCPUs take turns; the 200 µs also let an idle target halt.
        executor().sleep(us_to_ticks(200)).await;
        let Some(waker) = parked.waker.take() else {
            continue;
        };
        if let Some(woken) = woken_at.take() {
            latencies.push(
                parked
                    .polled_at
                    .load(Ordering::Acquire)
                    .saturating_sub(woken),
            );
        }
        let start = arch::rdtsc();
        waker.wake();
        samples.push(arch::rdtsc() - start);
        if !spinning {
            woken_at = Some(start);
        }
    }
    let ipis = executor().snapshot().cores[arch::cpu_index()]
        .ipis_sent
        .saturating_sub(before);
    parked.stop.store(true, Ordering::Release);
    stop_spinner.store(true, Ordering::Release);
    if let Some(waker) = parked.waker.take() {
        waker.wake();
    }
    (samples, latencies, ipis)
}

/// Two tasks on two cores waking each other: one round trip per sample (the
/// other core halts in between, so each wake carries an IPI).
async fn pingpong(report: &mut Report) {
    struct Court {
        turn: AtomicU64,
        ping: AtomicWaker,
        pong: AtomicWaker,
        stop: AtomicBool,
    }
    let court = Arc::new(Court {
        turn: AtomicU64::new(0),
        ping: AtomicWaker::new(),
        pong: AtomicWaker::new(),
        stop: AtomicBool::new(false),
    });
    let target = other_core();
    let remote = court.clone();
    executor()
        .build()
        .name("bench-pong")
        .affinity(Affinity::Pinned(target))
        .spawn_on(
            target,
            poll_fn(move |cx| {
                loop {
                    remote.pong.register(cx.waker());
                    if remote.stop.load(Ordering::Acquire) {
                        return Poll::Ready(());
                    }
                    let turn = remote.turn.load(Ordering::Acquire);
                    if turn % 2 == 1 {
                        remote.turn.store(turn + 1, Ordering::Release);
                        remote.ping.wake();
                        continue;
                    }
                    return Poll::Pending;
                }
            }),
        );
    let mut samples = Vec::with_capacity(CROSS_SAMPLES);
    for i in 0..WARMUP + CROSS_SAMPLES {
        let start = arch::rdtsc();
        let served = court.turn.fetch_add(1, Ordering::AcqRel) + 1;
        court.pong.wake();
        poll_fn(|cx| {
            court.ping.register(cx.waker());
            if court.turn.load(Ordering::Acquire) > served {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        if i >= WARMUP {
            samples.push(arch::rdtsc() - start);
        }
    }
    court.stop.store(true, Ordering::Release);
    court.pong.wake();
    report.ticks("executor.pingpong_rtt", &mut samples);
}

/// The physical floor: a cache line bounced between two cores by two tasks
/// spinning on it (no executor involvement), one round trip per sample.
async fn cacheline_pingpong(report: &mut Report) {
    if report.vcpus_take_turns() {
        report.note("executor.cacheline_rtt skipped: under icount vCPUs take turns, so two spinning cores meet once per 100 ms");
        return;
    }
    let line = Arc::new(AtomicU64::new(0));
    let target = other_core();
    let remote = line.clone();
    let rounds = (WARMUP + CROSS_SAMPLES) as u64;
    let echo = executor()
        .build()
        .name("bench-echo")
        .affinity(Affinity::Pinned(target))
        .spawn_on(target, async move {
            for round in 0..rounds {
                while remote.load(Ordering::Acquire) != 2 * round + 1 {
                    core::hint::spin_loop();
                }
                remote.store(2 * round + 2, Ordering::Release);
            }
        });
    let mut samples = Vec::with_capacity(CROSS_SAMPLES);
    for round in 0..rounds {
        let start = arch::rdtsc();
        line.store(2 * round + 1, Ordering::Release);
        while line.load(Ordering::Acquire) != 2 * round + 2 {
            core::hint::spin_loop();
        }
        if round >= WARMUP as u64 {
            samples.push(arch::rdtsc() - start);
        }
    }
    let _ = echo.await;
    report.ticks("executor.cacheline_rtt", &mut samples);
}

fn busy_work(iterations: u64) -> u64 {
    let mut x = 1u64;
    for i in 0..iterations {
        x = core::hint::black_box(x ^ i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    x
}

/// 10 000 small tasks spawned on one core: the share each core ran.
async fn stealing(report: &mut Report) {
    let cpus = arch::online_cpus();
    let ran: Arc<Vec<AtomicU64>> = Arc::new((0..cpus).map(|_| AtomicU64::new(0)).collect());
    let home = arch::cpu_index();
    let mut handles = Vec::with_capacity(STEAL_TASKS);
    for _ in 0..STEAL_TASKS {
        let ran = ran.clone();
        handles.push(executor().spawn_on(home, async move {
            busy_work(STEAL_TASK_WORK);
            ran[arch::cpu_index()].fetch_add(1, Ordering::Relaxed);
        }));
    }
    for handle in handles {
        let _ = handle.await;
    }
    for (cpu, count) in ran.iter().enumerate() {
        let share = count.load(Ordering::Relaxed) * 1000 / STEAL_TASKS as u64;
        report.ratio(&alloc::format!("executor.steal_share.cpu{cpu}"), share);
    }
}

/// Rounds of each fan-out measurement (the best one counts).
const FANOUT_ROUNDS: usize = 5;

/// The same CPU-bound work (64 tasks) pinned round-robin on the first k cores,
/// for k = 1..=N: the speed-up over one core for each k. Each time is the best of
/// [`FANOUT_ROUNDS`]: on wall clock a round may lose the host's CPU for a while (a
/// vCPU thread descheduled), which only ever makes it slower.
async fn fanout(report: &mut Report) {
    const CHUNKS: usize = 64;
    const WORK: u64 = 20_000;
    let elapsed = |cores: usize| async move {
        let start = arch::rdtsc();
        let handles: Vec<_> = (0..CHUNKS)
            .map(|i| {
                let core = i % cores;
                executor()
                    .build()
                    .affinity(Affinity::Pinned(core))
                    .spawn_on(core, async { busy_work(WORK) })
            })
            .collect();
        for handle in handles {
            let _ = handle.await;
        }
        arch::rdtsc() - start
    };
    let best = |cores: usize| async move {
        let mut best = u64::MAX;
        for _ in 0..FANOUT_ROUNDS {
            best = best.min(elapsed(cores).await);
        }
        best
    };
    let one = best(1).await;
    let cpus = arch::online_cpus();
    for cores in 2..=cpus {
        let speedup = one * 1000 / best(cores).await.max(1);
        let name = if cores == cpus {
            String::from("executor.fanout_speedup")
        } else {
            alloc::format!("executor.fanout_speedup.cores{cores}")
        };
        report.ratio(&name, speedup);
    }
}

/// How late `sleep(1 ms)` wakes, in ticks.
async fn sleep_error(report: &mut Report) {
    let ticks = us_to_ticks(1000);
    let mut samples = Vec::with_capacity(50);
    for _ in 0..50 {
        let start = arch::rdtsc();
        executor().sleep(ticks).await;
        samples.push((arch::rdtsc() - start).saturating_sub(ticks));
    }
    report.ticks("executor.sleep_1ms_late", &mut samples);
}
