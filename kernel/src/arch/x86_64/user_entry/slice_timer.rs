//! The slice timer's state as an entry to user mode finds it: whether the LAPIC timer
//! (whoever armed it) fires by the slice's end, and arming it when it does not.

use crate::arch::x86_64::apic::LocalApicHandle;
use crate::arch::x86_64::cpu_features::rdtsc;
use crate::arch::x86_64::timer;
use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::registers::model_specific::Msr;

/// `IA32_TSC_DEADLINE`: the TSC value the timer fires at in TSC-deadline mode; it reads
/// 0 once the timer fired (or when it is disarmed).
const TSC_DEADLINE_MSR: u32 = 0x6E0;

/// LAPIC timer ticks per TSC tick in one-shot mode, as a 32.32 fixed-point number;
/// 0 until [`arm_slice`] measured it. All CPUs' LAPIC timers share one rate (as
/// `timer.rs` assumes).
static LAPIC_TICKS_PER_TSC: AtomicU64 = AtomicU64::new(0);

/// Shortest armed span (TSC ticks) the rate is measured over, for a precise ratio.
const MIN_RATE_SPAN: u64 = 1 << 16;

/// LAPIC timer ticks a pending one-shot timer may fire after the slice's end and still
/// be kept: the rounding of the count and of the measured rate is a tick or two, and
/// a timer armed for this very slice end (by the same turn's first entry) must pass.
/// 16 ticks of the divided timer clock: 256 ns under QEMU, a few µs on PCs.
const SLACK_TICKS: u32 = 16;

/// Whether the calling CPU's timer is pending and fires when the TSC reaches
/// `slice_end` or earlier (in one-shot mode within [`SLACK_TICKS`]), whoever armed it.
/// Called with interrupts disabled, so the answer holds until user mode is entered (a
/// timer that fires in between is delivered as soon as interrupts are on again, in user
/// mode).
pub(super) fn timer_fires_by(lapic: &LocalApicHandle, slice_end: u64) -> bool {
    if timer::deadline_mode() {
        // SAFETY: reading IA32_TSC_DEADLINE has no side effects; deadline mode is only
        // used where CPUID reports the MSR.
        let deadline = unsafe { Msr::new(TSC_DEADLINE_MSR).read() };
        return deadline != 0 && deadline <= slice_end;
    }
    // One-shot mode: the current count is 0 once the timer fired (or was stopped), else
    // the LAPIC ticks left. Fires by `slice_end` if those ticks take at most
    // `slice_end - now` TSC ticks, give or take `SLACK_TICKS` (with no measured rate
    // yet, only a timer about to fire passes). `now` is read after the count, which
    // errs towards re-arming.
    let left = lapic.current_count();
    let until_end = slice_end.saturating_sub(rdtsc());
    left != 0
        && u128::from(left) << 32
            <= u128::from(until_end) * u128::from(LAPIC_TICKS_PER_TSC.load(Ordering::Relaxed))
                + (u128::from(SLACK_TICKS) << 32)
}

/// Arms the calling CPU's timer for `slice_end`; in one-shot mode the first arming long
/// enough also measures the LAPIC timer's rate against the TSC for [`timer_fires_by`]
/// (the count left against the TSC ticks left: exact to about one tick in the tens of
/// thousands a slice spans).
#[cold]
pub(super) fn arm_slice(lapic: &mut LocalApicHandle, slice_end: u64) {
    timer::arm_at_tsc(lapic, slice_end);
    if timer::deadline_mode() || LAPIC_TICKS_PER_TSC.load(Ordering::Relaxed) != 0 {
        return;
    }
    // The TSC read first: the span is then at least the one the count covers, so the
    // rate errs low, and a low rate only makes `timer_fires_by` re-arm sooner.
    let span = slice_end.saturating_sub(rdtsc());
    let left = lapic.current_count();
    if span >= MIN_RATE_SPAN && left != 0 {
        LAPIC_TICKS_PER_TSC.store((u64::from(left) << 32) / span, Ordering::Relaxed);
    }
}
