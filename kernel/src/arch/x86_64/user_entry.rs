//! Entering and leaving ring 3.
//!
//! A user context is a register frame laid out exactly like [`InterruptFrame`], aligned
//! so that its end is 16-byte aligned. [`run`] points the TSS's `rsp0` at the frame's
//! end and `PerCpu::user_frame` at its base, saves the kernel's callee-saved registers
//! and stack pointer (`PerCpu::kernel_rsp`) and returns to user mode from the frame:
//! `sysretq` when the frame came from a `syscall` (after the canonical-address check),
//! `iretq` otherwise.
//!
//! Leaving: an interrupt or exception from ring 3 makes the CPU push its frame at
//! `rsp0`, i.e. into the tail of the user frame, and the entry stub and
//! `interrupt_common` push the vector and the general registers below it, so the whole
//! frame is filled in place; `interrupt_common` then sees that it came from ring 3 onto
//! the user frame and jumps to `user_exit`. `syscall` enters at `syscall_entry`, which
//! builds the same frame by hand (vector [`SYSCALL_VECTOR`]). `user_exit` reloads the
//! saved kernel stack and returns from `enter_user`, so [`run`] returns to its caller
//! with the trap described by the frame, interrupts still disabled. An NMI, #DF or #MC
//! from ring 3 arrives on its IST stack, not on the frame, and takes the normal (fatal)
//! path.

use super::gdt::{KERNEL_CODE, KERNEL_DATA, USER_CODE, USER_DATA};
use super::idt::InterruptFrame;
use super::percpu::{self, offsets};
use super::{interrupts, paging, timer};
use x86_64::registers::control::{Cr2, Cr3, Cr3Flags};
use x86_64::registers::model_specific::{Efer, EferFlags, LStar, SFMask, Star};
use x86_64::registers::rflags::RFlags;
use x86_64::structures::gdt::SegmentSelector;
use x86_64::structures::paging::PhysFrame;
use x86_64::{PhysAddr, VirtAddr};

/// The `vector` a frame built by `syscall_entry` carries (no IDT vector is this big).
pub const SYSCALL_VECTOR: u64 = 0x100;

/// Where user mode starts: interrupts on, IOPL 0.
const USER_RFLAGS: u64 = 0x202;
/// The RFLAGS bits user code may change and keep (arithmetic flags, TF, DF, AC).
const USER_FLAGS_MASK: u64 = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x4_0000;

/// The register state of one user context.
#[repr(C, align(16))]
pub struct UserFrame(pub InterruptFrame);

const _: () = assert!(size_of::<UserFrame>().is_multiple_of(16));

impl UserFrame {
    /// A context that starts at `entry` with stack pointer `stack_top`, every other
    /// register zero.
    pub fn new(entry: u64, stack_top: u64) -> Self {
        Self(InterruptFrame {
            r15: 0,
            r14: 0,
            r13: 0,
            r12: 0,
            r11: 0,
            r10: 0,
            r9: 0,
            r8: 0,
            rbp: 0,
            rdi: 0,
            rsi: 0,
            rdx: 0,
            rcx: 0,
            rbx: 0,
            rax: 0,
            vector: 0,
            error_code: 0,
            rip: entry,
            cs: u64::from(USER_CODE),
            rflags: USER_RFLAGS,
            rsp: stack_top,
            ss: u64::from(USER_DATA),
        })
    }
}

/// Why user mode was left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trap {
    /// A `syscall`: number in `rax`, arguments in `rdi rsi rdx r10 r8 r9`.
    Syscall,
    /// A device interrupt or IPI (already handled: EOI sent, wakers fired).
    Interrupt(u8),
    /// A CPU exception caused by the user code.
    Exception {
        /// The exception vector.
        vector: u8,
        /// The error code the CPU pushed (0 where none).
        error_code: u64,
        /// CR2 for a page fault (the faulting address), else 0.
        address: u64,
    },
}

/// Sets up `syscall` on the calling CPU: entry point, segments, flags to clear.
pub fn init_cpu() {
    Star::write(
        SegmentSelector(USER_CODE),
        SegmentSelector(USER_DATA),
        SegmentSelector(KERNEL_CODE),
        SegmentSelector(KERNEL_DATA),
    )
    .expect("GDT layout fits SYSCALL/SYSRET");
    // SAFETY: the entry point is `syscall_entry`, which follows the convention described in the module docs, and
    // enabling SCE only lets ring 3 use `syscall`.
    unsafe {
        LStar::write(VirtAddr::new(syscall_entry as *const () as u64));
        SFMask::write(
            RFlags::INTERRUPT_FLAG
                | RFlags::TRAP_FLAG
                | RFlags::DIRECTION_FLAG
                | RFlags::ALIGNMENT_CHECK
                | RFlags::NESTED_TASK,
        );
        Efer::update(|flags| flags.insert(EferFlags::SYSTEM_CALL_EXTENSIONS));
    }
}

/// Whether `addr` may be loaded into RIP by `sysretq` (a canonical lower-half address;
/// a non-canonical RCX would make `sysretq` fault in ring 0).
fn sysret_safe(addr: u64) -> bool {
    addr < 0x0000_8000_0000_0000
}

/// Runs the user context `frame` in the address space `cr3` until it traps, or until
/// the TSC reaches `slice_end` (the LAPIC timer fires). Returns why it stopped, with the
/// frame updated; the kernel's own page tables are active again.
pub fn run(frame: &mut UserFrame, cr3: u64, slice_end: u64) -> Trap {
    let regs = &mut frame.0;
    // Only user selectors and a sane RFLAGS ever reach `iretq`/`sysretq`.
    regs.cs = u64::from(USER_CODE);
    regs.ss = u64::from(USER_DATA);
    regs.rflags = (regs.rflags & USER_FLAGS_MASK) | USER_RFLAGS;
    if regs.vector == SYSCALL_VECTOR && sysret_safe(regs.rip) {
        // `sysretq` takes RIP from RCX and RFLAGS from R11 (both clobbered by the ABI).
        regs.rcx = regs.rip;
        regs.r11 = regs.rflags;
    } else {
        regs.vector = 0;
    }
    let base = regs as *mut InterruptFrame as u64;
    let end = base + size_of::<UserFrame>() as u64;
    x86_64::instructions::interrupts::disable();
    let cpu = percpu::current();
    cpu.set_user_frame(base, end);
    if let Some(lapic) = cpu.lapic().as_mut() {
        timer::arm_at_tsc(lapic, slice_end);
    }
    // SAFETY: `cr3` is the root of an address space whose kernel half is the kernel's
    // (`address_space.rs`), so this code, its stack and the frame stay mapped.
    unsafe {
        Cr3::write(
            PhysFrame::containing_address(PhysAddr::new(cr3)),
            Cr3Flags::empty(),
        )
    };
    // SAFETY: the frame holds user selectors, user RFLAGS with IF set and (for sysret) a
    // canonical RIP; rsp0 and `user_frame` point at it, so the way back is `user_exit`.
    unsafe { enter_user(base) };
    // SAFETY: back on the kernel's own tables, which map everything the kernel uses.
    unsafe {
        Cr3::write(
            PhysFrame::containing_address(PhysAddr::new(paging::kernel_cr3())),
            Cr3Flags::empty(),
        )
    };
    cpu.set_user_frame(0, 0);
    let regs = &mut frame.0;
    let trap = match regs.vector {
        SYSCALL_VECTOR => Trap::Syscall,
        v if v < 32 => Trap::Exception {
            vector: v as u8,
            error_code: regs.error_code,
            address: if v == 14 { Cr2::read_raw() } else { 0 },
        },
        v => {
            // Exactly what the interrupt would have done in kernel mode.
            interrupts::dispatch(regs);
            Trap::Interrupt(v as u8)
        }
    };
    x86_64::instructions::interrupts::enable();
    trap
}

/// Saves the kernel's callee-saved registers and stack, loads the user registers from
/// the frame at `frame` and returns to ring 3.
#[unsafe(naked)]
unsafe extern "C" fn enter_user(frame: u64) {
    core::arch::naked_asm!(
        "push rbx",
        "push rbp",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "mov gs:[{kernel_rsp}], rsp",
        "mov rsp, rdi",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop r11",
        "pop r10",
        "pop r9",
        "pop r8",
        "pop rbp",
        "pop rdi",
        "pop rsi",
        "pop rdx",
        "pop rcx",
        "pop rbx",
        "pop rax",
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

/// Jumped to (with `rsp` at the base of the filled user frame and the kernel's GS) by
/// `interrupt_common` and `syscall_entry`: returns from `enter_user`.
#[unsafe(naked)]
pub(super) unsafe extern "C" fn user_exit() {
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

/// `syscall` from ring 3 lands here (interrupts off, RCX = user RIP, R11 = user RFLAGS):
/// builds the user frame the way an interrupt would, then leaves through `user_exit`.
#[unsafe(naked)]
unsafe extern "C" fn syscall_entry() {
    core::arch::naked_asm!(
        "swapgs",
        "mov gs:[{scratch}], rsp",
        "mov rsp, gs:[{user_frame}]",
        "add rsp, {frame_size}",
        "push {user_ss}",
        "push qword ptr gs:[{scratch}]",
        "push r11",
        "push {user_cs}",
        "push rcx",
        "push 0",
        "push {syscall}",
        "push rax",
        "push rbx",
        "push rcx",
        "push rdx",
        "push rsi",
        "push rdi",
        "push rbp",
        "push r8",
        "push r9",
        "push r10",
        "push r11",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "cld",
        "jmp {exit}",
        scratch = const offsets::USER_RSP_SCRATCH,
        user_frame = const offsets::USER_FRAME,
        frame_size = const size_of::<UserFrame>(),
        user_ss = const USER_DATA,
        user_cs = const USER_CODE,
        syscall = const SYSCALL_VECTOR,
        exit = sym user_exit,
    );
}
