//! The log service's store: one bounded channel of records per service (and one for
//! the kernel), read back merged by time and filtered by channel and level (`dmesg`).
//!
//! Everything is bounded: a channel keeps its last records (older ones are counted as
//! dropped, never lost silently), a record's text is cut at a character boundary, and
//! the number of channels is capped.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// How serious a record is, most serious first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Something failed.
    Error,
    /// Something is wrong but work goes on.
    Warn,
    /// Normal operation.
    Info,
    /// Details for developers.
    Debug,
    /// Everything.
    Trace,
}

impl Level {
    /// Every level, most serious first.
    pub const ALL: [Level; 5] = [
        Level::Error,
        Level::Warn,
        Level::Info,
        Level::Debug,
        Level::Trace,
    ];

    /// The level's name as `dmesg` prints and parses it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }

    /// The level named `name` (as [`Level::name`] spells it).
    pub fn parse(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == name)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Longest text a record keeps, bytes.
pub const MAX_TEXT: usize = 200;

/// One log record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// When, microseconds since boot.
    pub at_us: u64,
    /// How serious.
    pub level: Level,
    /// What (at most [`MAX_TEXT`] bytes).
    pub text: String,
}

/// A channel of a [`LogBook`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelId(usize);

struct Channel {
    name: String,
    records: VecDeque<Record>,
    dropped: u64,
}

/// One channel's numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelStats {
    /// Its name.
    pub name: String,
    /// Records held.
    pub records: usize,
    /// Records pushed out to make room.
    pub dropped: u64,
}

/// The channels.
pub struct LogBook {
    channels: Vec<Channel>,
    max_channels: usize,
    per_channel: usize,
}

impl LogBook {
    /// No channels yet; at most `max_channels` of them, each keeping its last
    /// `per_channel` records (at least one).
    pub fn new(max_channels: usize, per_channel: usize) -> Self {
        Self {
            channels: Vec::new(),
            max_channels,
            per_channel: per_channel.max(1),
        }
    }

    /// The channel `name`, made if it does not exist; `None` when there are
    /// `max_channels` already.
    pub fn channel(&mut self, name: &str) -> Option<ChannelId> {
        if let Some(i) = self.channels.iter().position(|c| c.name == name) {
            return Some(ChannelId(i));
        }
        if self.channels.len() >= self.max_channels {
            return None;
        }
        self.channels.push(Channel {
            name: name.into(),
            records: VecDeque::new(),
            dropped: 0,
        });
        Some(ChannelId(self.channels.len() - 1))
    }

    /// Appends a record to `channel` (ids come from [`LogBook::channel`] of this book),
    /// its text cut to [`MAX_TEXT`] bytes, pushing out the channel's oldest if full.
    pub fn append(&mut self, channel: ChannelId, at_us: u64, level: Level, text: &str) {
        let Some(channel) = self.channels.get_mut(channel.0) else {
            return;
        };
        if channel.records.len() == self.per_channel {
            channel.records.pop_front();
            channel.dropped += 1;
        }
        let mut end = text.len().min(MAX_TEXT);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        channel.records.push_back(Record {
            at_us,
            level,
            text: text[..end].into(),
        });
    }

    /// The records of `channel` (every channel if `None`) at `level` or more serious,
    /// oldest first (ties keep channel order), each with its channel's name; `None` if
    /// there is no channel of that name.
    pub fn query(&self, channel: Option<&str>, level: Level) -> Option<Vec<(&str, &Record)>> {
        if let Some(name) = channel
            && !self.channels.iter().any(|c| c.name == name)
        {
            return None;
        }
        let mut found: Vec<(&str, &Record)> = self
            .channels
            .iter()
            .filter(|c| channel.is_none_or(|name| c.name == name))
            .flat_map(|c| c.records.iter().map(move |r| (c.name.as_str(), r)))
            .filter(|(_, r)| r.level <= level)
            .collect();
        found.sort_by_key(|(_, r)| r.at_us);
        Some(found)
    }

    /// Every channel's numbers, in the order they were made.
    pub fn stats(&self) -> Vec<ChannelStats> {
        self.channels
            .iter()
            .map(|c| ChannelStats {
                name: c.name.clone(),
                records: c.records.len(),
                dropped: c.dropped,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_merge_by_time_and_filter_by_channel_and_level() {
        let mut book = LogBook::new(4, 8);
        let kernel = book.channel("kernel").expect("channel");
        let storage = book.channel("storage").expect("channel");
        book.append(kernel, 1, Level::Info, "boot");
        book.append(storage, 2, Level::Warn, "disk 90% full");
        book.append(kernel, 3, Level::Debug, "detail");
        book.append(storage, 4, Level::Error, "write failed");
        let texts = |found: Vec<(&str, &Record)>| -> Vec<(String, String)> {
            found
                .into_iter()
                .map(|(c, r)| (c.into(), r.text.clone()))
                .collect()
        };
        let all = texts(book.query(None, Level::Trace).expect("all"));
        assert_eq!(all.len(), 4);
        assert_eq!(all[1], ("storage".into(), "disk 90% full".into()));
        let warn = texts(book.query(None, Level::Warn).expect("warn"));
        assert_eq!(
            warn,
            [
                ("storage".into(), "disk 90% full".into()),
                ("storage".into(), "write failed".into())
            ]
        );
        let kernel_info = texts(book.query(Some("kernel"), Level::Info).expect("kernel"));
        assert_eq!(kernel_info, [("kernel".into(), "boot".into())]);
        assert!(book.query(Some("ghost"), Level::Trace).is_none());
    }

    #[test]
    fn channels_and_records_are_bounded() {
        let mut book = LogBook::new(2, 3);
        let a = book.channel("a").expect("a");
        assert_eq!(book.channel("a"), Some(a));
        assert!(book.channel("b").is_some());
        assert!(book.channel("c").is_none());
        for i in 0..10 {
            book.append(a, i, Level::Info, &alloc::format!("{i}"));
        }
        let found = book.query(Some("a"), Level::Trace).expect("a");
        let texts: Vec<&str> = found.iter().map(|(_, r)| r.text.as_str()).collect();
        assert_eq!(texts, ["7", "8", "9"]);
        assert_eq!(book.stats()[0].dropped, 7);
    }

    #[test]
    fn long_text_is_cut_at_a_character_boundary() {
        let mut book = LogBook::new(1, 1);
        let a = book.channel("a").expect("a");
        let text = "é".repeat(MAX_TEXT);
        book.append(a, 0, Level::Info, &text);
        let found = book.query(None, Level::Trace).expect("all");
        assert!(found[0].1.text.len() <= MAX_TEXT);
        assert!(found[0].1.text.chars().all(|c| c == 'é'));
    }

    #[test]
    fn levels_parse_their_names() {
        for level in Level::ALL {
            assert_eq!(Level::parse(level.name()), Some(level));
        }
        assert_eq!(Level::parse("loud"), None);
        assert!(Level::Error < Level::Trace);
    }
}
