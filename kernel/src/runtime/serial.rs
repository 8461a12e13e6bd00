//! Async serial input: bytes the COM1 interrupt put in the receive ring.

use super::executor;
use crate::arch::x86_64 as arch;

/// The next received byte (or a loss report), waiting for the COM1 interrupt
/// when the ring is empty.
pub async fn read() -> arch::Received {
    loop {
        // Take the wait (which records the interrupt count) before looking at
        // the ring: an interrupt after the look still completes the wait.
        let wait = executor()
            .irq()
            .wait(usize::from(arch::SERIAL_VECTOR))
            .expect("COM1 vector is in the table");
        if let Some(received) = arch::try_read_byte() {
            return received;
        }
        wait.await;
    }
}
