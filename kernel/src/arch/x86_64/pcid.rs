//! Process-context identifiers: user TLB entries survive switches between address
//! spaces (CR4.PCIDE, where the CPU has PCID).
//!
//! Each CPU keeps [`SLOTS`] PCIDs (1..=SLOTS; 0 is the kernel's tables, which map only
//! global pages) for the address spaces it ran last, each slot naming an address space
//! by its id (never reused) and the generation of its mappings it holds entries of. An
//! address space's generation grows whenever one of its mappings is removed or
//! restricted (`unmap`, `protect`). Loading an address space's tables:
//! - its slot holds its id and current generation: CR3 with the no-flush bit (its
//!   entries, on this CPU, are all still true);
//! - its slot holds an older generation, or it has no slot (a slot is taken round
//!   robin): CR3 without the no-flush bit, which drops every entry of that PCID on this
//!   CPU (entries of a removed mapping, or of the address space that had the slot).
//!
//! So no CPU ever uses an entry of a mapping that was removed, wherever it was cached,
//! without any shootdown: a CPU only uses a PCID's entries after checking that they
//! belong to the current generation of the address space it loads, and an address
//! space's mappings change only in its own process's system calls, on the CPU that runs
//! it (no interrupt handler touches the PCIDs or the mappings). Without PCID every load
//! flushes, as before.

use super::cpu_features;
use super::percpu;
use core::sync::atomic::{AtomicBool, Ordering};
use x86_64::registers::control::{Cr4, Cr4Flags};

/// PCIDs each CPU hands out.
const SLOTS: usize = 8;

/// CR3 bit 63: keep the entries of the PCID being loaded.
const NO_FLUSH: u64 = 1 << 63;

/// Whether CR4.PCIDE is on (on every CPU: all CPUs report the same features).
static ENABLED: AtomicBool = AtomicBool::new(false);

/// What to load into CR3 for an address space: its root and who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserTables {
    /// Physical address of the PML4.
    pub root: u64,
    /// The address space's id (never reused).
    pub id: u64,
    /// The generation of its mappings (grows when one is removed or restricted).
    pub generation: u64,
}

/// One CPU's PCIDs.
pub struct PcidCache {
    /// Slot `i` (PCID `i + 1`): the address space id and generation its entries are of
    /// (id 0: none).
    slots: [(u64, u64); SLOTS],
    /// The slot taken next.
    next: usize,
    /// The user tables loaded last on this CPU (for a nested run's return).
    current: UserTables,
}

impl Default for PcidCache {
    fn default() -> Self {
        Self::new()
    }
}

impl PcidCache {
    /// The PCID that loads `tables`, and whether its entries may be kept (they are all
    /// of `tables`' current generation); the slot then names `tables`.
    pub fn take(&mut self, tables: UserTables) -> (u64, bool) {
        self.current = tables;
        let found = self.slots.iter().position(|(id, _)| *id == tables.id);
        let (slot, keep) = match found {
            Some(slot) => (slot, self.slots[slot].1 == tables.generation),
            None => {
                let slot = self.next;
                self.next = (slot + 1) % SLOTS;
                (slot, false)
            }
        };
        self.slots[slot] = (tables.id, tables.generation);
        (slot as u64 + 1, keep)
    }

    /// No slot in use.
    pub const fn new() -> Self {
        Self {
            slots: [(0, 0); SLOTS],
            next: 0,
            current: UserTables {
                root: 0,
                id: 0,
                generation: 0,
            },
        }
    }
}

/// Turns PCIDs on for the calling CPU when it has them (at bring-up, on the kernel's
/// tables, whose CR3 has PCID 0 as CR4.PCIDE requires).
pub fn init_cpu() {
    if !cpu_features::has_pcid() {
        return;
    }
    // SAFETY: the CPU has PCID and runs in long mode on the kernel's tables with CR3
    // bits 11:0 clear; from now on CR3's low bits name a PCID, which `cr3_for` and
    // `kernel_cr3` set.
    unsafe { Cr4::update(|flags| flags.insert(Cr4Flags::PCID)) };
    if !ENABLED.swap(true, Ordering::Relaxed) {
        log::info!("paging: PCIDs on ({SLOTS} per CPU)");
    }
}

/// Whether PCIDs are on.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The CR3 value that loads `tables` on the calling CPU (see the module docs); called
/// by the task that loads it next, on that CPU.
#[inline(always)]
pub fn cr3_for(tables: UserTables) -> u64 {
    if !enabled() {
        return tables.root;
    }
    claim(tables)
}

/// [`cr3_for`] with PCIDs on.
pub fn claim(tables: UserTables) -> u64 {
    let (pcid, keep) = percpu::current().pcids().take(tables);
    tables.root | pcid | if keep { NO_FLUSH } else { 0 }
}

/// The user tables [`cr3_for`] loaded last on the calling CPU (with PCIDs on).
pub fn current() -> UserTables {
    percpu::current().pcids().current
}

/// The CR3 value of the kernel's tables `root`: PCID 0, whose entries (all global)
/// never go stale.
#[inline]
pub fn kernel_cr3(root: u64) -> u64 {
    if enabled() { root | NO_FLUSH } else { root }
}
