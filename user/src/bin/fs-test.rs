//! `fs-test`: files through the storage service, round trips and every error a client
//! can cause. Works in its own directory `/fs-test-<pid>`, removed at the end. Prints
//! `fs-test: N checks passed` and exits 0, or `fs-test: FAILED: <check>: <what>` and
//! exits 1.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use mohhos_user::fs::{Fs, FsError, OpenOptions, Status};
use mohhos_user::{entry, getpid, println};

entry!(main);

struct Checks {
    passed: u32,
}

impl Checks {
    fn check(&mut self, name: &str, ok: bool, what: impl core::fmt::Debug) -> Result<(), String> {
        if ok {
            self.passed += 1;
            Ok(())
        } else {
            Err(format!("{name}: {what:?}"))
        }
    }

    fn fails_with<T: core::fmt::Debug>(
        &mut self,
        name: &str,
        result: Result<T, FsError>,
        want: Status,
    ) -> Result<(), String> {
        let ok = matches!(result, Err(FsError::Status(s)) if s == want);
        self.check(name, ok, result)
    }
}

fn main() -> i32 {
    let mut checks = Checks { passed: 0 };
    match run(&mut checks) {
        Ok(()) => {
            println!("fs-test: {} checks passed", checks.passed);
            0
        }
        Err(what) => {
            println!("fs-test: FAILED: {what}");
            1
        }
    }
}

fn run(c: &mut Checks) -> Result<(), String> {
    let fs = Fs::connect().map_err(|e| format!("connect: {e}"))?;
    let dir = format!("/fs-test-{}", getpid());
    let file = format!("{dir}/data");
    c.check("mkdir", fs.mkdir(&dir).is_ok(), &dir)?;
    c.fails_with("mkdir again", fs.mkdir(&dir), Status::AlreadyExists)?;

    // A round trip larger than one buffer.
    let data: alloc::vec::Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let rw = OpenOptions::new().read().write().create();
    let mut f = fs.open(&file, rw).map_err(|e| format!("create: {e}"))?;
    c.check("write", f.write(&data) == Ok(data.len()), "short write")?;
    c.check("seek", f.seek_start(0) == Ok(0), "seek")?;
    let mut back = vec![0u8; data.len() + 100];
    let n = f.read(&mut back);
    c.check(
        "read back",
        n == Ok(data.len()) && back[..data.len()] == data[..],
        n,
    )?;
    c.check(
        "read at end",
        f.read(&mut back[..10]) == Ok(0),
        "not at end",
    )?;
    let meta = f.metadata();
    c.check(
        "fstat",
        meta.is_ok_and(|m| !m.is_dir && m.size == 20_000),
        meta,
    )?;
    c.check("seek end", f.seek_end(-10) == Ok(19_990), "seek end")?;
    let handle = f.handle();
    c.check("close", f.close().is_ok(), "close")?;
    c.fails_with("closed handle", fs.close_handle(handle), Status::BadHandle)?;
    c.fails_with(
        "forged handle",
        fs.close_handle(handle ^ 0x5555),
        Status::BadHandle,
    )?;

    let stat = fs.stat(&file);
    c.check("stat", stat.is_ok_and(|m| m.size == 20_000), stat)?;
    let entries = fs.readdir(&dir);
    c.check(
        "readdir",
        entries
            .as_ref()
            .is_ok_and(|e| e.len() == 1 && e[0].name == "data" && !e[0].is_dir),
        &entries,
    )?;
    let root = fs.readdir("/");
    c.check(
        "readdir /",
        root.as_ref()
            .is_ok_and(|e| e.iter().any(|e| e.is_dir && format!("/{}", e.name) == dir)),
        &root,
    )?;

    // Errors a client can cause.
    let ro = OpenOptions::new().read();
    c.fails_with(
        "missing",
        fs.open(&format!("{dir}/none"), ro),
        Status::NotFound,
    )?;
    c.fails_with(
        "exclusive",
        fs.open(&file, OpenOptions::new().write().create().exclusive()),
        Status::AlreadyExists,
    )?;
    c.fails_with("relative path", fs.stat("relative"), Status::BadPath)?;
    c.fails_with("empty component", fs.stat("/a//b"), Status::BadPath)?;
    c.fails_with("dot-dot", fs.stat("/a/../b"), Status::BadPath)?;
    let long = format!("/{}", "n".repeat(256));
    c.fails_with("long name", fs.stat(&long), Status::NameTooLong)?;
    c.fails_with(
        "path past the buffer",
        fs.stat(&"/x".repeat(5000)),
        Status::NameTooLong,
    )?;
    c.fails_with(
        "bad flags",
        fs.open(&file, OpenOptions::from_bits(1 << 10)),
        Status::InvalidArgument,
    )?;
    c.fails_with(
        "no access",
        fs.open(&file, OpenOptions::new()),
        Status::InvalidArgument,
    )?;
    c.fails_with("open a directory", fs.open(&dir, ro), Status::IsADirectory)?;
    c.fails_with(
        "file as directory",
        fs.stat(&format!("{file}/x")),
        Status::NotADirectory,
    )?;
    let mut w = fs
        .open(&file, OpenOptions::new().write())
        .map_err(|e| format!("open w: {e}"))?;
    c.fails_with(
        "read write-only",
        w.read(&mut back[..10]),
        Status::AccessDenied,
    )?;
    drop(w);
    c.fails_with(
        "unlink full dir",
        fs.unlink(&dir),
        Status::DirectoryNotEmpty,
    )?;
    c.fails_with("unlink /", fs.unlink("/"), Status::AccessDenied)?;

    // A full disk: the write that does not fit changes nothing; freeing makes room.
    let big = format!("{dir}/big");
    let mut b = fs.open(&big, rw).map_err(|e| format!("create big: {e}"))?;
    let chunk = vec![0xa5u8; 8192];
    let mut written = 0u64;
    let full = loop {
        match b.write(&chunk) {
            Ok(n) => written += n as u64,
            Err(e) => break e,
        }
        if written > 32 << 20 {
            break FsError::Protocol;
        }
    };
    c.check("disk full", full == FsError::Status(Status::NoSpace), full)?;
    let size = b.metadata().map(|m| m.size);
    c.check("nothing half written", size == Ok(written), size)?;
    drop(b);
    c.check("unlink big", fs.unlink(&big).is_ok(), "unlink big")?;
    let mut again = fs
        .open(&big, rw)
        .map_err(|e| format!("recreate big: {e}"))?;
    c.check(
        "room again",
        again.write(&chunk).is_ok(),
        "no room after unlink",
    )?;
    drop(again);

    c.check("unlink big again", fs.unlink(&big).is_ok(), "unlink")?;
    c.check("unlink file", fs.unlink(&file).is_ok(), "unlink")?;
    c.check("unlink dir", fs.unlink(&dir).is_ok(), "unlink dir")?;
    c.fails_with("gone", fs.stat(&dir), Status::NotFound)?;
    Ok(())
}
