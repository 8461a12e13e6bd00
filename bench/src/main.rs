//! Host baselines for `cargo xtask bench`.
//!
//! Each baseline repeats one operation of a well-known runtime (tokio, crossbeam) so that its cost
//! can be put next to the kernel's figure in the same unit. `cargo xtask bench` runs a baseline
//! under callgrind twice, with N and 2N operations, and takes the difference of the two
//! instruction counts divided by N: start-up, warm-up and tear-down appear in both runs and cancel.
//!
//! ```text
//! mohhos-bench list            one line per baseline: NAME SUITE KERNEL-FIGURE
//! mohhos-bench run NAME N      warm up, then perform N operations
//! ```

mod baselines;

use std::env;
use std::process::ExitCode;

use baselines::BASELINES;

const USAGE: &str = "\
usage: mohhos-bench list            one line per baseline: NAME SUITE KERNEL-FIGURE
       mohhos-bench run NAME N      warm up, then perform N operations";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["list"] => {
            for b in BASELINES {
                println!("{} {} {}", b.name, b.suite, b.anchors);
            }
            ExitCode::SUCCESS
        }
        ["run", name, n] => {
            let Some(baseline) = BASELINES.iter().find(|b| b.name == *name) else {
                eprintln!("mohhos-bench: unknown baseline `{name}`\n\n{USAGE}");
                return ExitCode::from(2);
            };
            let Ok(n) = n.parse() else {
                eprintln!("mohhos-bench: N must be a count, not `{n}`\n\n{USAGE}");
                return ExitCode::from(2);
            };
            (baseline.run)(n);
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
