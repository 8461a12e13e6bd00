//! `hostile`: calls every system call with arguments the kernel must refuse and checks
//! the exact error. One line per check, `hostile: ok <what> -> <expected>` or
//! `hostile: FAIL <what> -> <expected>: got <result>` (`<result>` as `Ok(16)` or
//! `Err(BadAddress)`), then `hostile: <P> passed, <F> failed`; the exit code is F.
//!
//! The checks are the table [`CHECKS`]: a name, a system-call number, arguments and the
//! errors accepted. New system calls add rows; arguments that name memory or
//! capabilities of this program are [`Arg`]s resolved at run time (forged and stale
//! capabilities included).

#![no_std]
#![no_main]

use core::fmt;

use mohhos_user::ipc;
use mohhos_user::layout::PAGE_SIZE;
use mohhos_user::syscall::{
    IPC_CALL, IPC_CALL_REGS, IPC_CONNECT, IPC_RECV, IPC_REGISTER, IPC_REPLY, IPC_REPLY_RECV,
    IPC_REPLY_RECV_REGS, IPC_SEND, MAP, MAX_NAME, MAX_REGION, MAX_SLEEP_US, MAX_TIMEOUT_US,
    MAX_WRITE, PROTECT, REGION_CREATE, REGION_MAP, RING_ENTER, RING_SETUP, SLEEP, UNMAP, WRITE,
    YIELD,
};
use mohhos_user::syscall::{syscall2_message, syscall6};
use mohhos_user::{Error, Prot, Region, SysResult, decode, entry, println};

entry!(main);

/// The first address of the kernel's half (the physical memory map).
const KERNEL_HALF: u64 = 0xffff_8000_0000_0000;
/// The kernel image.
const KERNEL_IMAGE: u64 = 0xffff_ffff_8000_0000;
/// A user page nothing maps (between the map area and the stack).
const UNMAPPED: u64 = 0x3000_0000_0000;
/// The last user page: `[BOUNDARY, BOUNDARY + 2 pages)` crosses into the non-canonical hole.
const BOUNDARY: u64 = 0x7fff_ffff_f000;
/// The last page of the address space: a range from it overflows `u64`.
const TOP_PAGE: u64 = 0xffff_ffff_ffff_f000;

const R: u64 = Prot::READ.bits();
const RW: u64 = Prot::READ_WRITE.bits();
const WX: u64 = Prot::WRITE.bits() | Prot::EXEC.bits();
const RWX: u64 = WX | Prot::READ.bits();

/// An argument register's value.
#[derive(Clone, Copy)]
enum Arg {
    /// This value.
    Val(u64),
    /// This offset into the page the program mapped read-write for the checks (the page
    /// after it is unmapped).
    Page(u64),
    /// A readable buffer of `MAX_WRITE + 1` bytes in the program's image.
    Big,
    /// The address of these bytes in the program's (read-only) image.
    Ptr(&'static [u8]),
    /// A send capability on `kernel.echo`, connected at start.
    Echo,
    /// [`Arg::Echo`] with another generation: a stale capability.
    EchoOtherGeneration,
    /// The capability of a service this program registered at start.
    Own,
    /// The address of this program's rings (0 until the `ring_setup` row succeeded).
    RingBase,
}

use Arg::{Big, Echo, EchoOtherGeneration, Own, Page, Ptr, RingBase, Val};

/// What the kernel must answer.
#[derive(Clone, Copy)]
enum Expect {
    /// Any success (checks that a refused call changed nothing).
    Ok,
    /// One of these errors.
    Err(&'static [Error]),
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Ok => f.write_str("Ok"),
            Expect::Err(errors) => {
                for (i, e) in errors.iter().enumerate() {
                    let sep = if i == 0 { "" } else { " or " };
                    write!(f, "{sep}{e:?}")?;
                }
                Ok(())
            }
        }
    }
}

const BAD_ADDRESS: Expect = Expect::Err(&[Error::BadAddress]);
const INVALID: Expect = Expect::Err(&[Error::InvalidArgument]);
const NO_SUCH: Expect = Expect::Err(&[Error::NoSuchSyscall]);
const NOT_FOUND: Expect = Expect::Err(&[Error::NotFound]);
const DENIED: Expect = Expect::Err(&[Error::Denied]);
const STALE: Expect = Expect::Err(&[Error::Stale]);
const FORGED: Expect = Expect::Err(&[Error::NotFound, Error::Stale, Error::Denied]);
const TAKEN: Expect = Expect::Err(&[Error::AlreadyExists]);
const TOO_BIG: Expect = Expect::Err(&[Error::QuotaExceeded, Error::NoMemory]);
const TOO_BIG_OR_INVALID: Expect = Expect::Err(&[
    Error::InvalidArgument,
    Error::QuotaExceeded,
    Error::NoMemory,
]);

/// One row of the table.
struct Check {
    what: &'static str,
    nr: u64,
    args: &'static [Arg],
    expect: Expect,
}

const fn check(what: &'static str, nr: u64, args: &'static [Arg], expect: Expect) -> Check {
    Check {
        what,
        nr,
        args,
        expect,
    }
}

/// Every check, in order (later rows may depend on earlier ones having been refused).
#[rustfmt::skip]
const CHECKS: &[Check] = &[
    // write(ptr, len)
    check("write null pointer", WRITE, &[Val(0), Val(16)], BAD_ADDRESS),
    check("write kernel address 0xffff800000000000", WRITE, &[Val(KERNEL_HALF), Val(16)], BAD_ADDRESS),
    check("write kernel address 0xffffffff80000000", WRITE, &[Val(KERNEL_IMAGE), Val(16)], BAD_ADDRESS),
    check("write unmapped user page 0x300000000000", WRITE, &[Val(UNMAPPED), Val(16)], BAD_ADDRESS),
    check("write straddling the user/kernel boundary", WRITE, &[Val(BOUNDARY + 0x800), Val(0x1000)], BAD_ADDRESS),
    check("write whose end overflows u64", WRITE, &[Val(u64::MAX - 7), Val(16)], BAD_ADDRESS),
    check("write running off a mapped page into an unmapped one", WRITE, &[Page(PAGE_SIZE - 8), Val(16)], BAD_ADDRESS),
    check("write len MAX_WRITE + 1", WRITE, &[Big, Val(MAX_WRITE + 1)], INVALID),
    check("write len u64::MAX", WRITE, &[Big, Val(u64::MAX)], INVALID),
    // sleep(us)
    check("sleep MAX_SLEEP_US + 1", SLEEP, &[Val(MAX_SLEEP_US + 1)], INVALID),
    check("sleep u64::MAX", SLEEP, &[Val(u64::MAX)], INVALID),
    // map(len, prot)
    check("map len 0", MAP, &[Val(0), Val(RW)], INVALID),
    check("map prot W|X", MAP, &[Val(PAGE_SIZE), Val(WX)], INVALID),
    check("map prot R|W|X", MAP, &[Val(PAGE_SIZE), Val(RWX)], INVALID),
    check("map prot 0", MAP, &[Val(PAGE_SIZE), Val(0)], INVALID),
    check("map unknown prot bit 8", MAP, &[Val(PAGE_SIZE), Val(8)], INVALID),
    check("map unknown prot bit 63", MAP, &[Val(PAGE_SIZE), Val(1 << 63)], INVALID),
    check("map len 1 << 46", MAP, &[Val(1 << 46), Val(RW)], TOO_BIG),
    check("map len u64::MAX (rounding up overflows)", MAP, &[Val(u64::MAX), Val(RW)], TOO_BIG_OR_INVALID),
    // protect(addr, len, prot)
    check("protect null page", PROTECT, &[Val(0), Val(PAGE_SIZE), Val(R)], BAD_ADDRESS),
    check("protect kernel address 0xffff800000000000", PROTECT, &[Val(KERNEL_HALF), Val(PAGE_SIZE), Val(R)], BAD_ADDRESS),
    check("protect kernel address 0xffffffff80000000", PROTECT, &[Val(KERNEL_IMAGE), Val(PAGE_SIZE), Val(R)], BAD_ADDRESS),
    check("protect unmapped user page 0x300000000000", PROTECT, &[Val(UNMAPPED), Val(PAGE_SIZE), Val(R)], BAD_ADDRESS),
    check("protect straddling the user/kernel boundary", PROTECT, &[Val(BOUNDARY), Val(2 * PAGE_SIZE), Val(R)], BAD_ADDRESS),
    check("protect whose end overflows u64", PROTECT, &[Val(TOP_PAGE), Val(2 * PAGE_SIZE), Val(R)], BAD_ADDRESS),
    check("protect a mapped page with a huge len that overflows", PROTECT, &[Page(0), Val(TOP_PAGE), Val(R)], BAD_ADDRESS),
    check("protect a mapped page and the unmapped one after it", PROTECT, &[Page(0), Val(2 * PAGE_SIZE), Val(R)], BAD_ADDRESS),
    check("protect misaligned address", PROTECT, &[Page(1), Val(PAGE_SIZE), Val(R)], INVALID),
    check("protect len 0", PROTECT, &[Page(0), Val(0), Val(R)], INVALID),
    check("protect prot W|X", PROTECT, &[Page(0), Val(PAGE_SIZE), Val(WX)], INVALID),
    check("protect prot 0", PROTECT, &[Page(0), Val(PAGE_SIZE), Val(0)], INVALID),
    check("protect unknown prot bit 8", PROTECT, &[Page(0), Val(PAGE_SIZE), Val(8)], INVALID),
    // unmap(addr, len)
    check("unmap null page", UNMAP, &[Val(0), Val(PAGE_SIZE)], BAD_ADDRESS),
    check("unmap kernel address 0xffff800000000000", UNMAP, &[Val(KERNEL_HALF), Val(PAGE_SIZE)], BAD_ADDRESS),
    check("unmap kernel address 0xffffffff80000000", UNMAP, &[Val(KERNEL_IMAGE), Val(PAGE_SIZE)], BAD_ADDRESS),
    check("unmap unmapped user page 0x300000000000", UNMAP, &[Val(UNMAPPED), Val(PAGE_SIZE)], BAD_ADDRESS),
    check("unmap straddling the user/kernel boundary", UNMAP, &[Val(BOUNDARY), Val(2 * PAGE_SIZE)], BAD_ADDRESS),
    check("unmap whose end overflows u64", UNMAP, &[Val(TOP_PAGE), Val(2 * PAGE_SIZE)], BAD_ADDRESS),
    check("unmap a mapped page and the unmapped one after it", UNMAP, &[Page(0), Val(2 * PAGE_SIZE)], BAD_ADDRESS),
    check("unmap misaligned address", UNMAP, &[Page(8), Val(PAGE_SIZE)], INVALID),
    check("unmap len 0", UNMAP, &[Page(0), Val(0)], INVALID),
    // The refused calls above left the page alone: still mapped, still read-write.
    check("the page is still mapped read-write after the refused calls", PROTECT, &[Page(0), Val(PAGE_SIZE), Val(RW)], Expect::Ok),
    // ipc_connect(name_ptr, name_len) / ipc_register(name_ptr, name_len)
    check("connect null name", IPC_CONNECT, &[Val(0), Val(11)], BAD_ADDRESS),
    check("connect name in the kernel", IPC_CONNECT, &[Val(KERNEL_IMAGE), Val(11)], BAD_ADDRESS),
    check("connect name running into an unmapped page", IPC_CONNECT, &[Page(PAGE_SIZE - 4), Val(11)], BAD_ADDRESS),
    check("connect empty name", IPC_CONNECT, &[Ptr(ECHO), Val(0)], INVALID),
    check("connect name longer than MAX_NAME", IPC_CONNECT, &[Big, Val(MAX_NAME + 1)], INVALID),
    check("connect name that is not UTF-8", IPC_CONNECT, &[Ptr(NOT_UTF8), Val(4)], INVALID),
    check("connect unknown service", IPC_CONNECT, &[Ptr(b"no.such.service"), Val(15)], NOT_FOUND),
    check("register a taken name", IPC_REGISTER, &[Ptr(ECHO), Val(11)], TAKEN),
    check("register a malformed name", IPC_REGISTER, &[Ptr(b"bad name!"), Val(9)], INVALID),
    // ipc_call(cap, request, reply, timeout_us)
    check("call forged capability 0x1234_0000_5678", IPC_CALL, &[Val(0x1234_0000_5678), Ptr(REQUEST), Page(0), Val(0)], FORGED),
    check("call capability 0", IPC_CALL, &[Val(0), Ptr(REQUEST), Page(0), Val(0)], FORGED),
    check("call stale capability (other generation)", IPC_CALL, &[EchoOtherGeneration, Ptr(REQUEST), Page(0), Val(0)], STALE),
    check("call with null request", IPC_CALL, &[Echo, Val(0), Page(0), Val(0)], BAD_ADDRESS),
    check("call with request in the kernel", IPC_CALL, &[Echo, Val(KERNEL_HALF), Page(0), Val(0)], BAD_ADDRESS),
    check("call with reply into the kernel", IPC_CALL, &[Echo, Ptr(REQUEST), Val(KERNEL_HALF), Val(0)], BAD_ADDRESS),
    check("call with reply into read-only memory", IPC_CALL, &[Echo, Ptr(REQUEST), Ptr(REQUEST), Val(0)], BAD_ADDRESS),
    check("call with reply running into an unmapped page", IPC_CALL, &[Echo, Ptr(REQUEST), Page(PAGE_SIZE - 32), Val(0)], BAD_ADDRESS),
    check("call passing a forged capability in the message", IPC_CALL, &[Echo, Ptr(WITH_CAP), Page(0), Val(0)], FORGED),
    check("call timeout MAX_TIMEOUT_US + 1", IPC_CALL, &[Echo, Ptr(REQUEST), Page(0), Val(MAX_TIMEOUT_US + 1)], INVALID),
    // ipc_call_regs(cap, timeout_us) with the message in registers (here: capability word)
    check("call_regs forged capability 0x1234_0000_5678", IPC_CALL_REGS, &[Val(0x1234_0000_5678), Val(0), Val(0)], FORGED),
    check("call_regs capability 0", IPC_CALL_REGS, &[Val(0), Val(0), Val(0)], FORGED),
    check("call_regs stale capability (other generation)", IPC_CALL_REGS, &[EchoOtherGeneration, Val(0), Val(0)], STALE),
    check("call_regs passing a forged capability in the message", IPC_CALL_REGS, &[Echo, Val(0), Val(0x1234_0000_5678)], FORGED),
    check("call_regs timeout MAX_TIMEOUT_US + 1", IPC_CALL_REGS, &[Echo, Val(MAX_TIMEOUT_US + 1), Val(0)], INVALID),
    check("call_regs a good call is answered", IPC_CALL_REGS, &[Echo, Val(1_000_000), Val(0)], Expect::Ok),
    // region_create(len) / region_map(cap)
    check("region_create len 0", REGION_CREATE, &[Val(0)], INVALID),
    check("region_create len MAX_REGION + 1", REGION_CREATE, &[Val(MAX_REGION + 1)], INVALID),
    check("region_create len u64::MAX", REGION_CREATE, &[Val(u64::MAX)], INVALID),
    check("region_map forged capability", REGION_MAP, &[Val(0x1234_0000_5678)], FORGED),
    check("region_map a connection (no map right)", REGION_MAP, &[Echo], DENIED),
    check("region_map a service capability (not a region)", REGION_MAP, &[Own], INVALID),
    // ipc_send(cap, message)
    check("send forged capability", IPC_SEND, &[Val(0x1234_0000_5678), Ptr(REQUEST)], FORGED),
    check("send with null message", IPC_SEND, &[Echo, Val(0)], BAD_ADDRESS),
    // ipc_recv(cap, message)
    check("recv on a connection (no receive right)", IPC_RECV, &[Echo, Page(0)], DENIED),
    check("recv forged capability", IPC_RECV, &[Val(0x1234_0000_5678), Page(0)], FORGED),
    check("recv into the kernel", IPC_RECV, &[Own, Val(KERNEL_HALF)], BAD_ADDRESS),
    check("recv into read-only memory", IPC_RECV, &[Own, Ptr(REQUEST)], BAD_ADDRESS),
    // ipc_reply(token, message)
    check("reply token 0", IPC_REPLY, &[Val(0), Ptr(REQUEST)], NOT_FOUND),
    check("reply forged token", IPC_REPLY, &[Val(0xdead_beef), Ptr(REQUEST)], NOT_FOUND),
    check("reply with null message", IPC_REPLY, &[Val(1), Val(0)], BAD_ADDRESS),
    // ipc_reply_recv(token, reply, cap, message): each refused before anything waits
    check("reply_recv into the kernel", IPC_REPLY_RECV, &[Val(0), Ptr(REQUEST), Own, Val(KERNEL_HALF)], BAD_ADDRESS),
    check("reply_recv forged token", IPC_REPLY_RECV, &[Val(0xdead_beef), Ptr(REQUEST), Own, Page(0)], NOT_FOUND),
    check("reply_recv with a null reply", IPC_REPLY_RECV, &[Val(1), Val(0), Own, Page(0)], BAD_ADDRESS),
    check("reply_recv on a connection (no receive right)", IPC_REPLY_RECV, &[Val(0), Ptr(REQUEST), Echo, Page(0)], DENIED),
    check("reply_recv forged capability", IPC_REPLY_RECV, &[Val(0), Ptr(REQUEST), Val(0x1234_0000_5678), Page(0)], FORGED),
    // ipc_reply_recv_regs(token, cap), the messages in registers
    check("reply_recv_regs forged token", IPC_REPLY_RECV_REGS, &[Val(0xdead_beef), Own], NOT_FOUND),
    check("reply_recv_regs on a connection (no receive right)", IPC_REPLY_RECV_REGS, &[Val(0), Echo], DENIED),
    check("reply_recv_regs forged capability", IPC_REPLY_RECV_REGS, &[Val(0), Val(0x1234_0000_5678)], FORGED),
    check("reply_recv_regs stale capability (other generation)", IPC_REPLY_RECV_REGS, &[Val(0), EchoOtherGeneration], STALE),
    // ring_setup(entries) / ring_enter(min_complete, timeout_us)
    check("ring_enter before ring_setup", RING_ENTER, &[Val(0), Val(0)], NOT_FOUND),
    check("ring_setup 0 entries", RING_SETUP, &[Val(0)], INVALID),
    check("ring_setup 3 entries (not a power of two)", RING_SETUP, &[Val(3)], INVALID),
    check("ring_setup 512 entries (above the maximum)", RING_SETUP, &[Val(512)], INVALID),
    check("ring_setup 2^32 + 4 entries", RING_SETUP, &[Val((1 << 32) + 4)], INVALID),
    check("ring_setup 4 entries", RING_SETUP, &[Val(4)], Expect::Ok),
    check("ring_setup a second time", RING_SETUP, &[Val(4)], TAKEN),
    check("unmap the ring pages", UNMAP, &[RingBase, Val(PAGE_SIZE)], INVALID),
    check("protect the ring pages", PROTECT, &[RingBase, Val(PAGE_SIZE), Val(R)], INVALID),
    check("ring_enter min_complete above entries", RING_ENTER, &[Val(5), Val(0)], INVALID),
    check("ring_enter timeout MAX_TIMEOUT_US + 1", RING_ENTER, &[Val(0), Val(MAX_TIMEOUT_US + 1)], INVALID),
    check("ring_enter with nothing to do", RING_ENTER, &[Val(0), Val(0)], Expect::Ok),
    // A call nobody answers (this program's own service, which it cannot serve while it
    // waits) ends with Timeout, and the late request harms nothing.
    check("call own service with a 1 ms timeout", IPC_CALL, &[Own, Ptr(REQUEST), Page(0), Val(1000)], Expect::Err(&[Error::Timeout])),
    // The refused IPC calls changed nothing: a real call still works.
    check("a valid call to kernel.echo still works", IPC_CALL, &[Echo, Ptr(REQUEST), Page(0), Val(1_000_000)], Expect::Ok),
    // Numbers no call has.
    check("syscall 999", 999, &[], NO_SUCH),
    check("syscall u64::MAX", u64::MAX, &[], NO_SUCH),
    check("syscall (1 << 32) | WRITE (no truncation to 32 bits)", (1 << 32) | WRITE, &[Val(0), Val(16)], NO_SUCH),
    // Calls without arguments ignore the argument registers.
    check("yield with garbage in every argument register", YIELD, &[Val(KERNEL_HALF); 6], Expect::Ok),
];

/// The name of the kernel's echo service.
const ECHO: &[u8] = b"kernel.echo";
/// Bytes that are not UTF-8.
const NOT_UTF8: &[u8] = &[0xff, 0xfe, 0x80, 0x00];
/// A well-formed request (64 bytes: tag, six data words, capability word 0).
const REQUEST: &[u8] = &message_bytes(7, 0);
/// A request whose capability word is set.
const WITH_CAP: &[u8] = &message_bytes(7, 1);

const fn message_bytes(tag: u64, cap: u64) -> [u8; 64] {
    let mut bytes = [0u8; 64];
    let (tag, cap) = (tag.to_le_bytes(), cap.to_le_bytes());
    let mut i = 0;
    while i < 8 {
        bytes[i] = tag[i];
        bytes[56 + i] = cap[i];
        i += 1;
    }
    bytes
}

/// The buffer behind [`Arg::Big`].
static BIG: [u8; MAX_WRITE as usize + 1] = [b'x'; MAX_WRITE as usize + 1];

fn main() -> i32 {
    // One page for the checks, and the page after it unmapped: map two, drop the second.
    let page = match Region::map(2 * PAGE_SIZE, Prot::READ_WRITE) {
        Ok(region) => region,
        Err(e) => {
            println!("hostile: FAIL map 2 pages for the checks: got Err({e:?})");
            println!("hostile: 0 passed, 1 failed");
            return 1;
        }
    };
    // SAFETY: the second page is inside the region, which nothing reads or writes (it is
    // only ever an address argument), and the region is leaked below, so its drop never
    // unmaps the page again.
    if let Err(e) = unsafe { mohhos_user::unmap(page.addr() + PAGE_SIZE, PAGE_SIZE) } {
        println!("hostile: FAIL unmap the second page for the checks: got Err({e:?})");
        println!("hostile: 0 passed, 1 failed");
        return 1;
    }
    let page = core::mem::ManuallyDrop::new(page).addr();
    let mut caps = match (
        ipc::connect("kernel.echo"),
        ipc::register("hostile.service"),
    ) {
        (Ok(echo), Ok(own)) => Caps { echo, own, ring: 0 },
        (echo, own) => {
            println!("hostile: FAIL set up capabilities: got {echo:?} and {own:?}");
            println!("hostile: 0 passed, 1 failed");
            return 1;
        }
    };
    let (mut passed, mut failed) = (0, 0);
    for c in CHECKS {
        let result = run(c, page, &caps);
        if c.nr == RING_SETUP
            && let Ok(base) = result
        {
            caps.ring = base;
        }
        let good = match c.expect {
            Expect::Ok => result.is_ok(),
            Expect::Err(errors) => result.is_err_and(|e| errors.contains(&e)),
        };
        if good {
            passed += 1;
            println!("hostile: ok {} -> {}", c.what, c.expect);
        } else {
            failed += 1;
            println!("hostile: FAIL {} -> {}: got {result:?}", c.what, c.expect);
        }
    }
    // A ring whose indices were corrupted is refused, and recovers once they are sane.
    for (what, good) in ring_corruption(caps.ring) {
        if good {
            passed += 1;
            println!("hostile: ok {what}");
        } else {
            failed += 1;
            println!("hostile: FAIL {what}");
        }
    }
    println!("hostile: {passed} passed, {failed} failed");
    failed
}

/// Corrupts the ring's `sq_tail` (offset 4), then its `cq_head` (offset 8), checks
/// `ring_enter` refuses each, and that it works again once the index is restored.
fn ring_corruption(ring: u64) -> [(&'static str, bool); 4] {
    let poke = |offset: u64, value: u32| {
        // SAFETY: the ring header is this program's pinned ring page (set up by the
        // `ring_setup` row); nothing else here reads or writes it.
        unsafe { core::ptr::write_volatile((ring + offset) as *mut u32, value) }
    };
    // SAFETY: `ring_enter` only touches the ring pages.
    let enter = || decode(unsafe { syscall6(RING_ENTER, 0, 0, 0, 0, 0, 0) });
    if ring == 0 {
        return [("ring corruption checks need the ring", false); 4];
    }
    poke(4, 1000);
    let bad_sq = enter() == Err(Error::InvalidArgument);
    poke(4, 0);
    let sq_restored = enter().is_ok();
    poke(8, 1000);
    let bad_cq = enter() == Err(Error::InvalidArgument);
    poke(8, 0);
    let cq_restored = enter().is_ok();
    [
        (
            "ring_enter with sq_tail 1000 past sq_head -> InvalidArgument",
            bad_sq,
        ),
        ("ring_enter after sq_tail restored -> Ok", sq_restored),
        (
            "ring_enter with cq_head 1000 past cq_tail -> InvalidArgument",
            bad_cq,
        ),
        ("ring_enter after cq_head restored -> Ok", cq_restored),
    ]
}

/// The capabilities (and the ring) the IPC checks use.
struct Caps {
    echo: u64,
    own: u64,
    ring: u64,
}

/// Makes the call of `c`, unused argument registers zero.
fn run(c: &Check, page: u64, caps: &Caps) -> SysResult {
    let mut regs = [0u64; 6];
    for (reg, arg) in regs.iter_mut().zip(c.args) {
        *reg = match *arg {
            Val(v) => v,
            Page(offset) => page + offset,
            Big => BIG.as_ptr() as u64,
            Ptr(bytes) => bytes.as_ptr() as u64,
            Echo => caps.echo,
            // The generation is the high half of a capability word.
            EchoOtherGeneration => caps.echo ^ (1 << 32),
            Own => caps.own,
            RingBase => caps.ring,
        };
    }
    let [a0, a1, a2, a3, a4, a5] = regs;
    if c.nr == IPC_CALL_REGS {
        // ipc_call_regs(cap, timeout_us): the message registers hold a zero message
        // with the third argument as its capability word.
        let mut message = [0, 0, 0, 0, 0, 0, 0, a2];
        // SAFETY: the call touches no memory of this program.
        return decode(unsafe { syscall2_message(IPC_CALL_REGS, a0, a1, &mut message) });
    }
    // SAFETY: every row is a call the kernel must refuse, or one that only reads memory
    // (`write`) or changes the checks' page, which no Rust reference points into.
    decode(unsafe { syscall6(c.nr, a0, a1, a2, a3, a4, a5) })
}
