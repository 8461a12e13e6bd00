//! Services through the shell: S-INIT's boot order, the supervisor's restarts under
//! client load, the restart limit and its notice to dependents, stop / start /
//! restart, the journal, and clear errors for malformed commands.

use mohhos_tests::checks::{self, has_line, one_error_each};
use mohhos_tests::{Error, Result, Session, Timeouts, fixture};

const T: Timeouts = Timeouts::QEMU;

fn run_ok(s: &mut Session, command: &str) -> Result<Vec<String>> {
    checks::run_ok(s, command, T)
}

/// The `services` line of `name`, split into fields: name, version, kind, state,
/// restarts, uptime (two words), core, pid, endpoint.
fn service_fields(s: &mut Session, name: &str) -> Result<Vec<String>> {
    let lines = run_ok(s, "services")?;
    lines
        .iter()
        .map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
        .find(|f| f.first().map(String::as_str) == Some(name))
        .ok_or_else(|| Error::Check(format!("{name} not in services: {lines:?}")))
}

/// The timestamp (µs) of the first `kind` event of `name`.
fn first_event(s: &mut Session, name: &str, kind: &str) -> Result<f64> {
    let lines = run_ok(s, &format!("events {name} 128"))?;
    lines
        .iter()
        .find_map(|l| {
            let (time, rest) = l.strip_prefix('[')?.split_once(']')?;
            (rest.split_whitespace().next() == Some(kind)).then(|| time.trim().parse().ok())?
        })
        .ok_or_else(|| Error::Check(format!("no {kind} event for {name}: {lines:?}")))
}

/// Crashes `name` once it serves (retrying while it is still coming back).
fn crash_when_serving(s: &mut Session, name: &str) -> Result<()> {
    for _ in 0..2000 {
        let lines = s.run(&format!("crash {name}"), T.command)?;
        if lines
            .iter()
            .any(|l| l.starts_with(&format!("crashed {name}")))
        {
            return Ok(());
        }
        if !lines.iter().any(|l| l.contains("not serving")) {
            return Err(Error::Check(format!("crash {name}: {lines:?}")));
        }
    }
    Err(Error::Check(format!("{name} never came back")))
}

/// The first line of the whole serial log containing `pattern`, waiting for it (the
/// shell keeps answering meanwhile) for at most [`Timeouts::command`] × 4.
fn line_with(s: &mut Session, pattern: &str) -> Result<String> {
    let deadline = std::time::Instant::now() + T.command * 4;
    loop {
        if let Some(line) = s.log().lines().find(|l| l.contains(pattern)) {
            return Ok(line.to_string());
        }
        if std::time::Instant::now() > deadline {
            return Err(Error::Check(format!("no line with {pattern:?}")));
        }
        run_ok(s, "echo waiting")?;
    }
}

#[test]
fn services_boot_in_dependency_order_and_serve() {
    fixture::at_prompt(8, |s| {
        for name in ["log", "storage", "echo", "probe"] {
            let fields = service_fields(s, name)?;
            if fields[3] != "serving" || fields[4] != "0" {
                return Err(Error::Check(format!("{name}: {fields:?}")));
            }
        }
        // echo depends on log, probe on echo: each serves before the next starts.
        let log = first_event(s, "log", "Healthy")?;
        let echo = first_event(s, "echo", "Healthy")?;
        let probe = first_event(s, "probe", "Healthy")?;
        if !(log < echo && echo < probe) {
            return Err(Error::Check(format!(
                "boot order: log {log}, echo {echo}, probe {probe}"
            )));
        }
        let lines = run_ok(s, "deps echo")?;
        has_line("deps echo", &lines, |l| l == "depends on: log")?;
        has_line("deps echo", &lines, |l| l == "needed by: probe")?;
        let lines = run_ok(s, "deps log")?;
        has_line("deps log", &lines, |l| {
            l == "needed by: echo, mirror, mirror.1, mirror.2, probe, storage"
        })?;
        // The user service logged through the log service into its own channel (it logs
        // after registering, so the record may trail its `serving` state: wait for it).
        let deadline = std::time::Instant::now() + T.command * 4;
        loop {
            let lines = run_ok(s, "dmesg --service echo")?;
            let logged = has_line("dmesg --service echo", &lines, |l| {
                l.ends_with("echo       info  serving svc.echo")
            });
            if logged.is_ok() || std::time::Instant::now() > deadline {
                break logged?;
            }
        }
        let lines = run_ok(s, "dmesg --level warn")?;
        if lines.iter().any(|l| l.contains(" info ")) {
            return Err(Error::Check(format!("info records at warn: {lines:?}")));
        }
        Ok(())
    });
}

#[test]
fn crashes_under_load_are_restarted_until_the_limit() {
    fixture::at_prompt(4, |s| {
        let lines = run_ok(s, "run svc-client &")?;
        has_line("run svc-client &", &lines, |l| {
            l.ends_with("(svc-client) started")
        })?;
        // echo may restart 100 times a minute: every one of these crashes comes back.
        for _ in 0..100 {
            crash_when_serving(s, "echo")?;
        }
        let summary = line_with(s, "svc-client: calls")?;
        let numbers: Vec<u64> = summary
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        // calls, answered, failed, timed-out, wrong, outages
        let [calls, answered, failed, timed_out, wrong, outages] = numbers[..] else {
            return Err(Error::Check(format!("summary: {summary}")));
        };
        if timed_out != 0 || wrong != 0 || answered + failed != calls || outages == 0 {
            return Err(Error::Check(format!("a request was lost: {summary}")));
        }
        line_with(s, "(svc-client) exited with code 0")?;
        let mut fields = service_fields(s, "echo")?;
        for _ in 0..200 {
            if fields[3] == "serving" {
                break;
            }
            fields = service_fields(s, "echo")?;
        }
        if fields[3] != "serving" || fields[4] != "100" {
            return Err(Error::Check(format!("echo after 100 crashes: {fields:?}")));
        }
        // The 101st within the minute is one too many: RestartFailed, and probe,
        // which depends on echo, is told.
        crash_when_serving(s, "echo")?;
        let mut state = String::new();
        for _ in 0..200 {
            state = service_fields(s, "echo")?[3].clone();
            if state == "failed" {
                break;
            }
        }
        if state != "failed" {
            return Err(Error::Check(format!("echo is {state}, not failed")));
        }
        let lines = run_ok(s, "events echo 3")?;
        has_line("events echo 3", &lines, |l| {
            l.contains("RestartFailed") && l.contains("crash injected; 100 restarts within 60 s")
        })?;
        let lines = run_ok(s, "events probe 3")?;
        has_line("events probe 3", &lines, |l| {
            l.contains("Degraded") && l.ends_with("dependency echo gave up")
        })?;
        // An operator's start gives it its allowance back.
        let lines = run_ok(s, "start echo")?;
        has_line("start echo", &lines, |l| l == "echo serving")?;
        Ok(())
    });
}

#[test]
fn files_round_trip_through_the_storage_service() {
    fixture::at_prompt(2, |s| {
        // Twice: the second run finds the first's directory gone and starts afresh.
        for _ in 0..2 {
            let lines = run_ok(s, "run fs-test")?;
            has_line("run fs-test", &lines, |l| l == "fs-test: 36 checks passed")?;
        }
        let fields = service_fields(s, "storage")?;
        if fields[3] != "serving" || fields[4] != "0" {
            return Err(Error::Check(format!("storage: {fields:?}")));
        }
        Ok(())
    });
}

#[test]
fn the_log_service_keeps_records_by_sender_and_level() {
    fixture::at_prompt(2, |s| {
        let lines = run_ok(s, "run log-test")?;
        has_line("run log-test", &lines, |l| {
            l == "log-test: 5 records, 3 refusals"
        })?;
        let pid = lines
            .iter()
            .find_map(|l| {
                l.strip_prefix("pid ")?
                    .split_once(' ')
                    .map(|(p, _)| p.to_string())
            })
            .ok_or_else(|| Error::Check(format!("no exit line: {lines:?}")))?;
        let channel = format!("pid-{pid}");
        let all = run_ok(s, &format!("dmesg --service {channel}"))?;
        if all.iter().filter(|l| l.contains(&channel)).count() != 5 {
            return Err(Error::Check(format!("not 5 records: {all:?}")));
        }
        // The longest record was cut to one message's 40 bytes.
        has_line("dmesg", &all, |l| {
            l.trim_end()
                .ends_with("trace a trace record, longer than one message")
        })?;
        let warn = run_ok(s, &format!("dmesg --service {channel} --level warn"))?;
        let kinds: Vec<&String> = warn.iter().filter(|l| l.contains(&channel)).collect();
        if kinds.len() != 2 || !kinds[0].contains(" error ") || !kinds[1].contains(" warn ") {
            return Err(Error::Check(format!("at warn: {warn:?}")));
        }
        Ok(())
    });
}

#[test]
fn stop_start_and_restart_follow_the_operator() {
    fixture::at_prompt(2, |s| {
        let lines = run_ok(s, "stop echo")?;
        has_line("stop echo", &lines, |l| l == "echo stopped")?;
        let fields = service_fields(s, "echo")?;
        if fields[3] != "stopped" {
            return Err(Error::Check(format!("after stop: {fields:?}")));
        }
        let lines = run_ok(s, "events echo 2")?;
        has_line("events echo 2", &lines, |l| l.contains("Draining"))?;
        has_line("events echo 2", &lines, |l| l.contains("Unregistered"))?;
        // Nobody serves svc.echo now, and nothing restarts it.
        let lines = run_ok(s, "ipc services")?;
        if lines.iter().any(|l| l.contains("svc.echo")) {
            return Err(Error::Check(format!(
                "svc.echo still registered: {lines:?}"
            )));
        }
        let lines = run_ok(s, "start echo")?;
        has_line("start echo", &lines, |l| l == "echo serving")?;
        let lines = run_ok(s, "restart probe")?;
        has_line("restart probe", &lines, |l| l == "probe serving")?;
        let fields = service_fields(s, "probe")?;
        if fields[3] != "serving" {
            return Err(Error::Check(format!("after restart: {fields:?}")));
        }
        one_error_each(
            s,
            &[
                "start echo",
                "start",
                "start ghost",
                "stop ghost",
                "stop echo probe",
                "restart",
                "crash",
                "crash ghost",
                "deps",
                "deps ghost",
                "events",
                "events ghost",
                "events echo 0",
                "events echo 129",
                "events echo x",
                "events echo 1 2",
                "dmesg --level loud",
                "dmesg --service ghost",
                "dmesg --service",
                "dmesg now",
                "services now",
            ],
            T,
        )?;
        // The journal records the kernel's own log too.
        let lines = run_ok(s, "dmesg --service kernel --level info")?;
        has_line("dmesg", &lines, |l| {
            l.contains("s-init: 7 services serving")
        })
    });
}

#[test]
fn failover_replays_to_the_other_replica_and_loses_nothing() {
    fixture::at_prompt(4, |s| {
        let lines = run_ok(s, "run mirror-client &")?;
        has_line("run mirror-client &", &lines, |l| {
            l.ends_with("(mirror-client) started")
        })?;
        // The primary dies again and again under load; the router replays what it
        // left unanswered to the standby.
        for _ in 0..10 {
            crash_when_serving(s, "mirror.1")?;
        }
        let summary = line_with(s, "mirror-client: sent")?;
        let numbers: Vec<u64> = summary
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        // sent, answered, failed, wrong, replicas
        let [sent, answered, failed, wrong, replicas] = numbers[..] else {
            return Err(Error::Check(format!("summary: {summary}")));
        };
        if answered != sent || failed != 0 || wrong != 0 || replicas < 2 {
            return Err(Error::Check(format!("failover lost or doubled: {summary}")));
        }
        line_with(s, "(mirror-client) exited with code 0")?;
        let lines = run_ok(s, "services")?;
        has_line("services", &lines, |l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            l.starts_with("router mirror: ")
                && l.ends_with(" failed 0")
                && words.get(7).is_some_and(|r| *r != "0")
        })
    });
}

#[test]
fn a_hung_service_is_found_unhealthy_and_restarted() {
    fixture::at_prompt(2, |s| {
        let fields = service_fields(s, "stuck")?;
        if fields[3] != "stopped" {
            return Err(Error::Check(format!("stuck is manual, yet: {fields:?}")));
        }
        let lines = run_ok(s, "start stuck")?;
        has_line("start stuck", &lines, |l| l == "stuck serving")?;
        // It hangs with four messages waiting: Degraded after one period without
        // progress, Unhealthy after three, then killed and restarted.
        let lines = run_ok(s, "run hang-client")?;
        has_line("run hang-client", &lines, |l| l == "hang-client: sent 5")?;
        let mut events = Vec::new();
        for _ in 0..50 {
            run_ok(s, "sleep 100")?;
            events = run_ok(s, "events stuck 10")?;
            if events.iter().any(|l| l.contains("Restarted")) {
                break;
            }
        }
        for kind in ["Degraded", "Unhealthy", "Restarting", "Restarted"] {
            has_line("events stuck", &events, |l| l.contains(kind))?;
        }
        has_line("events stuck", &events, |l| {
            l.contains("Restarting") && l.contains("unhealthy: 4 waiting")
        })?;
        one_error_each(s, &["sleep", "sleep x", "sleep 60001"], T)
    });
}
