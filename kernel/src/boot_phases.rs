//! Boot timing: the TSC at the first kernel instruction and at the end of each
//! boot phase, for the `boot` command.

use crate::arch::x86_64 as arch;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

const MAX_PHASES: usize = 8;

static START: AtomicU64 = AtomicU64::new(0);
static PHASE_TSC: [AtomicU64; MAX_PHASES] = [const { AtomicU64::new(0) }; MAX_PHASES];
static PHASE_NAMES: spin::Mutex<[&str; MAX_PHASES]> = spin::Mutex::new([""; MAX_PHASES]);
static COUNT: AtomicUsize = AtomicUsize::new(0);

/// Records the TSC of the first kernel instruction.
pub fn start(tsc: u64) {
    START.store(tsc, Ordering::Relaxed);
}

/// TSC of the first kernel instruction.
pub fn start_tsc() -> u64 {
    START.load(Ordering::Relaxed)
}

/// Marks the end of phase `name` (BSP only, during boot).
pub fn mark(name: &'static str) {
    let i = COUNT.load(Ordering::Relaxed);
    if i < MAX_PHASES {
        PHASE_TSC[i].store(arch::rdtsc(), Ordering::Relaxed);
        PHASE_NAMES.lock()[i] = name;
        COUNT.store(i + 1, Ordering::Release);
    }
}

/// (phase name, microseconds the phase took) in boot order, and the total from
/// the first instruction to the last mark.
pub fn report() -> (u64, impl Iterator<Item = (&'static str, u64)>) {
    let count = COUNT.load(Ordering::Acquire);
    let names = *PHASE_NAMES.lock();
    let start = START.load(Ordering::Relaxed);
    let total = if count == 0 {
        0
    } else {
        PHASE_TSC[count - 1].load(Ordering::Relaxed) - start
    };
    let phases = (0..count).map(move |i| {
        let from = if i == 0 {
            start
        } else {
            PHASE_TSC[i - 1].load(Ordering::Relaxed)
        };
        (
            names[i],
            arch::ticks_to_us(PHASE_TSC[i].load(Ordering::Relaxed) - from),
        )
    });
    (arch::ticks_to_us(total), phases)
}
