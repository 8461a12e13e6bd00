//! Command-line parsing.

use mohhos_tests::{Accel, size};

/// Usage text.
pub const USAGE: &str = "\
usage: cargo xtask run [--smp N] [--mem SIZE] [--accel kvm|tcg] [--icount] [--bochs]
                       [--exec \"CMD; CMD\"] [--gdb] [-- EXTRA_QEMU_ARGS...]
       cargo xtask test     build everything and run every test
       cargo xtask iso      build target/mohhos.iso (GRUB, multiboot)";

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

/// Parses the arguments after `cargo xtask`.
pub fn parse(args: &[String]) -> Result<Command, String> {
    match args.first().map(String::as_str) {
        None | Some("help" | "--help" | "-h") => Ok(Command::Help),
        Some("run") => parse_run(&args[1..]).map(Command::Run),
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
            "--smp" => {
                let v = value()?;
                run.smp = v
                    .parse()
                    .ok()
                    .filter(|&n| (1..=255).contains(&n))
                    .ok_or_else(|| format!("--smp wants a CPU count from 1 to 255, not `{v}`"))?;
            }
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
}
