//! The raw system-call instruction.
//!
//! This is the one place where the program talks to the kernel, so it is `unsafe` and
//! small: each `syscallN` puts the number in `rax` and N arguments in `rdi rsi rdx r10
//! r8 r9`, executes `syscall` and returns `rax` undecoded (see [`mohhos_abi::decode`]).
//! The CPU clobbers `rcx` (return address) and `r11` (flags); the kernel preserves every
//! other register, never touches the user stack and may change the flags.
//!
//! A system call is unsafe because a kernel acting on a valid request can change memory
//! the program uses: `unmap` and `protect` remove or restrict pages, and later calls
//! (IPC receive) will write into buffers. The safe wrappers in the crate root and
//! [`crate::Region`] check what they hand to the kernel.
//!
//! The numbers and limits of `mohhos_abi::syscall` are re-exported here.

#![allow(unsafe_code)]

use core::arch::asm;

pub use mohhos_abi::syscall::*;

/// `syscall` with `nr` in `rax` and the given register operands; evaluates to `rax`.
/// Every wrapper below is one use of it, so the clobbers and the safety argument are
/// written once.
macro_rules! syscall {
    ($nr:expr $(, $direction:tt($register:tt) $value:expr)* $(,)?) => {{
        let rax: u64;
        // SAFETY: `syscall` enters the kernel, which returns to the next instruction with
        // only rax, rcx, r11 and the named in-out operands changed and the stack
        // untouched; its effect on memory is the caller's obligation.
        unsafe {
            asm!(
                "syscall",
                inlateout("rax") $nr => rax,
                $($direction($register) $value,)*
                out("rcx") _,
                out("r11") _,
                options(nostack),
            );
        }
        rax
    }};
}

/// System call `nr` without arguments.
///
/// # Safety
/// The call must not make the kernel write, unmap or write-protect memory that Rust code
/// still uses (it may read any memory, and refuse bad arguments).
#[inline(always)]
pub unsafe fn syscall0(nr: u64) -> u64 {
    syscall!(nr)
}

/// System call `nr` with one argument.
///
/// # Safety
/// As for [`syscall0`].
#[inline(always)]
pub unsafe fn syscall1(nr: u64, a0: u64) -> u64 {
    syscall!(nr, in("rdi") a0)
}

/// System call `nr` with two arguments.
///
/// # Safety
/// As for [`syscall0`].
#[inline(always)]
pub unsafe fn syscall2(nr: u64, a0: u64, a1: u64) -> u64 {
    syscall!(nr, in("rdi") a0, in("rsi") a1)
}

/// System call `nr` with three arguments.
///
/// # Safety
/// As for [`syscall0`].
#[inline(always)]
pub unsafe fn syscall3(nr: u64, a0: u64, a1: u64, a2: u64) -> u64 {
    syscall!(nr, in("rdi") a0, in("rsi") a1, in("rdx") a2)
}

/// System call `nr` with four arguments.
///
/// # Safety
/// As for [`syscall0`].
#[inline(always)]
pub unsafe fn syscall4(nr: u64, a0: u64, a1: u64, a2: u64, a3: u64) -> u64 {
    syscall!(nr, in("rdi") a0, in("rsi") a1, in("rdx") a2, in("r10") a3)
}

/// System call `nr` with five arguments.
///
/// # Safety
/// As for [`syscall0`].
#[inline(always)]
pub unsafe fn syscall5(nr: u64, a0: u64, a1: u64, a2: u64, a3: u64, a4: u64) -> u64 {
    syscall!(nr, in("rdi") a0, in("rsi") a1, in("rdx") a2, in("r10") a3, in("r8") a4)
}

/// System call `nr` with six arguments.
///
/// # Safety
/// As for [`syscall0`].
#[inline(always)]
pub unsafe fn syscall6(nr: u64, a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64 {
    syscall!(
        nr,
        in("rdi") a0,
        in("rsi") a1,
        in("rdx") a2,
        in("r10") a3,
        in("r8") a4,
        in("r9") a5,
    )
}

/// System call `nr` with one argument that does not return (`exit`). Should the kernel
/// ever return, `ud2` faults and the kernel ends the process.
///
/// # Safety
/// `nr` must be a call that never returns.
#[inline(always)]
pub unsafe fn syscall1_noreturn(nr: u64, a0: u64) -> ! {
    // SAFETY: the call does not return (caller's obligation), and if it did, `ud2`
    // stops the program before anything relies on the asm not returning.
    unsafe {
        asm!("syscall", "ud2", in("rax") nr, in("rdi") a0, options(noreturn, nostack));
    }
}

/// System call `nr` with two arguments and a message in the message registers
/// (`rdx`, `r8`, `r9`, `r10`, `r12`, `r13`, `r14`, `r15`: tag, six data words,
/// capability word; `docs/abi.md`), which the kernel may replace (`ipc_call_regs`).
///
/// # Safety
/// As for [`syscall0`].
#[inline(always)]
pub unsafe fn syscall2_message(nr: u64, a0: u64, a1: u64, message: &mut [u64; 8]) -> u64 {
    let [tag, d0, d1, d2, d3, d4, d5, cap] = message;
    syscall!(
        nr,
        in("rdi") a0,
        in("rsi") a1,
        inout("rdx") *tag,
        inout("r8") *d0,
        inout("r9") *d1,
        inout("r10") *d2,
        inout("r12") *d3,
        inout("r13") *d4,
        inout("r14") *d5,
        inout("r15") *cap,
    )
}

/// The registers [`syscall_probe`] sets and reads back, in this order: `rdi`, `rsi`,
/// `rdx`, `r8`, `r9`, `r10`, `r12`, `r13`, `r14`, `r15` (the arguments and the message
/// registers).
pub type ProbeRegisters = [u64; 10];

/// System call `nr` with every register the ABI passes or keeps taken from `regs` (and
/// a distinct pattern in `rbx` and `rbp`, which cannot be asm operands), for checking
/// what the kernel keeps: `regs` comes back as the kernel left them. Returns `rax` and
/// whether `rbx` or `rbp` changed.
///
/// # Safety
/// As for [`syscall0`].
pub unsafe fn syscall_probe(nr: u64, regs: &mut ProbeRegisters) -> (u64, bool) {
    const RBX: u64 = 0x0b0b_0b0b_0b0b_0b0b;
    const RBP: u64 = 0x0d0d_0d0d_0d0d_0d0d;
    let rax: u64;
    let rbx_rbp_changed: u64;
    // SAFETY: as in `syscall0`; rbx and rbp are saved on the stack and restored, and
    // the stack is balanced.
    unsafe {
        asm!(
            "push rbx",
            "push rbp",
            "mov rbx, {rbx}",
            "mov rbp, {rbp}",
            "syscall",
            // rcx and r11 are the kernel's to clobber: free scratch now.
            "mov rcx, {rbx}",
            "xor rcx, rbx",
            "mov r11, {rbp}",
            "xor r11, rbp",
            "or rcx, r11",
            "pop rbp",
            "pop rbx",
            rbx = const RBX,
            rbp = const RBP,
            inlateout("rax") nr => rax,
            out("rcx") rbx_rbp_changed,
            out("r11") _,
            inout("rdi") regs[0],
            inout("rsi") regs[1],
            inout("rdx") regs[2],
            inout("r8") regs[3],
            inout("r9") regs[4],
            inout("r10") regs[5],
            inout("r12") regs[6],
            inout("r13") regs[7],
            inout("r14") regs[8],
            inout("r15") regs[9],
        );
    }
    (rax, rbx_rbp_changed != 0)
}
