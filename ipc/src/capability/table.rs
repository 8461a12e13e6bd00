//! The capability table: slots (lock-free `check`), the derivation tree and the quota
//! ledger (both under locks taken by `mint`/`grant`/`revoke`/`delete`).
//!
//! Lock order: the tree lock, then the holdings lock, then the ledger lock (a leaf). The
//! denial counter lock is only taken after the tree lock is released. Denials are the slow path: they log anyway.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::Arc;

use super::quota::{QuotaLedger, Quotas, Resource};
use super::rights::Rights;
use super::slot::{Slot, Snapshot};
use super::tree::Tree;
use super::{Cap, ObjectRef, SecurityLevel};
use crate::error::IpcError;
use crate::ids::HolderId;
use crate::sync::{AtomicU64, Mutex, Ordering};

/// What [`CapTable::confirms`] remembers between checks of one capability for one holder,
/// one set of rights and one object: the slot's state word when it last passed.
#[derive(Debug)]
pub(crate) struct ConfirmMemo(AtomicU64);

impl ConfirmMemo {
    /// What a full look at the slot (`Slot::granted`) found: whether it grants `object`,
    /// remembered if so (out of line: the usual check hits the memo).
    #[cold]
    #[inline(never)]
    fn remember(&self, granted: Option<(u64, u64)>, object: ObjectRef) -> bool {
        match granted {
            Some((word, granted)) if granted == object.to_word() => {
                self.0.store(word, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }
}

impl Default for ConfirmMemo {
    /// Remembers nothing: no slot's state word has its top bits set.
    fn default() -> Self {
        Self(AtomicU64::new(u64::MAX))
    }
}

/// Why a capability was refused with `Denied`.
#[derive(Clone, Copy, Debug)]
enum DenyReason {
    OtherHolder,
    MissingRights,
    LevelTooLow,
}

impl DenyReason {
    const fn as_str(self) -> &'static str {
        match self {
            DenyReason::OtherHolder => "issued to another holder",
            DenyReason::MissingRights => "missing rights",
            DenyReason::LevelTooLow => "security level too low",
        }
    }
}

/// An operation's failure before it is counted and logged.
enum Refusal {
    Denied(DenyReason),
    Failed(IpcError),
}

impl From<IpcError> for Refusal {
    fn from(error: IpcError) -> Self {
        Refusal::Failed(error)
    }
}

/// Resolves a snapshot for `holder`: generation, liveness, ownership, rights.
fn judge(
    snapshot: Snapshot,
    holder: HolderId,
    cap: &Cap,
    needed: Rights,
) -> Result<ObjectRef, Refusal> {
    if snapshot.word.generation() != cap.generation {
        return Err(Refusal::Failed(IpcError::Stale));
    }
    if !snapshot.word.is_live() {
        return Err(Refusal::Failed(IpcError::NotFound));
    }
    if snapshot.holder != holder {
        return Err(Refusal::Denied(DenyReason::OtherHolder));
    }
    if !snapshot.word.rights().contains(needed) {
        return Err(Refusal::Denied(DenyReason::MissingRights));
    }
    snapshot.object.ok_or(Refusal::Failed(IpcError::NotFound))
}

/// Every capability of the system, with derivation tracking and per-holder quotas.
pub struct CapTable {
    slots: Box<[Slot]>,
    tree: Mutex<Tree>,
    /// The slots each holder's capabilities occupy (changed only under the tree lock),
    /// so that a holder's death visits its own capabilities, not the whole table.
    holdings: Mutex<BTreeMap<HolderId, BTreeSet<u32>>>,
    ledger: Arc<QuotaLedger>,
    denials: Mutex<BTreeMap<HolderId, u64>>,
    total_denials: AtomicU64,
}

impl CapTable {
    /// A table of `slots` capabilities; every holder starts with `default_quotas`.
    pub fn new(slots: u32, default_quotas: Quotas) -> Self {
        Self {
            slots: (0..slots).map(|_| Slot::empty()).collect(),
            tree: Mutex::new(Tree::new(slots)),
            holdings: Mutex::new(BTreeMap::new()),
            ledger: Arc::new(QuotaLedger::new(default_quotas)),
            denials: Mutex::new(BTreeMap::new()),
            total_denials: AtomicU64::new(0),
        }
    }

    /// Resolves `cap` for `holder`, requiring `needed`. Lock-free on success.
    ///
    /// `Stale`: the generation is old. `NotFound`: no such slot, or the slot is empty.
    /// `Denied`: issued to another holder, or a right in `needed` is missing.
    #[inline]
    pub fn check(
        &self,
        holder: HolderId,
        cap: &Cap,
        needed: Rights,
    ) -> Result<ObjectRef, IpcError> {
        let granted = self
            .slots
            .get(cap.index as usize)
            .and_then(|slot| slot.granted(holder, cap.generation, needed))
            .and_then(|(_, object)| ObjectRef::from_word(object));
        match granted {
            Some(object) => Ok(object),
            None => self.check_slowly(holder, cap, needed),
        }
    }

    /// `check` once the fast look refused: the full judgement, for the reason (a slot that
    /// changed in between is judged as it is now), counted and logged if it is a denial.
    #[cold]
    fn check_slowly(
        &self,
        holder: HolderId,
        cap: &Cap,
        needed: Rights,
    ) -> Result<ObjectRef, IpcError> {
        let verdict = self
            .snapshot_of(cap)
            .and_then(|snapshot| judge(snapshot, holder, cap, needed));
        self.settle(holder, cap, needed, verdict)
    }

    /// The fast path of a check whose answer is known in advance (an open connection's):
    /// true exactly when `check(holder, cap, needed)` would return `Ok(object)`. Lock-free,
    /// counts and logs nothing; on `false` ask [`CapTable::check`] for the reason (which
    /// also counts a denial). `memo` remembers the slot's state word of the last check
    /// that passed, so that a check of the same capability, holder, rights and object
    /// passes again by comparing that one word (see `Slot::word`): a memo is only ever
    /// used with one such quadruple (crate-private: a memo used with another capability
    /// whose slot happens to hold the same word would pass it unchecked).
    #[inline]
    pub(crate) fn confirms(
        &self,
        memo: &ConfirmMemo,
        holder: HolderId,
        cap: &Cap,
        needed: Rights,
        object: ObjectRef,
    ) -> bool {
        let Some(slot) = self.slots.get(cap.index as usize) else {
            return false;
        };
        slot.word() == memo.0.load(Ordering::Relaxed)
            || memo.remember(slot.granted(holder, cap.generation, needed), object)
    }

    /// Creates a root capability (kernel use): `holder` gets `rights` on `object`, which
    /// only holders at `min_level` or above may ever receive. Charged to `holder`.
    pub fn mint(
        &self,
        holder: HolderId,
        object: ObjectRef,
        rights: Rights,
        min_level: SecurityLevel,
    ) -> Result<Cap, IpcError> {
        let mut tree = self.tree.lock();
        let index = self.take_slot(&mut tree, holder)?;
        tree.insert_root(index, min_level);
        let generation = self.slots[index as usize].occupy(holder, object, rights);
        Ok(Cap { index, generation })
    }

    /// Derives a capability for `to_holder` (at security level `to_level`) from `holder`'s
    /// `cap`, with `rights` (a subset of `cap`'s). Needs `GRANT` on `cap`; asking for a right
    /// `cap` lacks, or a `to_level` below the object's level, is `Denied`. Charged to
    /// `to_holder`.
    pub fn grant(
        &self,
        holder: HolderId,
        cap: &Cap,
        to_holder: HolderId,
        rights: Rights,
        to_level: SecurityLevel,
    ) -> Result<Cap, IpcError> {
        let needed = Rights::GRANT | rights;
        let result = {
            let mut tree = self.tree.lock();
            self.grant_locked(&mut tree, holder, cap, to_holder, rights, to_level)
        };
        self.settle(holder, cap, needed, result)
    }

    /// Kills every capability derived from `cap` (transitively); `cap` itself stays.
    pub fn revoke(&self, holder: HolderId, cap: &Cap) -> Result<(), IpcError> {
        let result = {
            let mut tree = self.tree.lock();
            self.resolve_locked(holder, cap).map(|_| {
                let killed = tree.detach_descendants(cap.index);
                self.kill_all(&mut tree, &killed);
            })
        };
        self.settle(holder, cap, Rights::NONE, result)
    }

    /// Kills `cap` and every capability derived from it.
    pub fn delete(&self, holder: HolderId, cap: &Cap) -> Result<(), IpcError> {
        let result = {
            let mut tree = self.tree.lock();
            self.resolve_locked(holder, cap).map(|_| {
                let killed = tree.detach_subtree(cap.index);
                self.kill_all(&mut tree, &killed);
            })
        };
        self.settle(holder, cap, Rights::NONE, result)
    }

    /// `holder` is gone: deletes its capabilities (and everything derived from them, held by
    /// anyone), forgets its quota usage and its denial count. The caller makes sure nothing
    /// grants to `holder` any more.
    pub fn holder_died(&self, holder: HolderId) {
        {
            let mut tree = self.tree.lock();
            let held = self.holdings.lock().remove(&holder).unwrap_or_default();
            for index in held {
                let slot = &self.slots[index as usize];
                // Killed already as part of an earlier one's subtree: nothing left.
                if slot.is_live() && slot.holder() == holder {
                    let killed = tree.detach_subtree(index);
                    self.kill_all(&mut tree, &killed);
                }
            }
            self.ledger.forget(holder);
        }
        self.denials.lock().remove(&holder);
    }

    /// The quota ledger, to share with the region table and the endpoints.
    pub fn ledger(&self) -> &Arc<QuotaLedger> {
        &self.ledger
    }

    /// Sets `holder`'s limits.
    pub fn set_quotas(&self, holder: HolderId, quotas: Quotas) {
        self.ledger.set_quotas(holder, quotas);
    }

    /// What `holder` uses now.
    pub fn usage(&self, holder: HolderId) -> Quotas {
        self.ledger.usage(holder)
    }

    /// Charges `amount` of `resource` to `holder`, or `QuotaExceeded` (nothing charged).
    pub fn charge(
        &self,
        holder: HolderId,
        resource: Resource,
        amount: u64,
    ) -> Result<(), IpcError> {
        self.ledger.charge(holder, resource, amount)
    }

    /// Gives back `amount` of `resource` charged to `holder`.
    pub fn uncharge(&self, holder: HolderId, resource: Resource, amount: u64) {
        self.ledger.uncharge(holder, resource, amount);
    }

    /// How many operations of `holder` were denied.
    pub fn denials(&self, holder: HolderId) -> u64 {
        self.denials.lock().get(&holder).copied().unwrap_or(0)
    }

    /// How many operations were denied, all holders together.
    pub fn total_denials(&self) -> u64 {
        self.total_denials.load(Ordering::Relaxed)
    }

    fn grant_locked(
        &self,
        tree: &mut Tree,
        holder: HolderId,
        cap: &Cap,
        to_holder: HolderId,
        rights: Rights,
        to_level: SecurityLevel,
    ) -> Result<Cap, Refusal> {
        let object = judge(self.snapshot_of(cap)?, holder, cap, Rights::GRANT | rights)?;
        if to_level < tree.min_level(cap.index) {
            return Err(Refusal::Denied(DenyReason::LevelTooLow));
        }
        let index = self.take_slot(tree, to_holder)?;
        tree.insert_child(cap.index, index);
        let generation = self.slots[index as usize].occupy(to_holder, object, rights);
        Ok(Cap { index, generation })
    }

    /// A consistent snapshot of `cap`'s slot; `NotFound` for an index out of range.
    fn snapshot_of(&self, cap: &Cap) -> Result<Snapshot, Refusal> {
        self.slots
            .get(cap.index as usize)
            .map(Slot::snapshot)
            .ok_or(Refusal::Failed(IpcError::NotFound))
    }

    /// Checks that `cap` is `holder`'s and live (any rights). Tree lock held.
    fn resolve_locked(&self, holder: HolderId, cap: &Cap) -> Result<ObjectRef, Refusal> {
        judge(self.snapshot_of(cap)?, holder, cap, Rights::NONE)
    }

    /// Charges one capability to `holder` and takes a free slot. Tree lock held.
    fn take_slot(&self, tree: &mut Tree, holder: HolderId) -> Result<u32, IpcError> {
        self.ledger.charge(holder, Resource::Caps, 1)?;
        let index = tree.take_free().ok_or_else(|| {
            self.ledger.uncharge(holder, Resource::Caps, 1);
            IpcError::QuotaExceeded
        })?;
        self.holdings
            .lock()
            .entry(holder)
            .or_default()
            .insert(index);
        Ok(index)
    }

    /// Kills detached slots: new generation, uncharged, back to the free list. Tree lock held.
    fn kill_all(&self, tree: &mut Tree, detached: &[u32]) {
        let mut holdings = self.holdings.lock();
        for &index in detached {
            let slot = &self.slots[index as usize];
            let holder = slot.holder();
            let generation = slot.kill();
            tree.release(index, generation != u32::MAX);
            if let Some(held) = holdings.get_mut(&holder) {
                held.remove(&index);
                if held.is_empty() {
                    holdings.remove(&holder);
                }
            }
            self.ledger.uncharge(holder, Resource::Caps, 1);
        }
    }

    /// Counts and logs a denial; turns a refusal into the caller's error.
    fn settle<T>(
        &self,
        holder: HolderId,
        cap: &Cap,
        needed: Rights,
        result: Result<T, Refusal>,
    ) -> Result<T, IpcError> {
        match result {
            Ok(value) => Ok(value),
            Err(Refusal::Failed(error)) => Err(error),
            Err(Refusal::Denied(reason)) => {
                self.total_denials.fetch_add(1, Ordering::Relaxed);
                *self.denials.lock().entry(holder).or_insert(0) += 1;
                log::warn!(
                    "ipc: denied: holder {} cap {}:{} needs {} ({})",
                    holder.0,
                    cap.index,
                    cap.generation,
                    needed,
                    reason.as_str()
                );
                Err(IpcError::Denied)
            }
        }
    }
}
