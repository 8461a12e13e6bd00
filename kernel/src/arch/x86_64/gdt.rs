//! Per-CPU GDT and TSS.
//!
//! Each CPU gets its own GDT (kernel code/data, user data/code for SYSRET, TSS) and
//! its own TSS whose IST slots hold the stacks for #DF, NMI and #MC, so that a
//! fault on a broken kernel stack still reaches a working handler.

use x86_64::VirtAddr;
use x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use x86_64::instructions::tables::load_tss;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;

/// IST slot (1-based in the IDT, 0-based in the TSS) of the double-fault stack.
pub const IST_DOUBLE_FAULT: u16 = 0;
/// IST slot of the NMI stack.
pub const IST_NMI: u16 = 1;
/// IST slot of the machine-check stack.
pub const IST_MACHINE_CHECK: u16 = 2;

/// Tops of the three IST stacks of one CPU.
#[derive(Clone, Copy)]
pub struct IstStacks {
    pub double_fault: u64,
    pub nmi: u64,
    pub machine_check: u64,
}

/// The descriptor tables of one CPU; lives as long as the CPU runs.
pub struct CpuTables {
    gdt: GlobalDescriptorTable,
    tss: TaskStateSegment,
}

impl CpuTables {
    /// An empty set, filled by [`load`].
    pub const fn new() -> Self {
        Self {
            gdt: GlobalDescriptorTable::new(),
            tss: TaskStateSegment::new(),
        }
    }
}

impl CpuTables {
    /// Sets the stack the CPU switches to on an interrupt or exception from ring 3.
    pub fn set_ring0_stack(&mut self, top: u64) {
        // A kernel stack or frame address: canonical, so no check.
        self.tss.privilege_stack_table[0] = VirtAddr::new_truncate(top);
    }
}

/// Selector of the kernel code segment (GDT entry 1).
pub const KERNEL_CODE: u16 = 0x08;
/// Selector of the kernel data segment (GDT entry 2).
pub const KERNEL_DATA: u16 = 0x10;
/// Selector of the user data segment (entry 3, RPL 3); SYSRET's SS is STAR[63:48] + 8.
pub const USER_DATA: u16 = 0x18 | 3;
/// Selector of the user code segment (entry 4, RPL 3); SYSRET's CS is STAR[63:48] + 16.
pub const USER_CODE: u16 = 0x20 | 3;

/// Fills `tables` for this CPU and loads them: GDTR, segment registers, TR.
pub fn load(tables: &'static mut CpuTables, ist: IstStacks) {
    let CpuTables { gdt, tss } = tables;
    tss.interrupt_stack_table[IST_DOUBLE_FAULT as usize] = VirtAddr::new(ist.double_fault);
    tss.interrupt_stack_table[IST_NMI as usize] = VirtAddr::new(ist.nmi);
    tss.interrupt_stack_table[IST_MACHINE_CHECK as usize] = VirtAddr::new(ist.machine_check);
    let tss: &'static TaskStateSegment = tss;
    *gdt = GlobalDescriptorTable::new();
    let code = gdt.append(Descriptor::kernel_code_segment());
    let data = gdt.append(Descriptor::kernel_data_segment());
    let user_data = gdt.append(Descriptor::user_data_segment());
    let user_code = gdt.append(Descriptor::user_code_segment());
    assert!(
        code.0 == KERNEL_CODE
            && data.0 == KERNEL_DATA
            && user_data.0 == USER_DATA
            && user_code.0 == USER_CODE,
        "GDT layout does not match SYSCALL/SYSRET"
    );
    let tss_sel = gdt.append(Descriptor::tss_segment(tss));
    let gdt: &'static GlobalDescriptorTable = gdt;
    gdt.load();
    // SAFETY: the selectors index the GDT just loaded, whose entries are valid
    // kernel code/data descriptors and an available TSS that lives for ever.
    unsafe {
        CS::set_reg(code);
        SS::set_reg(data);
        DS::set_reg(SegmentSelector(0));
        ES::set_reg(SegmentSelector(0));
        load_tss(tss_sel);
    }
}
