//! The serial shell: reads lines with the editor and runs commands.

mod commands;
pub mod editor;
mod ipc_commands;
mod process_commands;

use crate::arch::x86_64 as arch;
use crate::{print, println, runtime};
use editor::{Editor, Line};

/// The prompt, at the start of a line.
pub const PROMPT: &str = "mohhos> ";

/// Runs the shell for ever.
pub async fn run() {
    let mut editor = Editor::new();
    print!("{PROMPT}");
    loop {
        let byte = match runtime::serial::read().await {
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
