//! The shell's process commands: `run`, `ps`, `kill`, `suspend`, `resume`.

use super::commands::Outcome;
use crate::println;
use crate::process::{self, Control, Pid};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use mohhos_abi::layout::PAGE_SIZE;

/// `run NAME [&]`: starts a program; waits for it unless `&` follows.
pub async fn run(args: &str) -> Outcome {
    let words: Vec<&str> = args.split_whitespace().collect();
    let (name, background) = match words.as_slice() {
        [name] => (*name, false),
        [name, "&"] => (*name, true),
        [] => {
            let names: Vec<&str> = process::program_names().collect();
            return Err(format!(
                "usage: run NAME [&]; programs: {}",
                names.join(" ")
            ));
        }
        _ => return Err(String::from("usage: run NAME [&]")),
    };
    let (control, handle) = process::spawn(
        name,
        process::Options {
            announce_exit: true,
            ..Default::default()
        },
    )?;
    if background {
        println!("pid {} ({}) started", control.pid, control.name);
    } else {
        // The process reports its own end; a kill shows up as a cancelled join.
        let _ = handle.await;
    }
    Ok(())
}

/// `ps`: the live processes.
pub fn ps(args: &str) -> Outcome {
    if !args.is_empty() {
        return Err(String::from("ps takes no arguments"));
    }
    let processes = process::list();
    println!("pid    state      memory    syscalls  name");
    for p in &processes {
        println!(
            "{:<6} {:<10} {:>5} KiB  {:>8}  {}",
            p.pid,
            format!("{:?}", p.state()),
            p.pages.load(core::sync::atomic::Ordering::Relaxed) * PAGE_SIZE / 1024,
            p.syscalls.load(core::sync::atomic::Ordering::Relaxed),
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
