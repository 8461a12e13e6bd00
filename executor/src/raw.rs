//! The crate's only `unsafe` code: the task's stage (future, then output) stored inline in
//! the task allocation, without a lock.
//!
//! Why unsafe: a spawn used to allocate twice (the `Arc<TaskCell>` and a `Pin<Box<dyn Stage>>`).
//! Making the cell generic (`Arc<TaskCell<dyn Stage>>`) saves the box but makes every task
//! pointer fat: ring slots and wakers then need thin-pointer round trips, and every header
//! access through `Arc<dyn …>` computes the data offset from the vtable (measured: slower
//! than the malloc it saves). So the cell stays a plain `Arc<TaskCell>` and the stage lives in
//! a [`StageCell`]: an aligned inline buffer of [`INLINE_STAGE`] bytes plus a per-type
//! function table (a hand-made vtable). A stage that is bigger or more aligned than the
//! buffer is boxed into it (the old two-allocation layout, for big futures only).
//!
//! Invariants (what makes the blocks below sound):
//! - the buffer holds one initialised value of the type its table was made for, from
//!   [`new_task`] until `StageCell::drop`;
//! - it is written straight into the `Arc` allocation and never moved after that, so handing
//!   out `Pin<&mut _>` is sound; it is dropped in place with the cell;
//! - one accessor at a time, without a lock: only the `RUNNING` owner polls or drops the
//!   future (`SCHEDULED → RUNNING` and back are acquire/release compare-exchanges on the
//!   state word, `state.rs`), and the `JoinHandle` takes the output only after it saw
//!   `COMPLETE` with acquire (set by the owner's release RMW after its last stage access;
//!   nothing touches the stage after `COMPLETE` but the single joiner). Loom model:
//!   `stage_handoff` in `loom_models.rs` (the cell is a loom `UnsafeCell` there, so loom
//!   checks every access for a data race);
//! - the joiner reads the output through the [`TakeOutput`] function that [`new_task`]
//!   returned with the task, made for the very stage type it wrote (so no type check,
//!   no `dyn Any`, is needed at run time).

#![allow(unsafe_code)]

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::future::Future;
use core::mem::{MaybeUninit, align_of, size_of};
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::state::{COMPLETE, RUNNING};
use crate::task::{Core, Header, Stage, Task, TaskCell};

#[cfg(loom)]
use loom::cell::UnsafeCell;

#[cfg(not(loom))]
#[repr(transparent)]
struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    #[inline]
    fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Bytes of stage (the future, later its output) kept inline in the task allocation.
pub(crate) const INLINE_STAGE: usize = 128;
/// Alignment of the inline buffer; a stage that needs more is boxed.
const INLINE_ALIGN: usize = 16;

#[repr(C, align(16))]
struct Buf(MaybeUninit<[u8; INLINE_STAGE]>);

const _: () = assert!(align_of::<Buf>() == INLINE_ALIGN);

/// The operations of one concrete stage type, on a pointer to it in the buffer.
struct StageVTable {
    poll: unsafe fn(*mut u8, &mut Context<'_>) -> Poll<()>,
    drop_future: unsafe fn(*mut u8),
    drop: unsafe fn(*mut u8),
}

struct VTableOf<T>(T);

impl<T: Stage> VTableOf<T> {
    const VTABLE: &'static StageVTable = &StageVTable {
        poll: poll::<T>,
        drop_future: drop_future::<T>,
        drop: drop_stage::<T>,
    };
}

/// # Safety
/// `stage` points to a live `T` in a buffer that is never moved, and the caller is its only
/// accessor for the call (module invariants).
unsafe fn pinned<'a, T>(stage: *mut u8) -> Pin<&'a mut T> {
    // SAFETY: the caller's contract: a live, exclusively accessed, never-moved `T`.
    unsafe { Pin::new_unchecked(&mut *stage.cast::<T>()) }
}

// The table entries. Safety (all three): `stage` points to the live `T` of a `StageCell`
// whose table was made for `T`, and the caller is its only accessor (module invariants).

unsafe fn poll<T: Stage>(stage: *mut u8, cx: &mut Context<'_>) -> Poll<()> {
    // SAFETY: called only through the table made for `T`, under the module invariants.
    unsafe { pinned::<T>(stage) }.poll_stage(cx)
}

unsafe fn drop_future<T: Stage>(stage: *mut u8) {
    // SAFETY: as in `poll`.
    unsafe { pinned::<T>(stage) }.drop_future()
}

unsafe fn drop_stage<T: Stage>(stage: *mut u8) {
    // SAFETY: called once, from `StageCell::drop` (exclusive), on the live `T`; dropping in
    // place keeps the pinning promise.
    unsafe { stage.cast::<T>().drop_in_place() }
}

/// A stage too big (or too aligned) for the buffer: boxed, and the box kept inline.
struct Boxed<S>(Pin<Box<S>>);

impl<S: Stage> Stage for Boxed<S> {
    fn poll_stage(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll_stage(cx)
    }
    fn drop_future(mut self: Pin<&mut Self>) {
        self.0.as_mut().drop_future()
    }
}

/// A task's stage, inline and type-erased; see the module docs for who may touch it.
pub(crate) struct StageCell {
    vtable: &'static StageVTable,
    buf: UnsafeCell<Buf>,
}

// SAFETY: the stage value is `Send` (`Stage: Send`, required by `new_task`); `&StageCell`
// is used by one thread at a time (module invariants: the `RUNNING` owner or the joiner
// after `COMPLETE`, each handoff an acquire/release pair on the task's state word).
unsafe impl Sync for StageCell {}

/// Whether a `T` fits the inline buffer.
const fn fits<T>() -> bool {
    size_of::<T>() <= INLINE_STAGE && align_of::<T>() <= INLINE_ALIGN
}

/// Moves a completed task's output out of its stage (`None` when the task was cancelled).
pub(crate) type TakeOutput<T> = fn(&TaskCell) -> Option<T>;

/// Allocates a task running `future`: `header()` and the stage written straight into the
/// `Arc` allocation (no copy of the inline buffer on the way; a stage that does not fit is
/// boxed first). Returns the task and the function that takes its output.
#[inline]
pub(crate) fn new_task<F>(
    header: impl FnOnce() -> Header,
    future: F,
) -> (Task, TakeOutput<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let stage = Core::Running(future);
    if fits::<Core<F>>() {
        (new_inline(header, stage), take_output::<F>)
    } else {
        (new_inline(header, Boxed(Box::pin(stage))), take_output::<F>)
    }
}

/// The [`TakeOutput`] of a task made by [`new_task`] for a future `F`.
fn take_output<F>(task: &TaskCell) -> Option<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // Checked for real: this acquire load orders the owner's last stage access before
    // ours, and after COMPLETE only the (single, `&mut`-polled) joiner gets here.
    assert!(
        task.state.load() & COMPLETE != 0,
        "take_output before COMPLETE"
    );
    task.stage.buf.with_mut(|buf| {
        let core = if fits::<Core<F>>() {
            // SAFETY: `new_task` wrote a `Core<F>` into this buffer (it fits), COMPLETE is
            // terminal and no owner runs after it (module invariants).
            unsafe { pinned::<Core<F>>(buf.cast()) }
        } else {
            // SAFETY: as above, the buffer holding the `Boxed<Core<F>>` made by `new_task`.
            unsafe { pinned::<Boxed<Core<F>>>(buf.cast()) }
                .get_mut()
                .0
                .as_mut()
        };
        core.take_output()
    })
}

#[cfg(loom)]
fn new_inline<T: Stage + 'static>(header: impl FnOnce() -> Header, stage: T) -> Task {
    assert!(fits::<T>());
    let mut buf = Buf(MaybeUninit::uninit());
    // SAFETY: the buffer is big and aligned enough for `T` (asserted above) and empty.
    unsafe { buf.0.as_mut_ptr().cast::<T>().write(stage) };
    let stage = StageCell {
        vtable: VTableOf::<T>::VTABLE,
        buf: UnsafeCell::new(buf),
    };
    Arc::new(TaskCell {
        header: header(),
        stage,
    })
}

#[cfg(not(loom))]
#[inline(always)]
fn new_inline<T: Stage + 'static>(header: impl FnOnce() -> Header, stage: T) -> Task {
    assert!(fits::<T>());
    // Not `Arc::new_uninit` either: it computes its layout at run time, out of line.
    let task = Arc::new(MaybeUninit::<TaskCell>::uninit());
    // Not `Arc::get_mut`: its uniqueness check is a compare-exchange on the weak count,
    // and a new `Arc` is unique by construction.
    let cell = Arc::as_ptr(&task).cast_mut().cast::<TaskCell>();
    // SAFETY: `cell` points to the uninitialised cell of a new `Arc` that nothing else can
    // reach (no reference to it exists), with the allocation's provenance (`as_ptr` does
    // not go through a reference). Every field is written once, through raw pointers: the
    // header, the table, and the stage into the buffer (`Buf` is `repr(C)` with the bytes
    // at offset 0, the `UnsafeCell` wrappers are `repr(transparent)`, and `T` fits its
    // size and alignment, asserted above). The buffer is `MaybeUninit`, so its other bytes
    // need no initialisation. The cell is then initialised, and the stage stays where it
    // was written (module invariants).
    unsafe {
        (&raw mut (*cell).header).write(header());
        (&raw mut (*cell).stage.vtable).write(VTableOf::<T>::VTABLE);
        (&raw mut (*cell).stage.buf).cast::<T>().write(stage);
        task.assume_init()
    }
}

impl Drop for StageCell {
    fn drop(&mut self) {
        let drop = self.vtable.drop;
        // SAFETY: `&mut self`: no other accessor; the buffer holds the table's type.
        self.buf.with_mut(|buf| unsafe { drop(buf.cast()) });
    }
}

impl TaskCell {
    /// `RUNNING` owner only: polls the stage.
    #[inline]
    pub(crate) fn poll_stage(&self, cx: &mut Context<'_>) -> Poll<()> {
        debug_assert!(self.state.load() & RUNNING != 0, "poll without RUNNING");
        let poll = self.stage.vtable.poll;
        // SAFETY: the caller is the RUNNING owner, the stage's only accessor now (module
        // invariants); the buffer holds the table's type.
        self.stage
            .buf
            .with_mut(|buf| unsafe { poll(buf.cast(), cx) })
    }

    /// `RUNNING` owner only: drops the future in place (nothing to do once it completed).
    #[inline]
    pub(crate) fn drop_future(&self) {
        debug_assert!(self.state.load() & RUNNING != 0, "drop without RUNNING");
        let drop_future = self.stage.vtable.drop_future;
        // SAFETY: as in `poll_stage`.
        self.stage
            .buf
            .with_mut(|buf| unsafe { drop_future(buf.cast()) })
    }
}
