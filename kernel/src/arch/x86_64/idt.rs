//! The interrupt descriptor table and its entry stubs.
//!
//! Every vector in use has a naked entry stub made by `entry_stub!`: it pushes
//! the vector (and a zero where the CPU pushes no error code) and jumps to
//! `interrupt_common`, which saves the general registers, swaps GS when coming
//! from ring 3, and calls [`super::interrupts::dispatch`] with the saved frame, or, for
//! an interrupt that left a user context (its frame filled in place), returns to the
//! kernel through `user_entry`.

use super::gdt;
use super::interrupts::dispatch;
use super::vectors;
use x86_64::VirtAddr;
use x86_64::instructions::segmentation::{CS, Segment};
use x86_64::instructions::tables::lidt;
use x86_64::structures::DescriptorTablePointer;

/// The registers saved on entry, lowest address first.
#[repr(C)]
#[derive(Debug)]
pub struct InterruptFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

/// Pushes the general registers so that they lie in [`InterruptFrame`]'s order (`r15`
/// lowest); the one definition of that order for every entry path.
macro_rules! push_general_registers {
    () => {
        concat!(
            "push rax\n",
            "push rbx\n",
            "push rcx\n",
            "push rdx\n",
            "push rsi\n",
            "push rdi\n",
            "push rbp\n",
            "push r8\n",
            "push r9\n",
            "push r10\n",
            "push r11\n",
            "push r12\n",
            "push r13\n",
            "push r14\n",
            "push r15\n",
        )
    };
}

/// Pops what [`push_general_registers`] pushed (or a frame laid out the same way).
macro_rules! pop_general_registers {
    () => {
        concat!(
            "pop r15\n",
            "pop r14\n",
            "pop r13\n",
            "pop r12\n",
            "pop r11\n",
            "pop r10\n",
            "pop r9\n",
            "pop r8\n",
            "pop rbp\n",
            "pop rdi\n",
            "pop rsi\n",
            "pop rdx\n",
            "pop rcx\n",
            "pop rbx\n",
            "pop rax\n",
        )
    };
}
pub(super) use pop_general_registers;

#[unsafe(naked)]
extern "C" fn interrupt_common() {
    core::arch::naked_asm!(
        "cld",
        "test qword ptr [rsp + 24], 3",
        "jz 2f",
        "swapgs",
        "2:",
        push_general_registers!(),
        // From ring 3 onto the running user context's frame: leave to the kernel side
        // of `user_entry::run` (an IST vector from ring 3 lands elsewhere: normal path).
        "test qword ptr [rsp + 144], 3",
        "jz 4f",
        "cmp rsp, gs:[{user_frame}]",
        "je {user_exit}",
        "4:",
        "mov rdi, rsp",
        "call {dispatch}",
        pop_general_registers!(),
        "test qword ptr [rsp + 24], 3",
        "jz 3f",
        "swapgs",
        "3:",
        "add rsp, 16",
        "iretq",
        dispatch = sym dispatch,
        user_frame = const super::percpu::offsets::USER_FRAME,
        user_exit = sym super::user_entry::user_exit,
    );
}

/// Makes one naked entry stub per vector; `error_code` marks the vectors for
/// which the CPU pushes one.
macro_rules! entry_stubs {
    ($( $name:ident = $vector:literal $($has_error:ident)? ;)*) => {
        $(
            #[unsafe(naked)]
            extern "C" fn $name() {
                core::arch::naked_asm!(
                    entry_stubs!(@error $($has_error)?),
                    concat!("push ", $vector),
                    "jmp {common}",
                    common = sym interrupt_common,
                );
            }
        )*
        /// (vector, stub) for every vector with an entry.
        const STUBS: &[(u8, extern "C" fn())] = &[$(($vector, $name)),*];
    };
    (@error error_code) => { "" };
    (@error) => { "push 0" };
}

entry_stubs! {
    vector_0 = 0; vector_1 = 1; vector_2 = 2; vector_3 = 3; vector_4 = 4; vector_5 = 5;
    vector_6 = 6; vector_7 = 7; vector_8 = 8 error_code; vector_9 = 9;
    vector_10 = 10 error_code; vector_11 = 11 error_code; vector_12 = 12 error_code;
    vector_13 = 13 error_code; vector_14 = 14 error_code; vector_15 = 15; vector_16 = 16;
    vector_17 = 17 error_code; vector_18 = 18; vector_19 = 19; vector_20 = 20;
    vector_21 = 21 error_code; vector_22 = 22; vector_23 = 23; vector_24 = 24;
    vector_25 = 25; vector_26 = 26; vector_27 = 27; vector_28 = 28;
    vector_29 = 29 error_code; vector_30 = 30 error_code; vector_31 = 31;
    vector_timer = 0x20; vector_apic_error = 0x21; vector_wake = 0x22; vector_com1 = 0x24;
    vector_pic_spurious_master = 0x37; vector_pic_spurious_slave = 0x3F;
    vector_spurious = 0xFF;
}

/// One 16-byte interrupt gate.
#[derive(Clone, Copy)]
#[repr(C)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    type_attr: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

const ABSENT: Gate = Gate {
    offset_low: 0,
    selector: 0,
    ist: 0,
    type_attr: 0,
    offset_mid: 0,
    offset_high: 0,
    reserved: 0,
};

/// Present, DPL 0, 64-bit interrupt gate (IF cleared on entry).
const INTERRUPT_GATE: u8 = 0x8E;

#[repr(C, align(16))]
struct Idt([Gate; 256]);

static IDT: spin::Once<Idt> = spin::Once::new();

fn build() -> Idt {
    let code_selector = CS::get_reg().0;
    let mut idt = Idt([ABSENT; 256]);
    for &(vector, stub) in STUBS {
        let addr = stub as usize as u64;
        let ist = match vector {
            vectors::DOUBLE_FAULT => gdt::IST_DOUBLE_FAULT + 1,
            vectors::NMI => gdt::IST_NMI + 1,
            vectors::MACHINE_CHECK => gdt::IST_MACHINE_CHECK + 1,
            _ => 0,
        };
        idt.0[vector as usize] = Gate {
            offset_low: addr as u16,
            selector: code_selector,
            ist: ist as u8,
            type_attr: INTERRUPT_GATE,
            offset_mid: (addr >> 16) as u16,
            offset_high: (addr >> 32) as u32,
            reserved: 0,
        };
    }
    idt
}

/// Loads the shared IDT on the calling CPU (built on first use, after the
/// calling CPU loaded its GDT so that CS is the kernel code selector).
pub fn load() {
    let idt = IDT.call_once(build);
    let pointer = DescriptorTablePointer {
        limit: (size_of::<Idt>() - 1) as u16,
        base: VirtAddr::new(idt as *const Idt as u64),
    };
    // SAFETY: the table is static, every present gate points at an entry stub
    // that follows the interrupt convention, and IST slots are set in each TSS.
    unsafe { lidt(&pointer) };
}
