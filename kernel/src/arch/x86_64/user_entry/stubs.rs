//! The naked entry and exit stubs: into ring 3 from a frame (`enter_user`, and
//! `enter_user_with_call` for a lent context taking a call), back out of it
//! (`user_exit`), and `syscall`'s entry (`syscall_entry`) with its fast paths.

use super::{SYSCALL_VECTOR, TrapCalls, UserFrame};
use crate::arch::x86_64::idt::{InterruptFrame, pop_general_registers};
use crate::arch::x86_64::percpu::{self, offsets};
use core::mem::offset_of;
use core::sync::atomic::Ordering;

/// Pushes the kernel's callee-saved registers and saves its stack pointer in
/// `PerCpu::kernel_rsp` (needs `kernel_rsp = const offsets::KERNEL_RSP`): what
/// `user_exit` restores to return from the entry to user mode.
macro_rules! save_kernel_context {
    () => {
        concat!(
            "push rbx\n",
            "push rbp\n",
            "push r12\n",
            "push r13\n",
            "push r14\n",
            "push r15\n",
            "mov gs:[{kernel_rsp}], rsp\n",
        )
    };
}

/// Saves the kernel's callee-saved registers and stack, loads the user registers from
/// the frame at `frame` and returns to ring 3.
///
/// # Safety
/// Interrupts are off; `frame` is this CPU's user frame (`rsp0` and `user_frame` point
/// at it), holding user selectors, user RFLAGS with IF set and, for `sysretq`, a RIP it
/// may take; the loaded CR3 maps the kernel half as the kernel's tables do. It returns
/// when the context leaves ring 3 (through `user_exit`).
#[unsafe(naked)]
pub(super) unsafe extern "C" fn enter_user(frame: u64) {
    core::arch::naked_asm!(
        save_kernel_context!(),
        "mov rsp, rdi",
        pop_general_registers!(),
        "cmp qword ptr [rsp], {syscall}",
        "je 2f",
        "add rsp, 16",
        "swapgs",
        "iretq",
        "2:",
        "mov rsp, [rsp + 40]",
        "swapgs",
        "sysretq",
        kernel_rsp = const offsets::KERNEL_RSP,
        syscall = const SYSCALL_VECTOR,
    );
}

/// [`enter_user`] for a context stopped in a system call, entered with a call: saves
/// the kernel's callee-saved registers and stack, loads `rax` = `token`, the message
/// registers (`rdx`, `r8`–`r10`, `r12`–`r15`) from the frame at `request` and the other
/// registers from the frame at `frame`, and returns to ring 3 with `sysretq` (RIP and
/// RFLAGS from the frame).
///
/// # Safety
/// As for [`enter_user`], with the frame a system call's whose RIP `sysretq` may take;
/// `request` is a live kernel frame, mapped in every address space.
#[unsafe(naked)]
pub(super) unsafe extern "C" fn enter_user_with_call(frame: u64, request: u64, token: u64) {
    core::arch::naked_asm!(
        save_kernel_context!(),
        "mov rax, rdx",
        "mov rdx, [rsi + {at_rdx}]",
        "mov r8, [rsi + {at_r8}]",
        "mov r9, [rsi + {at_r9}]",
        "mov r10, [rsi + {at_r10}]",
        "mov r12, [rsi + {at_r12}]",
        "mov r13, [rsi + {at_r13}]",
        "mov r14, [rsi + {at_r14}]",
        "mov r15, [rsi + {at_r15}]",
        "mov rbx, [rdi + {at_rbx}]",
        "mov rbp, [rdi + {at_rbp}]",
        "mov rcx, [rdi + {at_rip}]",
        "mov r11, [rdi + {at_rflags}]",
        "mov rsi, [rdi + {at_rsi}]",
        "mov rsp, [rdi + {at_rsp}]",
        "mov rdi, [rdi + {at_rdi}]",
        "swapgs",
        "sysretq",
        kernel_rsp = const offsets::KERNEL_RSP,
        at_rdx = const offset_of!(InterruptFrame, rdx),
        at_r8 = const offset_of!(InterruptFrame, r8),
        at_r9 = const offset_of!(InterruptFrame, r9),
        at_r10 = const offset_of!(InterruptFrame, r10),
        at_r12 = const offset_of!(InterruptFrame, r12),
        at_r13 = const offset_of!(InterruptFrame, r13),
        at_r14 = const offset_of!(InterruptFrame, r14),
        at_r15 = const offset_of!(InterruptFrame, r15),
        at_rbx = const offset_of!(InterruptFrame, rbx),
        at_rbp = const offset_of!(InterruptFrame, rbp),
        at_rip = const offset_of!(InterruptFrame, rip),
        at_rflags = const offset_of!(InterruptFrame, rflags),
        at_rsi = const offset_of!(InterruptFrame, rsi),
        at_rsp = const offset_of!(InterruptFrame, rsp),
        at_rdi = const offset_of!(InterruptFrame, rdi),
    );
}

/// Jumped to (with `rsp` at the base of the filled user frame and the kernel's GS) by
/// `interrupt_common` and `syscall_entry`: returns from `enter_user` (or
/// `enter_user_with_call`, which saved the kernel's context the same way).
#[unsafe(naked)]
pub(in super::super) unsafe extern "C" fn user_exit() {
    core::arch::naked_asm!(
        "mov rsp, gs:[{kernel_rsp}]",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbp",
        "pop rbx",
        "ret",
        kernel_rsp = const offsets::KERNEL_RSP,
    );
}

/// `syscall` from ring 3 lands here (interrupts off, RCX = user RIP, R11 = user RFLAGS).
///
/// Fast path: `getpid`, which needs nothing but the frame, is answered right here and
/// returns with `sysretq` without leaving the user address space or touching any
/// register but `rax` (the slice timer stays armed, so the process is still preempted on
/// time). It is taken only when RCX is a lower-half address, for which `sysretq` is safe.
///
/// Every other call stores what a system call leaves in the user frame; an
/// `ipc_call_regs` (with such an RCX) is then offered to [`answer_in_trap`] and, if
/// answered, returns from the frame with `sysretq` (RIP and RFLAGS as `syscall` saved
/// them); the rest leaves through `user_exit` to the process task.
///
/// Written field by field rather than pushed, it skips what nothing reads after a
/// `syscall`: `cs` and `ss` (constants, which `run` writes before every entry), the
/// error code (read only for exceptions), and the frame's `rcx` and `r11` (the ABI
/// clobbers both, and `run` sets them to the return RIP and RFLAGS for `sysretq`). Those
/// slots keep this context's own earlier values, so nothing leaks between contexts.
#[unsafe(naked)]
pub(super) unsafe extern "C" fn syscall_entry() {
    core::arch::naked_asm!(
        "swapgs",
        "mov gs:[{scratch}], rsp",
        "mov rsp, gs:[{user_frame}]",
        "cmp rax, {getpid}",
        "jne 2f",
        "bt rcx, 47",
        "jc 2f",
        "mov rax, [rsp + {at_pid}]",
        "inc qword ptr [rsp + {at_fast_calls}]",
        "mov rsp, gs:[{scratch}]",
        "swapgs",
        "sysretq",
        "2:",
        "mov [rsp + {at_rax}], rax",
        "mov [rsp + {at_rbx}], rbx",
        "mov [rsp + {at_rdx}], rdx",
        "mov [rsp + {at_rsi}], rsi",
        "mov [rsp + {at_rdi}], rdi",
        "mov [rsp + {at_rbp}], rbp",
        "mov [rsp + {at_r8}], r8",
        "mov [rsp + {at_r9}], r9",
        "mov [rsp + {at_r10}], r10",
        "mov [rsp + {at_r12}], r12",
        "mov [rsp + {at_r13}], r13",
        "mov [rsp + {at_r14}], r14",
        "mov [rsp + {at_r15}], r15",
        "mov [rsp + {at_rip}], rcx",
        "mov [rsp + {at_rflags}], r11",
        "mov rax, gs:[{scratch}]",
        "mov [rsp + {at_rsp}], rax",
        "mov qword ptr [rsp + {at_vector}], {syscall}",
        "cmp qword ptr [rsp + {at_rax}], {call_regs}",
        "jne {exit}",
        "bt rcx, 47",
        "jc {exit}",
        // DF is already clear: SFMASK clears it on `syscall` (`init_cpu`). The saved
        // kernel stack is 8 below a 16-byte boundary (both entry stubs push six
        // registers after their return address: `save_kernel_context!`), so one more
        // word aligns it for the call.
        "mov rdi, rsp",
        "mov rsp, gs:[{kernel_rsp}]",
        "sub rsp, 8",
        "call {answer}",
        "mov rsp, gs:[{user_frame}]",
        "test al, al",
        "jz {exit}",
        "inc qword ptr [rsp + {at_fast_calls}]",
        pop_general_registers!(),
        "mov rcx, [rsp + {rip_above_vector}]",
        "mov r11, [rsp + {rflags_above_vector}]",
        "mov rsp, [rsp + {rsp_above_vector}]",
        "swapgs",
        "sysretq",
        scratch = const offsets::USER_RSP_SCRATCH,
        user_frame = const offsets::USER_FRAME,
        getpid = const mohhos_abi::syscall::GETPID,
        call_regs = const mohhos_abi::syscall::IPC_CALL_REGS,
        kernel_rsp = const offsets::KERNEL_RSP,
        answer = sym answer_in_trap,
        rip_above_vector = const offset_of!(InterruptFrame, rip) - offset_of!(InterruptFrame, vector),
        rflags_above_vector = const offset_of!(InterruptFrame, rflags) - offset_of!(InterruptFrame, vector),
        rsp_above_vector = const offset_of!(InterruptFrame, rsp) - offset_of!(InterruptFrame, vector),
        at_pid = const offset_of!(UserFrame, pid),
        at_fast_calls = const offset_of!(UserFrame, fast_calls),
        at_rax = const offset_of!(InterruptFrame, rax),
        at_rbx = const offset_of!(InterruptFrame, rbx),
        at_rdx = const offset_of!(InterruptFrame, rdx),
        at_rsi = const offset_of!(InterruptFrame, rsi),
        at_rdi = const offset_of!(InterruptFrame, rdi),
        at_rbp = const offset_of!(InterruptFrame, rbp),
        at_r8 = const offset_of!(InterruptFrame, r8),
        at_r9 = const offset_of!(InterruptFrame, r9),
        at_r10 = const offset_of!(InterruptFrame, r10),
        at_r12 = const offset_of!(InterruptFrame, r12),
        at_r13 = const offset_of!(InterruptFrame, r13),
        at_r14 = const offset_of!(InterruptFrame, r14),
        at_r15 = const offset_of!(InterruptFrame, r15),
        at_rip = const offset_of!(InterruptFrame, rip),
        at_rflags = const offset_of!(InterruptFrame, rflags),
        at_rsp = const offset_of!(InterruptFrame, rsp),
        at_vector = const offset_of!(InterruptFrame, vector),
        syscall = const SYSCALL_VECTOR,
        exit = sym user_exit,
    );
}

/// Called by `syscall_entry` on the kernel stack, with interrupts off and the kernel's
/// GS, for an `ipc_call_regs` whose registers are saved in the frame at `regs`: whether
/// this CPU's [`TrapCalls`] answered it.
extern "C" fn answer_in_trap(regs: *mut InterruptFrame) -> bool {
    let trap_calls = percpu::current().trap_calls.load(Ordering::Relaxed) as *mut &mut TrapCalls;
    if trap_calls.is_null() {
        return false;
    }
    // SAFETY: `run` stored the address of its `&mut TrapCalls` before entering user
    // mode and clears it after `enter_user` returns, so while this CPU is in this
    // system call it points at that live reference, which nothing else uses meanwhile
    // (`run` is inside `enter_user`). `regs` is the frame `run` entered user mode from,
    // derived from its `&mut UserFrame`, which `run` does not touch until `enter_user`
    // returns.
    unsafe { (*trap_calls)(&mut *regs) }
}
