//! Entering and leaving ring 3.
//!
//! A user context is a register frame laid out exactly like [`InterruptFrame`] (at the
//! start of a [`UserFrame`]), aligned so that its end is 16-byte aligned. [`run`]
//! points the TSS's `rsp0` at the registers' end and `PerCpu::user_frame` at its base, saves the kernel's callee-saved registers
//! and stack pointer (`PerCpu::kernel_rsp`) and returns to user mode from the frame:
//! `sysretq` when the frame came from a `syscall` (after the canonical-address check),
//! `iretq` otherwise.
//!
//! The round trip of a system call that returns at once is the hot path, so [`run`]
//! only reprograms what changed since this CPU last entered user mode:
//! - `rsp0` and `user_frame` stay set after the return (only ring 3 uses them: an
//!   interrupt or `syscall` from ring 0 never reads either), so entering the same frame
//!   again skips both writes; `user_frame == base` implies `rsp0 == base + size`, as
//!   [`run`] is the only writer of both.
//! - The LAPIC timer is looked at only when the slice's end or this CPU's interrupt count
//!   changed since the last look (nothing else changes it during a turn), and re-armed
//!   only if it would not fire by the slice's end: a timer
//!   still pending from the previous slice (or armed by the executor's idle path for an
//!   earlier deadline) is left alone, so system calls no longer extend a slice, and a
//!   context entering after another may start with the rest of its slice. Whether and
//!   when the timer fires is read from the hardware ([`timer_fires_by`]), never assumed:
//!   an interrupt taken in kernel mode, the idle path, or another context on this CPU
//!   may have fired or re-armed it since.
//! - CR3 is written on every entry and every return: the kernel never runs on a user
//!   address space, so one that is freed (exit, kill) is never still loaded anywhere.
//!
//! Leaving: an interrupt or exception from ring 3 makes the CPU push its frame at
//! `rsp0`, i.e. into the tail of the user frame, and the entry stub and
//! `interrupt_common` push the vector and the general registers below it, so the whole
//! frame is filled in place; `interrupt_common` then sees that it came from ring 3 onto
//! the user frame and jumps to `user_exit`. `syscall` enters at `syscall_entry`, which
//! stores the fields a system call needs into the same frame (vector
//! [`SYSCALL_VECTOR`]). `user_exit` reloads the saved kernel stack and returns from
//! `enter_user` (or `enter_user_with_call`), so [`run`] returns to its caller with the trap described by the frame,
//! interrupts still disabled. An NMI, #DF or #MC from ring 3 arrives on its IST stack,
//! not on the frame, and takes the normal (fatal) path.
//!
//! Answered in the trap: `getpid` by the entry stub itself, and `ipc_call_regs` by the
//! [`TrapCalls`] closure [`run`] was given (`PerCpu::trap_calls` points at it while
//! user code runs). The stub saves the registers into the frame as for any system call,
//! calls the closure on the kernel stack below the one `enter_user` saved (nothing
//! lives there while user code runs), and, when it answered, returns straight to ring 3
//! from the frame with `sysretq` — still in the user's address space, interrupts off
//! throughout, the slice timer still armed. When it did not, the call leaves through
//! `user_exit` as any other.

mod slice_timer;
mod stubs;

use super::gdt::{KERNEL_CODE, KERNEL_DATA, USER_CODE, USER_DATA};
use super::idt::InterruptFrame;
use super::pcid::{self, UserTables};
use super::percpu::{self, offsets};
use super::{interrupts, paging};
use core::sync::atomic::Ordering;
use slice_timer::{arm_slice, timer_fires_by};
pub(super) use stubs::user_exit;
use stubs::{enter_user, enter_user_with_call, syscall_entry};
use x86_64::VirtAddr;
use x86_64::registers::control::{Cr0, Cr0Flags, Cr2, Cr3};
use x86_64::registers::model_specific::{Efer, EferFlags, LStar, SFMask, Star};
use x86_64::registers::rflags::RFlags;
use x86_64::structures::gdt::SegmentSelector;

/// The `vector` a frame built by `syscall_entry` carries (no IDT vector is this big).
pub const SYSCALL_VECTOR: u64 = 0x100;

/// Where user mode starts: interrupts on, IOPL 0.
const USER_RFLAGS: u64 = 0x202;
/// The RFLAGS bits user code may change and keep (arithmetic flags, TF, DF, AC).
const USER_FLAGS_MASK: u64 = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x4_0000;

/// The register state of one user context, and what the entry stub's fast path answers
/// from (`syscall_entry`).
#[repr(C, align(16))]
pub struct UserFrame {
    /// The registers (the CPU pushes the tail of an interrupt frame into it).
    pub regs: InterruptFrame,
    /// What `getpid` returns: the owning process's id.
    pid: u64,
    /// System calls answered by the fast path since [`UserFrame::take_fast_calls`].
    fast_calls: u64,
}

// `rsp0` points at the end of `regs`, where the CPU pushes with 16-byte alignment.
const _: () = assert!(size_of::<InterruptFrame>().is_multiple_of(16));

impl UserFrame {
    /// A context of process `pid` that starts at `entry` with stack pointer
    /// `stack_top`, every other register zero.
    pub fn new(pid: u32, entry: u64, stack_top: u64) -> Self {
        let regs = InterruptFrame {
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
        };
        Self {
            regs,
            pid: u64::from(pid),
            fast_calls: 0,
        }
    }

    /// How many system calls the entry stub answered itself since the last call (they
    /// never reach [`run`]'s caller).
    pub fn take_fast_calls(&mut self) -> u64 {
        core::mem::take(&mut self.fast_calls)
    }

    /// Counts one system call answered without the process task (as the entry stub
    /// counts its own): [`UserFrame::take_fast_calls`] reports it.
    pub fn count_fast_call(&mut self) {
        self.fast_calls += 1;
    }
}

/// What may answer an `ipc_call_regs` in the trap itself: gets the saved registers and
/// returns whether it answered (then `rax` and the message registers hold the answer),
/// or leaves the frame as it was for the process task (see the module docs). It runs
/// with interrupts disabled, on the user's address space, touching no user memory.
pub type TrapCalls<'a> = dyn FnMut(&mut InterruptFrame) -> bool + 'a;

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

/// Sets up `syscall` on the calling CPU: entry point, segments, flags to clear; and
/// turns the x87 FPU off (CR0.EM), so that no floating-point state can pass between
/// processes: nothing in MOHHOS uses it (kernel and user programs are soft-float; SSE is
/// off as CR4.OSFXSR stays clear), and an x87 instruction now faults (#NM) in the
/// process that ran it.
pub fn init_cpu() {
    // SAFETY: the kernel is built soft-float and never executes x87 instructions, so
    // making them fault changes nothing for it.
    unsafe { Cr0::update(|flags| flags.insert(Cr0Flags::EMULATE_COPROCESSOR)) };
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
    pcid::init_cpu();
}

/// Whether `addr` may be loaded into RIP by `sysretq` (a canonical lower-half address;
/// a non-canonical RCX would make `sysretq` fault in ring 0).
fn sysret_safe(addr: u64) -> bool {
    addr < 0x0000_8000_0000_0000
}

/// Whether `addr` is canonical (bits 63..47 all equal). `iretq` to a non-canonical RIP
/// or RSP faults in ring 0, after `swapgs`: such a context is never entered.
fn canonical(addr: u64) -> bool {
    let top = (addr as i64) >> 47;
    top == 0 || top == -1
}

/// A general protection fault on behalf of a context that cannot be entered.
const UNENTERABLE: Trap = Trap::Exception {
    vector: 13,
    error_code: 0,
    address: 0,
};

/// Runs the user context `frame` in the address space `cr3` until it traps (a context
/// whose RIP or RSP is not canonical is not entered: a general protection fault), or until
/// the TSC reaches `slice_end` at the latest (the LAPIC timer fires; a timer already
/// pending for an earlier time is kept and may end the run sooner). Returns why it
/// stopped, with the frame updated; the kernel's own page tables are active again.
/// `trap_calls` may answer `ipc_call_regs` calls meanwhile without leaving the trap.
pub fn run(
    frame: &mut UserFrame,
    tables: UserTables,
    slice_end: u64,
    trap_calls: &mut TrapCalls,
) -> Trap {
    // Read only by `answer_in_trap` while `enter_user` runs, which `trap_calls` outlives.
    let mut trap_calls = trap_calls;
    // With interrupts on: only this task's poll (which stays on this CPU) uses the
    // CPU's PCIDs meanwhile, and no interrupt handler does. Claimed before `enter` looks
    // whether the context can be entered (four instructions fewer on every entry than
    // after it): one that cannot dies of the fault it gets, so the slot's label names an
    // address space never loaded again, and nothing was loaded under it since.
    let cr3 = pcid::cr3_for(tables);
    let trap = enter(
        frame,
        move || cr3,
        slice_end,
        &raw mut trap_calls as u64,
        || pcid::kernel_cr3(paging::kernel_cr3()),
    );
    x86_64::instructions::interrupts::enable();
    trap
}

/// How [`run_nested`] enters the other context.
pub enum Nested<'a> {
    /// From its frame, as it stopped.
    Resume,
    /// With a call, as it waits in a system call: `rax` = `token` and its message
    /// registers (`docs/abi.md`) those of `request`, read there as it is entered (the
    /// frame's own copies of them and of `rax` are stale until its next trap, which saves
    /// all of them). A context not stopped in a system call whose RIP `sysretq` may take
    /// ([`sysret_ready`]) is not entered: it takes a general protection fault.
    Call {
        /// The caller's registers.
        request: &'a InterruptFrame,
        /// What the context finds in `rax`.
        token: u64,
    },
}

/// `rflags` as ring 3 gets it: the bits user code may keep, and IF set.
fn user_rflags(rflags: u64) -> u64 {
    (rflags & USER_FLAGS_MASK) | USER_RFLAGS
}

/// Whether the context `frame` may return to ring 3 with `sysretq`: it stopped in a system
/// call whose return address `sysretq` may take.
fn sysret_ready(frame: &UserFrame) -> bool {
    frame.regs.vector == SYSCALL_VECTOR && sysret_safe(frame.regs.rip)
}

/// Runs another user context, `frame` in the address space `root` (whose full
/// description `tables` gives, when PCIDs need it), from inside a system
/// call of the context this CPU runs (in a [`TrapCalls`] closure: interrupts off, the
/// kernel's GS), as [`run`] does but with no `TrapCalls` of its own (every system call
/// of the nested context leaves it), entered as `how` says; then makes the outer context
/// this CPU's again — its frame, its saved kernel stack, its `TrapCalls` and its address
/// space — so that the entry stub returns to it as from any call answered in the trap.
/// Interrupts stay off. (seL4's fastpath: a call to a service parked on this CPU runs the
/// service at once.)
///
/// The slice timer is looked at only when resuming: a call comes straight from a system
/// call of the outer context, which was entered for the same `slice_end` with the timer
/// checked, and interrupts stayed off since.
pub(crate) fn run_nested(
    frame: &mut UserFrame,
    root: u64,
    tables: impl FnOnce() -> UserTables,
    slice_end: u64,
    how: Nested,
) -> Trap {
    let cpu = percpu::current();
    let outer_frame = current_user_frame();
    let outer_rsp = cpu.kernel_rsp.load(Ordering::Relaxed);
    let outer_calls = cpu.trap_calls.load(Ordering::Relaxed);
    // The outer tables were active when this was called, so they map the kernel half
    // as the kernel's tables do (every root the kernel loads does). With PCIDs they are
    // loaded again through their slot, which the nested run may have taken. The nested
    // context's slot is claimed only once it is known to be entered.
    let pcids = pcid::enabled();
    let outer = if pcids {
        Err(pcid::current())
    } else {
        Ok(Cr3::read_raw().0.start_address().as_u64())
    };
    let cr3 = || if pcids { pcid::claim(tables()) } else { root };
    let cr3_after = || outer.unwrap_or_else(pcid::claim);
    let trap = match how {
        Nested::Call { request, token } if sysret_ready(frame) => {
            let cr3 = cr3();
            let regs = &mut frame.regs;
            regs.rflags = user_rflags(regs.rflags);
            let base = regs as *mut InterruptFrame as u64;
            let request = request as *const InterruptFrame as u64;
            let entry = move || {
                // SAFETY: the frame is a system call's with a `sysretq`-safe RIP
                // (`sysret_ready`) and user RFLAGS with IF set; rsp0 and `user_frame`
                // point at it; `request` is a live kernel frame, mapped in every
                // address space.
                unsafe { enter_user_with_call(base, request, token) }
            };
            switch_and_enter(base, cr3, None, 0, cr3_after, entry);
            trap_of(frame)
        }
        // Never lent this way (a lent context waits in a system call), but should its
        // RIP be one `sysretq` may not take, it gets that fault now, as in `enter`.
        Nested::Call { .. } => UNENTERABLE,
        Nested::Resume => enter(frame, cr3, slice_end, 0, cr3_after),
    };
    if outer_frame != 0 {
        percpu::set_current_user_frame(
            outer_frame,
            outer_frame + size_of::<InterruptFrame>() as u64,
        );
    }
    cpu.kernel_rsp.store(outer_rsp, Ordering::Relaxed);
    cpu.trap_calls.store(outer_calls, Ordering::Relaxed);
    trap
}

/// [`run`]'s work up to the return from user mode, with `trap_calls_at` the address of
/// the `&mut TrapCalls` to offer `ipc_call_regs` calls to (0: none): the CR3 value to
/// load comes from `cr3`, asked only once the context is known to be entered (it may
/// claim a PCID slot). Leaves interrupts disabled and the CR3 value `cr3_after` gives
/// loaded (after the run): a root whose kernel half is the kernel's (every root the
/// kernel loads).
#[inline(always)]
fn enter(
    frame: &mut UserFrame,
    cr3: impl FnOnce() -> u64,
    slice_end: u64,
    trap_calls_at: u64,
    cr3_after: impl FnOnce() -> u64,
) -> Trap {
    let sysret = sysret_ready(frame);
    let regs = &mut frame.regs;
    // `iretq` with a non-canonical stack pointer (the process set one) or RIP (a
    // `syscall` at the very end of the lower half) would fault in ring 0; the process
    // would fault on its next instruction anyway, so it gets that fault now. (`sysretq`
    // does not check RSP: a bad one faults in ring 3.)
    if !(sysret || canonical(regs.rsp) && canonical(regs.rip)) {
        x86_64::instructions::interrupts::disable();
        return UNENTERABLE;
    }
    let cr3 = cr3();
    // Only user selectors and a sane RFLAGS ever reach `iretq`/`sysretq`.
    regs.cs = u64::from(USER_CODE);
    regs.ss = u64::from(USER_DATA);
    regs.rflags = user_rflags(regs.rflags);
    if sysret {
        // `sysretq` takes RIP from RCX and RFLAGS from R11 (both clobbered by the ABI).
        regs.rcx = regs.rip;
        regs.r11 = regs.rflags;
    } else {
        regs.vector = 0;
    }
    let base = regs as *mut InterruptFrame as u64;
    let entry = move || {
        // SAFETY: the frame holds user selectors, user RFLAGS with IF set and (for
        // sysret) a canonical RIP; rsp0 and `user_frame` point at it, so the way back
        // is `user_exit`.
        unsafe { enter_user(base) }
    };
    switch_and_enter(base, cr3, Some(slice_end), trap_calls_at, cr3_after, entry);
    trap_of(frame)
}

/// The common part of every entry: with interrupts disabled, makes the frame at `base`
/// this CPU's user frame, makes sure the slice timer fires by `slice_end` (unless
/// `None`: known to), offers `ipc_call_regs` to `trap_calls_at`, loads `cr3`, enters
/// user mode with `entry()`, and once it returns loads what `cr3_after` gives.
#[inline(always)]
fn switch_and_enter(
    base: u64,
    cr3: u64,
    slice_end: Option<u64>,
    trap_calls_at: u64,
    cr3_after: impl FnOnce() -> u64,
    entry: impl FnOnce(),
) {
    x86_64::instructions::interrupts::disable();
    let cpu = percpu::current();
    if current_user_frame() != base {
        percpu::set_current_user_frame(base, base + size_of::<InterruptFrame>() as u64);
    }
    // The timer changes only by firing (an interrupt, counted) or by being armed, here
    // or in the idle path (never during a turn, and a new turn has a new slice end):
    // while both are as they were at the last look, it still fires in time.
    if let Some(slice_end) = slice_end {
        let interrupts = cpu.interrupts.load(Ordering::Relaxed);
        let known = cpu.slice_timer.load(Ordering::Relaxed) == slice_end
            && cpu.slice_timer_interrupts.load(Ordering::Relaxed) == interrupts;
        if !known && let Some(lapic) = cpu.lapic().as_mut() {
            if !timer_fires_by(lapic, slice_end) {
                arm_slice(lapic, slice_end);
            }
            cpu.slice_timer.store(slice_end, Ordering::Relaxed);
            cpu.slice_timer_interrupts
                .store(interrupts, Ordering::Relaxed);
        }
    }
    cpu.trap_calls.store(trap_calls_at, Ordering::Relaxed);
    // SAFETY: `cr3` loads an address space whose kernel half is the kernel's
    // (`address_space.rs`), so this code, its stack and the frame stay mapped; its PCID
    // keeps only entries of its current mappings (`pcid::cr3_for`).
    unsafe { load_cr3(cr3) };
    entry();
    // SAFETY: `cr3_after` maps the kernel half as the kernel's own tables do, so
    // everything the kernel uses stays mapped.
    unsafe { load_cr3(cr3_after()) };
    cpu.trap_calls.store(0, Ordering::Relaxed);
}

/// Why the context of `frame` left user mode, from its frame.
#[inline(always)]
fn trap_of(frame: &mut UserFrame) -> Trap {
    match frame.regs.vector {
        SYSCALL_VECTOR => Trap::Syscall,
        _ => other_trap(&mut frame.regs),
    }
}

/// The trap described by a frame that did not come from `syscall`.
#[cold]
fn other_trap(regs: &mut InterruptFrame) -> Trap {
    match regs.vector {
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
    }
}

/// Loads `value` into CR3: a root, and with PCIDs its PCID and no-flush bit
/// (`pcid.rs`).
///
/// # Safety
/// The root must be the page-aligned root of tables that map the kernel half as the
/// kernel's own tables do, and a kept PCID's entries must all be true of them.
#[inline(always)]
unsafe fn load_cr3(value: u64) {
    // SAFETY: the caller's obligation; the code, the stack and every kernel object stay
    // mapped across the switch. Not `nomem`: the switch changes what memory means.
    unsafe { core::arch::asm!("mov cr3, {}", in(reg) value, options(nostack, preserves_flags)) };
}

/// This CPU's `PerCpu::user_frame`: the frame `rsp0` points at (see the module docs).
#[inline(always)]
fn current_user_frame() -> u64 {
    let frame: u64;
    // SAFETY: GS points at this CPU's per-CPU block from bring-up on, and the field at
    // this offset is a `u64` (an `AtomicU64`, read here the way the entry stubs read it).
    unsafe {
        core::arch::asm!(
            "mov {}, gs:[{offset}]",
            out(reg) frame,
            offset = const offsets::USER_FRAME,
            options(nostack, readonly, preserves_flags),
        )
    };
    frame
}
