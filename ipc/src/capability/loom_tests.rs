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

/// A lock-free check racing with delete + re-mint into the same slot never resolves the old
/// handle to the new object.
#[test]
fn loom_check_vs_delete_and_reuse() {
    model(|| {
        let old_object = ObjectRef::Endpoint(ServiceId(1));
        let new_object = ObjectRef::Endpoint(ServiceId(2));
        let table = Arc::new(CapTable::new(1, Quotas::default()));
        let old = table.mint(ALICE, old_object, Rights::SEND, USER).unwrap();
        let checker = {
            let table = table.clone();
            thread::spawn(move || table.check(ALICE, &old, Rights::SEND))
        };
        table.delete(ALICE, &old).unwrap();
        let new = table.mint(ALICE, new_object, Rights::SEND, USER).unwrap();
        assert_eq!(new.index, old.index);
        match checker.join().unwrap() {
            Ok(object) => assert_eq!(object, old_object),
            Err(error) => assert_eq!(error, IpcError::Stale),
        }
    });
}

/// The connection fast path racing with delete + re-mint into the same slot never
/// confirms the old handle for the new object, nor the new object's handle for the old.
#[test]
fn loom_confirms_vs_delete_and_reuse() {
    model(|| {
        let old_object = ObjectRef::Endpoint(ServiceId(1));
        let new_object = ObjectRef::Endpoint(ServiceId(2));
        let table = Arc::new(CapTable::new(1, Quotas::default()));
        let old = table.mint(ALICE, old_object, Rights::SEND, USER).unwrap();
        let checker = {
            let table = table.clone();
            thread::spawn(move || {
                (
                    table.confirms(ALICE, &old, Rights::SEND, old_object),
                    table.confirms(ALICE, &old, Rights::SEND, new_object),
                )
            })
        };
        table.delete(ALICE, &old).unwrap();
        let new = table.mint(ALICE, new_object, Rights::SEND, USER).unwrap();
        assert_eq!(new.index, old.index);
        let (_old_seen, new_seen) = checker.join().unwrap();
        assert!(
            !new_seen,
            "an old handle confirmed for the slot's new object"
        );
        assert!(!table.confirms(ALICE, &old, Rights::SEND, old_object));
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
