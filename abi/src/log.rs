//! The log service's protocol (`svc.log`, `docs/services.md`): shared by the kernel's log
//! service and the user runtime, so that packing a record and unpacking it are one pair
//! of functions.
//!
//! A [`WRITE`] message carries `data[0]` = level (0 error … 4 trace) | text length << 8,
//! and the text, UTF-8, little endian, in `data[1..6]`. A call is answered with
//! `data[0]` = 0 or a [`Refused`] code.

/// The log service's endpoint.
pub const ENDPOINT: &str = "svc.log";
/// Writes one record.
pub const WRITE: u64 = 0x0101;
/// Text bytes one record carries.
pub const MAX_TEXT: usize = 40;
/// Levels, most serious first: a level is its index (0 error … 4 trace).
pub const LEVELS: usize = 5;

/// Why a write was refused (its wire code is the discriminant; codes never change).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not a [`WRITE`].
    UnknownTag = 1,
    /// A level of [`LEVELS`] or more.
    BadLevel = 2,
    /// A length above [`MAX_TEXT`].
    BadLength = 3,
    /// The journal has no channel left for the sender.
    NoChannel = 4,
}

/// The data words of a record of `level` with `text`, cut to [`MAX_TEXT`] bytes at a
/// character boundary.
pub fn encode(level: u8, text: &str) -> [u64; 6] {
    let mut end = text.len().min(MAX_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut bytes = [0u8; MAX_TEXT];
    bytes[..end].copy_from_slice(&text.as_bytes()[..end]);
    let mut data = [u64::from(level) | (end as u64) << 8, 0, 0, 0, 0, 0];
    for (word, chunk) in data[1..].iter_mut().zip(bytes.chunks(8)) {
        let mut le = [0u8; 8];
        le.copy_from_slice(chunk);
        *word = u64::from_le_bytes(le);
    }
    data
}

/// The level and text bytes of the record `data` (a [`WRITE`]'s words); the text is
/// what the sender put there, not yet checked to be UTF-8.
pub fn decode(data: &[u64; 6]) -> Result<(usize, [u8; MAX_TEXT], usize), Refused> {
    let level = (data[0] & 0xff) as usize;
    if level >= LEVELS {
        return Err(Refused::BadLevel);
    }
    let len = (data[0] >> 8) as usize;
    if len > MAX_TEXT {
        return Err(Refused::BadLength);
    }
    let mut bytes = [0u8; MAX_TEXT];
    for (chunk, word) in bytes.chunks_mut(8).zip(&data[1..]) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    Ok((level, bytes, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_long_text_is_cut_at_a_boundary() {
        let (level, bytes, len) = decode(&encode(3, "disk full")).unwrap();
        assert_eq!((level, &bytes[..len]), (3, &b"disk full"[..]));
        let long = "é".repeat(30);
        let (_, bytes, len) = decode(&encode(0, &long)).unwrap();
        assert!(len <= MAX_TEXT);
        assert!(core::str::from_utf8(&bytes[..len]).is_ok());
    }

    #[test]
    fn bad_levels_and_lengths_are_refused() {
        assert_eq!(decode(&[5, 0, 0, 0, 0, 0]), Err(Refused::BadLevel));
        assert_eq!(
            decode(&[2 | 41 << 8, 0, 0, 0, 0, 0]),
            Err(Refused::BadLength)
        );
    }
}
