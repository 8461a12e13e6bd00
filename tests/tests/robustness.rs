//! Hostile input on the serial line must neither crash nor hang the shell.

use std::time::Duration;

use mohhos_tests::{Error, Result, Session, Timeouts, fixture};

const T: Timeouts = Timeouts::QEMU;

/// Checks that the shell still answers `echo ok` with exactly `ok`.
fn still_answers(s: &mut Session) -> Result<()> {
    let lines = s.run("echo ok", T.command)?;
    if lines == ["ok"] {
        Ok(())
    } else {
        Err(Error::Check(format!(
            "`echo ok` afterwards printed {lines:?}"
        )))
    }
}

/// `n` bytes from a fixed-seed xorshift generator, so failures reproduce.
fn noise(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn a_4000_byte_line() {
    let Some(machine) = fixture::kernel(2) else {
        return;
    };
    fixture::check(machine, |s| {
        s.boot(T.boot)?;
        let mut line = vec![b'x'; 4000];
        line.push(b'\r');
        s.type_line(&line, "a 4000-byte line", T.command)?;
        still_answers(s)
    });
}

#[test]
fn random_binary_bytes() {
    let Some(machine) = fixture::kernel(2) else {
        return;
    };
    fixture::check(machine, |s| {
        s.boot(T.boot)?;
        let mut junk =
            b"\x00\xff\xfe\x1b[A\x1b[B\x1b[C\x1b[D\x1b[3~\x1b[999;999H\x1b\x1b[\x1bO\x03\x04\x1a"
                .to_vec();
        junk.extend(noise(1024));
        junk.extend(b"\x00\xff\x1b[");
        s.send(&junk)?;
        // Finish any half-typed line or escape sequence, then wait until the shell is quiet.
        s.send(b"\r\r")?;
        s.settle(
            Duration::from_secs(3),
            T.command,
            "the shell to go quiet after the noise",
        )?;
        s.type_line(b"\r", "Enter after the noise", T.command)?;
        still_answers(s)
    });
}
