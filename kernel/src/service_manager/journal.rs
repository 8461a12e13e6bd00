//! The journal behind `dmesg`: the log service's book of channels. Channel `kernel`
//! holds the kernel's own log records; every supervised service writes to the channel
//! of its name (a user service's console output goes there, a line per record).

use crate::arch::x86_64 as arch;
use alloc::string::String;
use alloc::vec::Vec;
use services::log_book::{ChannelId, Level, LogBook, Record};

/// Most channels: the kernel's and one per service.
const MAX_CHANNELS: usize = 64;
/// Records each channel keeps.
const PER_CHANNEL: usize = 256;
/// The kernel's own channel.
pub const KERNEL_CHANNEL: &str = "kernel";

static BOOK: spin::Once<spin::Mutex<LogBook>> = spin::Once::new();

/// Microseconds since boot.
pub fn now_us() -> u64 {
    arch::ticks_to_us(arch::rdtsc())
}

fn with_book<R>(f: impl FnOnce(&mut LogBook) -> R) -> R {
    let book = BOOK.call_once(|| spin::Mutex::new(LogBook::new(MAX_CHANNELS, PER_CHANNEL)));
    // Interrupts off: the kernel logger may run on any path that can be interrupted by
    // one that logs too.
    x86_64::instructions::interrupts::without_interrupts(|| f(&mut book.lock()))
}

/// The channel `name` (made on first use); `None` once [`MAX_CHANNELS`] exist.
pub fn channel(name: &str) -> Option<ChannelId> {
    with_book(|book| book.channel(name))
}

/// Appends one record to `channel`.
pub fn append(channel: ChannelId, level: Level, text: &str) {
    let at = now_us();
    with_book(|book| book.append(channel, at, level, text));
}

/// Appends console output: one `info` record per line (an unterminated line is a
/// record too; empty lines are skipped).
pub fn append_output(channel: ChannelId, text: &str) {
    let at = now_us();
    with_book(|book| {
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            book.append(channel, at, Level::Info, line);
        }
    });
}

/// A record of the kernel's logger, unless it comes from a context that may not
/// allocate (an interrupt handler, or code running with interrupts off).
pub fn kernel_record(level: log::Level, args: core::fmt::Arguments) {
    if !arch::interrupts_enabled() {
        return;
    }
    let level = match level {
        log::Level::Error => Level::Error,
        log::Level::Warn => Level::Warn,
        log::Level::Info => Level::Info,
        log::Level::Debug => Level::Debug,
        log::Level::Trace => Level::Trace,
    };
    let text = alloc::format!("{args}");
    if let Some(kernel) = channel(KERNEL_CHANNEL) {
        append(kernel, level, &text);
    }
}

/// The records of `channel` (all if `None`) at `level` or more serious, oldest first,
/// with their channel's names; `None` if no channel has that name.
pub fn query(channel: Option<&str>, level: Level) -> Option<Vec<(String, Record)>> {
    with_book(|book| {
        book.query(channel, level).map(|found| {
            found
                .into_iter()
                .map(|(name, record)| (String::from(name), record.clone()))
                .collect()
        })
    })
}
