//! Command-line parsing.

use mohhos_tests::{Accel, size};

/// Usage text.
pub const USAGE: &str = "\
usage: cargo xtask run [--smp N] [--mem SIZE] [--accel kvm|tcg] [--icount] [--bochs]
                       [--exec \"CMD; CMD\"] [--gdb] [-- EXTRA_QEMU_ARGS...]
       cargo xtask test     build everything and run every test
       cargo xtask iso      build target/mohhos.iso (GRUB, multiboot)
       cargo xtask bench [SUITE] [--smp N] [--accel kvm|tcg] [--json] [--host-only]
                            the kernel's `bench SUITE --json` (TCG -icount, default -smp 2)
                            next to the host baselines (callgrind); SUITE defaults to all";

/// What to do.
#[derive(Debug, PartialEq)]
pub enum Command {
    /// Print usage.
    Help,
    /// Boot MOHHOS.
    Run(RunArgs),
    /// Run every test.
    Test,
    /// Build the ISO.
    Iso,
    /// Run benchmarks.
    Bench(BenchArgs),
}

/// Options of `cargo xtask run`.
#[derive(Debug, PartialEq)]
pub struct RunArgs {
    /// CPUs.
    pub smp: u32,
    /// Memory, as QEMU takes it.
    pub mem: String,
    /// Accelerator; `None` means detect.
    pub accel: Option<Accel>,
    /// `-icount shift=0`.
    pub icount: bool,
    /// Boot the ISO in Bochs instead of QEMU.
    pub bochs: bool,
    /// Commands to type, `;`-separated; `None` means interactive.
    pub exec: Option<String>,
    /// Wait for gdb.
    pub gdb: bool,
    /// Arguments after `--`, passed to QEMU.
    pub extra: Vec<String>,
}

/// Options of `cargo xtask bench`.
#[derive(Debug, PartialEq)]
pub struct BenchArgs {
    /// The suite, as the kernel's `bench` command takes it; `all` runs every suite.
    pub suite: String,
    /// CPUs.
    pub smp: u32,
    /// Accelerator; `None` means TCG with `-icount shift=0`.
    pub accel: Option<Accel>,
    /// Print `BENCH` lines instead of the table.
    pub json: bool,
    /// Only the host baselines: no kernel.
    pub host_only: bool,
}

/// Parses the arguments after `cargo xtask`.
pub fn parse(args: &[String]) -> Result<Command, String> {
    match args.first().map(String::as_str) {
        None | Some("help" | "--help" | "-h") => Ok(Command::Help),
        Some("run") => parse_run(&args[1..]).map(Command::Run),
        Some("bench") => parse_bench(&args[1..]).map(Command::Bench),
        Some("test") if args.len() == 1 => Ok(Command::Test),
        Some("iso") if args.len() == 1 => Ok(Command::Iso),
        Some(cmd @ ("test" | "iso")) => Err(format!("`{cmd}` takes no arguments")),
        Some(other) => Err(format!("unknown command `{other}`")),
    }
}

fn parse_run(args: &[String]) -> Result<RunArgs, String> {
    let mut run = RunArgs {
        smp: 8,
        mem: "512M".into(),
        accel: None,
        icount: false,
        bochs: false,
        exec: None,
        gdb: false,
        extra: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--smp" => run.smp = cpu_count(&value()?)?,
            "--mem" => {
                let v = value()?;
                size::parse_mib(&v)?;
                run.mem = v;
            }
            "--accel" => run.accel = Some(value()?.parse()?),
            "--icount" => run.icount = true,
            "--bochs" => run.bochs = true,
            "--exec" => run.exec = Some(value()?),
            "--gdb" => run.gdb = true,
            "--" => {
                run.extra = it.by_ref().cloned().collect();
            }
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    if run.icount && run.accel == Some(Accel::Kvm) {
        return Err("--icount needs TCG: it cannot be combined with --accel kvm".into());
    }
    if run.bochs && (run.gdb || run.icount || run.accel.is_some() || !run.extra.is_empty()) {
        return Err("--gdb, --icount, --accel and QEMU arguments do not apply to --bochs".into());
    }
    Ok(run)
}

fn parse_bench(args: &[String]) -> Result<BenchArgs, String> {
    // Two CPUs are enough for cross-core figures; under icount every CPU's instructions
    // advance the one virtual clock, so idle CPUs' timer ticks would only add noise.
    let mut bench = BenchArgs {
        suite: "all".into(),
        smp: 2,
        accel: None,
        json: false,
        host_only: false,
    };
    let mut suite = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--smp" => bench.smp = cpu_count(&value()?)?,
            "--accel" => bench.accel = Some(value()?.parse()?),
            "--json" => bench.json = true,
            "--host-only" => bench.host_only = true,
            option if option.starts_with('-') => {
                return Err(format!("unknown option `{option}`"));
            }
            name if suite.is_some() => return Err(format!("one suite only, not also `{name}`")),
            name if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                suite = Some(name.to_string());
            }
            name => return Err(format!("`{name}` is not a suite name")),
        }
    }
    if let Some(suite) = suite {
        bench.suite = suite;
    }
    Ok(bench)
}

/// A `--smp` value.
fn cpu_count(v: &str) -> Result<u32, String> {
    v.parse()
        .ok()
        .filter(|&n| (1..=255).contains(&n))
        .ok_or_else(|| format!("--smp wants a CPU count from 1 to 255, not `{v}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &str) -> Result<RunArgs, String> {
        let mut v: Vec<String> = vec!["run".into()];
        v.extend(args.split_whitespace().map(String::from));
        match parse(&v)? {
            Command::Run(r) => Ok(r),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let r = run("").unwrap();
        assert_eq!((r.smp, r.mem.as_str(), r.accel), (8, "512M", None));
        assert!(!r.icount && !r.bochs && !r.gdb && r.exec.is_none() && r.extra.is_empty());
    }

    #[test]
    fn options_and_extra_args() {
        let r = run("--smp 2 --mem 4G --accel tcg --icount --gdb -- -machine q35 --smp").unwrap();
        assert_eq!((r.smp, r.mem.as_str()), (2, "4G"));
        assert_eq!(r.accel, Some(Accel::Tcg));
        assert!(r.icount && r.gdb);
        assert_eq!(r.extra, ["-machine", "q35", "--smp"]);
        let v: Vec<String> = ["run", "--exec", "cpus; echo a b"].map(String::from).into();
        match parse(&v).unwrap() {
            Command::Run(r) => assert_eq!(r.exec.as_deref(), Some("cpus; echo a b")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "--smp",
            "--smp 0",
            "--smp x",
            "--mem lots",
            "--accel hvf",
            "--icount --accel kvm",
            "--bochs --gdb",
            "--frobnicate",
        ] {
            assert!(run(bad).is_err(), "{bad}");
        }
        assert!(parse(&["test".into(), "x".into()]).is_err());
        assert!(parse(&["bogus".into()]).is_err());
        assert_eq!(parse(&["iso".into()]), Ok(Command::Iso));
        assert_eq!(parse(&[]), Ok(Command::Help));
    }

    fn bench(args: &str) -> Result<BenchArgs, String> {
        let mut v: Vec<String> = vec!["bench".into()];
        v.extend(args.split_whitespace().map(String::from));
        match parse(&v)? {
            Command::Bench(b) => Ok(b),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bench_options() {
        let b = bench("").unwrap();
        assert_eq!((b.suite.as_str(), b.smp, b.accel), ("all", 2, None));
        assert!(!b.json && !b.host_only);
        let b = bench("--json executor --smp 4 --accel tcg --host-only").unwrap();
        assert_eq!(
            (b.suite.as_str(), b.smp, b.accel),
            ("executor", 4, Some(Accel::Tcg))
        );
        assert!(b.json && b.host_only);
        for bad in [
            "executor ipc",
            "--smp 0",
            "--accel",
            "--fast",
            "exec;poweroff",
            "a-b",
        ] {
            assert!(bench(bad).is_err(), "{bad}");
        }
    }
}
