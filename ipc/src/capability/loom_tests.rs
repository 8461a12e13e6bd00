//! Loom models of the capability table (run with `RUSTFLAGS="--cfg loom"`, filter `loom`).

use alloc::sync::Arc;

use loom::thread;

use super::*;
use crate::error::IpcError;
use crate::ids::{HolderId, ServiceId};

const ALICE: HolderId = HolderId(1);
const BOB: HolderId = HolderId(2);
const USER: SecurityLevel = SecurityLevel::User;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound.get_or_insert(3);
    builder.check(f);
}

const OLD_OBJECT: ObjectRef = ObjectRef::Endpoint(ServiceId(1));
const NEW_OBJECT: ObjectRef = ObjectRef::Endpoint(ServiceId(2));

/// Runs `look` on another thread with ALICE's send capability on `OLD_OBJECT` while this
/// one deletes it and mints one on `NEW_OBJECT` into the same (only) slot; returns the
/// old handle, the table and what `look` saw.
fn race_with_reuse<T: Send + 'static>(
    look: impl FnOnce(&CapTable, Cap) -> T + Send + 'static,
) -> (Cap, Arc<CapTable>, T) {
    let table = Arc::new(CapTable::new(1, Quotas::default()));
    let old = table.mint(ALICE, OLD_OBJECT, Rights::SEND, USER).unwrap();
    let checker = {
        let table = table.clone();
        thread::spawn(move || look(&table, old))
    };
    table.delete(ALICE, &old).unwrap();
    let new = table.mint(ALICE, NEW_OBJECT, Rights::SEND, USER).unwrap();
    assert_eq!(new.index, old.index);
    let seen = checker.join().unwrap();
    (old, table, seen)
}

/// A lock-free check racing with delete + re-mint into the same slot never resolves the old
/// handle to the new object.
#[test]
fn loom_check_vs_delete_and_reuse() {
    model(|| {
        let (_, _, seen) = race_with_reuse(|table, old| table.check(ALICE, &old, Rights::SEND));
        match seen {
            Ok(object) => assert_eq!(object, OLD_OBJECT),
            Err(error) => assert_eq!(error, IpcError::Stale),
        }
    });
}

/// The connection fast path racing with delete + re-mint into the same slot never
/// confirms the old handle for the new object, nor the old object once it is gone.
#[test]
fn loom_confirms_vs_delete_and_reuse() {
    model(|| {
        let (old, table, new_seen) = race_with_reuse(|table, old| {
            table.confirms(
                &ConfirmMemo::default(),
                ALICE,
                &old,
                Rights::SEND,
                NEW_OBJECT,
            )
        });
        assert!(
            !new_seen,
            "an old handle confirmed for the slot's new object"
        );
        let memo = ConfirmMemo::default();
        assert!(!table.confirms(&memo, ALICE, &old, Rights::SEND, OLD_OBJECT));
    });
}

/// A connection's remembered check racing with delete + re-mint into the same slot: once
/// the delete is done it never passes again, whatever it remembered meanwhile.
#[test]
fn loom_remembered_confirmation_vs_delete_and_reuse() {
    model(|| {
        let memo = Arc::new(ConfirmMemo::default());
        let (old, table, _) = race_with_reuse({
            let memo = memo.clone();
            move |table, old| {
                let first = table.confirms(&memo, ALICE, &old, Rights::SEND, OLD_OBJECT);
                let second = table.confirms(&memo, ALICE, &old, Rights::SEND, OLD_OBJECT);
                assert!(first || !second, "a refused check passed on its memo");
            }
        });
        assert!(!table.confirms(&memo, ALICE, &old, Rights::SEND, OLD_OBJECT));
    });
}

/// A grant from a child racing with a revoke of that child's parent leaves no live
/// grandchild once both are done.
#[test]
fn loom_grant_vs_revoke_of_the_parent() {
    model(|| {
        let object = ObjectRef::Endpoint(ServiceId(1));
        let table = Arc::new(CapTable::new(4, Quotas::default()));
        let root = table.mint(ALICE, object, Rights::ALL, USER).unwrap();
        let child = table.grant(ALICE, &root, BOB, Rights::ALL, USER).unwrap();
        let granter = {
            let table = table.clone();
            thread::spawn(move || table.grant(BOB, &child, BOB, Rights::SEND, USER))
        };
        table.revoke(ALICE, &root).unwrap();
        match granter.join().unwrap() {
            Ok(grandchild) => {
                assert_eq!(
                    table.check(BOB, &grandchild, Rights::SEND),
                    Err(IpcError::Stale)
                );
            }
            Err(error) => assert_eq!(error, IpcError::Stale),
        }
        assert_eq!(table.check(BOB, &child, Rights::NONE), Err(IpcError::Stale));
        assert_eq!(table.usage(BOB).caps, 0);
    });
}
