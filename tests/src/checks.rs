//! Assertions on shell output shared by the integration tests.

use crate::error::{Error, Result};
use crate::exec::Timeouts;
use crate::output;
use crate::session::Session;

/// Runs `command` and fails if it printed an `error:` line.
pub fn run_ok(s: &mut Session, command: &str, t: Timeouts) -> Result<Vec<String>> {
    let lines = s.run(command, t.command)?;
    match output::error_line(&lines) {
        Some(line) => Err(Error::Check(format!("`{command}` failed: {line}"))),
        None => Ok(lines),
    }
}

/// Fails unless some line of `command`'s output satisfies `want`.
pub fn has_line(command: &str, lines: &[String], want: impl Fn(&str) -> bool) -> Result<()> {
    if lines.iter().any(|l| want(l)) {
        Ok(())
    } else {
        Err(Error::Check(format!(
            "`{command}`: unexpected output {lines:?}"
        )))
    }
}

/// Runs each command and fails unless each printed exactly one `error:` line.
pub fn one_error_each(s: &mut Session, commands: &[&str], t: Timeouts) -> Result<()> {
    for command in commands {
        let lines = s.run(command, t.command)?;
        let errors = lines.iter().filter(|l| l.starts_with("error: ")).count();
        if errors != 1 {
            return Err(Error::Check(format!(
                "`{command}`: expected one error line, got {lines:?}"
            )));
        }
    }
    Ok(())
}
