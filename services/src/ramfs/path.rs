//! Path validation and splitting.
//!
//! Paths come from clients over IPC, as bytes, so every one is checked once, up front,
//! before the tree is walked: the walk itself then never meets `.`, `..` or an empty name
//! and cannot escape the root or loop. The check reads eight bytes at a time while none
//! of them is special (NUL, `/` or non-ASCII), and validates UTF-8 only for a path that
//! is not ASCII: names are compared as bytes, and only a new name becomes a `String`.

use super::FsError;

/// The longest path accepted, in bytes. Bounds the work one request can cause.
pub const MAX_PATH_LEN: usize = 1024;

/// The longest path component (file or directory name) accepted, in bytes.
pub const MAX_NAME_LEN: usize = 255;

/// A path that passed [`Path::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Path<'a> {
    /// The path without its leading `/`: empty for the root, otherwise valid UTF-8
    /// names joined by single `/`s.
    rel: &'a [u8],
}

impl<'a> Path<'a> {
    /// The root directory.
    const ROOT: Path<'static> = Path { rel: b"" };

    /// Checks a client's path, in this order: it must start with `/` (so an empty or
    /// relative path is [`FsError::BadPath`]), be at most [`MAX_PATH_LEN`] bytes
    /// ([`FsError::NameTooLong`]), hold no NUL byte and be UTF-8 (`BadPath`); then each
    /// component, left to right, must be non-empty and not `.` or `..` (`BadPath`) and at
    /// most [`MAX_NAME_LEN`] bytes (`NameTooLong`).
    ///
    /// `/` alone is the root. Any other trailing `/` leaves an empty last component and
    /// is rejected, for files and directories alike: one spelling per node keeps the
    /// rules simple.
    pub(super) fn parse(path: &'a [u8]) -> Result<Path<'a>, FsError> {
        let rel = path.strip_prefix(b"/").ok_or(FsError::BadPath)?;
        if path.len() > MAX_PATH_LEN {
            return Err(FsError::NameTooLong);
        }
        if rel.is_empty() {
            return Ok(Path::ROOT);
        }
        // One pass (the first bad name is kept, but a NUL anywhere wins), skipping runs
        // of eight plain bytes.
        let mut first_error = None;
        let mut start = 0;
        let mut ascii = true;
        let mut i = 0;
        while i < rel.len() {
            if let Some(word) = rel[i..].first_chunk::<8>()
                && !has_special_byte(u64::from_le_bytes(*word))
            {
                i += 8;
                continue;
            }
            match rel[i] {
                0 => return Err(FsError::BadPath),
                b'/' => {
                    first_error = first_error.or(check_name(&rel[start..i]).err());
                    start = i + 1;
                }
                byte => ascii &= byte.is_ascii(),
            }
            i += 1;
        }
        if !ascii && core::str::from_utf8(rel).is_err() {
            return Err(FsError::BadPath);
        }
        match first_error.or(check_name(&rel[start..]).err()) {
            Some(error) => Err(error),
            None => Ok(Path { rel }),
        }
    }

    /// The names from the root down; none for the root itself.
    pub(super) fn components(self) -> Components<'a> {
        Components { rest: self.rel }
    }

    /// The parent directory's path and the last name; `None` for the root, which has
    /// neither.
    pub(super) fn split_last(self) -> Option<(Path<'a>, &'a [u8])> {
        if self.rel.is_empty() {
            return None;
        }
        Some(match self.rel.iter().rposition(|&b| b == b'/') {
            Some(slash) => (
                Path {
                    rel: &self.rel[..slash],
                },
                &self.rel[slash + 1..],
            ),
            None => (Path::ROOT, self.rel),
        })
    }
}

/// Byte `b` in every lane of a word.
const fn lanes(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// Whether a word of path bytes holds a NUL, a `/` or a non-ASCII byte (the classic
/// zero-byte test, `(w - 0x01…) & !w & 0x80…`, on the word and on it XOR `/`s).
#[inline]
fn has_special_byte(word: u64) -> bool {
    let has_zero = |w: u64| w.wrapping_sub(lanes(1)) & !w & lanes(0x80) != 0;
    word & lanes(0x80) != 0 || has_zero(word) || has_zero(word ^ lanes(b'/'))
}

/// A path component's own rules: non-empty, not `.` or `..`, at most [`MAX_NAME_LEN`].
fn check_name(name: &[u8]) -> Result<(), FsError> {
    match name {
        b"" | b"." | b".." => Err(FsError::BadPath),
        _ if name.len() > MAX_NAME_LEN => Err(FsError::NameTooLong),
        _ => Ok(()),
    }
}

/// The names of a validated [`Path`], from the root down.
pub(super) struct Components<'a> {
    /// What is left: names joined by single `/`s, or empty.
    rest: &'a [u8],
}

impl<'a> Iterator for Components<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let (name, rest) = match self.rest.iter().position(|&b| b == b'/') {
            Some(slash) => (&self.rest[..slash], &self.rest[slash + 1..]),
            None => (self.rest, &b""[..]),
        };
        self.rest = rest;
        Some(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;

    fn names(path: &str) -> Vec<&str> {
        Path::parse(path.as_bytes())
            .unwrap()
            .components()
            .map(|name| core::str::from_utf8(name).unwrap())
            .collect()
    }

    #[test]
    fn good_paths_split_into_their_names() {
        let long_name = "n".repeat(MAX_NAME_LEN);
        let long_path = {
            // 4 components of 255 bytes plus 4 slashes = 1024 bytes exactly.
            let mut path = String::new();
            for _ in 0..4 {
                path.push('/');
                path.push_str(&long_name);
            }
            path
        };
        assert_eq!(long_path.len(), MAX_PATH_LEN);
        let long_component = alloc::format!("/{long_name}");
        let table: [(&str, &[&str]); 7] = [
            ("/", &[]),
            ("/a", &["a"]),
            ("/a/b/c", &["a", "b", "c"]),
            ("/.hidden", &[".hidden"]),
            ("/a..b/...", &["a..b", "..."]),
            ("/ünï cödé", &["ünï cödé"]),
            (&long_component, &[long_name.as_str()]),
        ];
        for (path, expected) in table {
            assert_eq!(names(path), expected, "{path}");
        }
        assert_eq!(names(&long_path).len(), 4);
    }

    #[test]
    fn bad_paths_are_rejected_with_the_right_error() {
        let too_long_name = alloc::format!("/a/{}", "n".repeat(MAX_NAME_LEN + 1));
        let too_long_path = "/a".repeat(MAX_PATH_LEN / 2 + 1);
        let dotdot_first = alloc::format!("/../{}", "n".repeat(MAX_NAME_LEN + 1));
        let table: [(&str, FsError); 16] = [
            ("", FsError::BadPath),
            ("a", FsError::BadPath),
            ("a/b", FsError::BadPath),
            ("./a", FsError::BadPath),
            ("//", FsError::BadPath),
            ("/a//b", FsError::BadPath),
            ("/a/", FsError::BadPath),
            ("/.", FsError::BadPath),
            ("/..", FsError::BadPath),
            ("/a/./b", FsError::BadPath),
            ("/a/../b", FsError::BadPath),
            ("/a\0b", FsError::BadPath),
            ("/\0", FsError::BadPath),
            (&too_long_name, FsError::NameTooLong),
            (&too_long_path, FsError::NameTooLong),
            // Components are checked left to right: the `..` comes first.
            (&dotdot_first, FsError::BadPath),
        ];
        for (path, expected) in table {
            assert_eq!(Path::parse(path.as_bytes()), Err(expected), "{path:?}");
        }
        // Not UTF-8, wherever it is (a plain run first, so the fast scan meets it late).
        for path in [
            &b"/\xff"[..],
            b"/abcdefgh\xc3",
            b"/abcdefghijklmno/\xc3\x28",
        ] {
            assert_eq!(Path::parse(path), Err(FsError::BadPath), "{path:?}");
        }
        // Special bytes in every position of an eight-byte run are seen.
        for at in 1..=16 {
            let mut path = alloc::vec![b'x'; 18];
            path[0] = b'/';
            path[at] = 0;
            assert_eq!(Path::parse(&path), Err(FsError::BadPath), "NUL at {at}");
            path[at] = b'/';
            // Right after the leading `/` it leaves an empty first name.
            let names = if at == 1 {
                Err(FsError::BadPath)
            } else {
                Ok(2)
            };
            assert_eq!(
                Path::parse(&path).map(|p| p.components().count()),
                names,
                "/ at {at}"
            );
        }
    }

    #[test]
    fn split_last_gives_parent_and_name() {
        assert_eq!(Path::parse(b"/").unwrap().split_last(), None);
        let (parent, name) = Path::parse(b"/a").unwrap().split_last().unwrap();
        assert_eq!((parent, name), (Path::ROOT, &b"a"[..]));
        let (parent, name) = Path::parse(b"/a/b/c").unwrap().split_last().unwrap();
        assert_eq!(name, b"c");
        assert_eq!(
            parent.components().collect::<Vec<_>>(),
            [&b"a"[..], &b"b"[..]]
        );
    }
}
