//! Where every interrupt and exception lands after its entry stub.
//!
//! Handlers only record and wake: they never allocate and never take a lock that
//! code running with interrupts enabled could hold.

use super::idt::InterruptFrame;
use super::{apic, exceptions, percpu, serial, stop, vectors};
use core::sync::atomic::Ordering;

static SINK: spin::Once<fn(u8)> = spin::Once::new();

/// Sets the function told about every device interrupt and IPI after its handler
/// ran (the executor's IRQ wakers). It runs in interrupt context: it must only
/// record and wake.
pub fn set_sink(sink: fn(u8)) {
    SINK.call_once(|| sink);
}

/// Called by `interrupt_common` with the saved registers.
pub extern "C" fn dispatch(frame: &mut InterruptFrame) {
    let vector = frame.vector as u8;
    match vector {
        vectors::NMI => {
            if stop::requested() {
                stop::halt_forever();
            }
            exceptions::fatal(frame);
        }
        0..=31 => exceptions::fatal(frame),
        // Spurious interrupts need no EOI (a spurious IRQ 15 would want one at
        // the master PIC, whose lines are all masked anyway).
        vectors::SPURIOUS => {}
        v if v == vectors::LEGACY_PIC_BASE + 7 || v == vectors::LEGACY_PIC_BASE + 15 => {}
        _ => {
            let cpu = percpu::current();
            cpu.interrupts.fetch_add(1, Ordering::Relaxed);
            match vector {
                vectors::TIMER => {
                    cpu.timer_interrupts.fetch_add(1, Ordering::Relaxed);
                }
                vectors::COM1 => serial::on_receive_interrupt(),
                _ => {}
            }
            apic::raw::eoi();
            if let Some(sink) = SINK.get() {
                sink(vector);
            }
        }
    }
}
