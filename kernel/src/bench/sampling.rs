//! Sampling helpers shared by the suites.

use crate::runtime::executor;
use alloc::vec::Vec;
use core::future::Future;
use executor::Affinity;

/// Samples discarded before measuring (caches, allocator and queues warm up).
pub const WARMUP: usize = 50;
/// Samples kept per figure.
pub const SAMPLES: usize = 1000;

/// Runs `sample` WARMUP + SAMPLES times in a task of its own (spawned here) and
/// returns the tick counts after the warm-up. A task of its own, because polling
/// the shell task re-enters every future it is nested in (shell, command, suite):
/// that would be the shell's cost, not the measured operation's.
pub async fn sample_in_task<S, F>(sample: S) -> Vec<u64>
where
    S: FnMut() -> F + Send + 'static,
    F: Future<Output = u64> + Send,
{
    sample_task(None, sample).await
}

async fn sample_task<S, F>(core: Option<usize>, mut sample: S) -> Vec<u64>
where
    S: FnMut() -> F + Send + 'static,
    F: Future<Output = u64> + Send,
{
    let body = async move {
        let mut samples = Vec::with_capacity(SAMPLES);
        for i in 0..WARMUP + SAMPLES {
            let ticks = sample().await;
            if i >= WARMUP {
                samples.push(ticks);
            }
        }
        samples
    };
    let builder = executor().build().name("bench-sampler");
    let handle = match core {
        Some(core) => builder
            .affinity(Affinity::Pinned(core))
            .spawn_on(core, body),
        None => builder.spawn(body),
    };
    handle.await.unwrap_or_default()
}

/// Runs `future` in a task of its own, on any core, and returns its output (`None` if
/// the task was cancelled).
pub async fn run_in_task<T: Send + 'static>(
    future: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    executor()
        .build()
        .name("bench-runner")
        .spawn(future)
        .await
        .ok()
}

/// Runs `future` in a task pinned to `core` and returns its output (`None` if the
/// task was cancelled).
pub async fn run_pinned<T: Send + 'static>(
    core: usize,
    future: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    executor()
        .build()
        .name("bench-runner")
        .affinity(Affinity::Pinned(core))
        .spawn_on(core, future)
        .await
        .ok()
}
