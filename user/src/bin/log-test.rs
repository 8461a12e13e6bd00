//! `log-test`: records through the log service `svc.log`, and every malformed request
//! its protocol refuses (unknown tag 1, bad level 2, bad length 3). Its records land in
//! the journal channel `pid-<pid>` (it is no service's process). Prints
//! `log-test: 5 records, 3 refusals` and exits 0, or `log-test: FAILED: <what>`, exit 1.

#![no_std]
#![no_main]

use mohhos_user::ipc::{self, Message};
use mohhos_user::log::{self, Level, WRITE};
use mohhos_user::{entry, println};

entry!(main);

fn main() -> i32 {
    match run() {
        Ok(()) => {
            println!("log-test: 5 records, 3 refusals");
            0
        }
        Err(what) => {
            println!("log-test: FAILED: {what}");
            1
        }
    }
}

fn run() -> Result<(), &'static str> {
    for (level, text) in [
        (Level::Error, "an error record"),
        (Level::Warn, "a warning record"),
        (Level::Info, "an info record"),
        (Level::Debug, "a debug record"),
        (
            Level::Trace,
            "a trace record, longer than one message can carry",
        ),
    ] {
        log::write(level, text).map_err(|_| "a record was refused")?;
    }
    let cap = ipc::connect(log::ENDPOINT).map_err(|_| "cannot connect to svc.log")?;
    for (message, code) in [
        (Message::new(0x9999, [2, 0, 0, 0, 0, 0]), 1),
        (Message::new(WRITE, [7, 0, 0, 0, 0, 0]), 2),
        (Message::new(WRITE, [2 | 41 << 8, 0, 0, 0, 0, 0]), 3),
    ] {
        let reply = ipc::call(cap, &message, 1_000_000).map_err(|_| "a call failed")?;
        if reply.data[0] != code {
            return Err("a malformed request got the wrong answer");
        }
    }
    Ok(())
}
