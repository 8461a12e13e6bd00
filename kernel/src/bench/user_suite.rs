//! `bench user`: what user processes cost (instructions under icount).
//!
//! - `user.null_syscall` and `user.rdtsc_overhead` are timed inside the user program
//!   `bench-syscall` (a `getpid` between two `rdtsc`s, and an empty `rdtsc` pair), which
//!   prints its raw samples; this suite runs it with its output captured, parses the
//!   samples ([`parse_samples`]; format in `user/src/bin/bench-syscall.rs`) and reports
//!   them like every other figure. The overhead is reported, not subtracted.
//!   `user.slow_syscall` is an unknown number, which takes the full path through the
//!   process task (`getpid` is answered by the entry stub).
//! - `user.process_create_exit`: `process::spawn("true")` and awaiting its exit (address
//!   space, ELF load, stack, the task, the run to `exit`, the reaper, the join), timed here.
//!
//! - `user.call_kernel_service`, `user.map_page`, `user.unmap_page` and the user-to-user
//!   call round trip are timed inside `bench-ipc` (same output format), which runs on
//!   core 0 while `echo-service` runs pinned on core 0 (`user.call_user_service_same_core`)
//!   or on core 1 (`user.call_user_service_cross_core`, with two or more CPUs).

use super::Report;
use super::sampling::run_in_task;
use crate::arch::x86_64 as arch;
use crate::ipc_runtime;
use crate::process::{self, Exit, Options};
use crate::runtime::{executor, us_to_ticks};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// The program that times the null system call.
const SYSCALL_PROGRAM: &str = "bench-syscall";
/// The figures it prints, all of which must be there.
const SYSCALL_FIGURES: &[&str] = &[
    "user.rdtsc_overhead",
    "user.null_syscall",
    "user.slow_syscall",
];
/// The program that exits at once.
const TRUE_PROGRAM: &str = "true";
/// Process create + exit rounds thrown away, then kept.
const PROCESS_WARMUP: usize = 5;
const PROCESS_SAMPLES: usize = 30;

/// The program that times IPC calls and page mapping.
const IPC_PROGRAM: &str = "bench-ipc";
/// The user service it calls when it runs.
const ECHO_PROGRAM: &str = "echo-service";
const ECHO_NAME: &str = "user.echo";
/// How long the suite waits for `echo-service` to register.
const REGISTER_TIMEOUT_US: u64 = 2_000_000;

/// Runs every measurement of the suite.
pub async fn run(report: &mut Report) -> Result<(), String> {
    null_syscall(report).await?;
    process_create_exit(report).await?;
    ipc_calls(report).await
}

/// Runs `program` (pinned to `core` if given) with its output captured until it exits
/// with 0, and returns the figures it printed.
pub(super) async fn run_captured(
    program: &str,
    core: Option<usize>,
) -> Result<Vec<(String, Vec<u64>)>, String> {
    let options = Options {
        capture: true,
        core,
        ..Options::default()
    };
    let (control, handle) = process::spawn(program, options)?;
    let exit = handle.await.map_err(|e| format!("{program}: {e:?}"))?;
    let output = control
        .take_output()
        .ok_or_else(|| format!("{program}: output was not captured"))?;
    if exit != Exit::Code(0) {
        return Err(format!(
            "{program} ended with {exit:?}; it printed: {}",
            output.trim_end()
        ));
    }
    parse_samples(program, &output)
}

/// Reports figure `name` of `figures` as `as_name`.
pub(super) fn report_figure(
    report: &mut Report,
    program: &str,
    figures: &mut Vec<(String, Vec<u64>)>,
    name: &str,
    as_name: &str,
) -> Result<(), String> {
    let mut samples =
        take_figure(figures, name).ok_or_else(|| format!("{program}: no samples of {name}"))?;
    report.ticks(as_name, &mut samples);
    Ok(())
}

/// `bench-ipc` on core 0 against a kernel service and against `echo-service` on the
/// same core, then (with two CPUs or more) on another one.
async fn ipc_calls(report: &mut Report) -> Result<(), String> {
    let mut placements = alloc::vec![(0, "user.call_user_service_same_core")];
    if arch::online_cpus() > 1 {
        placements.push((1, "user.call_user_service_cross_core"));
    }
    for (round, (service_core, name)) in placements.into_iter().enumerate() {
        let service = start_echo_service(service_core).await?;
        let figures = run_captured(IPC_PROGRAM, Some(0)).await;
        service.kill();
        let mut figures = figures?;
        report_figure(
            report,
            IPC_PROGRAM,
            &mut figures,
            "user.call_user_service",
            name,
        )?;
        if round == 0 {
            for figure in [
                "user.call_kernel_service",
                "user.call_kernel_service_memory",
                "user.map_page",
                "user.unmap_page",
                "user.map_page_back_to_back",
            ] {
                report_figure(report, IPC_PROGRAM, &mut figures, figure, figure)?;
            }
        }
    }
    Ok(())
}

/// Starts `echo-service` pinned to `core` and waits until `user.echo` is registered
/// (and no earlier instance still holds the name).
async fn start_echo_service(core: usize) -> Result<alloc::sync::Arc<process::Control>, String> {
    let deadline = arch::rdtsc() + us_to_ticks(REGISTER_TIMEOUT_US);
    while ipc_runtime::system().discover(ECHO_NAME).is_ok() {
        if arch::rdtsc() > deadline {
            return Err(format!("{ECHO_NAME} is already registered by someone else"));
        }
        executor().sleep(us_to_ticks(1000)).await;
    }
    let options = Options {
        capture: true,
        core: Some(core),
        ..Options::default()
    };
    let (control, _) = process::spawn(ECHO_PROGRAM, options)?;
    while ipc_runtime::system().discover(ECHO_NAME).is_err() {
        if arch::rdtsc() > deadline {
            control.kill();
            return Err(format!("{ECHO_PROGRAM} did not register {ECHO_NAME}"));
        }
        executor().sleep(us_to_ticks(1000)).await;
    }
    Ok(control)
}

/// Runs `bench-syscall` with its output captured and reports the figures it printed.
async fn null_syscall(report: &mut Report) -> Result<(), String> {
    let mut figures = run_captured(SYSCALL_PROGRAM, None).await?;
    for name in SYSCALL_FIGURES {
        report_figure(report, SYSCALL_PROGRAM, &mut figures, name, name)?;
    }
    Ok(())
}

/// Spawns `true` and awaits its exit, from a task of its own (the shell task's poll would
/// add its own cost to the wake-up); `true` runs on whichever core picks it up first.
async fn process_create_exit(report: &mut Report) -> Result<(), String> {
    let body = async {
        let mut samples = Vec::with_capacity(PROCESS_SAMPLES);
        for i in 0..PROCESS_WARMUP + PROCESS_SAMPLES {
            let start = arch::rdtsc();
            let (_, handle) = process::spawn(TRUE_PROGRAM, Options::default())?;
            let exit = handle.await;
            let ticks = arch::rdtsc() - start;
            match exit {
                Ok(Exit::Code(0)) => {}
                other => return Err(format!("{TRUE_PROGRAM} ended with {other:?}")),
            }
            if i >= PROCESS_WARMUP {
                samples.push(ticks);
            }
        }
        Ok(samples)
    };
    let mut samples = run_in_task(body)
        .await
        .ok_or("the process benchmark task was cancelled")??;
    report.ticks("user.process_create_exit", &mut samples);
    Ok(())
}

/// The samples of each figure in `text`, in the order the figures first appear.
///
/// Lines are `count <name> <n>` (once per figure, before its samples) and
/// `samples <name> <v> …`; every figure must end with exactly the samples its `count`
/// announced. Anything else is an error naming `program` and the line, never a panic.
pub fn parse_samples(program: &str, text: &str) -> Result<Vec<(String, Vec<u64>)>, String> {
    // (name, announced count, samples)
    let mut figures: Vec<(String, usize, Vec<u64>)> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let number = number + 1;
        let bad = |why: &str| format!("{program}: line {number} ({line:?}): {why}");
        let mut words = line.split_ascii_whitespace();
        let (kind, name) = match (words.next(), words.next()) {
            (Some(kind), Some(name)) => (kind, name),
            _ => return Err(bad("expected `count NAME N` or `samples NAME V…`")),
        };
        let number_of = |word: &str| {
            word.parse::<u64>()
                .map_err(|_| bad(&format!("'{word}' is not a number")))
        };
        let known = figures.iter().position(|(n, _, _)| n == name);
        match kind {
            "count" => {
                if known.is_some() {
                    return Err(bad("second count line for this figure"));
                }
                let n = words
                    .next()
                    .ok_or_else(|| bad("count without a number"))
                    .and_then(number_of)?;
                if words.next().is_some() {
                    return Err(bad("extra words after the count"));
                }
                figures.push((name.to_string(), n as usize, Vec::new()));
            }
            "samples" => {
                let index = known.ok_or_else(|| bad("samples before their count line"))?;
                let before = figures[index].2.len();
                for word in words {
                    let value = number_of(word)?;
                    figures[index].2.push(value);
                }
                if figures[index].2.len() == before {
                    return Err(bad("a samples line without samples"));
                }
            }
            _ => return Err(bad("expected `count NAME N` or `samples NAME V…`")),
        }
    }
    figures
        .into_iter()
        .map(|(name, count, samples)| {
            if samples.len() == count {
                Ok((name, samples))
            } else {
                Err(format!(
                    "{program}: {name}: {} samples, but its count line said {count}",
                    samples.len()
                ))
            }
        })
        .collect()
}

/// Removes figure `name` from `figures` and returns its samples.
fn take_figure(figures: &mut Vec<(String, Vec<u64>)>, name: &str) -> Option<Vec<u64>> {
    let index = figures.iter().position(|(n, _)| n == name)?;
    Some(figures.swap_remove(index).1)
}

#[cfg(feature = "ktest")]
mod tests {
    use super::{parse_samples, take_figure};
    use crate::ktest::kernel_test;
    use alloc::vec;

    fn bench_user_parses_samples() {
        let text = "count a 3\nsamples a 1 2\ncount b 1\nsamples b 7\nsamples a 3\n";
        let mut figures = parse_samples("p", text).expect("well-formed output");
        assert_eq!(take_figure(&mut figures, "a"), Some(vec![1, 2, 3]));
        assert_eq!(take_figure(&mut figures, "b"), Some(vec![7]));
        assert_eq!(take_figure(&mut figures, "b"), None);
        let mut none = parse_samples("p", "").expect("no output, no figures");
        assert_eq!(take_figure(&mut none, "a"), None);
    }
    kernel_test!(bench_user_parses_samples);

    fn bench_user_rejects_malformed_samples() {
        for bad in [
            "samples a 1\n",              // before its count
            "count a 2\nsamples a 1\n",   // short
            "count a 1\nsamples a 1 2\n", // long
            "count a 1\nsamples a x\n",   // not a number
            "count a 1\nsamples a -1\n",  // negative
            "count a 1\ncount a 1\n",     // counted twice
            "count a\n",                  // no count
            "count a 1 2\n",              // extra words
            "count a 0\nsamples a\n",     // empty samples line
            "panic: oops\n",              // not ours
            "\n",                         // empty line
        ] {
            let result = parse_samples("p", bad);
            assert!(result.is_err(), "{bad:?} was accepted: {:?}", result.ok());
        }
    }
    kernel_test!(bench_user_rejects_malformed_samples);
}
