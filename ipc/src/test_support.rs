//! Helpers shared by the threaded tests: every one of them must fail, never hang.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Joins `handle`, panicking (instead of hanging) if the thread is not done within `limit`.
/// A panic inside the thread is re-raised here.
pub(crate) fn join_within<T>(handle: JoinHandle<T>, limit: Duration) -> T {
    let deadline = Instant::now() + limit;
    while !handle.is_finished() {
        assert!(
            Instant::now() < deadline,
            "thread still running after {limit:?}: deadlock or lost wakeup"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    match handle.join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}
