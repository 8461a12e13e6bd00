//! Entry and exit: `_start`, the [`entry!`](crate::entry) macro and the panic handler.
//!
//! The kernel starts a program at the ELF entry `_start` with `rsp` = `STACK_TOP`
//! (16-byte aligned), the start argument in `rdi` and every other register zero. `_start` is naked because no Rust
//! function may run on that stack as it is: the SysV ABI wants `rsp + 8` 16-byte aligned
//! at a function's first instruction (a return address pushed on an aligned stack), so
//! `_start` aligns `rsp` (in case a kernel does not), clears `rbp` (the end of the frame
//! chain) and the direction flag, and `call`s [`start`], which calls the program's `main`
//! (through the symbol `entry!` defines) and exits with its value.

#![allow(unsafe_code)]

use core::panic::PanicInfo;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::sys::exit;

/// The exit code of a program that panicked.
pub const EXIT_PANIC: i32 = 101;

/// The program's entry point (named by `ENTRY` in `link.ld`).
#[unsafe(naked)]
#[unsafe(no_mangle)]
extern "C" fn _start() -> ! {
    core::arch::naked_asm!(
        "xor ebp, ebp",
        "cld",
        "and rsp, -16",
        "call {start}",
        "ud2",
        start = sym start,
    )
}

unsafe extern "Rust" {
    /// The program's `main`, as exported by [`entry!`](crate::entry).
    safe fn __mohhos_user_main() -> i32;
}

/// The start argument the kernel put in `rdi` (0 unless the starter gave one).
static START_ARGUMENT: AtomicU64 = AtomicU64::new(0);

/// What the process was started with (`docs/abi.md`: a replica's instance number, …).
pub fn start_argument() -> u64 {
    START_ARGUMENT.load(Ordering::Relaxed)
}

/// Keeps the start argument (`rdi`, passed through `_start` untouched), runs `main`
/// and exits with its value.
extern "C" fn start(argument: u64) -> ! {
    START_ARGUMENT.store(argument, Ordering::Relaxed);
    exit(__mohhos_user_main())
}

/// Names the program's `fn main() -> i32`: its return value is the exit code.
///
/// ```ignore
/// #![no_std]
/// #![no_main]
/// mohhos_user::entry!(main);
/// fn main() -> i32 {
///     mohhos_user::println!("hi");
///     0
/// }
/// ```
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        /// The program's `main`, called by the runtime's `_start`.
        #[unsafe(export_name = "__mohhos_user_main")]
        fn __mohhos_user_main() -> i32 {
            let main: fn() -> i32 = $main;
            main()
        }
    };
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    crate::println!("panic: {}", info.message());
    exit(EXIT_PANIC)
}
