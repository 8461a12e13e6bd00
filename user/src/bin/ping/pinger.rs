//! The call loop shared by `ping` and `ping-user`.

use mohhos_user::ipc::{self, Message};
use mohhos_user::syscall::IPC_CALL_REGS;
use mohhos_user::{decode, println};

/// Makes `calls` calls to `service`, each answer checked (the first data word comes
/// back plus one, the second unchanged); prints `ping: N replies from SERVICE` and
/// returns 0, or says what went wrong and returns 1.
pub fn ping(service: &str, calls: u64, timeout_us: u64) -> i32 {
    let cap = match ipc::connect(service) {
        Ok(cap) => cap,
        Err(e) => {
            println!("ping: cannot connect to {service}: {e}");
            return 1;
        }
    };
    if !registers_kept(cap, timeout_us) {
        println!("ping: ipc_call_regs changed a register the ABI keeps");
        return 1;
    }
    for i in 0..calls {
        let request = Message::new(7, [i, 0xfeed, 0, 0, 0, 0]);
        match ipc::call(cap, &request, timeout_us) {
            Ok(reply) if reply.data[0] == i + 1 && reply.data[1] == 0xfeed => {}
            Ok(reply) => {
                println!("ping: call {i}: wrong answer {reply:?}");
                return 1;
            }
            Err(e) => {
                println!("ping: call {i}: {e}");
                return 1;
            }
        }
    }
    println!("ping: {calls} replies from {service}");
    0
}

/// Whether one `ipc_call_regs` to `cap` keeps what the ABI keeps (`docs/abi.md`: all but
/// `rax`, `rcx`, `r11` and the message registers, which bring the answer: the first data
/// word plus one, the second unchanged), with a distinct pattern in `rbx` and `rbp`.
fn registers_kept(cap: u64, timeout_us: u64) -> bool {
    const RBX: u64 = 0x0b0b_0b0b_0b0b_0b0b;
    const RBP: u64 = 0x0d0d_0d0d_0d0d_0d0d;
    let (mut rdi, mut rsi) = (cap, timeout_us);
    let (mut first, mut second) = (41, 0xfeed);
    let rax: u64;
    let rbx_rbp_changed: u64;
    // SAFETY: the call touches no memory of the program; rbx and rbp (which cannot be
    // asm operands) are saved on the stack and restored, and the stack is balanced.
    unsafe {
        core::arch::asm!(
            "push rbx",
            "push rbp",
            "mov rbx, {rbx}",
            "mov rbp, {rbp}",
            "syscall",
            // rcx and r11 are the kernel's to clobber: free scratch now.
            "mov rcx, {rbx}",
            "xor rcx, rbx",
            "mov r11, {rbp}",
            "xor r11, rbp",
            "or rcx, r11",
            "pop rbp",
            "pop rbx",
            rbx = const RBX,
            rbp = const RBP,
            inlateout("rax") IPC_CALL_REGS => rax,
            out("rcx") rbx_rbp_changed,
            out("r11") _,
            inout("rdi") rdi,
            inout("rsi") rsi,
            inout("rdx") 7u64 => _,
            inout("r8") first,
            inout("r9") second,
            inout("r10") 0u64 => _,
            inout("r12") 0u64 => _,
            inout("r13") 0u64 => _,
            inout("r14") 0u64 => _,
            inout("r15") 0u64 => _,
        );
    }
    decode(rax).is_ok()
        && rbx_rbp_changed == 0
        && (rdi, rsi) == (cap, timeout_us)
        && (first, second) == (42, 0xfeed)
}
