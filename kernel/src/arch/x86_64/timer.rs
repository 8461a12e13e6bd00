//! Time: the TSC (calibrated once against the PIT) and the LAPIC timer.
//!
//! Under QEMU with `-icount shift=0` the PIT and the TSC both follow the virtual
//! clock, so the calibrated rate is the virtual one (1 GHz: one tick per
//! instruction).

use super::apic::LocalApicHandle;
use super::cpu_features::rdtsc;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use x86_64::instructions::port::Port;

const PIT_HZ: u64 = 1_193_182;
/// Calibration window: 1 ms of PIT ticks.
const WINDOW_PIT_TICKS: u64 = PIT_HZ / 1000;

static TSC_HZ: AtomicU64 = AtomicU64::new(0);
static LAPIC_HZ: AtomicU64 = AtomicU64::new(0);
/// Whether the LAPIC timer runs in TSC-deadline mode (CPUID, read once: CPUID
/// is slow and traps under virtualisation).
static DEADLINE_MODE: AtomicBool = AtomicBool::new(false);

/// Measured rates.
#[derive(Clone, Copy, Debug)]
pub struct Rates {
    pub tsc_hz: u64,
    pub lapic_hz: u64,
}

/// Measures the TSC and this CPU's LAPIC timer against PIT channel 2 (BSP, once).
pub fn calibrate(lapic: &mut LocalApicHandle) -> Rates {
    let mut gate = Port::<u8>::new(0x61);
    let mut command = Port::<u8>::new(0x43);
    let mut channel2 = Port::<u8>::new(0x42);
    // SAFETY: ports 0x42/0x43/0x61 are PIT channel 2 and its gate; channel 2
    // drives only the PC speaker, which stays off (bit 1 clear).
    let (tsc, lapic_ticks) = unsafe {
        let value = gate.read();
        gate.write((value & !0x02) | 0x01);
        command.write(0xB0); // channel 2, lobyte/hibyte, mode 0, binary
        channel2.write((WINDOW_PIT_TICKS & 0xFF) as u8);
        channel2.write((WINDOW_PIT_TICKS >> 8) as u8);
        lapic.start_count();
        let start_tsc = rdtsc();
        let start_lapic = lapic.current_count();
        let mut spins: u64 = 0;
        while gate.read() & 0x20 == 0 && spins < 100_000_000 {
            spins += 1;
        }
        let end_lapic = lapic.current_count();
        let end_tsc = rdtsc();
        lapic.stop_timer();
        (end_tsc - start_tsc, u64::from(start_lapic - end_lapic))
    };
    let rates = Rates {
        tsc_hz: tsc * PIT_HZ / WINDOW_PIT_TICKS,
        lapic_hz: lapic_ticks * PIT_HZ / WINDOW_PIT_TICKS,
    };
    DEADLINE_MODE.store(super::cpu_features::has_tsc_deadline(), Ordering::Relaxed);
    TSC_HZ.store(rates.tsc_hz.max(1), Ordering::Relaxed);
    LAPIC_HZ.store(rates.lapic_hz.max(1), Ordering::Relaxed);
    rates
}

/// TSC ticks per second.
pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed).max(1)
}

/// Whether the timer uses TSC-deadline mode.
pub fn deadline_mode() -> bool {
    DEADLINE_MODE.load(Ordering::Relaxed)
}

/// Converts TSC ticks to microseconds.
pub fn ticks_to_us(ticks: u64) -> u64 {
    (u128::from(ticks) * 1_000_000 / u128::from(tsc_hz())) as u64
}

/// Arms the calling CPU's timer to fire once when the TSC reaches `deadline`
/// (at once if it already has).
pub fn arm_at_tsc(lapic: &mut LocalApicHandle, deadline: u64) {
    if DEADLINE_MODE.load(Ordering::Relaxed) {
        lapic.arm_deadline(deadline);
    } else {
        let ticks = u128::from(deadline.saturating_sub(rdtsc()))
            * u128::from(LAPIC_HZ.load(Ordering::Relaxed))
            / u128::from(tsc_hz());
        lapic.arm_oneshot(ticks.clamp(1, u128::from(u32::MAX)) as u32);
    }
}

/// Arms the calling CPU's timer to fire once after `us` microseconds
/// (TSC-deadline mode where the CPU has it, one-shot mode otherwise).
pub fn arm_after_us(lapic: &mut LocalApicHandle, us: u64) {
    arm_at_tsc(lapic, rdtsc() + us * tsc_hz() / 1_000_000);
}
