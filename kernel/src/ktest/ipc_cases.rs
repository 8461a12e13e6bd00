//! In-kernel IPC tests: calls across cores, exactly-once delivery in order from
//! every core, capability denials, and timeouts with late replies.
//!
//! The tests run synchronously on the BSP while the APs run the executor, so the
//! tasks they start are pinned to APs and the BSP waits for them with a deadline
//! (a lost message or wakeup fails the test instead of hanging it). With one CPU
//! only the synchronous parts run.

use super::kernel_test;
use crate::arch::x86_64 as arch;
use crate::ipc_runtime::{self, ECHO_SERVICE, KERNEL};
use crate::runtime::{executor, us_to_ticks};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use executor::{Affinity, Priority};
use ipc::{HolderId, IpcError, Message, Rights, SecurityLevel, ServiceId};

/// The APs (every CPU but the one running the tests).
fn other_cpus() -> Vec<usize> {
    let here = arch::cpu_index();
    (0..arch::online_cpus()).filter(|&c| c != here).collect()
}

/// Spawns `future` pinned to `core`.
fn spawn_pinned(core: usize, future: impl Future<Output = ()> + Send + 'static) {
    executor()
        .build()
        .name("ktest-ipc")
        .affinity(Affinity::Pinned(core))
        .spawn_on(core, future);
}

/// Spins until `done()` or `seconds` of TSC time have passed; returns `done()`.
fn wait_for(seconds: u64, done: impl Fn() -> bool) -> bool {
    let deadline = arch::rdtsc() + seconds * arch::tsc_hz();
    while !done() && arch::rdtsc() < deadline {
        core::hint::spin_loop();
    }
    done()
}

fn calls_to_the_echo_service_from_every_core() {
    const CALLS: u64 = 200;
    static ANSWERED: AtomicU64 = AtomicU64::new(0);
    static WRONG: AtomicU64 = AtomicU64::new(0);
    let others = other_cpus();
    for &core in &others {
        spawn_pinned(core, async move {
            let Ok(mut connection) = ipc_runtime::connect(ECHO_SERVICE) else {
                WRONG.fetch_add(1, Ordering::Relaxed);
                return;
            };
            for i in 0..CALLS {
                let request = Message::with_data(7, [i, core as u64, 0, 0, 0, 0]);
                match connection.call(Priority::Normal, request).await {
                    Ok(reply) if reply.data[0] == i + 1 && reply.data[1] == core as u64 => {
                        ANSWERED.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        WRONG.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
    }
    let want = CALLS * others.len() as u64;
    let done = || ANSWERED.load(Ordering::Relaxed) + WRONG.load(Ordering::Relaxed) == want;
    assert!(
        wait_for(20, done),
        "calls did not finish: {} answered",
        ANSWERED.load(Ordering::Relaxed)
    );
    assert_eq!(WRONG.load(Ordering::Relaxed), 0, "wrong or failed replies");
}
kernel_test!(calls_to_the_echo_service_from_every_core);

fn messages_from_every_core_arrive_exactly_once_in_order() {
    const PER_SENDER: u64 = 3_000;
    static RECEIVED: AtomicU64 = AtomicU64::new(0);
    static DISORDER: AtomicU64 = AtomicU64::new(0);
    static SENT: AtomicU64 = AtomicU64::new(0);
    static FAILED: AtomicU64 = AtomicU64::new(0);
    let others = other_cpus();
    if others.is_empty() {
        return;
    }
    let system = ipc_runtime::system();
    let sink = system
        .register(KERNEL, "ktest.sink", SecurityLevel::System)
        .expect("register ktest.sink");
    // Two producers per AP, the consumer on the last AP (which also produces).
    let senders = 2 * others.len();
    let consumer_core = *others.last().expect("an AP");
    let mut receiver = sink.receiver;
    spawn_pinned(consumer_core, async move {
        let mut next = alloc::vec![0u64; senders];
        let total = PER_SENDER * senders as u64;
        for _ in 0..total {
            let Ok(message) = receiver.recv().await else {
                break;
            };
            let (sender, seq) = (message.message.data[0] as usize, message.message.data[1]);
            match next.get_mut(sender) {
                Some(expected) if *expected == seq => *expected += 1,
                _ => {
                    DISORDER.fetch_add(1, Ordering::Relaxed);
                }
            }
            RECEIVED.fetch_add(1, Ordering::Relaxed);
        }
    });
    for sender in 0..senders {
        let core = others[sender % others.len()];
        let Ok(mut connection) = system.connect(KERNEL, sink.cap, ServiceId::KERNEL) else {
            panic!("connect to ktest.sink");
        };
        let priority = Priority::from_index(sender % Priority::COUNT);
        spawn_pinned(core, async move {
            for seq in 0..PER_SENDER {
                let message = Message::with_data(1, [sender as u64, seq, 0, 0, 0, 0]);
                if connection.send(priority, message).await.is_err() {
                    FAILED.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                SENT.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    let total = PER_SENDER * senders as u64;
    let finished = wait_for(60, || {
        RECEIVED.load(Ordering::Relaxed) == total || FAILED.load(Ordering::Relaxed) > 0
    });
    assert_eq!(FAILED.load(Ordering::Relaxed), 0, "a send failed");
    assert!(
        finished,
        "received {} of {total} (sent {})",
        RECEIVED.load(Ordering::Relaxed),
        SENT.load(Ordering::Relaxed)
    );
    assert_eq!(
        DISORDER.load(Ordering::Relaxed),
        0,
        "duplicates or reordering"
    );
    let stats = system
        .services()
        .into_iter()
        .find(|s| s.name == "ktest.sink")
        .expect("ktest.sink listed")
        .stats;
    assert_eq!(stats.received, total);
    system
        .unregister(KERNEL, sink.id)
        .expect("unregister ktest.sink");
}
kernel_test!(messages_from_every_core_arrive_exactly_once_in_order);

fn rights_are_enforced() {
    const CLIENT: HolderId = HolderId(100);
    let system = ipc_runtime::system();
    let service = system
        .register(KERNEL, "ktest.guarded", SecurityLevel::System)
        .expect("register ktest.guarded");
    let before = system.caps().total_denials();
    let receive_only = system
        .grant(
            KERNEL,
            &service.cap,
            CLIENT,
            Rights::RECEIVE,
            SecurityLevel::System,
        )
        .expect("grant RECEIVE");
    assert_eq!(
        system.connect(CLIENT, receive_only, ServiceId(100)).err(),
        Some(IpcError::Denied),
        "send without SEND"
    );
    assert_eq!(
        system
            .grant(
                CLIENT,
                &receive_only,
                HolderId(101),
                Rights::RECEIVE,
                SecurityLevel::System
            )
            .err(),
        Some(IpcError::Denied),
        "grant without GRANT"
    );
    assert_eq!(
        system
            .grant(
                KERNEL,
                &service.cap,
                CLIENT,
                Rights::SEND,
                SecurityLevel::User
            )
            .err(),
        Some(IpcError::Denied),
        "a user holder cannot receive a system capability"
    );
    let sender = system
        .grant(
            KERNEL,
            &service.cap,
            CLIENT,
            Rights::SEND,
            SecurityLevel::System,
        )
        .expect("grant SEND");
    let mut connection = system
        .connect(CLIENT, sender, ServiceId(100))
        .expect("connect with SEND");
    assert_eq!(
        connection.try_send(Priority::Normal, Message::new(1)),
        Ok(())
    );
    system.revoke(KERNEL, &service.cap).expect("revoke");
    assert_eq!(
        connection.try_send(Priority::Normal, Message::new(2)),
        Err(IpcError::Stale),
        "revoked"
    );
    assert!(system.caps().total_denials() >= before + 3);
    system
        .unregister(KERNEL, service.id)
        .expect("unregister ktest.guarded");
}
kernel_test!(rights_are_enforced);

fn timed_out_call_discards_the_late_reply() {
    static OUTCOME: AtomicU64 = AtomicU64::new(0);
    static LATE_REPLY: AtomicU64 = AtomicU64::new(0);
    static SERVED: AtomicBool = AtomicBool::new(false);
    let others = other_cpus();
    if others.is_empty() {
        return;
    }
    let system = ipc_runtime::system();
    let slow = system
        .register(KERNEL, "ktest.slow", SecurityLevel::System)
        .expect("register ktest.slow");
    let mut receiver = slow.receiver;
    let server_core = others[0];
    let caller_core = *others.last().expect("an AP");
    spawn_pinned(server_core, async move {
        if let Ok(request) = receiver.recv().await {
            executor().sleep(us_to_ticks(20_000)).await;
            let result = request.reply.map(|token| token.reply(request.message));
            LATE_REPLY.store(
                match result {
                    Some(Err(IpcError::Timeout)) => 1,
                    _ => 2,
                },
                Ordering::Release,
            );
        }
        SERVED.store(true, Ordering::Release);
    });
    let mut connection = system
        .connect(KERNEL, slow.cap, ServiceId::KERNEL)
        .expect("connect ktest.slow");
    spawn_pinned(caller_core, async move {
        let call = connection.call(Priority::Normal, Message::new(3));
        let outcome = match executor().timeout(us_to_ticks(2_000), call).await {
            Err(_) => 1, // timed out
            Ok(_) => 2,
        };
        OUTCOME.store(outcome, Ordering::Release);
    });
    assert!(
        wait_for(20, || SERVED.load(Ordering::Acquire)),
        "slow service never served"
    );
    assert_eq!(
        OUTCOME.load(Ordering::Acquire),
        1,
        "the call did not time out"
    );
    assert_eq!(
        LATE_REPLY.load(Ordering::Acquire),
        1,
        "the late reply was not refused with Timeout"
    );
    system
        .unregister(KERNEL, slow.id)
        .expect("unregister ktest.slow");
}
kernel_test!(timed_out_call_discards_the_late_reply);

fn a_service_runs_at_the_priority_of_its_most_urgent_message() {
    static PRIORITIES: [AtomicU64; 3] = [const { AtomicU64::new(u64::MAX) }; 3];
    static ANSWERED: AtomicU64 = AtomicU64::new(0);
    let others = other_cpus();
    let (Some(&server), Some(&client)) = (others.first(), others.last()) else {
        return;
    };
    // Replies with the priority its task runs at while handling each request.
    let (id, _) = ipc_runtime::spawn_service(
        "ktest.inherit",
        SecurityLevel::System,
        Priority::Background,
        Some(server),
        |mut service| async move {
            while let Ok(request) = service.next().await {
                let running_at = service.priority().map_or(u64::MAX, |p| p as u64);
                if let Some(token) = request.reply {
                    let _ = token.reply(Message::with_data(0, [running_at, 0, 0, 0, 0, 0]));
                }
            }
        },
    )
    .expect("spawn ktest.inherit");
    let mut connection = ipc_runtime::connect("ktest.inherit").expect("connect ktest.inherit");
    spawn_pinned(client, async move {
        for (i, priority) in [Priority::Critical, Priority::Background, Priority::High]
            .into_iter()
            .enumerate()
        {
            if let Ok(reply) = connection.call(priority, Message::new(i as u64)).await {
                PRIORITIES[i].store(reply.data[0], Ordering::Release);
            }
            ANSWERED.fetch_add(1, Ordering::Release);
        }
    });
    assert!(
        wait_for(20, || ANSWERED.load(Ordering::Acquire) == 3),
        "calls not answered"
    );
    let seen: Vec<u64> = PRIORITIES
        .iter()
        .map(|p| p.load(Ordering::Acquire))
        .collect();
    assert_eq!(
        seen,
        [
            Priority::Critical as u64,
            Priority::Background as u64,
            Priority::High as u64
        ],
        "the service did not run at its callers' priorities"
    );
    ipc_runtime::stop_service(id).expect("stop ktest.inherit");
}
kernel_test!(a_service_runs_at_the_priority_of_its_most_urgent_message);
