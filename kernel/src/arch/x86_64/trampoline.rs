//! The AP start-up trampoline.
//!
//! `AP_TRAMPOLINE` is copied to physical `TRAMPOLINE_PHYS` (below 1 MiB, as the
//! startup IPI requires). An AP starts there in real mode, loads the trampoline's
//! own GDT, enters protected mode, enables PAE and long mode on the boot page
//! tables (`boot_pml4`, which identity-maps this page and maps the kernel
//! image), and jumps to `ap_entry64` in the kernel image. That switches to the
//! kernel tables, takes a ticket (a unique index, as APs start in parallel),
//! loads the stack prepared for that ticket and calls `ap_main(ticket)`.

use super::entry::ap_main;
use core::sync::atomic::{AtomicU32, AtomicU64};

/// Physical address the trampoline runs at (SIPI vector 0x08).
pub const TRAMPOLINE_PHYS: u64 = 0x8000;

/// CR3 the APs switch to: the kernel tables.
#[unsafe(no_mangle)]
pub static AP_CR3: AtomicU64 = AtomicU64::new(0);
/// Next ticket to hand out.
#[unsafe(no_mangle)]
pub static AP_TICKET: AtomicU32 = AtomicU32::new(0);
/// Address of an array of stack tops, one per ticket.
#[unsafe(no_mangle)]
pub static AP_STACKS: AtomicU64 = AtomicU64::new(0);

core::arch::global_asm!(
    r#"
    .section .rodata.ap_trampoline, "a"
    .global ap_trampoline_start
    .global ap_trampoline_end
    .set TR, ap_trampoline_start
    .set BASE, 0x8000
    .code16
ap_trampoline_start:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    lgdtl (tr_gdt_ptr - TR + BASE)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x18, $(tr_protected - TR + BASE)

    .code32
tr_protected:
    mov $0x20, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %cr4, %eax
    or $(1 << 5), %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx
    rdmsr
    or boot_efer, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80010000, %eax
    mov %eax, %cr0
    ljmp $0x08, $(tr_long - TR + BASE)

    .code64
tr_long:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    movabs $ap_entry64, %rax
    jmp *%rax

    .p2align 3
tr_gdt:
    .quad 0
    /* Accessed bits preset: the CPU never writes to this code page. */
    .quad 0x00209B0000000000        /* 0x08: 64-bit code */
    .quad 0x0000930000000000        /* 0x10: data */
    .quad 0x00CF9B000000FFFF        /* 0x18: 32-bit code */
    .quad 0x00CF93000000FFFF        /* 0x20: 32-bit data */
tr_gdt_ptr:
    .word tr_gdt_ptr - tr_gdt - 1
    .long tr_gdt - TR + BASE
ap_trampoline_end:

    .section .text.ap_entry64, "ax"
    .global ap_entry64
ap_entry64:
    mov AP_CR3(%rip), %rax
    mov %rax, %cr3
    mov $1, %eax
    lock xadd %eax, AP_TICKET(%rip)
    mov AP_STACKS(%rip), %rbx
    mov (%rbx, %rax, 8), %rsp
    mov %eax, %edi
    xor %ebp, %ebp
    call {ap_main}
1:  hlt
    jmp 1b
"#,
    ap_main = sym ap_main,
    options(att_syntax)
);

unsafe extern "C" {
    static ap_trampoline_start: u8;
    static ap_trampoline_end: u8;
}

/// The trampoline's bytes.
pub fn code() -> &'static [u8] {
    let start = &raw const ap_trampoline_start;
    let end = &raw const ap_trampoline_end;
    // SAFETY: both symbols delimit the trampoline in .rodata.
    unsafe { core::slice::from_raw_parts(start, end as usize - start as usize) }
}
