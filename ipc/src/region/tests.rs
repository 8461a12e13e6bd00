//! Region table behaviour: bounds, payload checks, reference counting, quotas, holder
//! death, id uniqueness, write sequence numbers, a 1 MiB round trip.

use super::*;
use crate::capability::Quotas;
use crate::message::Payload;

const OWNER: HolderId = HolderId(1);
const OTHER: HolderId = HolderId(2);

fn table() -> RegionTable {
    RegionTable::new(
        Arc::new(QuotaLedger::new(Quotas::default())),
        DEFAULT_MAX_REGION_BYTES,
    )
}

#[test]
fn zero_or_oversized_region_is_invalid() {
    let table = table();
    assert_eq!(table.create(OWNER, 0), Err(IpcError::InvalidArgument));
    assert_eq!(
        table.create(OWNER, DEFAULT_MAX_REGION_BYTES + 1),
        Err(IpcError::InvalidArgument)
    );
    assert_eq!(table.live_regions(), 0);
}

#[test]
fn accesses_are_bounds_checked() {
    let table = table();
    let map = table.map(table.create(OWNER, 16).unwrap()).unwrap();
    assert_eq!(map.len(), 16);
    assert!(!map.is_empty());
    assert_eq!(map.write(12, &[1, 2, 3, 4]), Ok(()));
    assert_eq!(map.write(13, &[1, 2, 3, 4]), Err(IpcError::InvalidArgument));
    assert_eq!(map.write(usize::MAX, &[1]), Err(IpcError::InvalidArgument));
    let mut buf = [0u8; 4];
    assert_eq!(map.read(12, &mut buf), Ok(()));
    assert_eq!(buf, [1, 2, 3, 4]);
    assert_eq!(map.read(16, &mut buf), Err(IpcError::InvalidArgument));
    assert_eq!(map.read(16, &mut []), Ok(()));
    assert_eq!(map.with(|bytes| bytes[12..].to_vec()), [1, 2, 3, 4]);
}

#[test]
fn payloads_are_validated_against_the_region() {
    let table = table();
    let map = table.map(table.create(OWNER, 4096).unwrap()).unwrap();
    let payload = map.payload(100, 200).unwrap();
    assert_eq!(map.check_payload(&payload), Ok(100..300));
    assert_eq!(map.payload(4000, 97), Err(IpcError::InvalidArgument));
    assert_eq!(map.payload(u64::MAX, 2), Err(IpcError::InvalidArgument));
    let elsewhere = Payload {
        region: RegionId(999),
        ..payload
    };
    assert_eq!(
        map.check_payload(&elsewhere),
        Err(IpcError::InvalidArgument)
    );
}

#[test]
fn memory_lives_until_the_owner_and_every_map_let_go() {
    let table = table();
    let id = table.create(OWNER, 64).unwrap();
    let first = table.map(id).unwrap();
    let second = first.clone();
    assert_eq!(table.release(OTHER, id), Err(IpcError::Denied));
    assert_eq!(table.release(OWNER, id), Ok(()));
    assert_eq!(table.map(id).err(), Some(IpcError::NotFound));
    assert_eq!(table.release(OWNER, id), Err(IpcError::NotFound));
    assert_eq!(table.live_regions(), 1);
    second.write(0, b"still here").unwrap();
    drop(second);
    assert_eq!(table.live_regions(), 1);
    assert_eq!(table.ledger.usage(OWNER).regions, 1);
    drop(first);
    assert_eq!(table.live_regions(), 0);
    assert_eq!(table.ledger.usage(OWNER), Quotas::ZERO);
}

#[test]
fn region_count_and_byte_quotas_are_enforced() {
    let ledger = Arc::new(QuotaLedger::new(Quotas::default()));
    ledger.set_quotas(
        OWNER,
        Quotas {
            regions: 2,
            region_bytes: 100,
            ..Quotas::default()
        },
    );
    let table = RegionTable::new(ledger.clone(), DEFAULT_MAX_REGION_BYTES);
    let first = table.create(OWNER, 60).unwrap();
    assert_eq!(table.create(OWNER, 41), Err(IpcError::QuotaExceeded));
    table.create(OWNER, 40).unwrap();
    assert_eq!(table.create(OWNER, 1), Err(IpcError::QuotaExceeded));
    assert_eq!(ledger.usage(OWNER).regions, 2);
    assert_eq!(ledger.usage(OWNER).region_bytes, 100);
    table.release(OWNER, first).unwrap();
    table.create(OWNER, 60).unwrap();
    assert_eq!(table.create(OTHER, 1000).map(|_| ()), Ok(()));
}

#[test]
fn holder_death_releases_only_its_regions() {
    let table = table();
    let mine = table.create(OWNER, 8).unwrap();
    let theirs = table.create(OTHER, 8).unwrap();
    let still_mapped = table.map(mine).unwrap();
    assert_eq!(table.holder_died(OWNER), 1);
    assert_eq!(table.map(mine).err(), Some(IpcError::NotFound));
    assert!(table.map(theirs).is_ok());
    assert_eq!(table.live_regions(), 2);
    drop(still_mapped);
    assert_eq!(table.live_regions(), 1);
}

#[test]
fn ids_are_not_reused() {
    let table = table();
    let first = table.create(OWNER, 8).unwrap();
    table.release(OWNER, first).unwrap();
    let second = table.create(OWNER, 8).unwrap();
    assert_ne!(first, second);
    assert_eq!(table.map(first).err(), Some(IpcError::NotFound));
}

#[test]
fn sync_publishes_a_growing_sequence_number() {
    let table = table();
    let map = table.map(table.create(OWNER, 8).unwrap()).unwrap();
    assert_eq!(map.write_seq(), 0);
    map.with_mut(|bytes| bytes.fill(7));
    assert_eq!(map.sync(), 1);
    assert_eq!(map.sync(), 2);
    assert_eq!(map.clone().write_seq(), 2);
}

#[test]
fn one_mebibyte_round_trips() {
    const SIZE: usize = 1 << 20;
    let table = table();
    let id = table.create(OWNER, SIZE).unwrap();
    let writer = table.map(id).unwrap();
    let reader = table.map(id).unwrap();
    let data: Vec<u8> = (0..SIZE).map(|i| (i * 31 % 251) as u8).collect();
    writer.write(0, &data).unwrap();
    let seq = writer.sync();
    assert_eq!(reader.write_seq(), seq);
    let mut back = alloc::vec![0u8; SIZE];
    reader.read(0, &mut back).unwrap();
    assert!(back == data);
    assert_eq!(reader.id(), id);
}

#[test]
fn regions_are_whole_page_aligned_pages() {
    let table = table();
    for (size, pages) in [(1, 1), (4096, 1), (4097, 2), (3 * 4096, 3)] {
        let map = table.map(table.create(OWNER, size).unwrap()).unwrap();
        let addresses = map.page_addresses();
        assert_eq!(addresses.len(), pages, "size {size}");
        for (i, addr) in addresses.iter().enumerate() {
            assert_eq!(addr % 4096, 0, "page {i} of a {size}-byte region");
        }
        // Contiguous, and the bytes are exactly the region's.
        assert!(addresses.windows(2).all(|w| w[1] == w[0] + 4096));
        assert_eq!(map.with(|bytes| bytes.len()), size);
        map.with_mut(|bytes| bytes.fill(0xAB));
        let mut back = alloc::vec![0u8; size];
        map.read(0, &mut back).unwrap();
        assert!(back.iter().all(|&b| b == 0xAB));
    }
}
