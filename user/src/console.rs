//! Console output: [`print!`](crate::print) and [`println!`](crate::println) format into a
//! small stack buffer and hand it to `write` in pieces of at most `MAX_WRITE` bytes, cut
//! at character boundaries (the kernel would replace a split character). A line shorter
//! than the buffer leaves in one system call, so lines of different programs do not
//! interleave mid-line.

use core::fmt;

use mohhos_abi::Error;
use mohhos_abi::syscall::MAX_WRITE;

use crate::sys::write;

/// Bytes gathered before a `write`: holds typical lines whole.
const BUFFER: usize = 256;

/// Writes all of `s`, in `MAX_WRITE` pieces cut at character boundaries.
pub fn write_str(mut s: &str) -> Result<(), Error> {
    while !s.is_empty() {
        let mut cut = s.len().min(MAX_WRITE as usize);
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        let written = write(&s.as_bytes()[..cut])? as usize;
        if written == 0 || written > cut {
            // The ABI promises the whole piece; a kernel that takes nothing would loop.
            return Err(Error::InvalidArgument);
        }
        // A short write leaves the rest for the next call, from the next character.
        let mut next = written;
        while !s.is_char_boundary(next) {
            next += 1;
        }
        s = &s[next..];
    }
    Ok(())
}

/// A [`fmt::Write`] to the console that buffers up to 256 bytes; [`Console::flush`]
/// (or dropping it) writes what is left.
pub struct Console {
    buf: [u8; BUFFER],
    len: usize,
}

impl Console {
    /// An empty console writer.
    pub const fn new() -> Console {
        Console {
            buf: [0; BUFFER],
            len: 0,
        }
    }

    /// Writes out the buffered text.
    pub fn flush(&mut self) -> Result<(), Error> {
        let len = core::mem::take(&mut self.len);
        // The buffer holds whole `str`s only, so it is valid UTF-8.
        match core::str::from_utf8(&self.buf[..len]) {
            Ok(text) => write_str(text),
            Err(_) => Err(Error::InvalidArgument),
        }
    }
}

impl Default for Console {
    fn default() -> Console {
        Console::new()
    }
}

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.len + s.len() > BUFFER {
            self.flush().map_err(|_| fmt::Error)?;
        }
        if s.len() > BUFFER {
            return write_str(s).map_err(|_| fmt::Error);
        }
        self.buf[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
        self.len += s.len();
        Ok(())
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// What [`print!`](crate::print) expands to.
#[doc(hidden)]
pub fn print_fmt(args: fmt::Arguments<'_>) {
    let mut console = Console::new();
    let _ = fmt::Write::write_fmt(&mut console, args);
}

/// Prints to the console (no newline). Output errors are ignored.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::console::print_fmt(::core::format_args!($($arg)*))
    };
}

/// Prints a line to the console. Output errors are ignored.
#[macro_export]
macro_rules! println {
    () => {
        $crate::print!("\n")
    };
    ($($arg:tt)*) => {
        $crate::console::print_fmt(::core::format_args!("{}\n", ::core::format_args!($($arg)*)))
    };
}
