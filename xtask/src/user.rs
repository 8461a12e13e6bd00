//! Building the user programs (the `user/` workspace) for the kernel to embed.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;
use crate::install;

/// The programs packed into the kernel image: binaries of `user/src/bin/`.
pub const PROGRAMS: [&str; 35] = [
    "hello",
    "true",
    "spin",
    "syscall-spin",
    "crash-kernel-read",
    "crash-null-write",
    "crash-ud",
    "crash-gp",
    "crash-div",
    "crash-bad-stack",
    "crash-fpu",
    "mapper",
    "hostile",
    "bench-syscall",
    "bench-ipc",
    "ping",
    "ping-user",
    "echo-service",
    "svc-echo",
    "svc-client",
    "svc-mirror",
    "mirror-client",
    "svc-stuck",
    "hang-client",
    "log-test",
    "fs-test",
    "bench-fs",
    "ring-echo",
    "ring-client",
    "secret-keeper",
    "snoop",
    "region-reader",
    "region-writer",
    "handoff-service",
    "handoff-client",
];

/// The user workspace, relative to the repository root (xtask's working directory).
const WORKSPACE: &str = "user";
/// Its own target directory, so that its builds never invalidate the kernel's.
const TARGET_DIR: &str = "target/user";

fn cargo(root: &Path) -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root.join(WORKSPACE));
    cmd
}

fn root() -> Result<PathBuf> {
    env::current_dir().map_err(|e| e.to_string())
}

/// Builds the user programs (x86_64-unknown-none, release) and copies [`PROGRAMS`] into
/// `target/user/programs/`, which then holds nothing else; returns that directory's
/// absolute path (what the kernel build takes as `MOHHOS_USER_PROGRAMS`). Unchanged
/// programs are not rewritten, so the kernel is not rebuilt for nothing.
pub fn build() -> Result<PathBuf> {
    let root = root()?;
    let target_dir = root.join(TARGET_DIR);
    let mut cmd = cargo(&root);
    cmd.args(["build", "--target", "x86_64-unknown-none", "--release"])
        .arg("--target-dir")
        .arg(&target_dir);
    for program in PROGRAMS {
        cmd.args(["--bin", program]);
    }
    install::run(&mut cmd)?;
    let built = target_dir.join("x86_64-unknown-none/release");
    let programs = target_dir.join("programs");
    fs::create_dir_all(&programs).map_err(|e| format!("creating {}: {e}", programs.display()))?;
    for entry in fs::read_dir(&programs).map_err(|e| format!("{}: {e}", programs.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let listed = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| PROGRAMS.contains(&n));
        if !listed {
            fs::remove_file(&path).map_err(|e| format!("removing {}: {e}", path.display()))?;
        }
    }
    for program in PROGRAMS {
        let from = built.join(program);
        let to = programs.join(program);
        let elf = fs::read(&from)
            .map_err(|e| format!("the build did not produce {}: {e}", from.display()))?;
        if fs::read(&to).ok().as_deref() != Some(elf.as_slice()) {
            fs::write(&to, &elf).map_err(|e| format!("writing {}: {e}", to.display()))?;
        }
    }
    Ok(programs)
}

/// `cargo fmt --check` and `cargo clippy -D warnings` on the user workspace.
pub fn lint() -> Result<()> {
    let root = root()?;
    // Not `--all`: that would also format the path dependency `abi/` and, through it,
    // the root workspace.
    install::run(cargo(&root).args(["fmt", "--", "--check"]))?;
    install::run(
        cargo(&root)
            .args([
                "clippy",
                "--target",
                "x86_64-unknown-none",
                "--release",
                "--target-dir",
            ])
            .arg(root.join(TARGET_DIR))
            .args(["--", "-D", "warnings"]),
    )
}
