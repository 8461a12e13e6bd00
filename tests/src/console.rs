//! A serial console: a reader thread per source feeds a channel, so every wait is bounded.

use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Output source handed to [`Console::new`].
pub type Source = Box<dyn Read + Send>;

/// The machine's serial line: everything it printed, and where we have read up to.
pub struct Console {
    rx: Receiver<Vec<u8>>,
    writer: Box<dyn Write + Send>,
    log: Vec<u8>,
    cursor: usize,
    closed: bool,
}

impl Console {
    /// Starts one reader thread per source (e.g. QEMU's stdout and stderr). With `stream`,
    /// the threads also copy everything to our stdout as it arrives.
    pub fn new(writer: Box<dyn Write + Send>, sources: Vec<Source>, stream: bool) -> Console {
        let (tx, rx) = mpsc::channel();
        for source in sources {
            let tx = tx.clone();
            thread::spawn(move || pump(source, tx, stream));
        }
        Console {
            rx,
            writer,
            log: Vec::new(),
            cursor: 0,
            closed: false,
        }
    }

    /// Types bytes into the serial line.
    pub fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer
            .write_all(bytes)
            .and_then(|()| self.writer.flush())
            .map_err(Error::io("typing into the serial console"))
    }

    /// Waits until `pattern` appears after the read position; returns the text up to and
    /// including it and moves the read position past it.
    pub fn wait_for(&mut self, pattern: &str, timeout: Duration, step: &str) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(pos) = find(&self.log[self.cursor..], pattern.as_bytes()) {
                let end = self.cursor + pos + pattern.len();
                let text = String::from_utf8_lossy(&self.log[self.cursor..end]).into_owned();
                self.cursor = end;
                return Ok(text);
            }
            if !self.receive(deadline) {
                return Err(self.wait_error(step, timeout));
            }
        }
    }

    /// Reads until the machine has been silent for `quiet` (at most `max` in all) and skips
    /// the read position past everything read.
    pub fn settle(&mut self, quiet: Duration, max: Duration, step: &str) -> Result<()> {
        let end = Instant::now() + max;
        loop {
            let deadline = (Instant::now() + quiet).min(end);
            if !self.receive(deadline) {
                if self.closed || Instant::now() >= end {
                    return Err(self.wait_error(step, max));
                }
                self.cursor = self.log.len();
                return Ok(());
            }
        }
    }

    /// Collects output until every source has closed or `timeout` passes; returns whether they closed.
    pub fn wait_closed(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.receive(deadline) {}
        self.closed
    }

    /// Everything the machine printed so far.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&self.log).into_owned()
    }

    /// Appends one chunk to the log; false on timeout or once all sources have closed.
    fn receive(&mut self, deadline: Instant) -> bool {
        if self.closed {
            return false;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok(chunk) => {
                self.log.extend_from_slice(&chunk);
                true
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => {
                self.closed = true;
                false
            }
        }
    }

    fn wait_error(&self, step: &str, after: Duration) -> Error {
        let step = step.to_string();
        if self.closed {
            Error::Closed { step }
        } else {
            Error::Timeout { step, after }
        }
    }
}

/// Copies one source into the channel (and to stdout when streaming) until it ends.
fn pump(mut source: Source, tx: Sender<Vec<u8>>, stream: bool) {
    let mut chunk = [0u8; 4096];
    loop {
        let n = match source.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        if stream {
            let mut out = io::stdout().lock();
            let _ = out.write_all(&chunk[..n]).and_then(|()| out.flush());
        }
        if tx.send(chunk[..n].to_vec()).is_err() {
            return;
        }
    }
}

/// Position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn console(text: &'static [u8]) -> Console {
        Console::new(
            Box::new(io::sink()),
            vec![Box::new(Cursor::new(text))],
            false,
        )
    }

    #[test]
    fn waits_advance_through_the_output() {
        let mut c = console(b"boot\r\nmohhos> cpus\r\nonline 1/1\r\nmohhos> ");
        let t = Duration::from_secs(5);
        assert_eq!(
            c.wait_for("mohhos> ", t, "prompt").unwrap(),
            "boot\r\nmohhos> "
        );
        let next = c.wait_for("mohhos> ", t, "prompt").unwrap();
        assert_eq!(next, "cpus\r\nonline 1/1\r\nmohhos> ");
        assert!(matches!(
            c.wait_for("mohhos> ", t, "prompt"),
            Err(Error::Closed { .. })
        ));
        assert!(c.wait_closed(t));
        assert!(c.log().ends_with("1/1\r\nmohhos> "));
    }

    #[test]
    fn waits_time_out() {
        let (_keep, reader) = pipe();
        let mut c = Console::new(Box::new(io::sink()), vec![reader], false);
        let err = c
            .wait_for("x", Duration::from_millis(50), "the x")
            .unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err}");
        assert!(err.to_string().contains("the x"));
    }

    /// A reader that blocks until the returned sender is dropped.
    fn pipe() -> (mpsc::Sender<()>, Source) {
        struct Blocking(mpsc::Receiver<()>);
        impl Read for Blocking {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                let _ = self.0.recv();
                Ok(0)
            }
        }
        let (tx, rx) = mpsc::channel();
        (tx, Box::new(Blocking(rx)))
    }
}
