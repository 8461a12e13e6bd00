//! Hardware wakers: one waker slot per interrupt source.
//!
//! Interrupt-context rule: [`IrqWakers::fire`] only increments a counter and sets two flags
//! (no allocation, no lock, no waker call). The wakers themselves are woken later by
//! [`IrqWakers::dispatch`], which each executor core runs in task context on every loop
//! iteration and before halting; the interrupt that called `fire` has already pulled its
//! core out of `hlt`, and the executor's last check before halting looks at `pending`.
//!
//! Invariants: `count[irq]` only grows; a waiter registers its waker before comparing the
//! count, so a `fire` after the comparison finds the waker (no lost interrupt).

use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::task::{Context, Poll, Waker};

use futures_util::task::AtomicWaker;

/// Error for an interrupt number outside the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqError {
    /// `irq >= N`.
    OutOfRange,
}

struct IrqSlot {
    waker: AtomicWaker,
    count: AtomicU64,
    pending: AtomicBool,
}

/// Table of `N` waker slots indexed by interrupt source (vector or GSI).
///
/// One waiter per source: a second `register`/`wait` on the same source replaces the
/// first waker (like a driver owning its IRQ).
pub struct IrqWakers<const N: usize> {
    slots: [IrqSlot; N],
    pending: AtomicBool,
}

impl<const N: usize> IrqWakers<N> {
    /// An empty table (usable in a `static`).
    pub const fn new() -> Self {
        Self {
            slots: [const {
                IrqSlot {
                    waker: AtomicWaker::new(),
                    count: AtomicU64::new(0),
                    pending: AtomicBool::new(false),
                }
            }; N],
            pending: AtomicBool::new(false),
        }
    }

    fn slot(&self, irq: usize) -> Result<&IrqSlot, IrqError> {
        self.slots.get(irq).ok_or(IrqError::OutOfRange)
    }

    /// Sets the waker woken at the next dispatch after `fire(irq)`.
    pub fn register(&self, irq: usize, waker: &Waker) -> Result<(), IrqError> {
        self.slot(irq)?.waker.register(waker);
        Ok(())
    }

    /// Interrupt context: records that `irq` fired. Lock-free, allocation-free, wakes nothing
    /// itself.
    pub fn fire(&self, irq: usize) -> Result<(), IrqError> {
        let slot = self.slot(irq)?;
        slot.count.fetch_add(1, Ordering::AcqRel);
        slot.pending.store(true, Ordering::Release);
        self.pending.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// How many times `irq` fired so far.
    pub fn count(&self, irq: usize) -> Result<u64, IrqError> {
        Ok(self.slot(irq)?.count.load(Ordering::Acquire))
    }

    /// Whether some `fire` has not been dispatched yet.
    #[inline]
    pub fn is_pending(&self) -> bool {
        self.pending.load(Ordering::SeqCst)
    }

    /// Task context: wakes the waker of every source fired since the last dispatch.
    /// Returns how many sources were dispatched.
    pub fn dispatch(&self) -> usize {
        if !self.pending.swap(false, Ordering::SeqCst) {
            return 0;
        }
        let mut woken = 0;
        for slot in &self.slots {
            if slot.pending.swap(false, Ordering::AcqRel) {
                slot.waker.wake();
                woken += 1;
            }
        }
        woken
    }

    /// Drops every registered waker (executor shutdown).
    pub(crate) fn clear(&self) {
        for slot in &self.slots {
            drop(slot.waker.take());
        }
    }

    /// A future that completes at the first `fire(irq)` after this call, yielding the
    /// interrupt's count.
    pub fn wait(&self, irq: usize) -> Result<IrqWait<'_, N>, IrqError> {
        let seen = self.count(irq)?;
        Ok(IrqWait {
            table: self,
            irq,
            seen,
        })
    }
}

impl<const N: usize> Default for IrqWakers<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// Future returned by [`IrqWakers::wait`].
#[derive(Debug)]
pub struct IrqWait<'a, const N: usize> {
    table: &'a IrqWakers<N>,
    irq: usize,
    seen: u64,
}

impl<const N: usize> Future for IrqWait<'_, N> {
    type Output = u64;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        let slot = &self.table.slots[self.irq];
        slot.waker.register(cx.waker());
        let count = slot.count.load(Ordering::Acquire);
        if count != self.seen {
            Poll::Ready(count)
        } else {
            Poll::Pending
        }
    }
}

impl<const N: usize> core::fmt::Debug for IrqWakers<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IrqWakers")
            .field("sources", &N)
            .field("pending", &self.is_pending())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;
    use super::*;
    use alloc::sync::Arc;
    use alloc::task::Wake;
    use std::sync::atomic::AtomicUsize;

    struct Counter(AtomicUsize);
    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn fire_defers_wake_to_dispatch() {
        let table = IrqWakers::<4>::new();
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        table.register(2, &waker).unwrap();
        table.fire(2).unwrap();
        assert_eq!(counter.0.load(Ordering::SeqCst), 0);
        assert!(table.is_pending());
        assert_eq!(table.dispatch(), 1);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert_eq!(table.dispatch(), 0);
        assert_eq!(table.fire(4), Err(IrqError::OutOfRange));
    }

    #[test]
    fn wait_completes_only_after_a_later_fire() {
        let table = IrqWakers::<2>::new();
        table.fire(1).unwrap();
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        let mut wait = table.wait(1).unwrap();
        assert_eq!(Pin::new(&mut wait).poll(&mut cx), Poll::Pending);
        table.fire(1).unwrap();
        table.dispatch();
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert_eq!(Pin::new(&mut wait).poll(&mut cx), Poll::Ready(2));
    }
}
