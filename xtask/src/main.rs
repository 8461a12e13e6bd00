//! `cargo xtask`: build, run, package, test and benchmark MOHHOS.

mod bench;
mod bridge;
mod cli;
mod install;
mod iso;
mod kernel;
mod run;
mod test;
mod user;

use std::env;
use std::path::Path;
use std::process::ExitCode;

use cli::Command;

/// Errors in xtask are messages for the user.
type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(command) => command,
        Err(e) => {
            eprintln!("xtask: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository");
    if let Err(e) = env::set_current_dir(root) {
        eprintln!("xtask: cannot enter {}: {e}", root.display());
        return ExitCode::FAILURE;
    }
    let result = match command {
        Command::Help => {
            println!("{}", cli::USAGE);
            Ok(())
        }
        Command::Run(args) => run::run(&args),
        Command::Test => test::test(),
        Command::Iso => iso::build_from_scratch().map(|iso| println!("{}", iso.display())),
        Command::Bench(args) => bench::bench(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
