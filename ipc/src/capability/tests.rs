//! Capability table behaviour: one denial test per right, derivation, generations, quotas,
//! levels, holder death, and a threaded check-vs-revoke stress test.

use alloc::sync::Arc;
use alloc::vec::Vec;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::*;
use crate::error::IpcError;
use crate::ids::{HolderId, RegionId, ServiceId};

const ALICE: HolderId = HolderId(1);
const BOB: HolderId = HolderId(2);
const CAROL: HolderId = HolderId(3);
const ENDPOINT: ObjectRef = ObjectRef::Endpoint(ServiceId(7));
const USER: SecurityLevel = SecurityLevel::User;

fn table() -> CapTable {
    CapTable::new(64, Quotas::default())
}

/// `right` is refused (and counted) when absent, granted when present.
fn assert_right_is_enforced(right: Rights) {
    let table = table();
    let without = table
        .mint(
            ALICE,
            ENDPOINT,
            Rights::from_bits_truncate(!right.bits()),
            USER,
        )
        .unwrap();
    assert_eq!(table.check(ALICE, &without, right), Err(IpcError::Denied));
    assert_eq!(table.denials(ALICE), 1);
    let with = table.mint(ALICE, ENDPOINT, right, USER).unwrap();
    assert_eq!(table.check(ALICE, &with, right), Ok(ENDPOINT));
    assert_eq!(table.total_denials(), 1);
}

#[test]
fn send_is_denied_without_the_right() {
    assert_right_is_enforced(Rights::SEND);
}

#[test]
fn receive_is_denied_without_the_right() {
    assert_right_is_enforced(Rights::RECEIVE);
}

#[test]
fn grant_is_denied_without_the_right() {
    assert_right_is_enforced(Rights::GRANT);
}

#[test]
fn map_is_denied_without_the_right() {
    assert_right_is_enforced(Rights::MAP);
}

#[test]
fn manage_is_denied_without_the_right() {
    assert_right_is_enforced(Rights::MANAGE);
}

#[test]
fn check_requires_every_needed_right() {
    let table = table();
    let cap = table.mint(ALICE, ENDPOINT, Rights::SEND, USER).unwrap();
    assert_eq!(
        table.check(ALICE, &cap, Rights::SEND | Rights::RECEIVE),
        Err(IpcError::Denied)
    );
    assert_eq!(table.check(ALICE, &cap, Rights::NONE), Ok(ENDPOINT));
}

#[test]
fn grant_keeps_or_shrinks_rights_never_grows_them() {
    let table = table();
    let root = table
        .mint(ALICE, ENDPOINT, Rights::SEND | Rights::GRANT, USER)
        .unwrap();
    let same = table
        .grant(ALICE, &root, BOB, Rights::SEND | Rights::GRANT, USER)
        .unwrap();
    let fewer = table.grant(ALICE, &root, BOB, Rights::SEND, USER).unwrap();
    assert_eq!(
        table.check(BOB, &same, Rights::SEND | Rights::GRANT),
        Ok(ENDPOINT)
    );
    assert_eq!(
        table.check(BOB, &fewer, Rights::GRANT),
        Err(IpcError::Denied)
    );
    assert_eq!(
        table.grant(ALICE, &root, BOB, Rights::SEND | Rights::RECEIVE, USER),
        Err(IpcError::Denied)
    );
    assert_eq!(
        table.grant(BOB, &same, CAROL, Rights::MANAGE, USER),
        Err(IpcError::Denied)
    );
    assert_eq!(table.denials(ALICE), 1);
    assert_eq!(table.denials(BOB), 2);
}

#[test]
fn grant_without_grant_right_is_denied() {
    let table = table();
    let root = table
        .mint(ALICE, ENDPOINT, Rights::SEND | Rights::RECEIVE, USER)
        .unwrap();
    assert_eq!(
        table.grant(ALICE, &root, BOB, Rights::SEND, USER),
        Err(IpcError::Denied)
    );
    assert_eq!(table.usage(BOB).caps, 0);
}

#[test]
fn grant_carries_the_object_to_the_new_holder_only() {
    let table = table();
    let region = ObjectRef::Region(RegionId(3));
    let root = table.mint(ALICE, region, Rights::ALL, USER).unwrap();
    let child = table.grant(ALICE, &root, BOB, Rights::MAP, USER).unwrap();
    assert_eq!(table.check(BOB, &child, Rights::MAP), Ok(region));
    assert_eq!(
        table.check(ALICE, &child, Rights::MAP),
        Err(IpcError::Denied)
    );
}

#[test]
fn revoke_kills_grandchildren_but_keeps_the_root() {
    let table = table();
    let root = table.mint(ALICE, ENDPOINT, Rights::ALL, USER).unwrap();
    let child = table.grant(ALICE, &root, BOB, Rights::ALL, USER).unwrap();
    let sibling = table
        .grant(ALICE, &root, CAROL, Rights::SEND, USER)
        .unwrap();
    let grandchild = table.grant(BOB, &child, CAROL, Rights::SEND, USER).unwrap();
    assert_eq!(table.revoke(ALICE, &root), Ok(()));
    assert_eq!(table.check(ALICE, &root, Rights::ALL), Ok(ENDPOINT));
    assert_eq!(table.check(BOB, &child, Rights::SEND), Err(IpcError::Stale));
    assert_eq!(
        table.check(CAROL, &sibling, Rights::SEND),
        Err(IpcError::Stale)
    );
    assert_eq!(
        table.check(CAROL, &grandchild, Rights::SEND),
        Err(IpcError::Stale)
    );
    assert_eq!(table.usage(BOB).caps, 0);
    assert_eq!(table.usage(CAROL).caps, 0);
    let again = table.grant(ALICE, &root, BOB, Rights::SEND, USER).unwrap();
    assert_eq!(table.check(BOB, &again, Rights::SEND), Ok(ENDPOINT));
}

#[test]
fn delete_kills_the_cap_and_its_subtree_but_not_its_parent_or_siblings() {
    let table = table();
    let root = table.mint(ALICE, ENDPOINT, Rights::ALL, USER).unwrap();
    let first = table.grant(ALICE, &root, BOB, Rights::ALL, USER).unwrap();
    let middle = table.grant(ALICE, &root, BOB, Rights::ALL, USER).unwrap();
    let last = table.grant(ALICE, &root, BOB, Rights::ALL, USER).unwrap();
    let below = table
        .grant(BOB, &middle, CAROL, Rights::SEND, USER)
        .unwrap();
    assert_eq!(table.delete(BOB, &middle), Ok(()));
    assert_eq!(
        table.check(BOB, &middle, Rights::NONE),
        Err(IpcError::Stale)
    );
    assert_eq!(
        table.check(CAROL, &below, Rights::NONE),
        Err(IpcError::Stale)
    );
    assert_eq!(table.check(BOB, &first, Rights::NONE), Ok(ENDPOINT));
    assert_eq!(table.check(BOB, &last, Rights::NONE), Ok(ENDPOINT));
    // The sibling list is still intact: revoking the root reaches both survivors.
    table.revoke(ALICE, &root).unwrap();
    assert_eq!(table.check(BOB, &first, Rights::NONE), Err(IpcError::Stale));
    assert_eq!(table.check(BOB, &last, Rights::NONE), Err(IpcError::Stale));
    assert_eq!(table.usage(BOB).caps, 0);
}

#[test]
fn only_the_holder_may_revoke_or_delete() {
    let table = table();
    let root = table.mint(ALICE, ENDPOINT, Rights::ALL, USER).unwrap();
    assert_eq!(table.revoke(BOB, &root), Err(IpcError::Denied));
    assert_eq!(table.delete(BOB, &root), Err(IpcError::Denied));
    assert_eq!(table.check(ALICE, &root, Rights::ALL), Ok(ENDPOINT));
}

#[test]
fn deleted_cap_is_stale() {
    let table = table();
    let cap = table.mint(ALICE, ENDPOINT, Rights::SEND, USER).unwrap();
    table.delete(ALICE, &cap).unwrap();
    assert_eq!(table.check(ALICE, &cap, Rights::SEND), Err(IpcError::Stale));
    assert_eq!(table.delete(ALICE, &cap), Err(IpcError::Stale));
    assert_eq!(table.revoke(ALICE, &cap), Err(IpcError::Stale));
    assert_eq!(table.total_denials(), 0);
}

#[test]
fn reused_slot_does_not_revive_the_old_handle() {
    let table = CapTable::new(1, Quotas::default());
    let old = table.mint(ALICE, ENDPOINT, Rights::SEND, USER).unwrap();
    table.delete(ALICE, &old).unwrap();
    let other = ObjectRef::Service(ServiceId(9));
    let new = table.mint(ALICE, other, Rights::SEND, USER).unwrap();
    assert_eq!(new.index, old.index);
    assert_ne!(new.generation, old.generation);
    assert_eq!(table.check(ALICE, &old, Rights::SEND), Err(IpcError::Stale));
    assert_eq!(table.check(ALICE, &new, Rights::SEND), Ok(other));
}

#[test]
fn other_holders_cap_is_denied_so_guessing_gives_nothing() {
    let table = table();
    let cap = table.mint(ALICE, ENDPOINT, Rights::ALL, USER).unwrap();
    let guessed = Cap::from_word(cap.to_word());
    assert_eq!(
        table.check(BOB, &guessed, Rights::NONE),
        Err(IpcError::Denied)
    );
    assert_eq!(
        table.grant(BOB, &guessed, BOB, Rights::SEND, USER),
        Err(IpcError::Denied)
    );
    assert_eq!(table.denials(BOB), 2);
    assert_eq!(table.denials(ALICE), 0);
}

#[test]
fn index_out_of_range_or_empty_slot_is_not_found() {
    let table = table();
    let far = Cap {
        index: 64,
        generation: 0,
    };
    assert_eq!(
        table.check(ALICE, &far, Rights::NONE),
        Err(IpcError::NotFound)
    );
    let empty = Cap {
        index: 5,
        generation: 0,
    };
    assert_eq!(
        table.check(ALICE, &empty, Rights::NONE),
        Err(IpcError::NotFound)
    );
    assert_eq!(table.revoke(ALICE, &far), Err(IpcError::NotFound));
}

#[test]
fn cap_quota_limits_mint_and_grant_and_is_returned_on_delete() {
    let table = CapTable::new(
        64,
        Quotas {
            caps: 2,
            ..Quotas::default()
        },
    );
    let first = table.mint(ALICE, ENDPOINT, Rights::ALL, USER).unwrap();
    table.mint(ALICE, ENDPOINT, Rights::ALL, USER).unwrap();
    assert_eq!(
        table.mint(ALICE, ENDPOINT, Rights::ALL, USER),
        Err(IpcError::QuotaExceeded)
    );
    assert_eq!(
        table.grant(ALICE, &first, ALICE, Rights::SEND, USER),
        Err(IpcError::QuotaExceeded)
    );
    table.set_quotas(
        BOB,
        Quotas {
            caps: 1,
            ..Quotas::default()
        },
    );
    table.grant(ALICE, &first, BOB, Rights::SEND, USER).unwrap();
    assert_eq!(
        table.grant(ALICE, &first, BOB, Rights::SEND, USER),
        Err(IpcError::QuotaExceeded)
    );
    table.delete(ALICE, &first).unwrap();
    assert_eq!(table.usage(ALICE).caps, 1);
    assert_eq!(table.usage(BOB).caps, 0);
    table.mint(ALICE, ENDPOINT, Rights::ALL, USER).unwrap();
}

#[test]
fn full_table_is_quota_exceeded_and_charges_nothing() {
    let table = CapTable::new(1, Quotas::default());
    table.mint(ALICE, ENDPOINT, Rights::ALL, USER).unwrap();
    assert_eq!(
        table.mint(BOB, ENDPOINT, Rights::ALL, USER),
        Err(IpcError::QuotaExceeded)
    );
    assert_eq!(table.usage(BOB).caps, 0);
}

#[test]
fn other_resources_are_charged_through_the_same_ledger() {
    let table = CapTable::new(
        8,
        Quotas {
            queue_slots: 10,
            ..Quotas::default()
        },
    );
    table.charge(ALICE, Resource::QueueSlots, 8).unwrap();
    assert_eq!(
        table.ledger().charge(ALICE, Resource::QueueSlots, 3),
        Err(IpcError::QuotaExceeded)
    );
    table.uncharge(ALICE, Resource::QueueSlots, 8);
    assert_eq!(table.usage(ALICE), Quotas::ZERO);
}

#[test]
fn holder_death_deletes_its_caps_their_derivations_and_its_usage() {
    let table = table();
    let alice_root = table.mint(ALICE, ENDPOINT, Rights::ALL, USER).unwrap();
    let bob_root = table.mint(BOB, ENDPOINT, Rights::ALL, USER).unwrap();
    let derived = table
        .grant(ALICE, &alice_root, CAROL, Rights::SEND, USER)
        .unwrap();
    let for_alice = table
        .grant(BOB, &bob_root, ALICE, Rights::SEND, USER)
        .unwrap();
    table.charge(ALICE, Resource::Regions, 2).unwrap();
    table.check(ALICE, &bob_root, Rights::NONE).unwrap_err();
    table.holder_died(ALICE);
    assert_eq!(
        table.check(ALICE, &alice_root, Rights::NONE),
        Err(IpcError::Stale)
    );
    assert_eq!(
        table.check(ALICE, &for_alice, Rights::NONE),
        Err(IpcError::Stale)
    );
    assert_eq!(
        table.check(CAROL, &derived, Rights::NONE),
        Err(IpcError::Stale)
    );
    assert_eq!(table.check(BOB, &bob_root, Rights::ALL), Ok(ENDPOINT));
    assert_eq!(table.usage(ALICE), Quotas::ZERO);
    assert_eq!(table.usage(CAROL).caps, 0);
    assert_eq!(table.usage(BOB).caps, 1);
    assert_eq!(table.denials(ALICE), 0);
    assert_eq!(table.total_denials(), 1);
}

#[test]
fn grant_below_the_objects_level_is_denied() {
    let table = table();
    let root = table
        .mint(ALICE, ENDPOINT, Rights::ALL, SecurityLevel::System)
        .unwrap();
    assert_eq!(
        table.grant(ALICE, &root, BOB, Rights::SEND, USER),
        Err(IpcError::Denied)
    );
    let system = table
        .grant(ALICE, &root, BOB, Rights::ALL, SecurityLevel::System)
        .unwrap();
    // The level is inherited: the system holder cannot pass it down to a user either.
    assert_eq!(
        table.grant(BOB, &system, CAROL, Rights::SEND, USER),
        Err(IpcError::Denied)
    );
    table
        .grant(BOB, &system, CAROL, Rights::SEND, SecurityLevel::Kernel)
        .unwrap();
    assert!(
        SecurityLevel::User < SecurityLevel::System
            && SecurityLevel::System < SecurityLevel::Kernel
    );
}

#[test]
fn cap_word_round_trips() {
    let cap = Cap {
        index: 17,
        generation: 0xdead_beef,
    };
    assert_eq!(Cap::from_word(cap.to_word()), cap);
}

#[test]
fn object_word_round_trips_and_rejects_unknown_kinds() {
    for object in [
        ENDPOINT,
        ObjectRef::Region(RegionId(u32::MAX)),
        ObjectRef::Service(ServiceId(1)),
    ] {
        assert_eq!(ObjectRef::from_word(object.to_word()), Some(object));
    }
    assert_eq!(ObjectRef::from_word(7 << 32), None);
}

/// Joins `handles`, failing (not hanging) when they are not all done within `limit`.
fn join_within<T>(handles: Vec<std::thread::JoinHandle<T>>, limit: Duration) -> Vec<T> {
    let deadline = Instant::now() + limit;
    while !handles.iter().all(|handle| handle.is_finished()) {
        assert!(
            Instant::now() < deadline,
            "threads still running after {limit:?}: deadlock?"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    handles
        .into_iter()
        .map(|handle| handle.join().expect("thread panicked"))
        .collect()
}

#[test]
fn concurrent_checks_never_see_a_wrong_object_while_caps_are_revoked_and_regranted() {
    const ROUNDS: u32 = 20_000;
    let table = Arc::new(CapTable::new(8, Quotas::default()));
    let roots: Vec<(Cap, ObjectRef)> = (0..4)
        .map(|i| {
            let object = ObjectRef::Endpoint(ServiceId(100 + i));
            (
                table.mint(ALICE, object, Rights::ALL, USER).unwrap(),
                object,
            )
        })
        .collect();
    // What the checkers look at: the newest grant of each root, published as a word pair.
    let published: Arc<Vec<std::sync::atomic::AtomicU64>> = Arc::new(
        (0..4)
            .map(|_| std::sync::atomic::AtomicU64::new(u64::MAX))
            .collect(),
    );
    let done = Arc::new(AtomicBool::new(false));

    let mut handles = Vec::new();
    for _ in 0..2 {
        let (table, published, done, roots) = (
            table.clone(),
            published.clone(),
            done.clone(),
            roots.clone(),
        );
        handles.push(std::thread::spawn(move || {
            let mut resolved = 0u64;
            while !done.load(Ordering::Acquire) {
                for (slot, (_, expected)) in published.iter().zip(&roots) {
                    let word = slot.load(Ordering::Acquire);
                    if word == u64::MAX {
                        continue;
                    }
                    match table.check(BOB, &Cap::from_word(word), Rights::SEND) {
                        Ok(object) => {
                            assert_eq!(object, *expected, "a handle resolved to another object");
                            resolved += 1;
                        }
                        Err(IpcError::Stale | IpcError::NotFound) => {}
                        Err(other) => panic!("unexpected {other:?}"),
                    }
                }
            }
            resolved
        }));
    }
    let writer = {
        let (table, published, done) = (table.clone(), published.clone(), done.clone());
        std::thread::spawn(move || {
            for round in 0..ROUNDS {
                let which = (round % 4) as usize;
                let (root, _) = roots[which];
                let child = table.grant(ALICE, &root, BOB, Rights::SEND, USER).unwrap();
                published[which].store(child.to_word(), Ordering::Release);
                table.revoke(ALICE, &root).unwrap();
            }
            done.store(true, Ordering::Release);
            0
        })
    };
    handles.push(writer);
    join_within(handles, Duration::from_secs(60));
    assert_eq!(table.usage(BOB).caps, 0);
}

/// The connection fast path agrees with `check` on every kind of capability: live with
/// the right and the object, missing the right, another holder's, another object, stale,
/// out of range.
#[test]
fn confirms_agrees_with_check() {
    let table = table();
    let other = ObjectRef::Endpoint(ServiceId(8));
    let send = table.mint(ALICE, ENDPOINT, Rights::SEND, USER).unwrap();
    let recv = table.mint(ALICE, ENDPOINT, Rights::RECEIVE, USER).unwrap();
    let bobs = table.mint(BOB, ENDPOINT, Rights::SEND, USER).unwrap();
    let stale = table.mint(ALICE, ENDPOINT, Rights::SEND, USER).unwrap();
    table.delete(ALICE, &stale).unwrap();
    let out_of_range = Cap::from_word(u64::from(u32::MAX));
    for cap in [send, recv, bobs, stale, out_of_range] {
        for object in [ENDPOINT, other] {
            let by_check = table.check(ALICE, &cap, Rights::SEND) == Ok(object);
            let memo = ConfirmMemo::default();
            for _ in 0..2 {
                assert_eq!(
                    table.confirms(&memo, ALICE, &cap, Rights::SEND, object),
                    by_check,
                    "{cap:?} {object:?}"
                );
            }
        }
    }
    assert!(table.confirms(
        &ConfirmMemo::default(),
        ALICE,
        &send,
        Rights::SEND,
        ENDPOINT
    ));
}

/// A remembered check stops passing once the capability is revoked, deleted, or its slot
/// reused for the same holder and object: the memo names one occupant only.
#[test]
fn a_remembered_confirmation_ends_with_its_capability() {
    let table = table();
    let root = table.mint(ALICE, ENDPOINT, Rights::ALL, USER).unwrap();
    let child = table.grant(ALICE, &root, BOB, Rights::SEND, USER).unwrap();
    let memo = ConfirmMemo::default();
    assert!(table.confirms(&memo, BOB, &child, Rights::SEND, ENDPOINT));
    assert!(table.confirms(&memo, BOB, &child, Rights::SEND, ENDPOINT));
    table.revoke(ALICE, &root).unwrap();
    assert!(!table.confirms(&memo, BOB, &child, Rights::SEND, ENDPOINT));

    let send = table.mint(ALICE, ENDPOINT, Rights::SEND, USER).unwrap();
    let memo = ConfirmMemo::default();
    assert!(table.confirms(&memo, ALICE, &send, Rights::SEND, ENDPOINT));
    table.delete(ALICE, &send).unwrap();
    let again = table.mint(ALICE, ENDPOINT, Rights::SEND, USER).unwrap();
    assert_eq!(again.index, send.index, "the slot is reused");
    assert!(!table.confirms(&memo, ALICE, &send, Rights::SEND, ENDPOINT));
    assert!(table.confirms(&memo, ALICE, &again, Rights::SEND, ENDPOINT));
}
