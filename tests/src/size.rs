//! Memory sizes as QEMU writes them (`512M`, `4G`, a bare number is MiB).

/// Parses a QEMU `-m` size into MiB. Accepts suffixes `K`, `M`, `G`, `T` (either case);
/// a bare number means MiB, as in QEMU.
pub fn parse_mib(size: &str) -> Result<u64, String> {
    let bad = || format!("bad memory size `{size}` (examples: 512M, 4G)");
    let s = size.trim();
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, "M"),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let mib = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "K" if n.is_multiple_of(1024) => n / 1024,
        "M" => n,
        "G" => n.checked_mul(1024).ok_or_else(bad)?,
        "T" => n.checked_mul(1024 * 1024).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if mib == 0 { Err(bad()) } else { Ok(mib) }
}

#[cfg(test)]
mod tests {
    use super::parse_mib;

    #[test]
    fn parses_qemu_sizes() {
        assert_eq!(parse_mib("512M"), Ok(512));
        assert_eq!(parse_mib("64m"), Ok(64));
        assert_eq!(parse_mib("4G"), Ok(4096));
        assert_eq!(parse_mib("2GiB"), Ok(2048));
        assert_eq!(parse_mib("256"), Ok(256));
        assert_eq!(parse_mib("1048576K"), Ok(1024));
    }

    #[test]
    fn rejects_nonsense() {
        for bad in ["", "M", "0", "12Q", "1.5G", "-1G", "100K"] {
            assert!(parse_mib(bad).is_err(), "{bad}");
        }
    }
}
