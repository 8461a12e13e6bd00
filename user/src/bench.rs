//! Measuring inside user programs for the kernel's `bench user` suite: the TSC, sample
//! collection, and the output format the suite parses (`kernel/src/bench/user_suite.rs`):
//! for each figure one line `count <name> <n>`, then its `n` samples in lines
//! `samples <name> <v> <v> …` of at most [`PER_LINE`] values. Under QEMU's
//! `-icount shift=0` the TSC counts guest instructions.

#![allow(unsafe_code)]

use core::fmt::Write;

use crate::console::Console;
use crate::println;

/// Rounds run and thrown away before sampling (caches, TLB; the first calls also take
/// the kernel's slow paths).
pub const WARMUP: usize = 20;
/// Samples kept per figure.
pub const SAMPLES: usize = 200;
/// Values per `samples` line (well under the runtime's 256-byte line buffer).
pub const PER_LINE: usize = 16;

/// The TSC. User code may read it: the kernel leaves CR4.TSD clear.
#[inline(always)]
pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: `rdtsc` only reads the time-stamp counter. The asm is not `pure`, so the
    // compiler keeps it in program order with the code it brackets.
    unsafe {
        core::arch::asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags));
    }
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Fills `samples` after [`WARMUP`] rounds of `sample`; `None` as soon as one fails.
pub fn collect(samples: &mut [u64], mut sample: impl FnMut() -> Option<u64>) -> Option<()> {
    for _ in 0..WARMUP {
        sample()?;
    }
    for slot in samples.iter_mut() {
        *slot = sample()?;
    }
    Some(())
}

/// Prints one figure in the format of the module docs, one `write` per line (output
/// errors are ignored: the kernel's parser reports a short figure).
pub fn print_figure(name: &str, samples: &[u64]) {
    println!("count {name} {}", samples.len());
    for line in samples.chunks(PER_LINE) {
        let mut text = Console::new();
        let _ = write!(text, "samples {name}");
        for value in line {
            let _ = write!(text, " {value}");
        }
        let _ = writeln!(text);
    }
}
