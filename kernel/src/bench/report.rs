//! Collecting samples and printing results (human table or `BENCH {json}` lines).

use crate::arch::x86_64 as arch;
use crate::println;

/// Where results go.
pub struct Report {
    json: bool,
    accel: &'static str,
    unit: &'static str,
    cpus: usize,
}

/// Percentiles of a sample set.
pub struct Summary {
    pub p50: u64,
    pub p99: u64,
    pub mean: u64,
    pub n: usize,
}

impl Summary {
    /// Summarises `samples` (sorted in place); `None` when empty.
    pub fn of(samples: &mut [u64]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        let n = samples.len();
        let at = |q: usize| samples[((n - 1) * q) / 100];
        let mean = samples.iter().map(|&s| u128::from(s)).sum::<u128>() / n as u128;
        Some(Self {
            p50: at(50),
            p99: at(99),
            mean: mean as u64,
            n,
        })
    }
}

impl Report {
    /// A report for machine kind `accel`.
    pub fn new(json: bool, accel: &'static str) -> Self {
        let unit = if accel == "tcg-icount" {
            "instructions"
        } else {
            "cycles"
        };
        if !json {
            println!(
                "{:<34} {:>12} {:>12} {:>12} {:>7}  unit",
                "figure", "p50", "p99", "mean", "n"
            );
        }
        Self {
            json,
            accel,
            unit,
            cpus: arch::online_cpus(),
        }
    }

    /// Records tick samples of operation `name` (in TSC ticks).
    pub fn ticks(&mut self, name: &str, samples: &mut [u64]) {
        let Some(s) = Summary::of(samples) else {
            return;
        };
        if self.json {
            println!(
                "BENCH {{\"name\":\"{name}\",\"unit\":\"{}\",\"p50\":{},\"p99\":{},\"mean\":{},\"n\":{},\"cpus\":{},\"accel\":\"{}\"}}",
                self.unit, s.p50, s.p99, s.mean, s.n, self.cpus, self.accel
            );
        } else {
            println!(
                "{name:<34} {:>12} {:>12} {:>12} {:>7}  {}",
                s.p50, s.p99, s.mean, s.n, self.unit
            );
        }
    }

    /// Records a single value (`unit` "hz", "count", "ratio" as thousandths, …).
    pub fn value(&mut self, name: &str, unit: &str, value: u64) {
        if self.json {
            println!(
                "BENCH {{\"name\":\"{name}\",\"unit\":\"{unit}\",\"value\":{value},\"cpus\":{},\"accel\":\"{}\"}}",
                self.cpus, self.accel
            );
        } else {
            println!(
                "{name:<34} {value:>12} {:>12} {:>12} {:>7}  {unit}",
                "", "", ""
            );
        }
    }

    /// Records a ratio given in thousandths (printed as a decimal).
    pub fn ratio(&mut self, name: &str, thousandths: u64) {
        let text = alloc::format!("{}.{:03}", thousandths / 1000, thousandths % 1000);
        if self.json {
            println!(
                "BENCH {{\"name\":\"{name}\",\"unit\":\"ratio\",\"value\":{text},\"cpus\":{},\"accel\":\"{}\"}}",
                self.cpus, self.accel
            );
        } else {
            println!(
                "{name:<34} {text:>12} {:>12} {:>12} {:>7}  ratio",
                "", "", ""
            );
        }
    }

    /// Whether ticks are guest instructions with all vCPUs taking turns on one
    /// host thread (QEMU icount): busy-waiting across cores then only advances
    /// when QEMU switches vCPUs, every 100 ms of virtual time.
    pub fn vcpus_take_turns(&self) -> bool {
        self.accel == "tcg-icount"
    }

    /// A line for people: why a figure is missing. Not printed with `--json`.
    pub fn note(&self, text: &str) {
        if !self.json {
            println!("  note: {text}");
        }
    }

    /// Ends the report.
    pub fn finish(&self) {
        if !self.json {
            println!(
                "accel {}, {} CPUs, TSC {} Hz",
                self.accel,
                self.cpus,
                arch::tsc_hz()
            );
        }
    }
}
