//! IPC through the shell: the registry, calls to the echo service, counters, trace, and
//! clear errors for malformed commands.

use mohhos_tests::checks::{self, has_line, one_error_each};
use mohhos_tests::{Result, Session, Timeouts, fixture};

const T: Timeouts = Timeouts::QEMU;

fn run_ok(s: &mut Session, command: &str) -> Result<Vec<String>> {
    checks::run_ok(s, command, T)
}

#[test]
fn echo_service_is_registered_and_answers_calls() {
    fixture::at_prompt(4, |s| {
        let lines = run_ok(s, "ipc services")?;
        has_line("ipc services", &lines, |l| l.contains("kernel.echo"))?;
        let lines = run_ok(s, "ipc ping 50")?;
        has_line("ipc ping 50", &lines, |l| {
            l.starts_with("50 replies from kernel.echo")
        })?;
        let lines = run_ok(s, "ipc stats")?;
        // Every ping was answered, by the service's direct handler (it waits between
        // them) or through its queue; none found the queue full, none lost.
        has_line("ipc stats", &lines, |l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let number = |i: usize| f.get(i).and_then(|w| w.parse::<u64>().ok());
            f.len() >= 11
                && f[1] == "kernel.echo"
                && number(3)
                    .zip(number(10))
                    .is_some_and(|(queued, direct)| queued + direct == 50)
                && f[6] == "0"
                && f[8] == "0"
        })?;
        has_line("ipc stats", &lines, |l| l == "capability denials 0")?;
        let lines = run_ok(s, "ipc trace 5")?;
        has_line("ipc trace 5", &lines, |l| l == "5 messages")?;
        Ok(())
    });
}

#[test]
fn malformed_ipc_commands_get_one_error_line() {
    fixture::at_prompt(2, |s| {
        one_error_each(
            s,
            &[
                "ipc",
                "ipc frobnicate",
                "ipc trace 0",
                "ipc trace -3",
                "ipc trace 99999999999999999999999",
                "ipc ping x",
                "ipc ping 100001",
                "ipc stats now",
                "services please",
                "ipc services please",
            ],
            T,
        )?;
        // The shell and the echo service are still fine.
        let lines = run_ok(s, "ipc ping 3")?;
        has_line("ipc ping 3", &lines, |l| l.starts_with("3 replies"))
    });
}
