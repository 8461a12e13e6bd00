//! The serial shell: reads lines with the editor and runs commands.

mod commands;
pub mod editor;
mod ipc_commands;
mod process_commands;
mod service_commands;

use crate::arch::x86_64 as arch;
use crate::{print, println, runtime};
use alloc::collections::VecDeque;
use editor::{Editor, Line};

/// The prompt, at the start of a line.
pub const PROMPT: &str = "mohhos> ";

/// Bytes typed while a foreground program ran (`run`), fed to the editor before new
/// input: type-ahead is kept, never dropped.
static TYPED_AHEAD: spin::Mutex<VecDeque<u8>> = spin::Mutex::new(VecDeque::new());

/// Keeps `bytes` for the editor (see [`TYPED_AHEAD`]).
fn type_ahead(bytes: impl IntoIterator<Item = u8>) {
    TYPED_AHEAD.lock().extend(bytes);
}

/// The next input byte: type-ahead first, then the serial port.
async fn next_input() -> arch::Received {
    if let Some(byte) = TYPED_AHEAD.lock().pop_front() {
        return arch::Received::Byte(byte);
    }
    runtime::serial::read().await
}

/// Runs the shell for ever.
pub async fn run() {
    let mut editor = Editor::new();
    print!("{PROMPT}");
    loop {
        let byte = match next_input().await {
            arch::Received::Byte(b) => b,
            arch::Received::Dropped(n) => {
                println!("\nerror: input overflow, {n} bytes lost");
                print!("{PROMPT}");
                continue;
            }
        };
        let Some(line) = editor.feed(byte, &mut |s| arch::console_write(s)) else {
            continue;
        };
        match line {
            Line::Text(text) if text.trim().is_empty() => {}
            Line::Text(text) => {
                if let Err(message) = commands::run(text.trim()).await {
                    println!("error: {message}");
                }
            }
            Line::TooLong => println!(
                "error: line too long (more than {} bytes)",
                editor::MAX_LINE
            ),
            Line::Cancelled => {}
        }
        print!("{PROMPT}");
    }
}
