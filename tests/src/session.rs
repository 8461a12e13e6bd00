//! A running machine and its serial shell.

use std::process::{Child, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::bochs::Bochs;
use crate::console::Console;
use crate::error::{Error, Result};
use crate::output;
use crate::qemu::{self, Qemu};

/// Which emulator runs the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emulator {
    /// QEMU, serial on its stdio.
    Qemu,
    /// Bochs, serial on a loopback socket.
    Bochs,
}

/// A booted (or booting) machine. Dropping it kills the emulator.
pub struct Session {
    child: Child,
    console: Console,
    emulator: Emulator,
}

/// A prompt at the start of a line.
const LINE_PROMPT: &str = "\nmohhos> ";

impl Session {
    /// Starts QEMU with its serial line on pipes. With `stream`, its output is copied to our stdout.
    pub fn qemu(machine: &Qemu, stream: bool) -> Result<Session> {
        machine.validate()?;
        let mut child = machine
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(Error::io("starting qemu-system-x86_64"))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let console = Console::new(
            Box::new(stdin),
            vec![Box::new(stdout), Box::new(stderr)],
            stream,
        );
        Ok(Session {
            child,
            console,
            emulator: Emulator::Qemu,
        })
    }

    /// Starts Bochs and connects to its serial socket.
    pub fn bochs(machine: &Bochs, stream: bool) -> Result<Session> {
        let (child, socket) = machine.start()?;
        let reader = socket
            .try_clone()
            .map_err(Error::io("cloning the Bochs serial socket"))?;
        let console = Console::new(Box::new(socket), vec![Box::new(reader)], stream);
        Ok(Session {
            child,
            console,
            emulator: Emulator::Bochs,
        })
    }

    /// Which emulator this is.
    pub fn emulator(&self) -> Emulator {
        self.emulator
    }

    /// Waits for the first prompt; returns the boot log.
    pub fn boot(&mut self, timeout: Duration) -> Result<String> {
        let log = self
            .console
            .wait_for(LINE_PROMPT, timeout, "the first `mohhos> ` prompt (boot)");
        self.check_health()?;
        log
    }

    /// Types `command` and Enter; returns the lines it printed before the next prompt.
    pub fn run(&mut self, command: &str, timeout: Duration) -> Result<Vec<String>> {
        self.type_line(format!("{command}\r").as_bytes(), command, timeout)
    }

    /// Types raw bytes (ending in Enter); returns the lines printed between the echoed line
    /// and the next prompt. `what` names the input in errors.
    pub fn type_line(
        &mut self,
        bytes: &[u8],
        what: &str,
        timeout: Duration,
    ) -> Result<Vec<String>> {
        self.console.send(bytes)?;
        let step = format!("the prompt after `{what}`");
        let text = self.console.wait_for(LINE_PROMPT, timeout, &step)?;
        self.check_health()?;
        Ok(output::command_output(&text))
    }

    /// Types raw bytes without waiting for anything.
    pub fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.console.send(bytes)
    }

    /// Waits for `pattern` in the output (see [`Console::wait_for`]).
    pub fn wait_for(&mut self, pattern: &str, timeout: Duration, step: &str) -> Result<String> {
        self.console.wait_for(pattern, timeout, step)
    }

    /// Reads until the machine is silent for `quiet` (bounded by `max`), discarding the output
    /// from the read position; fails on a crash.
    pub fn settle(&mut self, quiet: Duration, max: Duration, step: &str) -> Result<()> {
        self.console.settle(quiet, max, step)?;
        self.check_health()
    }

    /// Types `poweroff` and waits for the emulator to exit. QEMU must exit cleanly within
    /// `timeout`; Bochs is killed if it has not exited by then (that still counts as success).
    pub fn poweroff(&mut self, timeout: Duration) -> Result<()> {
        self.console.send(b"poweroff\r")?;
        let status = self.wait_exit(timeout);
        self.check_health()?;
        match (self.emulator, status) {
            (Emulator::Qemu, Some(status)) if qemu::clean_exit(status.code()) => Ok(()),
            (Emulator::Qemu, Some(status)) => Err(Error::Check(format!(
                "QEMU exited with {status} after `poweroff` (expected 0 or 33)"
            ))),
            (Emulator::Qemu, None) => Err(Error::Timeout {
                step: "QEMU to exit after `poweroff`".into(),
                after: timeout,
            }),
            (Emulator::Bochs, Some(_)) => Ok(()),
            (Emulator::Bochs, None) => {
                eprintln!(
                    "note: Bochs did not exit within {} s of `poweroff`; killed it",
                    timeout.as_secs()
                );
                self.kill();
                Ok(())
            }
        }
    }

    /// Waits up to `timeout` for the emulator to exit, then collects its remaining output.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.console.wait_closed(Duration::from_secs(5));
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the emulator with SIGKILL (Bochs ignores SIGTERM) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Everything the machine printed so far.
    pub fn log(&self) -> String {
        self.console.log()
    }

    /// Fails if the log shows a kernel panic or CPU exception.
    pub fn check_health(&self) -> Result<()> {
        match output::crash_line(&self.console.log()) {
            Some(line) => Err(Error::Check(format!("the kernel crashed: {}", line.trim()))),
            None => Ok(()),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.kill();
    }
}
