//! The physical memory map, as reported by the boot loader.

/// What a physical range is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RegionKind {
    Usable,
    Reserved,
    AcpiReclaimable,
    AcpiNvs,
    Bad,
}

/// One range of the map.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    pub start: u64,
    pub len: u64,
    pub kind: RegionKind,
}

impl Region {
    /// One past the last byte.
    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.len)
    }
}

const MAX_REGIONS: usize = 128;

/// A fixed-capacity memory map (needs no heap: it is read before there is one).
pub struct MemoryMap {
    regions: [Region; MAX_REGIONS],
    count: usize,
}

impl MemoryMap {
    /// An empty map.
    pub const fn new() -> Self {
        Self {
            regions: [Region {
                start: 0,
                len: 0,
                kind: RegionKind::Reserved,
            }; MAX_REGIONS],
            count: 0,
        }
    }

    /// Adds a region; regions past the capacity are dropped with a warning.
    pub fn push(&mut self, region: Region) {
        if self.count == MAX_REGIONS {
            log::warn!("memory map: more than {MAX_REGIONS} regions, ignoring {region:x?}");
            return;
        }
        self.regions[self.count] = region;
        self.count += 1;
    }

    /// All regions in loader order.
    pub fn regions(&self) -> &[Region] {
        &self.regions[..self.count]
    }

    /// Usable regions only.
    pub fn usable(&self) -> impl Iterator<Item = &Region> {
        self.regions()
            .iter()
            .filter(|r| r.kind == RegionKind::Usable)
    }

    /// Bytes of usable RAM.
    pub fn usable_bytes(&self) -> u64 {
        self.usable().map(|r| r.len).sum()
    }

    /// End of the highest region of RAM (usable or ACPI).
    pub fn ram_end(&self) -> u64 {
        self.regions()
            .iter()
            .filter(|r| r.kind != RegionKind::Reserved && r.kind != RegionKind::Bad)
            .map(Region::end)
            .max()
            .unwrap_or(0)
    }

    /// Whether `[start, end)` overlaps RAM (usable, ACPI data or NVS).
    pub fn overlaps_ram(&self, start: u64, end: u64) -> bool {
        self.regions().iter().any(|r| {
            matches!(
                r.kind,
                RegionKind::Usable | RegionKind::AcpiReclaimable | RegionKind::AcpiNvs
            ) && r.start < end
                && start < r.end()
        })
    }
}
