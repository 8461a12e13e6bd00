//! The host baselines (the `mohhos-bench` crate), counted in instructions under callgrind.
//!
//! Each baseline runs twice, with [`OPS`] and 2×[`OPS`] operations; the difference of the two
//! instruction totals divided by [`OPS`] is the cost of one operation, with process start-up,
//! runtime set-up, warm-up and exit cancelled out. Callgrind counts are deterministic, so one
//! pair of runs is enough.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;
use crate::install;

/// Operations in the shorter of the two runs.
pub const OPS: u64 = 10_000;

/// Where the baseline binary is built (the host's release directory of the main target dir).
const TARGET_DIR: &str = "target";

/// One baseline, as `mohhos-bench list` describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Baseline {
    /// Its figure's name, e.g. `tokio.spawn_await`.
    pub name: String,
    /// The suite it belongs to.
    pub suite: String,
    /// The kernel figure it anchors, e.g. `executor.spawn_complete`.
    pub anchors: String,
}

/// Builds `mohhos-bench` (release) and returns the binary's absolute path.
pub fn build() -> Result<PathBuf> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    install::run(Command::new(cargo).args([
        "build",
        "--package",
        "mohhos-bench",
        "--release",
        "--target-dir",
        TARGET_DIR,
    ]))?;
    let binary = env::current_dir()
        .map_err(|e| e.to_string())?
        .join(TARGET_DIR)
        .join("release/mohhos-bench");
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!("the build did not produce {}", binary.display()))
    }
}

/// The baselines of `suite` (every baseline for `all`), from `mohhos-bench list`.
pub fn baselines(binary: &Path, suite: &str) -> Result<Vec<Baseline>> {
    let out = Command::new(binary)
        .arg("list")
        .output()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    if !out.status.success() {
        return Err(format!(
            "`{} list` failed ({})",
            binary.display(),
            out.status
        ));
    }
    let all = parse_list(&String::from_utf8_lossy(&out.stdout))?;
    Ok(all
        .into_iter()
        .filter(|b| suite == "all" || b.suite == suite)
        .collect())
}

/// Reads `mohhos-bench list`: one `NAME SUITE KERNEL-FIGURE` line per baseline.
fn parse_list(text: &str) -> Result<Vec<Baseline>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(
            |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                [name, suite, anchors] => Ok(Baseline {
                    name: name.into(),
                    suite: suite.into(),
                    anchors: anchors.into(),
                }),
                _ => Err(format!("`mohhos-bench list` printed a bad line: {line:?}")),
            },
        )
        .collect()
}

/// Instructions per operation of `baseline`, using `dir` for callgrind's files.
pub fn measure(binary: &Path, baseline: &str, dir: &Path) -> Result<f64> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let once = total(binary, baseline, OPS, dir)?;
    let twice = total(binary, baseline, 2 * OPS, dir)?;
    per_op(once, twice, OPS)
        .ok_or_else(|| format!("{baseline}: {} operations counted {twice} instructions, {OPS} counted {once}: not more", 2 * OPS))
}

/// The cost of one operation from runs of `ops` and `2 * ops` operations.
fn per_op(once: u64, twice: u64, ops: u64) -> Option<f64> {
    (twice > once).then(|| (twice - once) as f64 / ops as f64)
}

/// Instructions callgrind counted in a whole run of `baseline` with `ops` operations.
fn total(binary: &Path, baseline: &str, ops: u64, dir: &Path) -> Result<u64> {
    let out_file = dir.join(format!("callgrind.{baseline}.{ops}.out"));
    let mut cmd = Command::new("valgrind");
    cmd.args(["--tool=callgrind", "--quiet"])
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(binary)
        .args(["run", baseline, &ops.to_string()]);
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start valgrind: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let profile = fs::read_to_string(&out_file)
        .map_err(|e| format!("cannot read {}: {e}", out_file.display()))?;
    totals(&profile).ok_or_else(|| format!("no `totals:` line in {}", out_file.display()))
}

/// The instruction total of a callgrind profile (its `totals:` line; older files say `summary:`).
fn totals(profile: &str) -> Option<u64> {
    ["totals:", "summary:"].into_iter().find_map(|key| {
        profile
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_list() {
        let list = "tokio.spawn_await executor executor.spawn_complete\n\n\
                    crossbeam.send_recv executor executor.remote_wake\n";
        let all = parse_list(list).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            all[1],
            Baseline {
                name: "crossbeam.send_recv".into(),
                suite: "executor".into(),
                anchors: "executor.remote_wake".into(),
            }
        );
        assert!(parse_list("tokio.spawn_await executor\n").is_err());
    }

    #[test]
    fn reads_callgrind_totals() {
        let profile = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\n\
                       summary: 28295074\n\nfn=(1) main\n3 4\n\ntotals: 28295074\n";
        assert_eq!(totals(profile), Some(28_295_074));
        assert_eq!(totals("events: Ir\nsummary: 17\n"), Some(17));
        assert_eq!(totals("events: Ir\n"), None);
    }

    #[test]
    fn takes_the_difference_per_operation() {
        assert_eq!(per_op(28_295_074, 53_730_772, 10_000), Some(2543.5698));
        assert_eq!(per_op(5, 5, 10), None);
        assert_eq!(per_op(6, 5, 10), None);
    }
}
