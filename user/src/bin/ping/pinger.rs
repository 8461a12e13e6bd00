//! The call loop shared by `ping` and `ping-user`.

use mohhos_user::ipc::{self, Message};
use mohhos_user::println;

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
