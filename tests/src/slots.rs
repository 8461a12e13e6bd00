//! At most two emulators at a time in one test binary: the machine has 2 cores.

use std::sync::{Condvar, Mutex};

/// How many machines may run at once.
pub const MAX_MACHINES: usize = 2;

static RUNNING: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

/// A claim on one machine slot, released on drop.
pub struct Slot(());

/// Blocks until fewer than [`MAX_MACHINES`] machines run, then claims a slot.
pub fn claim() -> Slot {
    let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    while *running >= MAX_MACHINES {
        running = FREED.wait(running).unwrap_or_else(|e| e.into_inner());
    }
    *running += 1;
    Slot(())
}

impl Drop for Slot {
    fn drop(&mut self) {
        *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        FREED.notify_one();
    }
}
