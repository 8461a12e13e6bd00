//! Kernel panics: report message, location and CPU, then stop every CPU.

use crate::arch::x86_64 as arch;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let cpu = arch::cpu_index();
    let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
    arch::emergency_write(format_args!(
        "\nKERNEL PANIC on cpu {cpu} at {file}:{line}: {}\n",
        info.message()
    ));
    arch::stop_machine()
}
