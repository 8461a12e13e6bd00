//! The call loop shared by `ping` and `ping-user`.

use mohhos_user::ipc::{self, Message};
use mohhos_user::syscall::{IPC_CALL_REGS, ProbeRegisters, syscall_probe};
use mohhos_user::{decode, println};

/// Makes `calls` calls to `service`, each answer checked (the first data word comes
/// back plus one, the second unchanged); prints `ping: N replies from SERVICE` and
/// returns 0, or says what went wrong and returns 1.
pub fn ping(service: &str, calls: u64, timeout_us: u64) -> i32 {
    let Some(cap) = ipc::connect_or_report("ping", service) else {
        return 1;
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
/// word plus one, the second unchanged).
fn registers_kept(cap: u64, timeout_us: u64) -> bool {
    // rdi, rsi; the message: tag 7, data 41, 0xfeed, 0, 0, 0, 0, capability word 0.
    let mut regs: ProbeRegisters = [cap, timeout_us, 7, 41, 0xfeed, 0, 0, 0, 0, 0];
    // SAFETY: the call touches no memory of the program.
    let (rax, rbx_rbp_changed) = unsafe { syscall_probe(IPC_CALL_REGS, &mut regs) };
    decode(rax).is_ok()
        && !rbx_rbp_changed
        && regs[..2] == [cap, timeout_us]
        && regs[3..5] == [42, 0xfeed]
}
