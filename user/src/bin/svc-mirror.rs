//! `svc-mirror`: one replica of the replicated `mirror` service. Its start argument is
//! its instance number k: it registers `svc.mirror.k` (the kernel's failover router
//! owns `svc.mirror` and forwards to the first replica that serves) and answers every
//! call with the request, its first data word plus one and `data[1]` = its pid (so a
//! client can tell which replica answered).

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use mohhos_user::log::{self, Level};
use mohhos_user::{entry, getpid, ipc, println, start_argument};

entry!(main);

fn main() -> i32 {
    let name = format!("svc.mirror.{}", start_argument());
    let Some(cap) = ipc::register_or_report("svc-mirror", &name) else {
        return 1;
    };
    let _ = log::write(Level::Info, &format!("serving {name}"));
    let pid = getpid();
    let (mut answer, mut token) = (ipc::Message::default(), 0);
    loop {
        match ipc::reply_recv(token, &answer, cap) {
            Ok((mut message, next)) => {
                message.data[0] = message.data[0].wrapping_add(1);
                message.data[1] = pid;
                (answer, token) = (message, next);
            }
            Err(e) => {
                println!("svc-mirror: receive failed: {e}");
                return 1;
            }
        }
    }
}
