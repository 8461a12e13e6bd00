//! In-kernel tests (built with `--features ktest`).
//!
//! `kernel_test!` puts a test in the `.kernel_tests` linker section; at boot the
//! test build runs them all on the BSP, prints `ktest <name> ... ok` for each,
//! and leaves QEMU with the success status. A failing test panics, and the panic
//! handler leaves QEMU with the failure status.

mod cases;
mod ipc_cases;
mod process_cases;
mod service_cases;

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

/// Causes the fatal error named by `crash=` on the command line, if any, so that
/// the test harness can check its report: `panic`, `page-fault` or
/// `stack-overflow` (which hits the guard page below the BSP's stack).
fn crash_on_request() {
    let Some(kind) = arch::cmdline()
        .split_whitespace()
        .find_map(|w| w.strip_prefix("crash="))
    else {
        return;
    };
    println!("ktest: crashing on request: {kind}");
    match kind {
        "panic" => panic!("crash=panic requested"),
        "page-fault" => {
            arch::read_unmapped();
        }
        "stack-overflow" => {
            recurse(core::hint::black_box(1));
        }
        _ => println!("error: unknown crash kind '{kind}'"),
    }
}

/// Uses 512 bytes of stack per level until the stack runs out.
fn recurse(depth: u64) -> u64 {
    let frame = core::hint::black_box([depth; 64]);
    if core::hint::black_box(depth) == 0 {
        return frame[0];
    }
    recurse(depth + 1) + frame[63]
}

/// Runs every registered test, then exits QEMU (where the command line allows;
/// elsewhere the shell starts afterwards).
pub fn run_all() {
    crash_on_request();
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
