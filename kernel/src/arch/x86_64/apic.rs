//! The local APIC, in x2APIC mode where the CPU offers it and xAPIC mode
//! otherwise (QEMU's TCG), behind one handle built on the x2apic crate.
//!
//! The mode is chosen once on the BSP and every CPU uses the same one.
//! EOI and the panic path's NMI broadcast use [`raw`] register writes, so that
//! they never need the per-CPU handle that interrupted code may be using.

use super::paging::phys_to_virt;
use super::vectors;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use x2apic::lapic::{
    IpiAllShorthand, LocalApic, LocalApicBuilder, TimerDivide, TimerMode, xapic_base,
};

static X2APIC: AtomicBool = AtomicBool::new(false);
static XAPIC_VIRT: AtomicU64 = AtomicU64::new(0);

/// Which register interface the local APICs use.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ApicMode {
    /// Memory-mapped registers, 8-bit APIC ids.
    XApic,
    /// MSR registers, 32-bit APIC ids.
    X2Apic,
}

/// Chooses the mode (BSP, once, after the kernel tables are live).
pub fn choose_mode() -> ApicMode {
    // SAFETY: reading IA32_APIC_BASE has no side effects.
    let base = unsafe { xapic_base() };
    XAPIC_VIRT.store(phys_to_virt(base), Ordering::Relaxed);
    let x2 = super::cpu_features::has_x2apic();
    X2APIC.store(x2, Ordering::Relaxed);
    mode()
}

/// The mode in use.
pub fn mode() -> ApicMode {
    if X2APIC.load(Ordering::Relaxed) {
        ApicMode::X2Apic
    } else {
        ApicMode::XApic
    }
}

fn builder() -> LocalApicBuilder {
    let mut builder = LocalApicBuilder::new();
    builder
        .timer_vector(vectors::TIMER as usize)
        .error_vector(vectors::APIC_ERROR as usize)
        .spurious_vector(vectors::SPURIOUS as usize)
        .timer_mode(TimerMode::OneShot)
        .timer_divide(TimerDivide::Div16)
        .timer_initial(0)
        .set_xapic_base(XAPIC_VIRT.load(Ordering::Relaxed));
    builder
}

/// The calling CPU's local APIC.
pub struct LocalApicHandle {
    apic: LocalApic,
    /// Whether the timer is in TSC-deadline mode (its LVT entry is then left alone).
    deadline_mode: bool,
}

impl LocalApicHandle {
    /// Enables the calling CPU's local APIC (timer stopped but unmasked, LINT pins
    /// masked).
    pub fn enable() -> Self {
        let mut apic = builder().build().expect("local APIC configuration");
        // SAFETY: programs this CPU's own LAPIC with the vectors the IDT handles. The
        // crate unmasks the timer's LVT entry before it sets the software-enable bit,
        // and while that bit is clear (an AP's APIC after INIT) the SDM has writes
        // that clear LVT mask bits ignored: the timer would stay masked (seen under
        // Bochs: no AP ever took a timer interrupt). So it is unmasked again, enabled.
        unsafe {
            apic.enable();
            apic.enable_timer();
        }
        Self {
            apic,
            deadline_mode: false,
        }
    }

    /// This CPU's APIC id.
    pub fn id(&self) -> u32 {
        // SAFETY: reading the ID register has no side effects.
        let raw = unsafe { self.apic.id() };
        match mode() {
            ApicMode::X2Apic => raw,
            ApicMode::XApic => raw >> 24,
        }
    }

    fn destination(apic_id: u32) -> u32 {
        match mode() {
            ApicMode::X2Apic => apic_id,
            ApicMode::XApic => apic_id << 24,
        }
    }

    /// Sends INIT to `apic_id`.
    pub fn send_init(&mut self, apic_id: u32) {
        // SAFETY: INIT only resets the target AP, which is not running yet.
        unsafe { self.apic.send_init_ipi(Self::destination(apic_id)) };
    }

    /// Sends a startup IPI: the AP starts in real mode at `page * 4096`.
    pub fn send_startup(&mut self, apic_id: u32, page: u8) {
        // SAFETY: the trampoline is in place at that page.
        unsafe { self.apic.send_sipi(page, Self::destination(apic_id)) };
    }

    /// Sends a fixed interrupt `vector` to `apic_id`.
    pub fn send_ipi(&mut self, apic_id: u32, vector: u8) {
        // SAFETY: every vector sent has an IDT entry.
        unsafe { self.apic.send_ipi(vector, Self::destination(apic_id)) };
    }

    /// Arms the timer in one-shot mode: it fires after `ticks` timer ticks.
    pub fn arm_oneshot(&mut self, ticks: u32) {
        self.deadline_mode = false;
        // SAFETY: reprograms this CPU's own timer, whose vector is handled.
        unsafe {
            self.apic.set_timer_mode(TimerMode::OneShot);
            self.apic.set_timer_divide(TimerDivide::Div16);
            self.apic.set_timer_initial(ticks.max(1));
        }
    }

    /// Arms the timer in TSC-deadline mode: it fires when the TSC reaches `tsc`. The
    /// mode is selected only when the timer is not in it already.
    pub fn arm_deadline(&mut self, tsc: u64) {
        if !self.deadline_mode {
            self.deadline_mode = true;
            // SAFETY: selects deadline mode on this CPU's timer, only done when CPUID
            // reports the feature. The LVT write and the MSR write below are not ordered
            // by themselves (the SDM's TSC-deadline section; Linux fences there too):
            // without the fence the deadline may be written before the mode takes
            // effect, and be dropped.
            unsafe {
                self.apic.set_timer_mode(TimerMode::TscDeadline);
                core::arch::asm!("mfence", options(nostack, preserves_flags));
            }
        }
        // SAFETY: writes IA32_TSC_DEADLINE of this CPU's timer, in deadline mode.
        unsafe { x86_64::registers::model_specific::Msr::new(0x6E0).write(tsc) };
    }

    /// Starts the timer counting down from its maximum (for calibration).
    pub fn start_count(&mut self) {
        self.arm_oneshot(u32::MAX);
    }

    /// Ticks left on the timer.
    pub fn current_count(&self) -> u32 {
        // SAFETY: reading the current-count register has no side effects.
        unsafe { self.apic.timer_current() }
    }

    /// Stops the timer.
    pub fn stop_timer(&mut self) {
        // SAFETY: writing 0 to the initial count stops this CPU's timer.
        unsafe { self.apic.set_timer_initial(0) };
    }
}

/// Register writes that need no handle.
pub mod raw {
    use super::*;

    /// Signals end of interrupt on the calling CPU.
    pub fn eoi() {
        if X2APIC.load(Ordering::Relaxed) {
            // SAFETY: writing 0 to the x2APIC EOI MSR ends the current interrupt.
            unsafe { x86_64::registers::model_specific::Msr::new(0x80B).write(0) };
        } else {
            let reg = XAPIC_VIRT.load(Ordering::Relaxed) + 0xB0;
            // SAFETY: the xAPIC page is mapped (uncached) in the direct map; 0xB0 is EOI.
            unsafe { core::ptr::write_volatile(reg as *mut u32, 0) };
        }
    }

    /// Sends an NMI to every other CPU (used to stop them after a fatal error).
    pub fn nmi_all_others() {
        if XAPIC_VIRT.load(Ordering::Relaxed) == 0 {
            return;
        }
        if let Ok(mut apic) = builder().build() {
            // SAFETY: an NMI to the other CPUs only makes them enter their NMI
            // handler, which halts them once a stop is requested.
            unsafe { apic.send_nmi_all(IpiAllShorthand::AllExcludingSelf) };
        }
    }
}
