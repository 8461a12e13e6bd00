//! A user context lent out while its process waits: another context's system call on the
//! same CPU may run it in the trap (seL4's fastpath: a call to a service parked in its
//! receive runs the service at once, without the executor).
//!
//! A process's [`FrameLender`] (made once) lends its frame again and again: each
//! [`FrameLoan`] borrows the frame (and names the address space) for as long as it lives;
//! [`LoanHandle`]s reach it through a shared cell whose state says whether it may be
//! run: `OPEN` → `IN_USE` (a handle runs it) → `OPEN`, and `CLOSED` between loans. Ending a
//! loan waits while a handle runs it, which is bounded: a nested run ends at its slice's
//! end at the latest (and on the loan's own CPU it cannot overlap, as runs happen inside
//! traps with interrupts off).
//!
//! A loan must end by being dropped, never by being leaked (`mem::forget`): the cell
//! would keep pointing at a frame and an address space that are gone. Its one user, the
//! process task, keeps it in its own future next to the frame and the address space.

use super::idt::InterruptFrame;
use super::pcid::UserTables;
use super::user_entry::{self, Nested, Trap, UserFrame};
use alloc::sync::Arc;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicPtr, AtomicU8, AtomicU64, Ordering};

const OPEN: u8 = 0;
const IN_USE: u8 = 1;
const CLOSED: u8 = 2;

/// What a lender shares with its handles: the frame of the current loan, if any, and
/// its tables.
struct LoanCell {
    state: AtomicU8,
    frame: AtomicPtr<UserFrame>,
    root: AtomicU64,
    id: AtomicU64,
    generation: AtomicU64,
}

/// Lends one process's frame, one loan at a time.
pub struct FrameLender {
    cell: Arc<LoanCell>,
}

impl Default for FrameLender {
    fn default() -> Self {
        Self {
            cell: Arc::new(LoanCell {
                state: AtomicU8::new(CLOSED),
                frame: AtomicPtr::new(core::ptr::null_mut()),
                root: AtomicU64::new(0),
                id: AtomicU64::new(0),
                generation: AtomicU64::new(0),
            }),
        }
    }
}

impl FrameLender {
    /// Lends `frame`, which runs in the address space `tables` (whose kernel half is the
    /// kernel's, kept alive and unchanged at least as long as the loan: the lending
    /// process does nothing while lent), until the loan is dropped.
    pub fn lend<'a>(&'a mut self, frame: &'a mut UserFrame, tables: UserTables) -> FrameLoan<'a> {
        let cell = &*self.cell;
        cell.frame.store(frame, Ordering::Relaxed);
        cell.root.store(tables.root, Ordering::Relaxed);
        cell.id.store(tables.id, Ordering::Relaxed);
        cell.generation.store(tables.generation, Ordering::Relaxed);
        // Only `FrameLoan::drop` closes, and a loan borrows the lender: the cell is
        // `CLOSED` here, and opening it publishes the frame to the handles.
        cell.state.store(OPEN, Ordering::Release);
        FrameLoan {
            cell,
            _frame: PhantomData,
        }
    }

    /// A handle that may run the frame while a loan lasts.
    pub fn handle(&self) -> LoanHandle {
        LoanHandle(self.cell.clone())
    }
}

/// A user frame lent out until this is dropped (see the module docs).
pub struct FrameLoan<'a> {
    cell: &'a LoanCell,
    _frame: PhantomData<&'a mut UserFrame>,
}

impl Drop for FrameLoan<'_> {
    fn drop(&mut self) {
        // Wait out a handle that runs the frame now (bounded by its slice, see above).
        while self
            .cell
            .state
            .compare_exchange(OPEN, CLOSED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
    }
}

/// The right to run a lender's frame while a loan lasts.
pub struct LoanHandle(Arc<LoanCell>);

impl LoanHandle {
    /// Runs `f` with the lent context, unless no loan lasts now (or another handle is
    /// using it): `None` then.
    pub fn with<R>(&self, f: impl FnOnce(&mut LentContext) -> R) -> Option<R> {
        let cell = &*self.0;
        cell.state
            .compare_exchange(OPEN, IN_USE, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        // SAFETY: the state is `IN_USE` and only this call moves it back, so the loan
        // that opened it has not ended (its drop waits for `OPEN`), its borrow of the
        // frame is live, and the pointer and root are the ones it stored before opening
        // (the Acquire above pairs with its Release); no other handle reaches the frame
        // until then, and the lending process does not touch it while it is lent (the
        // loan borrows it mutably).
        let frame = unsafe { &mut *cell.frame.load(Ordering::Relaxed) };
        let outcome = f(&mut LentContext { frame, cell });
        cell.state.store(OPEN, Ordering::Release);
        Some(outcome)
    }
}

/// A lent frame while a [`LoanHandle`] uses it.
pub struct LentContext<'a> {
    frame: &'a mut UserFrame,
    cell: &'a LoanCell,
}

impl LentContext<'_> {
    /// The lent context's registers.
    pub fn regs(&mut self) -> &mut InterruptFrame {
        &mut self.frame.regs
    }

    /// Counts a system call of the lent context answered by its borrower.
    pub fn count_fast_call(&mut self) {
        self.frame.count_fast_call();
    }

    /// Runs the lent context from inside a system call of the context this CPU runs,
    /// until it traps or `slice_end`, entered as `how` says; the outer context is current
    /// again afterwards (see `user_entry::run_nested`).
    #[inline(always)]
    pub fn run_nested(&mut self, slice_end: u64, how: Nested) -> Trap {
        let cell = self.cell;
        let tables = || UserTables {
            root: cell.root.load(Ordering::Relaxed),
            id: cell.id.load(Ordering::Relaxed),
            generation: cell.generation.load(Ordering::Relaxed),
        };
        let root = cell.root.load(Ordering::Relaxed);
        user_entry::run_nested(self.frame, root, tables, slice_end, how)
    }
}
