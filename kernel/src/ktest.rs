//! In-kernel tests (built with `--features ktest`).
//!
//! `kernel_test!` puts a test in the `.kernel_tests` linker section; at boot the
//! test build runs them all on the BSP, prints `ktest <name> ... ok` for each,
//! and leaves QEMU with the success status. A failing test panics, and the panic
//! handler leaves QEMU with the failure status.

mod cases;

use crate::arch::x86_64 as arch;
use crate::{print, println};

/// One registered test.
#[repr(C)]
pub struct KernelTest {
    pub name: &'static str,
    pub run: fn(),
}

/// Registers a test function.
macro_rules! kernel_test {
    ($name:ident) => {
        const _: () = {
            #[used]
            #[unsafe(link_section = ".kernel_tests")]
            static TEST: $crate::ktest::KernelTest = $crate::ktest::KernelTest {
                name: stringify!($name),
                run: $name,
            };
        };
    };
}
pub(crate) use kernel_test;

/// Runs every registered test, then exits QEMU (where the command line allows;
/// elsewhere the shell starts afterwards).
pub fn run_all() {
    let tests: &[KernelTest] = arch::kernel_tests();
    println!("ktest: running {} tests", tests.len());
    for test in tests {
        print!("ktest {} ... ", test.name);
        (test.run)();
        println!("ok");
    }
    println!("ktest: {} passed, 0 failed", tests.len());
    arch::exit_qemu(arch::EXIT_SUCCESS);
}
