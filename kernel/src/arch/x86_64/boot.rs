//! First instructions: the multiboot v1 header, the 32-bit entry and the switch
//! to long mode.
//!
//! QEMU's `-kernel` and GRUB's `multiboot` load the image through the v1 header's
//! a.out-kludge address fields; GRUB's `multiboot2` (BIOS or UEFI) loads it by its
//! ELF program headers. All enter `boot32_start` in 32-bit protected mode with
//! paging off, EAX = the loader's magic and EBX = physical address of its info.
//! The boot page tables map physical 0..1 GiB twice (identity and at the kernel's
//! link base) with 2 MiB pages; `memory::init` replaces them with the real ones.
//! The tables stay in place for the AP trampoline, which enters long mode on them.

use super::entry::kernel_entry_bsp;

core::arch::global_asm!(
    r#"
    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0x00010003          /* page-aligned modules, memory map, address fields */

    .section .multiboot, "a"
    .p2align 2
multiboot_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .long multiboot_header              /* header_addr: .boot is linked at its physical address */
    .long __image_start_phys            /* load_addr */
    .long __load_end_phys               /* load_end_addr */
    .long __bss_end_phys                /* bss_end_addr */
    .long boot32_start                  /* entry_addr */

    /* Multiboot2 header (GRUB's `multiboot2`, the way to get the memory map and
       the ACPI RSDP on UEFI machines). GRUB loads the ELF64 by its program
       headers' physical addresses and enters boot32_start like multiboot v1. */
    .set MB2_MAGIC, 0xE85250D6
    .p2align 3
multiboot2_header:
    .long MB2_MAGIC
    .long 0                             /* i386 protected mode */
    .long multiboot2_header_end - multiboot2_header
    .long -(MB2_MAGIC + (multiboot2_header_end - multiboot2_header))
    .short 0                            /* end tag */
    .short 0
    .long 8
multiboot2_header_end:

    .section .boot.text, "ax"
    .code32
    .global boot32_start
boot32_start:
    cli
    cld
    mov %eax, %edi                      /* multiboot magic */
    mov %ebx, %esi                      /* multiboot info (physical) */
    rdtsc
    mov %eax, boot_tsc
    mov %edx, boot_tsc + 4
    mov $boot_stack_top, %esp

    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    test $(1 << 29), %edx
    jz no_long_mode
    mov $0x100, %eax                    /* EFER.LME */
    test $(1 << 20), %edx
    jz 1f
    or $0x800, %eax                     /* EFER.NXE where the CPU has NX */
1:  mov %eax, boot_efer

    mov $boot_pdpt_low + 3, %eax
    mov %eax, boot_pml4
    mov $boot_pdpt_high + 3, %eax
    mov %eax, boot_pml4 + 511 * 8
    mov $boot_pd + 3, %eax
    mov %eax, boot_pdpt_low
    mov %eax, boot_pdpt_high + 510 * 8
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax                      /* present, writable, 2 MiB */
    mov %eax, boot_pd(, %ecx, 8)
    inc %ecx
    cmp $512, %ecx
    jne 2b

    mov %cr4, %eax
    or $(1 << 5), %eax                  /* PAE */
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx
    rdmsr
    or boot_efer, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80010000, %eax                /* PG, WP */
    mov %eax, %cr0
    lgdt boot_gdt_ptr
    ljmp $0x08, $boot64_low

no_long_mode:
    mov $0x3f8, %dx
    mov $no_long_mode_msg, %ebx
3:  movb (%ebx), %al
    test %al, %al
    jz 4f
    outb %al, %dx
    inc %ebx
    jmp 3b
4:  hlt
    jmp 4b

    .code64
boot64_low:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    movabs $bsp_stack_top, %rsp
    mov %edi, %edi
    mov %esi, %esi
    mov boot_tsc, %rdx
    movabs ${entry}, %rax
    call *%rax
5:  hlt
    jmp 5b

    .section .boot.data, "aw"
    .p2align 12
    .global boot_pml4
boot_pml4:      .fill 4096, 1, 0
boot_pdpt_low:  .fill 4096, 1, 0
boot_pdpt_high: .fill 4096, 1, 0
boot_pd:        .fill 4096, 1, 0
boot_stack:     .fill 4096, 1, 0
boot_stack_top:
    .p2align 3
    .global boot_efer
boot_efer:      .quad 0
boot_tsc:       .quad 0
boot_gdt:
    .quad 0
    .quad 0x00209A0000000000            /* 0x08: 64-bit code */
    .quad 0x0000920000000000            /* 0x10: data */
boot_gdt_ptr:
    .word boot_gdt_ptr - boot_gdt - 1
    .long boot_gdt
no_long_mode_msg:
    .asciz "MOHHOS: this CPU has no long mode (x86_64); cannot boot.\r\n"

    /* Boot-time stacks of the BSP, each above an unmapped guard page
       (see paging::GUARD_PAGES). */
    .section .bss.bsp_stacks, "aw", @nobits
    .p2align 12
    .global bsp_stack_guard
bsp_stack_guard:    .skip 4096
                    .skip 65536
    .global bsp_stack_top
bsp_stack_top:
    .global bsp_ist_df_guard
bsp_ist_df_guard:   .skip 4096
                    .skip 16384
    .global bsp_ist_df_top
bsp_ist_df_top:
    .global bsp_ist_nmi_guard
bsp_ist_nmi_guard:  .skip 4096
                    .skip 16384
    .global bsp_ist_nmi_top
bsp_ist_nmi_top:
    .global bsp_ist_mc_guard
bsp_ist_mc_guard:   .skip 4096
                    .skip 16384
    .global bsp_ist_mc_top
bsp_ist_mc_top:
"#,
    entry = sym kernel_entry_bsp,
    options(att_syntax)
);
