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

/// `ipc_register(name_ptr, name_len) -> cap`: registers a service named by the UTF-8 name
/// (at most [`MAX_NAME`] bytes, dotted like `user.echo`) owned by the caller; the
/// capability (every right) receives its messages with `ipc_recv`.
pub const IPC_REGISTER: u64 = 16;
/// `ipc_connect(name_ptr, name_len) -> cap`: a capability with the send right on the
/// service registered under the name (services open to user processes only).
pub const IPC_CONNECT: u64 = 17;
/// `ipc_call(cap, request_ptr, reply_ptr, timeout_us) -> 0`: sends the
/// [`MESSAGE_SIZE`]-byte message at `request_ptr` and blocks until the answer, written
/// to `reply_ptr` (writable); `timeout_us` 0 waits for ever, else at most
/// [`MAX_TIMEOUT_US`].
pub const IPC_CALL: u64 = 18;
/// `ipc_send(cap, message_ptr) -> 0`: sends a one-way message; blocks while the queue is
/// full.
pub const IPC_SEND: u64 = 19;
/// `ipc_recv(cap, message_ptr) -> token`: blocks until a message arrives for the
/// caller's service, writes it to `message_ptr`; `token` (non-zero) answers it with
/// `ipc_reply`, 0 means no answer is wanted.
pub const IPC_RECV: u64 = 20;
/// `ipc_reply(token, message_ptr) -> 0`: answers a received call (`Timeout` when the
/// caller gave up); each token answers once.
pub const IPC_REPLY: u64 = 21;

/// Bytes of a message in user memory: `tag: u64`, `data: [u64; 6]`, `cap: u64` (0, or a
/// capability the sender holds with the grant right, which the receiver gets a
/// capability of its own for, with the map right: how shared regions are passed on).
pub const MESSAGE_SIZE: u64 = 64;
/// The longest service name.
pub const MAX_NAME: u64 = 63;
/// The longest call timeout: one minute.
pub const MAX_TIMEOUT_US: u64 = 60_000_000;

/// `ring_setup(entries) -> addr`: maps the process's IPC rings (`entries` a power of two
/// up to `ring::MAX_ENTRIES`), charged to its memory; once per process. The pages stay
/// until the process ends (`protect`/`unmap` refuse them).
pub const RING_SETUP: u64 = 22;
/// `ring_enter(min_complete, timeout_us) -> n`: takes the new submissions, then blocks
/// until at least `min_complete` completions wait (or `timeout_us` passes, 0: no
/// limit, at most [`MAX_TIMEOUT_US`]); returns how many wait.
pub const RING_ENTER: u64 = 23;

/// `region_create(len) -> cap`: a shared region of `len` bytes (whole pages, zeroed, at
/// most [`MAX_REGION`]), charged to the caller's region quota; the capability has the
/// map, grant and manage rights. Put it in a message's capability word to share the
/// region: the receiver gets a capability of its own with the map right.
pub const REGION_CREATE: u64 = 24;
/// `region_map(cap) -> addr`: maps the whole region read-write into the caller (needs
/// the map right); it stays mapped until unmapped or the process ends, and the region
/// lives while anyone has it mapped.
pub const REGION_MAP: u64 = 25;

/// `ipc_reply_recv(token, reply_ptr, cap, message_ptr) -> token`: `ipc_reply(token,
/// reply_ptr)` (skipped for token 0), then `ipc_recv(cap, message_ptr)`, in one call:
/// a service's loop makes one system call per request. The receive happens even when
/// the caller of the answered call gave up (`Timeout`); any other reply error is
/// returned and nothing is received. `message_ptr` is checked before the reply.
pub const IPC_REPLY_RECV: u64 = 26;

/// `ipc_call_regs(cap, timeout_us) -> 0`, the message in registers: as [`IPC_CALL`], but
/// the request is read from, and the reply written to, the message registers — in
/// message order `rdx` (tag), `r8`, `r9`, `r10`, `r12`, `r13`, `r14` (the six data
/// words), `r15` (the capability word) — so no user memory is touched (the fast path for
/// short calls, as seL4's message registers). On an error they keep the request.
pub const IPC_CALL_REGS: u64 = 27;

/// `ipc_reply_recv_regs(token, cap) -> token`, the messages in registers: as
/// [`IPC_REPLY_RECV`], but the answer (for a non-zero token) is read from, and the next
/// message written to, the message registers of [`IPC_CALL_REGS`], so no user memory is
/// touched (the service side of the register fast path). On an error the message
/// registers keep the answer.
pub const IPC_REPLY_RECV_REGS: u64 = 28;

/// The largest shared region: 16 MiB.
pub const MAX_REGION: u64 = 16 << 20;
