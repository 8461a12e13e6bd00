//! Writing to the log service (`svc.log`, protocol `mohhos_abi::log`): each record
//! lands in the journal channel of the service this process runs as (`dmesg`).

use crate::ipc::{self, Cap, Message};
use core::sync::atomic::{AtomicU64, Ordering};
use mohhos_abi::Error;
use mohhos_abi::log as protocol;

pub use mohhos_abi::log::{ENDPOINT, MAX_TEXT, WRITE};

/// How long a write waits for the service.
const TIMEOUT_US: u64 = 1_000_000;

/// How serious a record is (its value is the protocol's level code).
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
    let data = protocol::encode(level as u8, text);
    let answer = ipc::call(cap, &Message::new(WRITE, data), TIMEOUT_US);
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
