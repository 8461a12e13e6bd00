//! Path validation and splitting.
//!
//! Paths come from clients over IPC, so every one is checked once, up front, before the
//! tree is walked: the walk itself then never meets `.`, `..` or an empty name and cannot
//! escape the root or loop.

use super::FsError;

/// The longest path accepted, in bytes. Bounds the work one request can cause.
pub const MAX_PATH_LEN: usize = 1024;

/// The longest path component (file or directory name) accepted, in bytes.
pub const MAX_NAME_LEN: usize = 255;

/// A path that passed [`Path::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Path<'a> {
    /// The path without its leading `/`: empty for the root, otherwise names joined by
    /// single `/`s.
    rel: &'a str,
}

impl<'a> Path<'a> {
    /// The root directory.
    const ROOT: Path<'static> = Path { rel: "" };

    /// Checks a client's path, in this order: it must start with `/` (so an empty or
    /// relative path is [`FsError::BadPath`]), be at most [`MAX_PATH_LEN`] bytes
    /// ([`FsError::NameTooLong`]) and hold no NUL byte (`BadPath`); then each component,
    /// left to right, must be non-empty and not `.` or `..` (`BadPath`) and at most
    /// [`MAX_NAME_LEN`] bytes (`NameTooLong`).
    ///
    /// `/` alone is the root. Any other trailing `/` leaves an empty last component and
    /// is rejected, for files and directories alike: one spelling per node keeps the
    /// rules simple.
    pub(super) fn parse(path: &'a str) -> Result<Path<'a>, FsError> {
        let rel = path.strip_prefix('/').ok_or(FsError::BadPath)?;
        if path.len() > MAX_PATH_LEN {
            return Err(FsError::NameTooLong);
        }
        if rel.is_empty() {
            return Ok(Path::ROOT);
        }
        // One pass over the bytes (paths are short: a plain loop beats `split`'s and
        // `contains`' searches): the first bad name is kept, but a NUL anywhere wins.
        let bytes = rel.as_bytes();
        let mut first_error = None;
        let mut start = 0;
        for (i, &byte) in bytes.iter().enumerate() {
            match byte {
                0 => return Err(FsError::BadPath),
                b'/' => {
                    first_error = first_error.or(check_name(&bytes[start..i]).err());
                    start = i + 1;
                }
                _ => {}
            }
        }
        match first_error.or(check_name(&bytes[start..]).err()) {
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
    pub(super) fn split_last(self) -> Option<(Path<'a>, &'a str)> {
        if self.rel.is_empty() {
            return None;
        }
        // Validated: ASCII `/` separates non-empty names, so slicing at it is sound.
        Some(match self.rel.bytes().rposition(|b| b == b'/') {
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
    rest: &'a str,
}

impl<'a> Iterator for Components<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        // Validated: every name is non-empty and `/` is ASCII, so these are char
        // boundaries.
        let (name, rest) = match self.rest.bytes().position(|b| b == b'/') {
            Some(slash) => (&self.rest[..slash], &self.rest[slash + 1..]),
            None => (self.rest, ""),
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
        Path::parse(path).unwrap().components().collect()
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
            assert_eq!(Path::parse(path), Err(expected), "{path:?}");
        }
    }

    #[test]
    fn split_last_gives_parent_and_name() {
        assert_eq!(Path::parse("/").unwrap().split_last(), None);
        let (parent, name) = Path::parse("/a").unwrap().split_last().unwrap();
        assert_eq!((parent, name), (Path::ROOT, "a"));
        let (parent, name) = Path::parse("/a/b/c").unwrap().split_last().unwrap();
        assert_eq!(name, "c");
        assert_eq!(parent.components().collect::<Vec<_>>(), ["a", "b"]);
    }
}
