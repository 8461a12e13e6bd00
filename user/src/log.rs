//! Writing to the log service (`svc.log`, protocol in `docs/services.md`): each record
//! lands in the journal channel of the service this process runs as (`dmesg`).

use crate::ipc::{self, Cap, Message};
use core::sync::atomic::{AtomicU64, Ordering};
use mohhos_abi::Error;

/// The log service's endpoint.
pub const ENDPOINT: &str = "svc.log";
/// The write operation's tag.
const LOG_WRITE: u64 = 0x0101;
/// Text bytes one record carries; longer text is cut.
pub const MAX_TEXT: usize = 40;
/// How long a write waits for the service.
const TIMEOUT_US: u64 = 1_000_000;

/// How serious a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Something failed.
    Error = 0,
    /// Something is wrong.
    Warn = 1,
    /// Normal operation.
    Info = 2,
    /// Details.
    Debug = 3,
    /// Everything.
    Trace = 4,
}

/// The connection to the log service, once made (0: none yet).
static CONNECTION: AtomicU64 = AtomicU64::new(0);

/// Writes one record of at most [`MAX_TEXT`] bytes (cut at a character boundary).
pub fn write(level: Level, text: &str) -> Result<(), Error> {
    let cap = connection()?;
    let mut end = text.len().min(MAX_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut bytes = [0u8; MAX_TEXT];
    bytes[..end].copy_from_slice(&text.as_bytes()[..end]);
    let mut data = [level as u64 | (end as u64) << 8, 0, 0, 0, 0, 0];
    for (word, chunk) in data[1..].iter_mut().zip(bytes.chunks(8)) {
        let mut le = [0u8; 8];
        le.copy_from_slice(chunk);
        *word = u64::from_le_bytes(le);
    }
    let answer = ipc::call(cap, &Message::new(LOG_WRITE, data), TIMEOUT_US);
    match answer {
        Ok(reply) if reply.data[0] == 0 => Ok(()),
        Ok(_) => Err(Error::InvalidArgument),
        Err(error) => {
            // The service may have restarted: connect again next time.
            CONNECTION.store(0, Ordering::Relaxed);
            Err(error)
        }
    }
}

fn connection() -> Result<Cap, Error> {
    match CONNECTION.load(Ordering::Relaxed) {
        0 => {
            let cap = ipc::connect(ENDPOINT)?;
            CONNECTION.store(cap, Ordering::Relaxed);
            Ok(cap)
        }
        cap => Ok(cap),
    }
}
