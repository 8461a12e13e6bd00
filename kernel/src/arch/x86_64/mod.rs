//! x86_64 (PC) support: boot, CPU tables, memory mapping, interrupts, APICs,
//! ACPI, SMP, the serial port. The only place in the kernel with `unsafe`.

mod acpi;
mod address_space;
mod apic;
mod boot;
mod cpu_features;
mod entry;
mod exceptions;
mod frame_loan;
mod gdt;
mod heap;
mod heap_cache;
mod idt;
mod interrupts;
mod ioapic;
mod memory_init;
mod multiboot;
mod paging;
mod pcid;
mod percpu;
mod power;
mod serial;
mod smp;
mod stacks;
mod stop;
mod timer;
mod trampoline;
mod user_entry;
mod vectors;
mod zeroed_frames;

pub use address_space::{AddressSpace, SpaceError, direct_map_phys};
pub use cpu_features::rdtsc;
pub use exceptions::name as exception_name;
pub use frame_loan::{FrameLender, LoanHandle};
pub use heap::stats as heap_stats;
#[cfg(feature = "ktest")]
pub use heap_cache::class_of as heap_class_of;
pub use idt::InterruptFrame;
pub use interrupts::set_sink as set_interrupt_sink;
#[cfg(feature = "ktest")]
pub use pcid::PcidCache;
pub use pcid::UserTables;
pub use percpu::MAX_CPUS;
pub use serial::{
    Received, emergency_write, try_read_byte, write_fmt as console_write_fmt,
    write_str as console_write,
};
pub use stop::{EXIT_SUCCESS, exit_qemu, stop_machine};
pub use timer::{ticks_to_us, tsc_hz};
pub use user_entry::{Nested, Trap, UserFrame, run as run_user};
pub use vectors::COM1 as SERIAL_VECTOR;
pub use zeroed_frames::refill_one as zero_frame_ahead;

use core::sync::atomic::Ordering;

pub use entry::cmdline;

/// One CPU as `cpus` shows it.
pub struct CpuInfo {
    pub index: usize,
    pub apic_id: u32,
    pub timer_interrupts: u64,
    pub interrupts: u64,
}

/// Whether interrupts are enabled on the calling CPU (they are off in interrupt
/// handlers).
pub fn interrupts_enabled() -> bool {
    x86_64::instructions::interrupts::are_enabled()
}

/// Index of the calling CPU.
#[inline]
pub fn cpu_index() -> usize {
    percpu::current().index()
}

/// Every CPU slot that was ever brought up (index 0 is the BSP).
pub fn cpus() -> impl Iterator<Item = CpuInfo> {
    (0..percpu::MAX_CPUS)
        .map(percpu::cpu)
        .filter(|c| c.online.load(Ordering::Acquire))
        .map(|c| CpuInfo {
            index: c.index(),
            apic_id: c.apic_id.load(Ordering::Relaxed),
            timer_interrupts: c.timer_interrupts.load(Ordering::Relaxed),
            interrupts: c.interrupts.load(Ordering::Relaxed),
        })
}

/// Number of usable processors the firmware lists (at least 1).
pub fn firmware_cpu_count() -> usize {
    entry::platform().cpus.len().max(1)
}

/// Sends the wake-up IPI (whose only effect is to end a `hlt`) to CPU `index`.
pub fn wake_cpu(index: usize) {
    let apic_id = percpu::cpu(index).apic_id.load(Ordering::Relaxed);
    x86_64::instructions::interrupts::without_interrupts(|| {
        if let Some(lapic) = percpu::current().lapic().as_mut() {
            lapic.send_ipi(apic_id, vectors::WAKE);
        }
    });
}

/// Number of CPUs online (their indices are `0..n`).
pub fn online_cpus() -> usize {
    cpus().count()
}

/// Halts the calling CPU until an interrupt or until the TSC reaches `deadline`,
/// unless `may_sleep()` (checked with interrupts disabled, the last check before
/// `sti; hlt`) says there is work.
pub fn idle(deadline: Option<u64>, may_sleep: &dyn Fn() -> bool) {
    use x86_64::instructions::interrupts;
    interrupts::disable();
    if !may_sleep() {
        interrupts::enable();
        return;
    }
    if let Some(deadline) = deadline
        && let Some(lapic) = percpu::current().lapic().as_mut()
    {
        timer::arm_at_tsc(lapic, deadline);
    }
    interrupts::enable_and_hlt();
}

/// Reads an unmapped address (to test the page-fault report).
#[cfg(feature = "ktest")]
pub fn read_unmapped() -> u64 {
    // SAFETY: not safe at all, on purpose: 0x1000_0000_0000 is canonical and
    // never mapped, so this read raises the #PF under test and does not return.
    unsafe { core::ptr::read_volatile(0x1000_0000_0000 as *const u64) }
}

/// Whether the guard page below the BSP's boot stack is (wrongly) mapped.
#[cfg(feature = "ktest")]
pub fn bsp_stack_guard_mapped() -> bool {
    unsafe extern "C" {
        static bsp_stack_guard: u8;
    }
    paging::is_mapped(&raw const bsp_stack_guard as u64)
}

/// Powers off through ACPI S5; returns an error if that is impossible or
/// did not work.
pub fn power_off() -> Result<(), &'static str> {
    let how = entry::platform()
        .power_off
        .ok_or("firmware describes no S5 (soft-off) state")?;
    power::power_off(&how);
    Err("ACPI S5 did not power the machine off")
}

/// The in-kernel tests registered in the `.kernel_tests` section.
#[cfg(feature = "ktest")]
pub fn kernel_tests() -> &'static [crate::ktest::KernelTest] {
    // The tests are only ever touched from Rust: the C-compatibility lint does
    // not apply to these linker-provided bounds.
    #[allow(improper_ctypes)]
    unsafe extern "C" {
        static __kernel_tests_start: crate::ktest::KernelTest;
        static __kernel_tests_end: crate::ktest::KernelTest;
    }
    let start = &raw const __kernel_tests_start;
    let end = &raw const __kernel_tests_end;
    let count = (end as usize - start as usize) / size_of::<crate::ktest::KernelTest>();
    // SAFETY: the linker script brackets the section, which only holds
    // `KernelTest` statics placed there by `kernel_test!`.
    unsafe { core::slice::from_raw_parts(start, count) }
}
