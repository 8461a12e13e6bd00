//! The harness that boots MOHHOS and talks to its serial shell.
//!
//! `xtask` uses it for `cargo xtask run --exec` and `cargo xtask test`; the
//! integration tests in `tests/tests/` use it through [`fixture`]. One code path
//! drives QEMU (serial on a pipe) and Bochs (serial on a loopback socket).

#![warn(missing_docs)]

pub mod accel;
pub mod bochs;
pub mod checks;
pub mod console;
pub mod error;
pub mod exec;
pub mod fixture;
pub mod output;
pub mod qemu;
pub mod session;
pub mod size;
pub mod slots;

pub use accel::Accel;
pub use bochs::Bochs;
pub use error::{Error, Result};
pub use exec::{Timeouts, exec, split_commands};
pub use qemu::{Boot, Qemu};
pub use session::{Emulator, Session};
