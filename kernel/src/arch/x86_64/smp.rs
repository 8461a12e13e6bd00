//! Starting the application processors (INIT-SIPI-SIPI), all in parallel.
//!
//! The BSP prepares every AP's stacks, sends INIT to all of them, then a startup
//! IPI to each, one poll period (20 µs) apart, without waiting for any AP to
//! arrive: the APs boot concurrently. It then halts until all have checked in
//! (bounded); APs that have not arrived after 1 ms get a second startup IPI.
//! Nothing waits 10 ms per AP: CPUs with an integrated APIC and QEMU need no INIT
//! delay (as in Linux).
//!
//! Why the 20 µs stagger: under QEMU's TCG with `-icount`, startup IPIs sent in
//! one burst to 7 APs left them all stalled for 155 ms of virtual time (3 APs:
//! 45 ms), whereas with the stagger they arrive one poll period apart (about
//! 0.9 ms for 7). On hardware the stagger costs 20 µs per AP.

use super::acpi::CpuEntry;
use super::apic::LocalApicHandle;
use super::cpu_features::rdtsc;
use super::gdt::IstStacks;
use super::percpu::{self, MAX_CPUS};
use super::trampoline::{self, AP_CR3, AP_STACKS, AP_TICKET, TRAMPOLINE_PHYS};
use super::{paging, stacks, timer};
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

/// Kernel stack size of every CPU, in pages.
const KERNEL_STACK_PAGES: u64 = 16;
/// IST stack size, in pages.
const IST_STACK_PAGES: u64 = 4;
/// When APs that have not arrived get the second startup IPI.
const SECOND_SIPI_AFTER_US: u64 = 1000;
/// Longest halt between two arrival checks.
const POLL_US: u64 = 20;
/// How long to wait for every AP before giving up on the missing ones.
const ARRIVAL_TIMEOUT_US: u64 = 200_000;

/// IST stacks of each AP, by ticket.
static AP_IST: spin::Once<Vec<IstStacks>> = spin::Once::new();

/// The IST stacks prepared for the AP holding `ticket`.
pub fn ist_for_ticket(ticket: usize) -> IstStacks {
    AP_IST
        .get()
        .expect("APs start after their stacks are ready")[ticket]
}

/// Waits until `done()` or `us` microseconds have passed, halting between
/// checks: each AP wakes the BSP with an IPI when it arrives, and the LAPIC
/// timer wakes it every `POLL_US`. Halting (rather than spinning) leaves the
/// host CPU to the APs under emulation, and the short timer matters there too:
/// under QEMU's `-icount`, a vCPU that got its startup IPI while every vCPU was
/// halted only runs once the virtual clock reaches the next timer deadline.
fn wait_until(lapic: &mut LocalApicHandle, us: u64, done: impl Fn() -> bool) {
    use x86_64::instructions::interrupts;
    let deadline = rdtsc() + us * timer::tsc_hz() / 1_000_000;
    interrupts::disable();
    while !done() && rdtsc() < deadline {
        timer::arm_after_us(lapic, POLL_US);
        interrupts::enable_and_hlt();
        interrupts::disable();
    }
    interrupts::enable();
}

fn arrived(apic_id: u32, started: usize) -> bool {
    (1..=started).any(|i| {
        let cpu = percpu::cpu(i);
        cpu.online.load(Ordering::Acquire) && cpu.apic_id.load(Ordering::Relaxed) == apic_id
    })
}

fn online_count() -> usize {
    (1..MAX_CPUS)
        .filter(|&i| percpu::cpu(i).online.load(Ordering::Acquire))
        .count()
}

/// Starts every processor of `cpus` other than the BSP; returns how many came
/// online.
pub fn start_aps(cpus: &[CpuEntry], bsp_apic_id: u32) -> usize {
    let targets: Vec<u32> = cpus
        .iter()
        .map(|c| c.apic_id)
        .filter(|&id| id != bsp_apic_id)
        .take(MAX_CPUS - 1)
        .collect();
    if targets.is_empty() {
        return 0;
    }
    let mut stack_tops = Vec::with_capacity(targets.len());
    let mut ists = Vec::with_capacity(targets.len());
    for _ in &targets {
        let stack = || stacks::alloc(IST_STACK_PAGES).expect("AP IST stack");
        stack_tops.push(stacks::alloc(KERNEL_STACK_PAGES).expect("AP kernel stack"));
        ists.push(IstStacks {
            double_fault: stack(),
            nmi: stack(),
            machine_check: stack(),
        });
    }
    AP_IST.call_once(|| ists);
    AP_STACKS.store(stack_tops.leak().as_ptr() as u64, Ordering::Release);
    AP_CR3.store(paging::kernel_cr3(), Ordering::Release);
    AP_TICKET.store(0, Ordering::Release);
    let code = trampoline::code();
    let page = paging::phys_to_virt(TRAMPOLINE_PHYS) as *mut u8;
    // SAFETY: physical 0x8000 is below 1 MiB, which the frame allocator never
    // hands out; it is reserved for the trampoline.
    unsafe { core::ptr::copy_nonoverlapping(code.as_ptr(), page, code.len()) };

    x86_64::instructions::interrupts::disable();
    let lapic = percpu::current()
        .lapic()
        .as_mut()
        .expect("BSP LAPIC enabled before SMP");
    let sipi_page = (TRAMPOLINE_PHYS / 4096) as u8;
    let started = targets.len();
    for &id in &targets {
        lapic.send_init(id);
    }
    for &id in &targets {
        lapic.send_startup(id, sipi_page);
        wait_until(lapic, POLL_US, || false);
    }
    wait_until(lapic, SECOND_SIPI_AFTER_US, || online_count() == started);
    for &id in &targets {
        if !arrived(id, started) {
            lapic.send_startup(id, sipi_page);
        }
    }
    wait_until(lapic, ARRIVAL_TIMEOUT_US, || online_count() == started);
    x86_64::instructions::interrupts::enable();
    let online = online_count();
    if online < started {
        log::warn!("smp: only {online} of {started} APs answered");
    }
    online
}
