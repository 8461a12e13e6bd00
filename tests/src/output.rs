//! Reading what the shell printed.

/// The shell's prompt.
pub const PROMPT: &str = "mohhos> ";

/// Text the kernel prints when it panics or takes an unexpected CPU exception.
pub const CRASH_MARKERS: [&str; 2] = ["KERNEL PANIC", "EXCEPTION"];

/// Splits console text into lines without `\r` and ANSI escape sequences.
pub fn lines(text: &str) -> Vec<String> {
    text.split('\n')
        .map(|line| strip_ansi(line).trim_end_matches('\r').to_string())
        .collect()
}

/// The output of one command: the text from just after the prompt it was typed at up to
/// and including the next prompt, minus the echoed command line and that prompt.
pub fn command_output(text: &str) -> Vec<String> {
    let mut all = lines(text);
    if all.last().is_some_and(|l| l.ends_with(PROMPT)) {
        all.pop();
    }
    all.into_iter().skip(1).collect()
}

/// The first line reporting a failed command (`error: …`).
pub fn error_line(lines: &[String]) -> Option<&str> {
    lines
        .iter()
        .map(String::as_str)
        .find(|l| l.starts_with("error:"))
}

/// The first line that reports a kernel panic or CPU exception.
pub fn crash_line(text: &str) -> Option<&str> {
    text.lines()
        .find(|l| CRASH_MARKERS.iter().any(|m| l.contains(m)))
}

/// Checks the output of `cpus` for `n` online CPUs: `n` lines `cpu <i> apic <id> online`
/// with indices 0..n, and a last line `online n/n`.
pub fn check_cpus(lines: &[String], n: usize) -> Result<(), String> {
    let mut indices: Vec<usize> = lines
        .iter()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            match w.as_slice() {
                ["cpu", i, "apic", id, "online"] if id.parse::<u32>().is_ok() => i.parse().ok(),
                _ => None,
            }
        })
        .collect();
    indices.sort_unstable();
    if indices != (0..n).collect::<Vec<_>>() {
        return Err(format!(
            "`cpus`: expected lines `cpu <i> apic <id> online` for i in 0..{n}, found indices {indices:?}"
        ));
    }
    let want = format!("online {n}/{n}");
    match lines.iter().rev().find(|l| !l.trim().is_empty()) {
        Some(last) if last.trim() == want => Ok(()),
        last => Err(format!("`cpus`: expected last line `{want}`, got {last:?}")),
    }
}

/// The microseconds in the `boot <N> us` line of `boot`.
pub fn boot_micros(lines: &[String]) -> Option<u64> {
    lines.iter().find_map(|l| {
        l.trim()
            .strip_prefix("boot ")?
            .strip_suffix(" us")?
            .parse()
            .ok()
    })
}

/// Removes ANSI CSI (`ESC [ … final`) and two-byte `ESC x` sequences.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        if chars.next() == Some('[') {
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn splits_command_output() {
        let text = "cpus\r\ncpu 0 apic 0 online\r\nonline 1/1\r\nmohhos> ";
        assert_eq!(
            command_output(text),
            owned(&["cpu 0 apic 0 online", "online 1/1"])
        );
        assert_eq!(
            command_output("x\r\n\x1b[31merror: unknown\x1b[0m\r\nmohhos> "),
            owned(&["error: unknown"])
        );
    }

    #[test]
    fn finds_errors_and_crashes() {
        let out = owned(&["fine", "error: nope", "error: again"]);
        assert_eq!(error_line(&out), Some("error: nope"));
        assert_eq!(error_line(&owned(&["an error: inside"])), None);
        assert_eq!(
            crash_line("a\r\n[cpu0] KERNEL PANIC at x\r\n"),
            Some("[cpu0] KERNEL PANIC at x")
        );
        assert_eq!(crash_line("EXCEPTION #PF\n"), Some("EXCEPTION #PF"));
        assert_eq!(crash_line("exception vectors installed\n"), None);
    }

    #[test]
    fn checks_cpus() {
        let good = owned(&["cpu 0 apic 0 online", "cpu 1 apic 2 online", "online 2/2"]);
        assert_eq!(check_cpus(&good, 2), Ok(()));
        assert!(check_cpus(&good, 1).is_err());
        let partial = owned(&["cpu 0 apic 0 online", "online 1/2"]);
        assert!(check_cpus(&partial, 1).is_err());
        assert!(check_cpus(&owned(&["online 0/0"]), 1).is_err());
    }

    #[test]
    fn reads_boot_time() {
        assert_eq!(
            boot_micros(&owned(&["boot 12345 us", "acpi 5 us"])),
            Some(12345)
        );
        assert_eq!(boot_micros(&owned(&["boot fast"])), None);
    }
}
