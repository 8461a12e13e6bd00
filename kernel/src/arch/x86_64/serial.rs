//! COM1 (16550 UART at I/O port 0x3F8): polled transmit, interrupt-driven receive.
//!
//! Output goes through one lock taken with interrupts disabled, so a line from one
//! CPU is never torn by another. The fatal paths (panic, exceptions) bypass the
//! lock with [`emergency_write`] because its holder may be the CPU that died.

use core::fmt::{self, Write};
use spin::Mutex;
use uart_16550::backend::PioBackend;
use uart_16550::spec::registers::IER;
use uart_16550::{BaudRate, Config, Uart16550};

const COM1_PORT: u16 = 0x3F8;

static COM1: Mutex<Option<Uart16550<PioBackend>>> = Mutex::new(None);

fn open_com1() -> Option<Uart16550<PioBackend>> {
    // SAFETY: 0x3F8..0x3FF is COM1 on every PC; the kernel owns it and touches it
    // only through this module.
    unsafe { Uart16550::new_port(COM1_PORT) }.ok()
}

/// Programs COM1 at 115200 8N1 with FIFOs and the receive-data interrupt.
pub fn init() {
    let mut uart = open_com1();
    let configured = uart.as_mut().is_some_and(|u| {
        u.init(Config {
            baud_rate: BaudRate::Baud115200,
            interrupts: IER::DATA_READY,
            ..Config::DEFAULT
        })
        .is_ok()
    });
    *COM1.lock() = if configured { uart } else { None };
}

/// Writes `s` to COM1, translating `\n` into `\r\n`.
pub fn write_str(s: &str) {
    x86_64::instructions::interrupts::without_interrupts(|| {
        if let Some(uart) = COM1.lock().as_mut() {
            send(uart, s);
        }
    });
}

/// Writes formatted text to COM1 under the console lock.
pub fn write_fmt(args: fmt::Arguments) {
    x86_64::instructions::interrupts::without_interrupts(|| {
        if let Some(uart) = COM1.lock().as_mut() {
            let _ = UartWriter(uart).write_fmt(args);
        }
    });
}

/// Drains every byte the UART holds into `sink`; called from the COM1 interrupt.
pub fn drain_received(mut sink: impl FnMut(u8)) {
    if let Some(uart) = COM1.lock().as_mut() {
        while let Ok(byte) = uart.try_receive_byte() {
            sink(byte);
        }
    }
}

/// Writes without taking the console lock: for panic and exception reports only.
pub fn emergency_write(args: fmt::Arguments) {
    if let Some(mut uart) = open_com1() {
        let _ = UartWriter(&mut uart).write_fmt(args);
    }
}

struct UartWriter<'a>(&'a mut Uart16550<PioBackend>);

impl Write for UartWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        send(self.0, s);
        Ok(())
    }
}

fn send(uart: &mut Uart16550<PioBackend>, s: &str) {
    for line in s.split_inclusive('\n') {
        match line.strip_suffix('\n') {
            Some(body) => {
                uart.send_bytes_exact(body.as_bytes());
                uart.send_bytes_exact(b"\r\n");
            }
            None => uart.send_bytes_exact(line.as_bytes()),
        }
    }
}

/// Received bytes waiting for a reader.
struct RxRing {
    bytes: [u8; RX_CAPACITY],
    head: usize,
    len: usize,
    dropped: u64,
}

const RX_CAPACITY: usize = 4096;

static RX: Mutex<RxRing> = Mutex::new(RxRing {
    bytes: [0; RX_CAPACITY],
    head: 0,
    len: 0,
    dropped: 0,
});

/// COM1 interrupt: moves the UART's bytes into the receive ring. When the ring
/// is full, further bytes are counted as dropped (the reader reports them).
pub fn on_receive_interrupt() {
    let mut rx = RX.lock();
    drain_received(|byte| {
        if rx.len == RX_CAPACITY {
            rx.dropped += 1;
        } else {
            let tail = (rx.head + rx.len) % RX_CAPACITY;
            rx.bytes[tail] = byte;
            rx.len += 1;
        }
    });
}

/// What [`read_byte`] found.
pub enum Received {
    /// The next byte.
    Byte(u8),
    /// Bytes were lost because the ring overflowed.
    Dropped(u64),
}

/// Takes the next received byte (or a loss report) if there is one.
pub fn try_read_byte() -> Option<Received> {
    x86_64::instructions::interrupts::without_interrupts(|| {
        let mut rx = RX.lock();
        if rx.dropped > 0 {
            Some(Received::Dropped(core::mem::take(&mut rx.dropped)))
        } else if rx.len > 0 {
            let byte = rx.bytes[rx.head];
            rx.head = (rx.head + 1) % RX_CAPACITY;
            rx.len -= 1;
            Some(Received::Byte(byte))
        } else {
            None
        }
    })
}
