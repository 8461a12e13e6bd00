//! System-call numbers (in `rax`) and what each takes and returns.

/// `exit(code)`: ends the calling process with `code`. Does not return.
pub const EXIT: u64 = 0;
/// `write(ptr, len) -> len`: writes `len` bytes of UTF-8 (invalid bytes are replaced) to the
/// console, at most [`MAX_WRITE`] per call.
pub const WRITE: u64 = 1;
/// `yield() -> 0`: lets other tasks run.
pub const YIELD: u64 = 2;
/// `getpid() -> pid`.
pub const GETPID: u64 = 3;
/// `sleep(microseconds) -> 0`: blocks at least that long (at most [`MAX_SLEEP_US`]).
pub const SLEEP: u64 = 4;
/// `map(len, prot) -> addr`: new zeroed pages (`len` rounded up to pages), charged to the
/// memory quota.
pub const MAP: u64 = 5;
/// `protect(addr, len, prot) -> 0`: changes the protection of mapped pages (W^X enforced).
pub const PROTECT: u64 = 6;
/// `unmap(addr, len) -> 0`: frees mapped pages (every page of the range must be mapped).
pub const UNMAP: u64 = 7;

/// The most bytes one `write` takes.
pub const MAX_WRITE: u64 = 4096;
/// The longest `sleep`: one minute.
pub const MAX_SLEEP_US: u64 = 60_000_000;
