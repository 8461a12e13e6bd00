//! Why talking to the machine failed.

use std::fmt;
use std::io;
use std::time::Duration;

/// A failure while driving the machine; the message names the step.
#[derive(Debug)]
pub enum Error {
    /// A bounded wait ran out.
    Timeout {
        /// What we were waiting for.
        step: String,
        /// How long we waited.
        after: Duration,
    },
    /// The machine closed its console (it exited or the socket dropped) during a wait.
    Closed {
        /// What we were waiting for.
        step: String,
    },
    /// Starting a process or moving bytes failed.
    Io {
        /// What we were doing.
        step: String,
        /// The underlying error.
        source: io::Error,
    },
    /// The machine answered, but not as expected.
    Check(String),
}

/// Result of a harness operation.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Wraps an I/O error with the step it happened in.
    pub fn io(step: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
        let step = step.into();
        move |source| Error::Io { step, source }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Timeout { step, after } => {
                write!(
                    f,
                    "timed out after {} s waiting for {step}",
                    after.as_secs()
                )
            }
            Error::Closed { step } => {
                write!(f, "the machine closed its console while waiting for {step}")
            }
            Error::Io { step, source } => write!(f, "{step}: {source}"),
            Error::Check(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for Error {}
