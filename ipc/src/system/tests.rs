use std::boxed::Box;
use std::sync::atomic::{AtomicU64, Ordering as StdOrdering};
use std::time::Duration;

use futures::executor::block_on;

use super::*;
use crate::test_support::join_within;

const KERNEL: HolderId = HolderId(0);
const SERVER: HolderId = HolderId(1);
const CLIENT: HolderId = HolderId(2);
const USER: SecurityLevel = SecurityLevel::User;

static CLOCK: AtomicU64 = AtomicU64::new(0);

fn clock() -> u64 {
    CLOCK.fetch_add(1, StdOrdering::Relaxed)
}

fn system() -> System {
    System::new(clock)
}

/// A system that threads may borrow (leaked: tests only).
fn shared_system() -> &'static System {
    Box::leak(Box::new(system()))
}

/// `SERVER` registers `name`; `CLIENT` gets a capability with `rights` on it.
fn service_with_client(
    system: &System,
    name: &str,
    rights: Rights,
) -> (ServiceHandle, Result<Cap, IpcError>) {
    let service = system.register(SERVER, name, USER).unwrap();
    let cap = system.grant(SERVER, &service.cap, CLIENT, rights, USER);
    (service, cap)
}

#[test]
fn call_reaches_the_service_and_the_reply_comes_back() {
    let system = shared_system();
    let (mut service, cap) = service_with_client(system, "echo", Rights::SEND);
    assert_eq!(system.discover("echo"), Ok(service.id));
    let mut connection = system.connect(CLIENT, cap.unwrap(), ServiceId(7)).unwrap();
    {
        let server = std::thread::spawn(move || {
            let request = block_on(service.receiver.recv()).unwrap();
            assert_eq!(request.header.source, ServiceId(7));
            assert_eq!(request.header.destination, service.id);
            assert_eq!(request.header.priority, Priority::High);
            let mut answer = request.message;
            answer.data[0] += 1;
            request
                .reply
                .expect("a call carries a reply token")
                .reply(answer)
        });
        let reply =
            block_on(connection.call(Priority::High, Message::with_data(1, [41, 0, 0, 0, 0, 0])));
        assert_eq!(reply.unwrap().data[0], 42);
        assert_eq!(join_within(server, Duration::from_secs(60)), Ok(()));
    }
    let summary = system.services();
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0].name, "echo");
    assert_eq!(summary[0].stats.received, 1);
    assert_eq!(system.trace(10).len(), 1);
}

#[test]
fn connecting_needs_the_send_right() {
    let system = system();
    let (_service, cap) = service_with_client(&system, "vfs", Rights::RECEIVE);
    let before = system.caps().total_denials();
    assert_eq!(
        system
            .connect(CLIENT, cap.unwrap(), ServiceId::KERNEL)
            .err(),
        Some(IpcError::Denied)
    );
    assert_eq!(system.caps().total_denials(), before + 1);
}

#[test]
fn a_capability_cannot_be_used_by_another_holder() {
    let system = system();
    let (_service, cap) = service_with_client(&system, "vfs", Rights::SEND);
    assert_eq!(
        system
            .connect(HolderId(9), cap.unwrap(), ServiceId::KERNEL)
            .err(),
        Some(IpcError::Denied)
    );
}

#[test]
fn granting_needs_the_grant_right_and_never_grows_rights() {
    let system = system();
    let (_service, cap) = service_with_client(&system, "net", Rights::SEND);
    let cap = cap.unwrap();
    assert_eq!(
        system.grant(CLIENT, &cap, HolderId(3), Rights::SEND, USER),
        Err(IpcError::Denied),
        "no GRANT right"
    );
    let service = system.register(SERVER, "net.tcp", USER).unwrap();
    let weak = system
        .grant(
            SERVER,
            &service.cap,
            CLIENT,
            Rights::SEND | Rights::GRANT,
            USER,
        )
        .unwrap();
    assert_eq!(
        system.grant(
            CLIENT,
            &weak,
            HolderId(3),
            Rights::SEND | Rights::MANAGE,
            USER
        ),
        Err(IpcError::Denied),
        "MANAGE is more than CLIENT has"
    );
    assert!(
        system
            .grant(CLIENT, &weak, HolderId(3), Rights::SEND, USER)
            .is_ok()
    );
}

#[test]
fn revoking_stops_the_next_message() {
    let system = system();
    let (mut service, cap) = service_with_client(&system, "log", Rights::SEND);
    let mut connection = system
        .connect(CLIENT, cap.unwrap(), ServiceId::KERNEL)
        .unwrap();
    assert_eq!(
        connection.try_send(Priority::Normal, Message::new(1)),
        Ok(())
    );
    system.revoke(SERVER, &service.cap).unwrap();
    assert_eq!(
        connection.try_send(Priority::Normal, Message::new(2)),
        Err(IpcError::Stale)
    );
    assert_eq!(service.receiver.try_recv().unwrap().unwrap().message.tag, 1);
    assert!(
        service.receiver.try_recv().unwrap().is_none(),
        "nothing after revoke"
    );
}

#[test]
fn unregistering_removes_the_name_and_every_capability() {
    let system = system();
    let (service, cap) = service_with_client(&system, "tmp", Rights::SEND);
    let mut connection = system
        .connect(CLIENT, cap.unwrap(), ServiceId::KERNEL)
        .unwrap();
    assert_eq!(system.unregister(CLIENT, service.id), Err(IpcError::Denied));
    system.unregister(SERVER, service.id).unwrap();
    assert_eq!(system.discover("tmp"), Err(IpcError::NotFound));
    assert_eq!(
        connection.try_send(Priority::Normal, Message::new(1)),
        Err(IpcError::Stale)
    );
    assert!(system.services().is_empty());
}

#[test]
fn when_the_owner_dies_its_services_go_and_callers_see_peer_died() {
    let system = system();
    let (service, cap) = service_with_client(&system, "disk", Rights::SEND);
    let cap = cap.unwrap();
    system.holder_died(SERVER);
    drop(service); // the service task dies with its owner: the receiver goes
    assert_eq!(system.discover("disk"), Err(IpcError::NotFound));
    assert!(matches!(
        system.connect(CLIENT, cap, ServiceId::KERNEL).err(),
        Some(IpcError::Stale | IpcError::NotFound)
    ));
}

#[test]
fn pending_calls_end_with_peer_died_when_the_receiver_dies() {
    let system = shared_system();
    let (service, cap) = service_with_client(system, "flaky", Rights::SEND);
    let mut connection = system
        .connect(CLIENT, cap.unwrap(), ServiceId::KERNEL)
        .unwrap();
    {
        let caller = std::thread::spawn(move || {
            block_on(connection.call(Priority::Normal, Message::new(5))).copied()
        });
        std::thread::sleep(Duration::from_millis(20));
        drop(service);
        assert_eq!(
            join_within(caller, Duration::from_secs(60)),
            Err(IpcError::PeerDied)
        );
    }
}

#[test]
fn registering_charges_queue_slots() {
    let system = system();
    let quotas = Quotas {
        queue_slots: 256,
        ..Quotas::default()
    };
    system.caps().set_quotas(SERVER, quotas);
    let first = system.register(SERVER, "a", USER);
    assert!(first.is_ok());
    assert_eq!(
        system.register(SERVER, "b", USER).err(),
        Some(IpcError::QuotaExceeded)
    );
    assert_eq!(
        system.discover("b"),
        Err(IpcError::NotFound),
        "nothing half-registered"
    );
    system.unregister(SERVER, first.unwrap().id).unwrap();
    assert!(
        system.register(SERVER, "b", USER).is_ok(),
        "unregister gave the slots back"
    );
}

#[test]
fn bad_names_and_duplicates_are_refused() {
    let system = system();
    assert_eq!(
        system.register(SERVER, "Bad Name", USER).err(),
        Some(IpcError::InvalidArgument)
    );
    system.register(SERVER, "storage.vfs", USER).unwrap();
    assert_eq!(
        system.register(CLIENT, "storage.vfs", USER).err(),
        Some(IpcError::AlreadyExists)
    );
}

#[test]
fn regions_need_map_to_be_mapped_and_are_freed_after_release() {
    let system = system();
    let (region, cap) = system.create_region(SERVER, 4096, USER).unwrap();
    let map = system.map_region(SERVER, &cap).unwrap();
    map.write(0, b"hello").unwrap();
    let no_map = system
        .grant(SERVER, &cap, CLIENT, Rights::GRANT, USER)
        .unwrap();
    assert_eq!(
        system.map_region(CLIENT, &no_map).err(),
        Some(IpcError::Denied)
    );
    let reader = system
        .grant(SERVER, &cap, CLIENT, Rights::MAP, USER)
        .unwrap();
    let client_map = system.map_region(CLIENT, &reader).unwrap();
    assert_eq!(client_map.id(), region);
    let mut bytes = [0u8; 5];
    client_map.read(0, &mut bytes).unwrap();
    assert_eq!(&bytes, b"hello");
    assert_eq!(
        system.release_region(CLIENT, &reader),
        Err(IpcError::Denied),
        "only MANAGE releases"
    );
    system.release_region(SERVER, &cap).unwrap();
    assert_eq!(
        system.map_region(CLIENT, &reader).err(),
        Some(IpcError::Stale)
    );
    assert_eq!(system.live_regions(), 1, "still mapped twice");
    drop((map, client_map));
    assert_eq!(system.live_regions(), 0);
}

#[test]
fn broadcasts_reach_every_subscriber() {
    let system = system();
    let mut subscribers: Vec<_> = (0..10).map(|_| system.subscribe(3, 8).unwrap()).collect();
    assert_eq!(
        system.broadcast(ServiceId::KERNEL, 3, Priority::Low, Message::new(9)),
        10
    );
    for subscriber in &mut subscribers {
        assert!(subscriber.try_next().unwrap().is_some());
    }
    assert_eq!(KERNEL, HolderId(0));
}

#[test]
fn a_call_is_answered_now_by_a_waiting_direct_handler_and_checked_first() {
    let system = system();
    let (mut service, cap) = service_with_client(&system, "svc.direct", Rights::SEND);
    let cap = cap.unwrap();
    let mut connection = system.connect(CLIENT, cap, ServiceId::KERNEL).unwrap();
    service
        .receiver
        .serve_directly(Box::new(|_, m, reply| {
            *reply = Message::with_data(m.tag + 1, m.data);
            true
        }))
        .unwrap();
    let request = Message::new(41);
    let mut reply = Message::new(0);
    // Not waiting yet: the call must wait.
    assert!(
        connection
            .try_call_now(Priority::Normal, &request, &mut reply)
            .is_none()
    );
    {
        let mut recv = core::pin::pin!(service.receiver.recv());
        let waker = futures::task::noop_waker();
        let mut cx = core::task::Context::from_waker(&waker);
        assert!(recv.as_mut().poll(&mut cx).is_pending());
    }
    let answer = connection.try_call_now(Priority::Normal, &request, &mut reply);
    assert_eq!(answer, Some(Ok(())));
    assert_eq!(reply.tag, 42);
    // A revoked capability is refused at once, even on the fast path.
    system.revoke(SERVER, &service.cap).unwrap();
    assert!(matches!(
        connection.try_call_now(Priority::Normal, &request, &mut reply),
        Some(Err(_))
    ));
}

/// Parks `service`'s receiver (one poll of a receive that finds nothing).
fn park(service: &mut ServiceHandle) {
    let mut recv = core::pin::pin!(service.receiver.recv());
    let waker = futures::task::noop_waker();
    let mut cx = core::task::Context::from_waker(&waker);
    assert!(recv.as_mut().poll(&mut cx).is_pending());
}

#[test]
fn a_call_is_handed_off_only_to_an_idle_receiver_and_after_the_capability_check() {
    let system = system();
    let (mut service, cap) = service_with_client(&system, "svc.handoff", Rights::SEND);
    let mut connection = system.connect(CLIENT, cap.unwrap(), ServiceId(9)).unwrap();
    // Not parked yet: no hand-off.
    assert!(connection.try_hand_off(Priority::Normal).is_none());
    park(&mut service);
    let header = connection
        .try_hand_off(Priority::Normal)
        .expect("an idle receiver takes a hand-off")
        .unwrap();
    assert_eq!(header.source, ServiceId(9));
    assert_eq!(header.destination, service.id);
    assert_eq!(header.kind, MessageKind::Request);
    connection.handed_off(&header);
    assert_eq!(system.services()[0].stats.direct, 1);
    assert_eq!(system.trace(10), [header]);
    // A message of the caller's that waits in the queue must not be overtaken.
    connection
        .try_send(Priority::Normal, Message::new(1))
        .unwrap();
    assert!(connection.try_hand_off(Priority::Normal).is_none());
    let queued = block_on(service.receiver.recv()).unwrap();
    assert_eq!(queued.message.tag, 1);
    park(&mut service);
    assert!(connection.try_hand_off(Priority::Normal).is_some());
    // A revoked capability is refused before anything is handed off.
    system.revoke(SERVER, &service.cap).unwrap();
    assert!(matches!(
        connection.try_hand_off(Priority::Normal),
        Some(Err(_))
    ));
}

#[test]
fn a_deferred_call_gets_its_answer_peer_died_or_discards_a_late_answer() {
    let system = shared_system();
    let (_service, cap) = service_with_client(system, "svc.deferred", Rights::SEND);
    let mut connection = system.connect(CLIENT, cap.unwrap(), ServiceId(9)).unwrap();
    // Answered later, from another thread.
    let (token, call) = connection.defer();
    let answerer = std::thread::spawn(move || token.reply(Message::new(42)));
    let reply = block_on(connection.await_deferred(call)).copied();
    assert_eq!(reply, Ok(Message::new(42)));
    assert_eq!(join_within(answerer, Duration::from_secs(60)), Ok(()));
    // The receiver dies with the token: PeerDied.
    let (token, call) = connection.defer();
    drop(token);
    assert_eq!(
        block_on(connection.await_deferred(call)).copied(),
        Err(IpcError::PeerDied)
    );
    // The caller gives up (drops the wait): the late answer is discarded, and the
    // next call gets its own answer.
    let (late, call) = connection.defer();
    {
        let mut waiting = core::pin::pin!(connection.await_deferred(call));
        let waker = futures::task::noop_waker();
        let mut cx = core::task::Context::from_waker(&waker);
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
    }
    assert_eq!(late.reply(Message::new(1)), Err(IpcError::Timeout));
    let (token, call) = connection.defer();
    token.reply(Message::new(2)).unwrap();
    assert_eq!(
        block_on(connection.await_deferred(call)).copied(),
        Ok(Message::new(2))
    );
}
