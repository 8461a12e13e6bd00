//! The shell's commands. Each prints its result; a failure is returned as an
//! error message that the shell prints as one `error: …` line.

use super::{ipc_commands, process_commands, service_commands};
use crate::arch::x86_64 as arch;
use crate::{bench, boot_phases, memory, println, runtime};
use alloc::format;
use alloc::string::String;

/// A command's outcome.
pub type Outcome = Result<(), String>;

/// Name, arguments synopsis and description of every command.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("help", "", "list the commands"),
    ("cpus", "", "list the processors and how many are online"),
    ("irqs", "", "interrupts taken by each CPU"),
    (
        "tasks",
        "",
        "executor: per core queue, steals, IPIs; per task state, priority, polls, run time",
    ),
    ("mem", "", "physical memory and heap usage"),
    ("uptime", "", "time since the first kernel instruction"),
    ("boot", "", "boot time to the prompt, and each boot phase"),
    ("echo", "TEXT", "print TEXT"),
    ("sleep", "MS", "wait MS milliseconds (at most 60 000)"),
    (
        "services",
        "",
        "supervised services: version, kind, state, restarts, uptime, core",
    ),
    (
        "deps",
        "NAME",
        "what a service depends on, and who depends on it",
    ),
    ("start", "NAME", "start a stopped or failed service"),
    ("stop", "NAME", "stop a service (no restart)"),
    (
        "restart",
        "NAME",
        "stop a service if it runs, then start it",
    ),
    (
        "crash",
        "NAME",
        "fault injection: kill a service's instance as a crash",
    ),
    ("events", "NAME [N]", "a service's last N lifecycle events"),
    (
        "dmesg",
        "[--service NAME] [--level LEVEL]",
        "the journal: kernel and service log records",
    ),
    (
        "run",
        process_commands::RUN_USAGE,
        "start a user program with limits (in the background with &)",
    ),
    ("ps", "", "user processes: state, memory, system calls"),
    ("kill", "PID", "end a process"),
    (
        "nice",
        "PID PRIORITY",
        "run a process in another executor lane",
    ),
    ("suspend", "PID", "stop a process until resume"),
    ("resume", "PID", "let a suspended process run again"),
    (
        "ipc",
        "services|stats|trace [N]|ping [N]",
        "IPC endpoint counters, newest messages, echo round trips",
    ),
    (
        "bench",
        "SUITE [--json]",
        "run benchmarks: all, executor, ipc, user, services",
    ),
    ("poweroff", "", "power the machine off (ACPI S5)"),
];

/// Runs one command line (already trimmed, not empty).
pub async fn run(line: &str) -> Outcome {
    let (name, args) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let args = args.trim();
    let no_args = |f: fn() -> Outcome| {
        if args.is_empty() {
            f()
        } else {
            Err(format!("{name} takes no arguments"))
        }
    };
    match name {
        "help" => no_args(help),
        "cpus" => no_args(cpus),
        "irqs" => no_args(irqs),
        "tasks" => no_args(tasks),
        "mem" => no_args(mem),
        "uptime" => no_args(uptime),
        "boot" => no_args(boot),
        "echo" => {
            println!("{args}");
            Ok(())
        }
        "sleep" => sleep(args).await,
        "poweroff" => no_args(poweroff),
        "services" => no_args(service_commands::services),
        "deps" => service_commands::deps(args),
        "start" => service_commands::start(args).await,
        "stop" => service_commands::stop(args).await,
        "restart" => service_commands::restart(args).await,
        "crash" => service_commands::crash(args),
        "events" => service_commands::events(args),
        "dmesg" => service_commands::dmesg(args),
        "ipc" => ipc_commands::ipc(args).await,
        "run" => process_commands::run(args).await,
        "ps" => process_commands::ps(args),
        "kill" => process_commands::kill(args),
        "nice" => process_commands::nice(args),
        "suspend" => process_commands::suspend(args),
        "resume" => process_commands::resume(args),
        "bench" => bench::run(args).await,
        _ => Err(format!("unknown command '{name}' (try 'help')")),
    }
}

fn help() -> Outcome {
    for (name, synopsis, what) in COMMANDS {
        let usage = if synopsis.is_empty() {
            String::from(*name)
        } else {
            format!("{name} {synopsis}")
        };
        println!("  {usage:<14} {what}");
    }
    Ok(())
}

fn cpus() -> Outcome {
    let mut online = 0;
    for cpu in arch::cpus() {
        println!("cpu {} apic {} online", cpu.index, cpu.apic_id);
        online += 1;
    }
    println!("online {online}/{}", arch::firmware_cpu_count());
    Ok(())
}

fn irqs() -> Outcome {
    for cpu in arch::cpus() {
        println!(
            "cpu {} interrupts {} timer {}",
            cpu.index, cpu.interrupts, cpu.timer_interrupts
        );
    }
    Ok(())
}

fn tasks() -> Outcome {
    let snapshot = runtime::executor().snapshot();
    println!("core  state     queue  timers  steals  ipis-sent  ipis-received  polls");
    for c in &snapshot.cores {
        println!(
            "{:<5} {:<9} {:>5}  {:>6}  {:>6}  {:>9}  {:>13}  {}",
            c.core,
            format!("{:?}", c.state),
            c.queue_len,
            c.timers,
            c.steals,
            c.ipis_sent,
            c.ipis_received,
            c.polls
        );
    }
    println!("injector {}", snapshot.injector_len);
    println!("id    name              state      priority    core  polls  run-us");
    for t in &snapshot.tasks {
        println!(
            "{:<5} {:<17} {:<10} {:<11} {:>4}  {:>5}  {}",
            t.id.0,
            t.name,
            format!("{:?}", t.state),
            format!("{:?}", t.priority),
            t.home,
            t.polls,
            arch::ticks_to_us(t.run_ticks)
        );
    }
    Ok(())
}

fn mib(bytes: u64) -> String {
    format!("{}.{} MiB", bytes >> 20, ((bytes & 0xFFFFF) * 10) >> 20)
}

fn mem() -> Outcome {
    let frames = memory::stats();
    let total = frames.total as u64 * memory::FRAME_SIZE;
    let free = frames.free as u64 * memory::FRAME_SIZE;
    println!(
        "physical: {} managed, {} free, {} used",
        mib(total),
        mib(free),
        mib(total - free)
    );
    let heap = arch::heap_stats();
    println!(
        "heap: {} claimed, {} in use, {} allocations",
        mib(heap.claimed as u64),
        mib(heap.in_use as u64),
        heap.allocations
    );
    Ok(())
}

/// Longest `sleep`, milliseconds.
const MAX_SLEEP_MS: u64 = 60_000;

/// `sleep MS`: lets the rest of the system run for MS milliseconds.
async fn sleep(args: &str) -> Outcome {
    let ms = match args.parse::<u64>() {
        Ok(ms) if ms <= MAX_SLEEP_MS => ms,
        _ => return Err(format!("usage: sleep MS (0 to {MAX_SLEEP_MS})")),
    };
    runtime::executor()
        .sleep(runtime::us_to_ticks(ms * 1000))
        .await;
    Ok(())
}

fn uptime() -> Outcome {
    let us = arch::ticks_to_us(arch::rdtsc() - boot_phases::start_tsc());
    println!("up {}.{:06} s", us / 1_000_000, us % 1_000_000);
    Ok(())
}

fn boot() -> Outcome {
    let (total, phases) = boot_phases::report();
    println!("boot {total} us");
    for (name, us) in phases {
        println!("  {name:<12} {us} us");
    }
    Ok(())
}

fn poweroff() -> Outcome {
    println!("powering off");
    let error = arch::power_off().unwrap_err();
    arch::exit_qemu(arch::EXIT_SUCCESS);
    Err(String::from(error))
}
