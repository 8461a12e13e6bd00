//! The shell's process commands: `run`, `ps`, `kill`, `nice`, `suspend`, `resume`.

use super::commands::Outcome;
use crate::arch::x86_64 as arch;
use crate::process::{self, Control, Limits, Pid};
use crate::{println, runtime};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::pin::pin;
use core::sync::atomic::Ordering;
use executor::JoinHandle;
use executor::Priority;
use futures_util::future::{Either, select};
use mohhos_abi::layout::PAGE_SIZE;

/// The synopsis of `run`.
pub const RUN_USAGE: &str = "[--mem KIB] [--caps N] [--core C] NAME [&]";

/// Most memory `run --mem` grants one process: 1 GiB.
const MAX_MEM_KIB: u64 = 1 << 20;
/// Most capabilities `run --caps` grants one process.
const MAX_CAPS: u64 = 4096;

/// A number in `1..=max` for option `flag`.
fn option_value(flag: &str, value: Option<&str>, max: u64) -> Result<u64, String> {
    match value.map(str::parse::<u64>) {
        Some(Ok(n)) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("{flag} takes a number from 1 to {max}")),
    }
}

/// `run [--mem KIB] [--caps N] [--core C] NAME [&]`: starts a program with those
/// limits (the others default), pinned to core C if given; waits for it unless `&`
/// follows.
pub async fn run(args: &str) -> Outcome {
    let mut limits = Limits::default();
    let mut core = None;
    let mut words = args.split_whitespace().peekable();
    while let Some(flag) = words.next_if(|w| w.starts_with("--")) {
        match flag {
            "--mem" => {
                let kib = option_value(flag, words.next(), MAX_MEM_KIB)?;
                limits.memory_pages = kib.div_ceil(PAGE_SIZE / 1024);
            }
            "--caps" => limits.caps = option_value(flag, words.next(), MAX_CAPS)?,
            "--core" => {
                let cores = crate::arch::x86_64::online_cpus();
                core = match words.next().map(str::parse::<usize>) {
                    Some(Ok(c)) if c < cores => Some(c),
                    _ => return Err(format!("--core takes a core from 0 to {}", cores - 1)),
                };
            }
            _ => return Err(format!("unknown option '{flag}' (usage: run {RUN_USAGE})")),
        }
    }
    let rest: Vec<&str> = words.collect();
    let (name, background) = match rest.as_slice() {
        [name] => (*name, false),
        [name, "&"] => (*name, true),
        [] => {
            let names: Vec<&str> = process::program_names().collect();
            return Err(format!(
                "usage: run {RUN_USAGE}; programs: {}",
                names.join(" ")
            ));
        }
        _ => return Err(format!("usage: run {RUN_USAGE}")),
    };
    let (control, handle) = process::spawn(
        name,
        process::Options {
            announce_exit: true,
            limits,
            core,
            ..Default::default()
        },
    )?;
    if background {
        println!("pid {} ({}) started", control.pid, control.name);
    } else {
        wait_in_foreground(&control, handle).await;
    }
    Ok(())
}

/// Ctrl-C, which ends a program running in the foreground.
const INTERRUPT: u8 = 0x03;

/// Waits for a foreground process to end (it reports its own end). Ctrl-C kills it;
/// anything else typed meanwhile is kept for the shell's next line.
async fn wait_in_foreground(control: &Control, mut handle: JoinHandle<process::Exit>) {
    let mut typed = Vec::new();
    loop {
        // Dropping an unfinished read consumes nothing (it takes a byte only when ready).
        let input = pin!(runtime::serial::read());
        match select(&mut handle, input).await {
            Either::Left(_) => break,
            Either::Right((arch::Received::Byte(INTERRUPT), _)) => {
                println!("^C");
                control.kill();
                let _ = (&mut handle).await;
                break;
            }
            Either::Right((arch::Received::Byte(byte), _)) => typed.push(byte),
            Either::Right((arch::Received::Dropped(n), _)) => {
                println!("error: input overflow, {n} bytes lost");
            }
        }
    }
    super::type_ahead(typed);
}

/// `ps`: the live processes (with the service each runs for, if any).
pub fn ps(args: &str) -> Outcome {
    if !args.is_empty() {
        return Err(String::from("ps takes no arguments"));
    }
    let processes = process::list();
    println!("pid    state      priority    memory / limit KiB  syscalls  service     name");
    for p in &processes {
        let priority = p.task().map(|t| t.priority());
        let service = crate::service_manager::service_of_pid(p.pid);
        println!(
            "{:<6} {:<10} {:<11} {:>6} / {:<9} {:>9}  {:<11} {}",
            p.pid,
            format!("{:?}", p.state()),
            priority.map_or(String::from("-"), |p| format!("{p:?}")),
            p.pages.load(Ordering::Relaxed) * PAGE_SIZE / 1024,
            p.limits.memory_pages * PAGE_SIZE / 1024,
            p.syscalls.load(Ordering::Relaxed),
            service.as_deref().unwrap_or("-"),
            p.name
        );
    }
    println!("{} processes", processes.len());
    Ok(())
}

fn target(command: &str, args: &str) -> Result<Arc<Control>, String> {
    let pid: Pid = args
        .parse()
        .map_err(|_| format!("usage: {command} PID (a process id, see ps)"))?;
    process::find(pid).ok_or_else(|| format!("no process {pid}"))
}

/// `kill PID`.
pub fn kill(args: &str) -> Outcome {
    let process = target("kill", args)?;
    process.kill();
    Ok(())
}

/// `nice PID PRIORITY`: the executor lane the process runs in from its next turn.
pub fn nice(args: &str) -> Outcome {
    const USAGE: &str = "usage: nice PID critical|high|normal|low|background";
    let (pid, priority) = args.split_once(char::is_whitespace).ok_or(USAGE)?;
    let priority = match priority.trim() {
        "critical" => Priority::Critical,
        "high" => Priority::High,
        "normal" => Priority::Normal,
        "low" => Priority::Low,
        "background" => Priority::Background,
        _ => return Err(String::from(USAGE)),
    };
    let process = target("nice", pid)?;
    let task = process.task().ok_or("the process has not started yet")?;
    task.set_priority(priority);
    println!(
        "pid {} ({}) priority {priority:?}",
        process.pid, process.name
    );
    Ok(())
}

/// `suspend PID`.
pub fn suspend(args: &str) -> Outcome {
    let process = target("suspend", args)?;
    process.suspend();
    println!("pid {} ({}) suspended", process.pid, process.name);
    Ok(())
}

/// `resume PID`.
pub fn resume(args: &str) -> Outcome {
    let process = target("resume", args)?;
    process.resume();
    println!("pid {} ({}) resumed", process.pid, process.name);
    Ok(())
}
