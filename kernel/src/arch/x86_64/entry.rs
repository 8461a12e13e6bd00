//! Bring-up of the BSP and the APs, from their first Rust instruction to the
//! point where the kernel proper takes over.

use super::acpi::{self, Platform};
use super::apic::{self, LocalApicHandle};
use super::gdt::{self, IstStacks};
use super::{
    idt, ioapic, memory_init, multiboot, paging, percpu, serial, smp, stop, timer, user_entry,
    vectors,
};
use crate::boot_phases;
use core::sync::atomic::Ordering;

unsafe extern "C" {
    static bsp_ist_df_top: u8;
    static bsp_ist_nmi_top: u8;
    static bsp_ist_mc_top: u8;
}

static PLATFORM: spin::Once<Platform> = spin::Once::new();
/// The loader's copy of the RSDP, kept in the image so that it has a physical
/// address the ACPI tables can be read from.
static LOADER_RSDP: spin::Once<[u8; multiboot::RSDP_LEN]> = spin::Once::new();

static CMDLINE: spin::Once<alloc::string::String> = spin::Once::new();

/// The kernel command line the loader passed (empty if none).
pub fn cmdline() -> &'static str {
    CMDLINE.get().map_or("", |s| s.as_str())
}

/// The firmware's description of the machine (after boot).
pub fn platform() -> &'static Platform {
    PLATFORM.get().expect("platform discovered at boot")
}

/// Entered on the bootstrap processor, in long mode on the boot page tables,
/// with the multiboot magic and info pointer and the TSC of the first kernel
/// instruction.
pub extern "C" fn kernel_entry_bsp(magic: u32, info: u32, boot_tsc: u64) -> ! {
    boot_phases::start(boot_tsc);
    percpu::install(0);
    serial::init();
    crate::console::init();
    let ist = IstStacks {
        double_fault: &raw const bsp_ist_df_top as u64,
        nmi: &raw const bsp_ist_nmi_top as u64,
        machine_check: &raw const bsp_ist_mc_top as u64,
    };
    gdt::load(percpu::current().tables(), ist);
    idt::load();
    user_entry::init_cpu();
    ioapic::disable_legacy_pic();
    log::info!("MOHHOS booting");
    let Some(boot_info) = multiboot::parse(magic, info) else {
        log::error!("not started by a multiboot loader (magic {magic:#x}); stopping");
        stop::halt_forever();
    };
    if boot_info
        .cmdline()
        .split_whitespace()
        .any(|w| w == "qemu_exit")
    {
        stop::enable_qemu_exit();
    }
    memory_init::init(&boot_info.memory);
    let cmdline = CMDLINE.call_once(|| alloc::string::String::from(boot_info.cmdline()));
    log::info!("command line: {cmdline:?}");
    boot_phases::mark("memory");

    let mode = apic::choose_mode();
    let mut lapic = LocalApicHandle::enable();
    let bsp_apic_id = lapic.id();
    percpu::current()
        .apic_id
        .store(bsp_apic_id, Ordering::Relaxed);
    log::info!(
        "lapic: {} mode, BSP apic id {bsp_apic_id}",
        match mode {
            apic::ApicMode::X2Apic => "x2APIC",
            apic::ApicMode::XApic => "xAPIC",
        }
    );
    let rates = timer::calibrate(&mut lapic);
    log::info!(
        "timer: TSC {} kHz, LAPIC timer {} kHz, {}",
        rates.tsc_hz / 1000,
        rates.lapic_hz / 1000,
        if timer::deadline_mode() {
            "TSC-deadline mode"
        } else {
            "one-shot mode"
        }
    );
    timer::arm_after_us(&mut lapic, 1000);
    *percpu::current().lapic() = Some(lapic);
    boot_phases::mark("apic+timer");

    let rsdp = boot_info.rsdp.map(|bytes| {
        let copy = LOADER_RSDP.call_once(|| bytes);
        copy.as_ptr() as u64 - paging::KERNEL_VMA
    });
    log::info!(
        "acpi: RSDP {}",
        if rsdp.is_some() {
            "from the loader"
        } else {
            "from the BIOS areas"
        }
    );
    let platform = match acpi::discover(rsdp) {
        Ok(p) => p,
        Err(e) => {
            log::error!("acpi: {e}; continuing with the BSP only");
            Platform {
                cpus: alloc::vec::Vec::new(),
                io_apic: None,
                overrides: alloc::vec::Vec::new(),
                power_off: None,
            }
        }
    };
    let platform = PLATFORM.call_once(|| platform);
    if !ioapic::route_isa_irq(platform, 4, vectors::COM1, bsp_apic_id) {
        log::warn!("no I/O APIC: serial input unavailable");
    }
    x86_64::instructions::interrupts::enable();
    boot_phases::mark("acpi+ioapic");

    let aps = smp::start_aps(&platform.cpus, bsp_apic_id);
    percpu::current().online.store(true, Ordering::Release);
    log::info!(
        "smp: {} of {} CPUs online",
        aps + 1,
        platform.cpus.len().max(1)
    );
    boot_phases::mark("smp");
    crate::kernel_main()
}

/// Entered on each AP by the trampoline, on its own stack, with its ticket.
pub extern "C" fn ap_main(ticket: u32) -> ! {
    let index = ticket as usize + 1;
    percpu::install(index);
    let cpu = percpu::current();
    gdt::load(cpu.tables(), smp::ist_for_ticket(ticket as usize));
    idt::load();
    user_entry::init_cpu();
    let mut lapic = LocalApicHandle::enable();
    cpu.apic_id.store(lapic.id(), Ordering::Relaxed);
    timer::arm_after_us(&mut lapic, 1000);
    cpu.online.store(true, Ordering::Release);
    lapic.send_ipi(
        percpu::cpu(0).apic_id.load(Ordering::Relaxed),
        vectors::WAKE,
    );
    *cpu.lapic() = Some(lapic);
    x86_64::instructions::interrupts::enable();
    crate::ap_main(index)
}
