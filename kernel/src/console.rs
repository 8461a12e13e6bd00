//! The kernel log on the serial console, `[cpuN LEVEL] message`, and in the journal's
//! `kernel` channel (`dmesg`).

use crate::arch::x86_64 as arch;

struct SerialLogger;

impl log::Log for SerialLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            arch::console_write_fmt(format_args!(
                "[cpu{} {:<5}] {}\n",
                arch::cpu_index(),
                record.level(),
                record.args()
            ));
            crate::service_manager::journal::kernel_record(record.level(), *record.args());
        }
    }

    fn flush(&self) {}
}

static LOGGER: SerialLogger = SerialLogger;

/// Installs the logger (BSP, first thing after the serial port).
pub fn init() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
}

/// Prints to the console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::arch::x86_64::console_write_fmt(format_args!($($arg)*)) };
}

/// Prints a line to the console.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::print!("{}\n", format_args!($($arg)*)) };
}
