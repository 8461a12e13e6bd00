//! Interactive Bochs: the terminal bridged to its serial socket.

use std::io::{self, IsTerminal, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;

use crate::Result;

/// Ctrl-], the byte that ends the session (as in telnet).
const QUIT: u8 = 0x1d;

/// Copies the terminal to the socket and the socket to the terminal until Bochs closes it or
/// the user types Ctrl-]; then kills Bochs (it ignores SIGTERM).
pub fn bridge(mut bochs: Child, socket: TcpStream) -> Result<()> {
    println!("xtask: connected to Bochs' serial line; Ctrl-] quits");
    let raw = RawTerminal::enter();
    let mut to_guest = socket.try_clone().map_err(|e| e.to_string())?;
    let closer = socket.try_clone().map_err(|e| e.to_string())?;
    thread::spawn(move || {
        let mut byte = [0u8; 1];
        let mut stdin = io::stdin().lock();
        while let Ok(1) = stdin.read(&mut byte) {
            if byte[0] == QUIT || to_guest.write_all(&byte).is_err() {
                break;
            }
        }
        let _ = closer.shutdown(Shutdown::Both);
    });
    let mut from_guest = socket;
    let mut chunk = [0u8; 4096];
    let mut out = io::stdout();
    while let Ok(n @ 1..) = from_guest.read(&mut chunk) {
        if out
            .write_all(&chunk[..n])
            .and_then(|()| out.flush())
            .is_err()
        {
            break;
        }
    }
    drop(raw);
    let _ = bochs.kill();
    let _ = bochs.wait();
    println!("\r\nxtask: Bochs session ended");
    Ok(())
}

/// The terminal in raw mode (no line buffering, no echo) while alive, if stdin is a terminal.
struct RawTerminal(Option<String>);

impl RawTerminal {
    fn enter() -> RawTerminal {
        if !io::stdin().is_terminal() {
            return RawTerminal(None);
        }
        let saved = stty(&["-g"]).filter(|s| !s.is_empty());
        if saved.is_some() {
            stty(&["raw", "-echo"]);
        }
        RawTerminal(saved)
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        if let Some(saved) = &self.0 {
            stty(&[saved]);
        }
    }
}

/// Runs `stty` on our terminal; its trimmed output on success.
fn stty(args: &[&str]) -> Option<String> {
    let out = Command::new("stty")
        .args(args)
        .stdin(Stdio::inherit())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
