//! User processes through the shell: programs run in ring 3 and exit, every kind of
//! crash kills only the offender, hostile system calls get error codes, and a process
//! that never makes a system call does not stop the shell.

use mohhos_tests::checks::{has_line, one_error_each, run_ok};
use mohhos_tests::{Error, Result, Session, Timeouts, fixture};

const T: Timeouts = Timeouts::QEMU;

/// The pid in a line `pid N (NAME) …`.
fn pid_of(line: &str) -> Option<u32> {
    line.strip_prefix("pid ")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Starts `program` in the background and returns its pid.
fn start_background(s: &mut Session, program: &str) -> Result<u32> {
    start_background_until(s, program, None)
}

/// Starts `program` in the background, waits until it printed `ready` (which may come
/// before or after the shell's `started` line: the program runs on its own) and
/// returns its pid.
fn start_background_until(s: &mut Session, program: &str, ready: Option<&str>) -> Result<u32> {
    let command = format!("run {program} &");
    let lines = run_ok(s, &command, T)?;
    // `program` may start with options (`--core 0 NAME`).
    let name = program.rsplit(' ').next().unwrap_or(program);
    let started = format!("({name}) started");
    let pid = lines
        .iter()
        .find_map(|l| pid_of(l).filter(|_| l.ends_with(&started)))
        .ok_or_else(|| Error::Check(format!("{program} did not start: {lines:?}")))?;
    if let Some(ready) = ready
        && !lines.iter().any(|l| l.contains(ready))
    {
        s.wait_for(ready, T.command, program)?;
    }
    Ok(pid)
}

/// The two counters of `ipc stats`' last line: calls run in their caller's trap, and
/// those of them handed back.
fn handoff_counts(s: &mut Session) -> Result<(u64, u64)> {
    let lines = run_ok(s, "ipc stats", T)?;
    let line = lines
        .iter()
        .find_map(|l| l.strip_prefix("calls run in the caller's trap "))
        .ok_or_else(|| Error::Check(format!("ipc stats: no hand-off line: {lines:?}")))?;
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|word| word.parse().ok())
        .collect();
    match numbers.as_slice() {
        [off, back] => Ok((*off, *back)),
        _ => Err(Error::Check(format!(
            "ipc stats: bad hand-off line {line:?}"
        ))),
    }
}

/// Checks that no process is left but the supervised services' (`ps` names their
/// service in its second-to-last column; `-` for the others).
fn no_processes(s: &mut Session) -> Result<()> {
    let lines = run_ok(s, "ps", T)?;
    let left: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()) && !l.ends_with(" processes"))
        .filter(|l| l.split_whitespace().rev().nth(1) == Some("-"))
        .collect();
    match left.as_slice() {
        [] => Ok(()),
        _ => Err(Error::Check(format!("processes left: {left:?}"))),
    }
}

#[test]
fn hello_runs_in_user_space_and_exits() {
    fixture::at_prompt(2, |s| {
        let lines = run_ok(s, "run hello", T)?;
        let pid = lines
            .iter()
            .find_map(|l| l.strip_prefix("hello from user space, pid "))
            .and_then(|p| p.trim().parse::<u32>().ok())
            .ok_or_else(|| Error::Check(format!("no greeting in {lines:?}")))?;
        has_line("run hello", &lines, |l| {
            l == format!("pid {pid} (hello) exited with code 0")
        })?;
        no_processes(s)
    });
}

#[test]
fn every_crash_kills_only_the_offender() {
    fixture::at_prompt(2, |s| {
        for (program, report) in [
            (
                "crash-kernel-read",
                "killed: page fault (#PF), vector 14, rip 0x",
            ),
            ("crash-null-write", "killed: page fault (#PF), vector 14"),
            ("crash-ud", "killed: invalid opcode (#UD), vector 6"),
            (
                "crash-gp",
                "killed: general protection fault (#GP), vector 13",
            ),
            ("crash-div", "killed: divide error (#DE), vector 0"),
            ("crash-fpu", "killed: device not available (#NM), vector 7"),
            (
                "crash-bad-stack",
                "killed: general protection fault (#GP), vector 13",
            ),
        ] {
            let command = format!("run {program}");
            let lines = run_ok(s, &command, T)?;
            has_line(&command, &lines, |l| {
                l.starts_with("pid ") && l.contains(&format!("({program}) {report}"))
            })?;
        }
        let lines = run_ok(s, "run crash-kernel-read", T)?;
        has_line("run crash-kernel-read", &lines, |l| {
            l.contains("address 0xffff800000000000")
        })?;
        let lines = run_ok(s, "run crash-null-write", T)?;
        has_line("run crash-null-write", &lines, |l| {
            l.contains("address 0x10,")
        })?;
        // The rest keeps running.
        let lines = run_ok(s, "run hello", T)?;
        has_line("run hello", &lines, |l| {
            l.ends_with("(hello) exited with code 0")
        })?;
        no_processes(s)
    });
}

#[test]
fn hostile_system_calls_get_errors_and_no_kernel_fault() {
    fixture::at_prompt(2, |s| {
        let lines = run_ok(s, "run hostile", T)?;
        if let Some(failed) = lines.iter().find(|l| l.starts_with("hostile: FAIL")) {
            return Err(Error::Check(format!("{failed} (all: {lines:?})")));
        }
        has_line("run hostile", &lines, |l| {
            l.starts_with("hostile: ") && l.ends_with(" passed, 0 failed")
        })?;
        has_line("run hostile", &lines, |l| {
            l.ends_with("(hostile) exited with code 0")
        })
    });
}

#[test]
fn memory_can_be_mapped_protected_and_unmapped() {
    fixture::at_prompt(1, |s| {
        let lines = run_ok(s, "run mapper", T)?;
        has_line("run mapper", &lines, |l| l == "mapper: ok")?;
        has_line("run mapper", &lines, |l| {
            l.ends_with("(mapper) exited with code 0")
        })
    });
}

#[test]
fn a_spinning_process_does_not_stop_the_shell() {
    // One CPU: the shell and the spinner share it, so only preemption lets the shell in.
    fixture::at_prompt(1, |s| {
        let pid = start_background(s, "spin")?;
        let lines = run_ok(s, "echo still answering", T)?;
        has_line("echo", &lines, |l| l == "still answering")?;
        let lines = run_ok(s, "ps", T)?;
        has_line("ps", &lines, |l| {
            l.starts_with(&format!("{pid} ")) && l.ends_with(" spin")
        })?;
        run_ok(s, &format!("suspend {pid}"), T)?;
        let lines = run_ok(s, "ps", T)?;
        has_line("ps", &lines, |l| {
            l.starts_with(&format!("{pid} ")) && l.contains("Suspended")
        })?;
        run_ok(s, &format!("resume {pid}"), T)?;
        run_ok(s, &format!("kill {pid}"), T)?;
        s.wait_for(&format!("pid {pid} (spin) killed"), T.command, "kill spin")?;
        // Nothing but system calls, each answered at once: its turns still end.
        let pid = start_background(s, "syscall-spin")?;
        let lines = run_ok(s, "echo still answering", T)?;
        has_line("echo", &lines, |l| l == "still answering")?;
        run_ok(s, &format!("kill {pid}"), T)?;
        s.wait_for(
            &format!("pid {pid} (syscall-spin) killed"),
            T.command,
            "kill",
        )?;
        no_processes(s)
    });
}

#[test]
fn malformed_process_commands_get_one_error_line() {
    fixture::at_prompt(1, |s| {
        one_error_each(
            s,
            &[
                "run",
                "run no-such-program",
                "run hello world",
                "kill",
                "kill 999999",
                "kill -1",
                "kill x",
                "suspend 0",
                "resume 18446744073709551616",
                "ps now",
            ],
            T,
        )?;
        let lines = run_ok(s, "run hello", T)?;
        has_line("run hello", &lines, |l| {
            l.ends_with("(hello) exited with code 0")
        })
    });
}

#[test]
fn user_processes_call_kernel_and_user_services() {
    fixture::at_prompt(2, |s| {
        let lines = run_ok(s, "run ping", T)?;
        has_line("run ping", &lines, |l| {
            l == "ping: 100 replies from kernel.echo"
        })?;
        let pid =
            start_background_until(s, "echo-service", Some("echo-service: serving user.echo"))?;
        let lines = run_ok(s, "ipc services", T)?;
        has_line("ipc services", &lines, |l| l.contains("user.echo"))?;
        for _ in 0..2 {
            let lines = run_ok(s, "run ping-user", T)?;
            has_line("run ping-user", &lines, |l| {
                l == "ping: 100 replies from user.echo"
            })?;
        }
        // The service's death takes its name and capabilities with it.
        run_ok(s, &format!("kill {pid}"), T)?;
        s.wait_for(
            &format!("pid {pid} (echo-service) killed"),
            T.command,
            "kill",
        )?;
        let lines = run_ok(s, "run ping-user", T)?;
        has_line("run ping-user", &lines, |l| {
            l == "ping: cannot connect to user.echo: not found"
        })?;
        let lines = run_ok(s, "ipc services", T)?;
        if lines.iter().any(|l| l.contains("user.echo")) {
            return Err(Error::Check(format!(
                "user.echo outlived its owner: {lines:?}"
            )));
        }
        no_processes(s)
    });
}

#[test]
fn calls_run_in_the_callers_trap_end_as_queued_calls_do() {
    fixture::at_prompt(2, |s| {
        // The client on the service's core (calls run in its trap), then on the other
        // core (through the queue): the same answers and errors both times.
        for client_core in [0, 1] {
            let before = handoff_counts(s)?;
            let pid = start_background_until(
                s,
                "--core 0 handoff-service",
                Some("handoff-service: serving user.handoff"),
            )?;
            let command = format!("run --core {client_core} handoff-client");
            let lines = run_ok(s, &command, T)?;
            has_line(&command, &lines, |l| l == "handoff-client: 8 checks passed")?;
            // The fault's report comes before or after the client's end.
            let fault = format!("pid {pid} (handoff-service) killed: invalid opcode");
            if !lines.iter().any(|l| l.starts_with(&fault)) {
                s.wait_for(&fault, T.command, "the service's fault")?;
            }
            let (off, back) = handoff_counts(s)?;
            let (off, back) = (off - before.0, back - before.1);
            // On core 0 the calls that find the service parked run in the client's
            // trap (106: all but the echo that waits out the service's sleep), and the
            // line, the spin (at its slice's end), the reply in memory, the sleep and
            // the fault are handed back. On core 1 none.
            let expected = if client_core == 0 {
                off >= 100 && back >= 5
            } else {
                off == 0 && back == 0
            };
            if !expected {
                return Err(Error::Check(format!(
                    "client on core {client_core}: {off} calls run in its trap, {back} handed back"
                )));
            }
        }
        no_processes(s)
    });
}

#[test]
fn callers_on_every_core_share_a_lent_service() {
    fixture::at_prompt(2, |s| {
        let service = start_background_until(
            s,
            "--core 0 echo-service",
            Some("echo-service: serving user.echo"),
        )?;
        let replies = |s: &Session| s.log().matches("ping: 100 replies from user.echo").count();
        let (before, (off_before, _)) = (replies(s), handoff_counts(s)?);
        // Three callers on the service's core take turns running it in their traps; the
        // others reach it through the queue meanwhile. Every answer is checked.
        let mut callers = Vec::new();
        for placement in ["--core 0 ", "--core 0 ", "--core 0 ", "--core 1 ", ""] {
            callers.push(start_background(s, &format!("{placement}ping-user"))?);
        }
        let deadline = std::time::Instant::now() + T.command;
        loop {
            let lines = run_ok(s, "ps", T)?;
            let running = |pid: &u32| lines.iter().any(|l| l.starts_with(&format!("{pid} ")));
            if !callers.iter().any(running) {
                break;
            }
            if std::time::Instant::now() > deadline {
                return Err(Error::Check(format!("callers still running: {lines:?}")));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let log = s.log();
        if replies(s) != before + callers.len() || log.contains("ping: call") {
            return Err(Error::Check(format!("a caller failed: {log}")));
        }
        let (off, _) = handoff_counts(s)?;
        if off < off_before + 100 {
            return Err(Error::Check(format!(
                "only {} calls ran in a trap",
                off - off_before
            )));
        }
        run_ok(s, &format!("kill {service}"), T)?;
        s.wait_for(
            &format!("pid {service} (echo-service) killed"),
            T.command,
            "kill",
        )?;
        no_processes(s)
    });
}

#[test]
fn a_process_cannot_reach_another_process_memory() {
    fixture::at_prompt(2, |s| {
        let pid = start_background_until(
            s,
            "secret-keeper",
            Some("secret-keeper: secret at 0x100000000000"),
        )?;
        // The same address in another process is nothing: the reader dies, alone.
        let lines = run_ok(s, "run snoop", T)?;
        has_line("run snoop", &lines, |l| {
            l.contains("(snoop) killed: page fault (#PF), vector 14")
                && l.contains("address 0x100000000000")
        })?;
        if lines.iter().any(|l| l.starts_with("snoop: read")) {
            return Err(Error::Check(format!("snoop read the secret: {lines:?}")));
        }
        let lines = run_ok(s, "ps", T)?;
        has_line("ps", &lines, |l| {
            l.starts_with(&format!("{pid} ")) && l.ends_with(" secret-keeper")
        })?;
        run_ok(s, &format!("kill {pid}"), T)?;
        s.wait_for(
            &format!("pid {pid} (secret-keeper) killed"),
            T.command,
            "kill",
        )?;
        no_processes(s)
    });
}

#[test]
fn limits_and_priorities_apply_per_process() {
    fixture::at_prompt(1, |s| {
        // 100 KiB cannot hold the program, its stack and the 64 KiB the heap asks for.
        let lines = s.run("run --mem 100 mapper", T.command)?;
        has_line("run --mem 100 mapper", &lines, |l| {
            l.ends_with("(mapper) exited with code 101") || l == "error: mapper: quota exceeded"
        })?;
        let lines = run_ok(s, "run --mem 4096 mapper", T)?;
        has_line("run --mem 4096 mapper", &lines, |l| l == "mapper: ok")?;
        let pid = start_background(s, "spin")?;
        run_ok(s, &format!("nice {pid} background"), T)?;
        let lines = run_ok(s, "ps", T)?;
        has_line("ps", &lines, |l| {
            l.starts_with(&format!("{pid} ")) && l.contains("Background") && l.ends_with(" spin")
        })?;
        run_ok(s, &format!("kill {pid}"), T)?;
        s.wait_for(&format!("pid {pid} (spin) killed"), T.command, "kill spin")?;
        one_error_each(
            s,
            &[
                "run --mem 0 hello",
                "run --mem x hello",
                "run --caps 99999 hello",
                "run --frobnicate hello",
                "run --core 99 hello",
                "run --core x hello",
                "nice",
                "nice 1",
                "nice 999999 low",
                "nice 1 urgent",
            ],
            T,
        )?;
        no_processes(s)
    });
}

#[test]
fn asynchronous_rings_carry_sends_receives_and_replies() {
    fixture::at_prompt(2, |s| {
        let pid = start_background_until(s, "ring-echo", Some("ring-echo: serving user.echo"))?;
        // Direct calls answered through the service's ring receives and replies.
        let lines = run_ok(s, "run ping-user", T)?;
        has_line("run ping-user", &lines, |l| {
            l == "ping: 100 replies from user.echo"
        })?;
        // One-way sends through the client's ring: every one arrives, exactly once.
        for _ in 0..2 {
            let lines = run_ok(s, "run ring-client", T)?;
            has_line("run ring-client", &lines, |l| {
                l == "ring-client: 1000 messages delivered"
            })?;
        }
        run_ok(s, &format!("kill {pid}"), T)?;
        s.wait_for(&format!("pid {pid} (ring-echo) killed"), T.command, "kill")?;
        no_processes(s)
    });
}

#[test]
fn ctrl_c_ends_a_foreground_program_and_keeps_what_was_typed() {
    fixture::at_prompt(1, |s| {
        s.send(b"run spin\r")?;
        s.wait_for("run spin", T.command, "the echoed command")?;
        // Typed while spin runs in the foreground: kept for the next line.
        s.send(b"echo typed ahead\r")?;
        s.send(&[0x03])?;
        s.wait_for("^C", T.command, "Ctrl-C")?;
        s.wait_for("(spin) killed", T.command, "the kill report")?;
        // The echoed command line, then its output line.
        s.wait_for(
            "echo typed ahead\r\ntyped ahead\r\n",
            T.command,
            "the typed-ahead command's output",
        )?;
        s.settle(
            std::time::Duration::from_millis(300),
            T.command,
            "after the typed-ahead command",
        )?;
        no_processes(s)
    });
}

#[test]
fn processes_share_memory_through_a_region_capability() {
    fixture::at_prompt(2, |s| {
        let pid = start_background_until(
            s,
            "region-reader",
            Some("region-reader: serving user.regions"),
        )?;
        // More rounds than a process may keep regions mapped: the reader unmaps each.
        for _ in 0..20 {
            let lines = run_ok(s, "run region-writer", T)?;
            has_line("run region-writer", &lines, |l| {
                l == "region-writer: shared 29 bytes, answer \"read by region-reader\""
            })?;
        }
        run_ok(s, &format!("kill {pid}"), T)?;
        s.wait_for(
            &format!("pid {pid} (region-reader) killed"),
            T.command,
            "kill",
        )?;
        no_processes(s)
    });
}
