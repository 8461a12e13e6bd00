//! Line editing for the serial shell: printable ASCII, backspace, Ctrl-C,
//! Ctrl-U, history on the up/down arrows (ESC [ A / ESC [ B). Everything else
//! (binary bytes, other escape sequences) is ignored, so no input can break it.

use alloc::string::String;
use alloc::vec::Vec;

/// Longest accepted line, in bytes.
pub const MAX_LINE: usize = 256;
const HISTORY: usize = 32;

/// A finished line.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// The text typed.
    Text(String),
    /// More than [`MAX_LINE`] bytes were typed; the line was discarded.
    TooLong,
    /// Ctrl-C: the line was abandoned.
    Cancelled,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Escape {
    None,
    Started,
    Csi,
    Ss3,
}

/// The line editor's state.
pub struct Editor {
    line: String,
    overflow: bool,
    escape: Escape,
    after_cr: bool,
    history: Vec<String>,
    recall: Option<usize>,
}

impl Editor {
    /// An empty editor.
    pub fn new() -> Self {
        Self {
            line: String::new(),
            overflow: false,
            escape: Escape::None,
            after_cr: false,
            history: Vec::new(),
            recall: None,
        }
    }

    /// Feeds one received byte; `echo` gets what to print back. Returns a line
    /// when Enter completes one.
    pub fn feed(&mut self, byte: u8, echo: &mut impl FnMut(&str)) -> Option<Line> {
        let after_cr = core::mem::replace(&mut self.after_cr, byte == b'\r');
        match self.escape {
            Escape::Started => {
                self.escape = match byte {
                    b'[' => Escape::Csi,
                    b'O' => Escape::Ss3,
                    _ => Escape::None,
                };
                if self.escape != Escape::None || (0x20..=0x7E).contains(&byte) {
                    return None;
                }
            }
            // Parameter and intermediate bytes continue a sequence, a final
            // byte ends it; any other byte (Enter, a control key, binary)
            // abandons it and is handled as ordinary input below.
            Escape::Csi if (0x20..=0x3F).contains(&byte) => return None,
            Escape::Csi if (0x40..=0x7E).contains(&byte) => {
                self.escape = Escape::None;
                match byte {
                    b'A' => self.recall_older(echo),
                    b'B' => self.recall_newer(echo),
                    _ => {}
                }
                return None;
            }
            Escape::Ss3 if (0x20..=0x7E).contains(&byte) => {
                self.escape = Escape::None;
                return None;
            }
            Escape::Csi | Escape::Ss3 => self.escape = Escape::None,
            Escape::None => {}
        }
        match byte {
            b'\n' if after_cr => None,
            b'\r' | b'\n' => {
                echo("\n");
                Some(self.finish())
            }
            0x1B => {
                self.escape = Escape::Started;
                None
            }
            0x08 | 0x7F => {
                if self.line.pop().is_some() {
                    echo("\x08 \x08");
                }
                None
            }
            0x03 => {
                echo("^C\n");
                self.line.clear();
                self.overflow = false;
                self.recall = None;
                Some(Line::Cancelled)
            }
            0x15 => {
                self.erase(echo);
                self.overflow = false;
                None
            }
            0x20..=0x7E => {
                if self.line.len() < MAX_LINE {
                    self.line.push(byte as char);
                    let mut buf = [0u8; 1];
                    echo((byte as char).encode_utf8(&mut buf));
                } else {
                    self.overflow = true;
                }
                None
            }
            _ => None,
        }
    }

    fn finish(&mut self) -> Line {
        self.recall = None;
        let line = core::mem::take(&mut self.line);
        if core::mem::take(&mut self.overflow) {
            return Line::TooLong;
        }
        let trimmed = line.trim();
        if !trimmed.is_empty() && self.history.last().map(String::as_str) != Some(trimmed) {
            if self.history.len() == HISTORY {
                self.history.remove(0);
            }
            self.history.push(String::from(trimmed));
        }
        Line::Text(line)
    }

    fn erase(&mut self, echo: &mut impl FnMut(&str)) {
        for _ in 0..self.line.len() {
            echo("\x08 \x08");
        }
        self.line.clear();
    }

    fn show(&mut self, entry: Option<usize>, echo: &mut impl FnMut(&str)) {
        self.erase(echo);
        self.recall = entry;
        if let Some(i) = entry {
            self.line = self.history[i].clone();
            echo(&self.line);
        }
    }

    fn recall_older(&mut self, echo: &mut impl FnMut(&str)) {
        let entry = match self.recall {
            None if self.history.is_empty() => return,
            None => self.history.len() - 1,
            Some(0) => 0,
            Some(i) => i - 1,
        };
        self.show(Some(entry), echo);
    }

    fn recall_newer(&mut self, echo: &mut impl FnMut(&str)) {
        match self.recall {
            None => {}
            Some(i) if i + 1 < self.history.len() => self.show(Some(i + 1), echo),
            Some(_) => self.show(None, echo),
        }
    }
}
