//! In-kernel process tests: thousands of processes created and reaped with memory back
//! at its baseline, a hundred at once, and exit events for supervisors.
//!
//! Like the IPC tests, these run synchronously on the BSP while the APs run the
//! processes (their tasks are stolen from the BSP's queue), waiting with deadlines so a
//! lost wake-up fails instead of hanging. With one CPU they are skipped.

use super::kernel_test;
use crate::arch::x86_64 as arch;
use crate::process::{self, EXIT_EVENT, Exit};
use crate::{ipc_runtime, memory};
use alloc::vec::Vec;
use futures_util::FutureExt;
use ipc::Event;

/// Whether every live process is a supervised service's (S-INIT started them before
/// the tests; each test's own processes must be gone).
fn only_services_left() -> bool {
    process::list().iter().all(|p| p.log.is_some())
}

/// Spins until `done()` or `seconds` of TSC time have passed; returns `done()`.
fn wait_for(seconds: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = arch::rdtsc() + seconds * arch::tsc_hz();
    while !done() && arch::rdtsc() < deadline {
        core::hint::spin_loop();
    }
    done()
}

fn no_aps() -> bool {
    arch::online_cpus() < 2
}

/// Runs `n` quiet processes of `program` at once and checks each exits with 0.
fn run_batch(program: &str, n: usize) {
    let mut handles: Vec<_> = (0..n)
        .map(|_| {
            process::spawn(program, Default::default())
                .expect("spawn")
                .1
        })
        .collect();
    assert!(
        wait_for(60, || handles.iter().all(|h| h.is_finished())),
        "{program} processes did not finish"
    );
    for handle in &mut handles {
        match handle.now_or_never() {
            Some(Ok(Exit::Code(0))) => {}
            other => panic!("{program} ended with {other:?}"),
        }
    }
}

/// Free frames plus the frames the heap holds: constant unless frames leak.
fn frames_accounted() -> u64 {
    memory::stats().free as u64 * memory::FRAME_SIZE + arch::heap_stats().claimed as u64
}

fn processes_exit_and_leave_no_memory_behind() {
    const TOTAL: usize = 10_000;
    const BATCH: usize = 100;
    if no_aps() {
        return;
    }
    // Warm up: lazily grown tables and the per-CPU heap caches reach their steady state.
    run_batch("true", BATCH);
    let frames = frames_accounted();
    let heap = arch::heap_stats();
    for _ in 0..TOTAL / BATCH {
        run_batch("true", BATCH);
    }
    assert!(only_services_left(), "processes left in the table");
    assert_eq!(frames_accounted(), frames, "frames leaked");
    let after = arch::heap_stats();
    // Per-CPU caches may park a few more or fewer blocks; a leak would be per process.
    assert!(
        after.allocations.abs_diff(heap.allocations) < TOTAL / 10,
        "heap allocations {} -> {}",
        heap.allocations,
        after.allocations
    );
}
kernel_test!(processes_exit_and_leave_no_memory_behind);

fn a_hundred_processes_run_at_once() {
    const N: usize = 100;
    if no_aps() {
        return;
    }
    let frames = frames_accounted();
    let spinners: Vec<_> = (0..N)
        .map(|_| {
            process::spawn("spin", Default::default())
                .expect("spawn spin")
                .0
        })
        .collect();
    assert!(
        wait_for(60, || spinners
            .iter()
            .all(|p| p.task().is_some_and(|t| t.polls() > 0))),
        "not every spinner ran"
    );
    assert_eq!(
        process::list().iter().filter(|p| p.log.is_none()).count(),
        N
    );
    for spinner in &spinners {
        spinner.kill();
    }
    assert!(
        wait_for(60, only_services_left),
        "killed spinners are still listed"
    );
    assert!(
        wait_for(10, || spinners
            .iter()
            .all(|p| p.task().is_some_and(|t| t.is_finished()))),
        "killed spinners did not end"
    );
    drop(spinners);
    assert_eq!(frames_accounted(), frames, "frames leaked");
}
kernel_test!(a_hundred_processes_run_at_once);

fn a_fault_publishes_an_exit_event() {
    if no_aps() {
        return;
    }
    let mut events = ipc_runtime::system()
        .subscribe(EXIT_EVENT, 16)
        .expect("subscribe");
    let (control, _) = process::spawn("crash-ud", Default::default()).expect("spawn crash-ud");
    let pid = u64::from(control.pid);
    let mut seen = None;
    let got = wait_for(30, || {
        while let Ok(Some(event)) = events.try_next() {
            if let Event::Message { message, .. } = event
                && message.tag == pid
            {
                seen = Some(message);
            }
        }
        seen.is_some()
    });
    assert!(got, "no exit event for pid {pid}");
    let message = seen.expect("seen");
    // Kind 1 (fault), vector 6 (#UD), with the faulting RIP in the user half.
    assert_eq!(message.data[0], 1, "exit kind");
    assert_eq!(message.data[1], 6, "vector");
    assert!(
        message.data[2] >= mohhos_abi::layout::USER_MIN
            && message.data[2] < mohhos_abi::layout::USER_END
    );
}
kernel_test!(a_fault_publishes_an_exit_event);

fn a_process_killed_before_it_ran_leaves_nothing_behind() {
    const N: usize = 50;
    if no_aps() {
        return;
    }
    let frames = frames_accounted();
    for _ in 0..N {
        // Killed straight after the spawn: most never get their first turn.
        let (control, _) = process::spawn("spin", Default::default()).expect("spawn spin");
        control.kill();
    }
    assert!(
        wait_for(30, only_services_left),
        "killed processes are still listed"
    );
    assert_eq!(frames_accounted(), frames, "frames leaked");
}
kernel_test!(a_process_killed_before_it_ran_leaves_nothing_behind);

fn user_processes_call_services_from_every_core_at_once() {
    const CLIENTS: usize = 16;
    if no_aps() {
        return;
    }
    let frames = frames_accounted();
    // `ping` makes 100 checked calls to kernel.echo and exits 0 only if every answer
    // was right; sixteen at once spread over every AP.
    run_batch("ping", CLIENTS);
    assert!(only_services_left(), "pings left in the table");
    assert_eq!(frames_accounted(), frames, "frames leaked");
}
kernel_test!(user_processes_call_services_from_every_core_at_once);

fn shared_regions_are_freed_with_their_last_mapping() {
    if no_aps() {
        return;
    }
    let frames = frames_accounted();
    let regions = ipc_runtime::system().live_regions();
    let (reader, _) = process::spawn("region-reader", Default::default()).expect("spawn reader");
    assert!(
        wait_for(30, || ipc_runtime::system()
            .discover("user.regions")
            .is_ok()),
        "region-reader did not register"
    );
    run_batch("region-writer", 4);
    reader.kill();
    assert!(
        wait_for(30, only_services_left),
        "region-reader is still listed"
    );
    assert_eq!(
        ipc_runtime::system().live_regions(),
        regions,
        "regions leaked"
    );
    assert_eq!(frames_accounted(), frames, "frames leaked");
}
kernel_test!(shared_regions_are_freed_with_their_last_mapping);
