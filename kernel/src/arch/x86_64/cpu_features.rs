//! CPU feature queries (CPUID).

use raw_cpuid::CpuId;

/// Whether the CPU offers x2APIC mode.
pub fn has_x2apic() -> bool {
    CpuId::new()
        .get_feature_info()
        .is_some_and(|f| f.has_x2apic())
}

/// Whether the LAPIC timer has TSC-deadline mode.
pub fn has_tsc_deadline() -> bool {
    CpuId::new()
        .get_feature_info()
        .is_some_and(|f| f.has_tsc_deadline())
}

/// Whether the CPU has process-context identifiers (CR4.PCIDE).
pub fn has_pcid() -> bool {
    CpuId::new()
        .get_feature_info()
        .is_some_and(|f| f.has_pcid())
}

/// Whether 1 GiB pages are supported.
pub fn has_1g_pages() -> bool {
    CpuId::new()
        .get_extended_processor_and_feature_identifiers()
        .is_some_and(|f| f.has_1gib_pages())
}

/// Reads the time-stamp counter.
pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC has no side effects; CR4.TSD is clear so ring 0 may use it.
    unsafe { core::arch::x86_64::_rdtsc() }
}
