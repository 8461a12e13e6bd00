//! The shell's commands and line editing.

use mohhos_tests::{Error, Result, Session, Timeouts, fixture, output};

const T: Timeouts = Timeouts::QEMU;

/// Boots a 2-CPU machine (skipped when no kernel is set) and runs `body` at the prompt.
fn at_prompt(body: impl FnOnce(&mut Session) -> Result<()>) {
    let Some(machine) = fixture::kernel(2) else {
        return;
    };
    fixture::check(machine, |s| {
        s.boot(T.boot)?;
        body(s)
    });
}

/// Fails unless `lines` holds no `error:` line.
fn no_error(command: &str, lines: &[String]) -> Result<()> {
    match output::error_line(lines) {
        Some(line) => Err(Error::Check(format!("`{command}` failed: {line}"))),
        None => Ok(()),
    }
}

/// Fails unless `lines` is exactly `want`.
fn expect_lines(what: &str, lines: &[String], want: &[&str]) -> Result<()> {
    if lines == want {
        Ok(())
    } else {
        Err(Error::Check(format!(
            "{what}: expected {want:?}, got {lines:?}"
        )))
    }
}

#[test]
fn mem_and_uptime_succeed() {
    at_prompt(|s| {
        for command in ["mem", "uptime", "help"] {
            let lines = s.run(command, T.command)?;
            no_error(command, &lines)?;
            if lines.iter().all(|l| l.trim().is_empty()) {
                return Err(Error::Check(format!("`{command}` printed nothing")));
            }
        }
        Ok(())
    });
}

#[test]
fn boot_reports_microseconds() {
    at_prompt(|s| {
        let lines = s.run("boot", T.command)?;
        no_error("boot", &lines)?;
        match output::boot_micros(&lines) {
            Some(_) => Ok(()),
            None => Err(Error::Check(format!(
                "`boot`: no `boot <N> us` line in {lines:?}"
            ))),
        }
    });
}

#[test]
fn echo_prints_its_arguments() {
    at_prompt(|s| {
        let lines = s.run("echo hello world", T.command)?;
        expect_lines("`echo hello world`", &lines, &["hello world"])
    });
}

#[test]
fn unknown_command_prints_one_error() {
    at_prompt(|s| {
        let lines = s.run("frobnicate --now", T.command)?;
        let errors = lines.iter().filter(|l| l.starts_with("error:")).count();
        if errors != 1 {
            return Err(Error::Check(format!(
                "unknown command: expected exactly one `error:` line, got {lines:?}"
            )));
        }
        let lines = s.run("echo still here", T.command)?;
        expect_lines("`echo` after an error", &lines, &["still here"])
    });
}

#[test]
fn backspace_edits_the_line() {
    at_prompt(|s| {
        let lines = s.type_line(b"echoo\x7f hi\r", "echoo<DEL> hi", T.command)?;
        expect_lines("`echoo` DEL ` hi`", &lines, &["hi"])?;
        let lines = s.type_line(b"echo x\x08y\r", "echo x<BS>y", T.command)?;
        expect_lines("`echo x` BS `y`", &lines, &["y"])
    });
}

#[test]
fn history_recalls_the_last_command() {
    at_prompt(|s| {
        let lines = s.run("echo one", T.command)?;
        expect_lines("`echo one`", &lines, &["one"])?;
        s.send(b"\x1b[A")?;
        s.wait_for("echo one", T.command, "`echo one` recalled by ESC [ A")?;
        let lines = s.type_line(b"\r", "Enter on the recalled line", T.command)?;
        // The first line is whatever is left of the redrawn line; the output follows it.
        expect_lines("recalled `echo one`", &lines, &["one"])
    });
}
