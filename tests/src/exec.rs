//! `--exec`: boot, type commands, power off; succeed only if every step did.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::output;
use crate::session::Session;

/// Bounds for each step of an `--exec` run.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// From start to the first prompt.
    pub boot: Duration,
    /// From typing a command to the next prompt.
    pub command: Duration,
    /// From typing `poweroff` to the emulator's exit.
    pub poweroff: Duration,
}

impl Timeouts {
    /// QEMU under TCG with up to 8 vCPUs on 2 host cores is slow: be generous.
    pub const QEMU: Timeouts = Timeouts {
        boot: Duration::from_secs(120),
        command: Duration::from_secs(60),
        poweroff: Duration::from_secs(30),
    };

    /// Bochs runs tens of MIPS.
    pub const BOCHS: Timeouts = Timeouts {
        boot: Duration::from_secs(300),
        command: Duration::from_secs(120),
        poweroff: Duration::from_secs(20),
    };
}

/// Splits `"CMD; CMD"` into trimmed, non-empty commands.
pub fn split_commands(line: &str) -> Vec<String> {
    line.split(';')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

/// Boots, runs each command, then powers off. Returns each command's output lines.
/// Fails on a timeout, a crash, or a command that printed an `error:` line.
pub fn exec(session: &mut Session, commands: &[String], t: Timeouts) -> Result<Vec<Vec<String>>> {
    session.boot(t.boot)?;
    let mut outputs = Vec::new();
    for command in commands {
        let lines = session.run(command, t.command)?;
        if let Some(line) = output::error_line(&lines) {
            return Err(Error::Check(format!("`{command}` failed: {line}")));
        }
        outputs.push(lines);
    }
    session.poweroff(t.poweroff)?;
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::split_commands;

    #[test]
    fn splits_commands() {
        assert_eq!(
            split_commands(" cpus ;mem;; echo a b "),
            ["cpus", "mem", "echo a b"]
        );
        assert!(split_commands(" ; ").is_empty());
    }
}
