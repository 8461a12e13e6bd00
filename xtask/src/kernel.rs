//! Building the kernel images.

use std::env;
use std::path::PathBuf;
use std::process::Command;

use crate::Result;
use crate::{install, user};

/// The directory of user program ELFs the kernel's build script embeds.
pub const PROGRAMS_ENV: &str = "MOHHOS_USER_PROGRAMS";

/// Which kernel image.
#[derive(Clone, Copy, Debug)]
pub enum Flavor {
    /// The normal kernel.
    Normal,
    /// The kernel with in-kernel tests (`--features ktest`), in its own target directory.
    Ktest,
}

impl Flavor {
    fn target_dir(self) -> &'static str {
        match self {
            Flavor::Normal => "target",
            Flavor::Ktest => "target/ktest",
        }
    }
}

/// Builds the user programs, then the kernel with them packed in (build.rs reads
/// [`PROGRAMS_ENV`]); returns the kernel ELF's absolute path.
pub fn build(flavor: Flavor) -> Result<PathBuf> {
    let programs = user::build()?;
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.env(PROGRAMS_ENV, &programs);
    cmd.args([
        "build",
        "--package",
        "mohhos-kernel",
        "--target",
        "x86_64-unknown-none",
        "--release",
        "--target-dir",
        flavor.target_dir(),
    ]);
    if let Flavor::Ktest = flavor {
        cmd.args(["--features", "ktest"]);
    }
    install::run(&mut cmd)?;
    let elf = env::current_dir()
        .map_err(|e| e.to_string())?
        .join(flavor.target_dir())
        .join("x86_64-unknown-none/release/mohhos");
    if elf.is_file() {
        Ok(elf)
    } else {
        Err(format!("the build did not produce {}", elf.display()))
    }
}
