//! The user half of an address space.

/// Size of a page.
pub const PAGE_SIZE: u64 = 4096;
/// Lowest address a user mapping may use (the first 2 MiB stay unmapped, so null and
/// small offsets from it always fault).
pub const USER_MIN: u64 = 0x20_0000;
/// One past the highest user address (the end of the lower canonical half).
pub const USER_END: u64 = 0x0000_8000_0000_0000;
/// Where `map` places new regions (growing up).
pub const MAP_BASE: u64 = 0x1000_0000_0000;
/// One past the top of the initial user stack.
pub const STACK_TOP: u64 = 0x7fff_ffff_0000;
/// Size of the initial user stack (below it one unmapped guard page).
pub const STACK_SIZE: u64 = 64 * 1024;

/// Whether `[addr, addr + len)` lies entirely in the user half (and does not overflow).
pub fn is_user_range(addr: u64, len: u64) -> bool {
    match addr.checked_add(len) {
        Some(end) => addr >= USER_MIN && end <= USER_END,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_that_leave_the_user_half_are_refused() {
        assert!(is_user_range(USER_MIN, PAGE_SIZE));
        assert!(!is_user_range(0, 8));
        assert!(!is_user_range(USER_END - 8, 16));
        assert!(!is_user_range(0xffff_8000_0000_0000, 8));
        assert!(!is_user_range(u64::MAX - 4, 16));
        assert!(is_user_range(USER_END - 16, 16));
    }
}
