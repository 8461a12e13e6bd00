//! `bench ipc`: the costs of IPC operations (instructions under icount).
//!
//! Same-core figures run in a task pinned to this core; cross-core ones put the
//! peer on the next core. Under icount vCPUs take turns, so a receiver that
//! polls another core only sees a message at QEMU's next vCPU switch: that
//! figure is skipped there (as `executor.cacheline_rtt` is).

use super::Report;
use super::sampling::{SAMPLES, WARMUP, run_pinned};
use crate::arch::x86_64 as arch;
use crate::ipc_runtime::{self, KERNEL, serve_echo, serve_echo_queued, spawn_service};
use crate::runtime::{executor, us_to_ticks};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use executor::{Affinity, Priority, yield_now};
use ipc::{
    EndpointConfig, Event, Header, IpcError, Message, MessageKind, Quotas, SecurityLevel, Sender,
    ServiceId, System, channel,
};

/// Messages per batch in the batched figures.
const BATCH: usize = 32;
/// Messages per throughput run.
const THROUGHPUT_MESSAGES: u64 = 20_000;
/// Longest a throughput run may take.
const PIPE_TIMEOUT_US: u64 = 5_000_000;
/// Subscribers of the broadcast figure.
const SUBSCRIBERS: usize = 1000;
/// Services registered for the memory figure.
const SERVICES: usize = 1000;

/// Runs every measurement of the suite.
pub async fn run(report: &mut Report) -> Result<(), String> {
    let here = arch::cpu_index();
    spsc_message(report);
    batch_message(report);
    batch_message_in_place(report);
    call_rtt(
        report,
        here,
        here,
        Answered::Directly,
        "ipc.call_rtt_same_core",
    )
    .await?;
    call_rtt(
        report,
        here,
        here,
        Answered::Queued,
        "ipc.call_rtt_queued_same_core",
    )
    .await?;
    if arch::online_cpus() > 1 {
        let other = (here + 1) % arch::online_cpus();
        call_rtt(
            report,
            here,
            other,
            Answered::Queued,
            "ipc.call_rtt_cross_core",
        )
        .await?;
        oneway_cross_core(report, here, other).await?;
        pair_throughput(report, here, other).await?;
        all_cores_throughput(report).await?;
    }
    region_message(report, 4096, "ipc.region_4k")?;
    region_bulk(report)?;
    broadcast(report)?;
    services_memory(report)?;
    Ok(())
}

fn header(priority: Priority) -> Header {
    Header {
        priority,
        kind: MessageKind::Event,
        timestamp: arch::rdtsc(),
        ..Header::default()
    }
}

/// One message through a sender's SPSC ring: made and sent (`try_send`), then received
/// (`try_recv_with`) and read in its slot, as a service does. The message is made inside
/// the window, as the batch figures make theirs: its words are the sender's stores into
/// the slot. Out of line, so that its code does not depend on the rest of the suite.
#[inline(never)]
fn spsc_message(report: &mut Report) {
    let (mut tx, mut rx) = channel(ServiceId(u32::MAX), EndpointConfig::default());
    let mut samples = Vec::with_capacity(SAMPLES);
    for i in 0..(WARMUP + SAMPLES) as u64 {
        let start = arch::rdtsc();
        // The send's result is checked at once (not kept across the receive: on the fast
        // path the compiler knows it is `Ok`).
        if tx
            .try_send(Header::default(), Message::with_data(1, [i, 0, 0, 0, 0, 0]))
            .is_err()
        {
            panic!("ipc.spsc_message: a send to an empty ring failed");
        }
        // The word read is checked below: the receive cannot skip reading the slot.
        let received = rx.try_recv_with(|received| received.message.data[0]);
        let ticks = arch::rdtsc() - start;
        assert!(
            received == Ok(Some(i)),
            "ipc.spsc_message: a wrong or missing message"
        );
        if i >= WARMUP as u64 {
            samples.push(ticks);
        }
    }
    report.ticks("ipc.spsc_message", &mut samples);
}

/// Per-message ticks of `WARMUP + SAMPLES` rounds (the samples after the warm-up) of 32
/// messages queued as one batch by `send` and drained as one (`try_recv_batch`), each
/// consumed in its slot and read (`black_box`), as a service would; message `i` of a batch
/// carries `i` as its first data word.
#[inline(always)]
fn batch_samples(mut send: impl FnMut(&mut Sender) -> Result<usize, IpcError>) -> Vec<u64> {
    let (mut tx, mut rx) = channel(ServiceId(u32::MAX), EndpointConfig::default());
    let mut samples = Vec::with_capacity(SAMPLES);
    for i in 0..WARMUP + SAMPLES {
        let start = arch::rdtsc();
        let sent = send(&mut tx);
        let mut drained = 0;
        let mut sum = 0;
        let received = rx.try_recv_batch(BATCH, |received| {
            sum += core::hint::black_box(&*received).message.data[0];
            drained += 1;
        });
        let ticks = arch::rdtsc() - start;
        assert!(sent == Ok(BATCH) && received == Ok(BATCH) && drained == BATCH);
        assert_eq!(sum, (0..BATCH as u64).sum::<u64>());
        if i >= WARMUP {
            samples.push(ticks / BATCH as u64);
        }
    }
    samples
}

/// 32 messages made straight in their ring slots as one batch (`try_send_batch_with`)
/// and drained as one: ticks per message.
fn batch_message_in_place(report: &mut Report) {
    let mut samples = batch_samples(|tx| {
        tx.try_send_batch_with(BATCH, |index| {
            let message = Message::with_data(1, [index as u64, 0, 0, 0, 0, 0]);
            (Header::default(), message)
        })
    });
    report.ticks("ipc.batch_message_in_place", &mut samples);
}

/// 32 messages sent as one batch from a slice and drained as one (`try_recv_batch`):
/// ticks per message, and the resulting single-core rate.
fn batch_message(report: &mut Report) {
    let batch: Vec<(Header, Message)> = (0..BATCH as u64)
        .map(|i| (Header::default(), Message::with_data(1, [i, 0, 0, 0, 0, 0])))
        .collect();
    let mut samples = batch_samples(|tx| tx.try_send_batch(&batch));
    samples.sort_unstable();
    let per_message = samples[samples.len() / 2].max(1);
    report.ticks("ipc.batch_message", &mut samples);
    report.value(
        "ipc.msgs_per_sec_one_core",
        "msgs/s",
        arch::tsc_hz() / per_message,
    );
}

/// How the echo service of [`call_rtt`] answers.
enum Answered {
    /// By its direct handler on the caller's stack while it waits (the fast path).
    Directly,
    /// From its queue, in its own task (the path of everything a direct handler
    /// declines, and of every call to a service on another core that has none).
    Queued,
}

/// Call round trips from a task pinned on `caller` to an echo service pinned on `core`.
async fn call_rtt(
    report: &mut Report,
    caller: usize,
    core: usize,
    answered: Answered,
    name: &str,
) -> Result<(), String> {
    const SERVICE: &str = "bench.echo";
    let spawned = match answered {
        Answered::Directly => spawn_service(
            SERVICE,
            SecurityLevel::System,
            Priority::Normal,
            Some(core),
            serve_echo,
        ),
        Answered::Queued => spawn_service(
            SERVICE,
            SecurityLevel::System,
            Priority::Normal,
            Some(core),
            serve_echo_queued,
        ),
    };
    let (id, _) = spawned.map_err(|e| format!("{SERVICE}: {e}"))?;
    let mut connection = ipc_runtime::connect(SERVICE).map_err(|e| format!("{SERVICE}: {e}"))?;
    let samples = run_pinned(caller, async move {
        let mut samples = Vec::with_capacity(SAMPLES);
        for i in 0..(WARMUP + SAMPLES) as u64 {
            let request = Message::with_data(2, [i, 0, 0, 0, 0, 0]);
            let start = arch::rdtsc();
            let reply = connection.call(Priority::Normal, request).await;
            let ticks = arch::rdtsc() - start;
            if !matches!(reply, Ok(m) if m.data[0] == i + 1) {
                return Err(format!("{SERVICE}: call {i} answered {reply:?}"));
            }
            if i >= WARMUP as u64 {
                samples.push(ticks);
            }
        }
        Ok(samples)
    })
    .await;
    let stopped = ipc_runtime::stop_service(id);
    let mut samples = samples.ok_or_else(|| String::from("call sampler cancelled"))??;
    stopped.map_err(|e| format!("{SERVICE}: {e}"))?;
    report.ticks(name, &mut samples);
    Ok(())
}

/// One-way latency to a receiver polling on `core`: send stamped with the TSC,
/// the receiver records arrival minus stamp. Skipped under icount.
async fn oneway_cross_core(report: &mut Report, from: usize, to: usize) -> Result<(), String> {
    if report.vcpus_take_turns() {
        report.note("ipc.oneway_cross_core skipped: under icount vCPUs take turns, so a polling receiver on another core sees a message only at QEMU's next vCPU switch");
        return Ok(());
    }
    let (mut tx, mut rx) = channel(ServiceId(u32::MAX), EndpointConfig::default());
    let arrived = Arc::new(AtomicU64::new(0));
    let seen = arrived.clone();
    let total = (WARMUP + SAMPLES) as u64;
    // Both sides spin, each pinned to its own core, and give up at a deadline: a side
    // whose peer cannot run must not hold its core for ever.
    let deadline = arch::rdtsc() + us_to_ticks(PIPE_TIMEOUT_US);
    let receiver = executor()
        .build()
        .name("bench-poller")
        .affinity(Affinity::Pinned(to))
        .spawn_on(to, async move {
            let mut latencies = Vec::with_capacity(SAMPLES);
            for i in 0..total {
                let received = loop {
                    match rx.try_recv() {
                        Ok(Some(received)) => break received,
                        Ok(None) if arch::rdtsc() < deadline => core::hint::spin_loop(),
                        _ => return latencies,
                    }
                };
                if i >= WARMUP as u64 {
                    latencies.push(arch::rdtsc().saturating_sub(received.header.timestamp));
                }
                seen.store(i + 1, Ordering::Release);
            }
            latencies
        });
    let sender = executor()
        .build()
        .name("bench-sender")
        .affinity(Affinity::Pinned(from))
        .spawn_on(from, async move {
            for i in 0..total {
                if tx
                    .try_send(header(Priority::Normal), Message::new(i))
                    .is_err()
                {
                    return false;
                }
                while arrived.load(Ordering::Acquire) <= i {
                    if arch::rdtsc() >= deadline {
                        return false;
                    }
                    core::hint::spin_loop();
                }
            }
            true
        });
    let completed = sender.await.unwrap_or(false);
    let mut latencies = receiver.await.unwrap_or_default();
    if !completed {
        return Err(format!(
            "ipc.oneway_cross_core: {} of {total} messages arrived within {PIPE_TIMEOUT_US} us",
            latencies.len()
        ));
    }
    report.ticks("ipc.oneway_cross_core", &mut latencies);
    Ok(())
}

/// Messages per second from a producer on `from` to a consumer on `to`.
async fn pair_throughput(report: &mut Report, from: usize, to: usize) -> Result<(), String> {
    let ticks = pipe(from, to, THROUGHPUT_MESSAGES).await?;
    let rate = THROUGHPUT_MESSAGES * arch::tsc_hz() / ticks.max(1);
    report.value("ipc.msgs_per_sec_pair", "msgs/s", rate);
    Ok(())
}

/// Messages per second with every core producing to the next one at once.
async fn all_cores_throughput(report: &mut Report) -> Result<(), String> {
    let cpus = arch::online_cpus();
    let start = arch::rdtsc();
    let pipes: Vec<_> = (0..cpus)
        .map(|core| executor().spawn(pipe(core, (core + 1) % cpus, THROUGHPUT_MESSAGES)))
        .collect();
    for pipe in pipes {
        pipe.await.map_err(|_| String::from("pipe cancelled"))??;
    }
    let ticks = arch::rdtsc() - start;
    let rate = cpus as u64 * THROUGHPUT_MESSAGES * arch::tsc_hz() / ticks.max(1);
    report.value("ipc.msgs_per_sec_all_cores", "msgs/s", rate);
    Ok(())
}

/// `count` messages from a task on `from` to a task on `to` (with backpressure);
/// returns the ticks from the first send to the last receive, or an error with
/// the progress made when it takes longer than `PIPE_TIMEOUT_US`.
async fn pipe(from: usize, to: usize, count: u64) -> Result<u64, String> {
    let (mut tx, mut rx) = channel(ServiceId(u32::MAX), EndpointConfig::default());
    let received = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let (got, put) = (received.clone(), sent.clone());
    let consumer = executor()
        .build()
        .name("bench-consumer")
        .affinity(Affinity::Pinned(to))
        .spawn_on(to, async move {
            while got.load(Ordering::Relaxed) < count && rx.recv().await.is_ok() {
                got.fetch_add(1, Ordering::Relaxed);
            }
            arch::rdtsc()
        });
    let producer = executor()
        .build()
        .name("bench-producer")
        .affinity(Affinity::Pinned(from))
        .spawn_on(from, async move {
            let start = arch::rdtsc();
            for i in 0..count {
                if tx.send(Header::default(), Message::new(i)).await.is_err() {
                    break;
                }
                put.fetch_add(1, Ordering::Relaxed);
                if i % 64 == 63 {
                    yield_now().await;
                }
            }
            start
        });
    let both = async { (producer.await, consumer.await) };
    match executor().timeout(us_to_ticks(PIPE_TIMEOUT_US), both).await {
        Ok((Ok(start), Ok(end))) => Ok(end.saturating_sub(start)),
        Ok(_) => Err(String::from("pipe task cancelled")),
        Err(_) => Err(format!(
            "pipe {from}->{to}: {} sent, {} received after {PIPE_TIMEOUT_US} us",
            sent.load(Ordering::Relaxed),
            received.load(Ordering::Relaxed)
        )),
    }
}

/// A `size`-byte message through a region: the sender writes it and sends the
/// payload; the receiver maps the region (capability checked) and reads it.
fn region_message(report: &mut Report, size: usize, name: &str) -> Result<(), String> {
    let system = ipc_runtime::system();
    let (_, cap) = system
        .create_region(KERNEL, size, SecurityLevel::System)
        .map_err(|e| format!("region: {e}"))?;
    let (mut tx, mut rx) = channel(ServiceId(u32::MAX), EndpointConfig::default());
    let data = alloc::vec![0x5Au8; size];
    let mut out = alloc::vec![0u8; size];
    let mut samples = Vec::with_capacity(SAMPLES);
    let mut failure = None;
    for i in 0..WARMUP + SAMPLES {
        let start = arch::rdtsc();
        let result = (|| {
            let map = system.map_region(KERNEL, &cap)?;
            map.write(0, &data)?;
            let payload = map.payload(0, size as u64)?;
            tx.try_send(Header::default(), Message::with_payload(3, payload))?;
            let payload = rx
                .try_recv_with(|received| received.message.payload())?
                .ok_or(ipc::IpcError::NotFound)?;
            let map = system.map_region(KERNEL, &cap)?;
            let range = map.check_payload(&payload)?;
            map.read(range.start, &mut out)
        })();
        let ticks = arch::rdtsc() - start;
        if let Err(e) = result {
            failure = Some(e);
            break;
        }
        if i >= WARMUP {
            samples.push(ticks);
        }
    }
    let released = system.release_region(KERNEL, &cap);
    if let Some(e) = failure {
        return Err(format!("{name}: {e}"));
    }
    released.map_err(|e| format!("{name}: {e}"))?;
    if out != data {
        return Err(format!(
            "{name}: the bytes read differ from the bytes written"
        ));
    }
    report.ticks(name, &mut samples);
    Ok(())
}

/// 1 MiB through a region, copied in and out (bytes/s), and the zero-copy path
/// (send the payload, map, touch one byte) for 4 KiB and 1 MiB: constant in size.
fn region_bulk(report: &mut Report) -> Result<(), String> {
    const MIB: usize = 1 << 20;
    let system = ipc_runtime::system();
    let (_, cap) = system
        .create_region(KERNEL, MIB, SecurityLevel::System)
        .map_err(|e| format!("region: {e}"))?;
    let map = system
        .map_region(KERNEL, &cap)
        .map_err(|e| format!("map: {e}"))?;
    let data = alloc::vec![0xA5u8; MIB];
    let mut out = alloc::vec![0u8; MIB];
    let mut copies = Vec::with_capacity(20);
    for _ in 0..20 {
        let start = arch::rdtsc();
        let copied = map.write(0, &data).and_then(|()| map.read(0, &mut out));
        copies.push(arch::rdtsc() - start);
        copied.map_err(|e| format!("copy: {e}"))?;
    }
    copies.sort_unstable();
    let per_mib = copies[copies.len() / 2].max(1);
    report.value(
        "ipc.region_1m_copy_bytes_per_sec",
        "bytes/s",
        (MIB as u64 * arch::tsc_hz()) / per_mib,
    );
    let (mut tx, mut rx) = channel(ServiceId(u32::MAX), EndpointConfig::default());
    for (len, name) in [
        (4096u64, "ipc.region_zero_copy_4k"),
        (MIB as u64, "ipc.region_zero_copy_1m"),
    ] {
        let mut samples = Vec::with_capacity(SAMPLES);
        for i in 0..WARMUP + SAMPLES {
            let start = arch::rdtsc();
            let touched = map
                .payload(0, len)
                .and_then(|payload| {
                    tx.try_send(Header::default(), Message::with_payload(4, payload))
                })
                .and_then(|()| {
                    rx.try_recv_with(|received| received.message.payload())?
                        .ok_or(ipc::IpcError::NotFound)
                })
                .and_then(|payload| {
                    let view = system.map_region(KERNEL, &cap)?;
                    let range = view.check_payload(&payload)?;
                    Ok(view.with(|bytes| bytes[range.end - 1]))
                });
            let ticks = arch::rdtsc() - start;
            touched.map_err(|e| format!("{name}: {e}"))?;
            if i >= WARMUP {
                samples.push(ticks);
            }
        }
        report.ticks(name, &mut samples);
    }
    drop(map);
    system
        .release_region(KERNEL, &cap)
        .map_err(|e| format!("release: {e}"))
}

/// One broadcast to 1 000 subscribers, each taking it: ticks per subscriber.
fn broadcast(report: &mut Report) -> Result<(), String> {
    const EVENT: u64 = 0xB0;
    let system = ipc_runtime::system();
    let mut subscribers = (0..SUBSCRIBERS)
        .map(|_| system.subscribe(EVENT, 4))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("subscribe: {e}"))?;
    let mut samples = Vec::with_capacity(200);
    for i in 0..250u64 {
        let start = arch::rdtsc();
        let reached = system.broadcast(ServiceId::KERNEL, EVENT, Priority::Low, Message::new(i));
        let mut taken = 0;
        for subscriber in &mut subscribers {
            let next = subscriber.try_next();
            if matches!(next, Ok(Some(Event::Message { .. }))) {
                taken += 1;
            }
            // The whole event reaches the subscriber, not just the fields this loop
            // happens to look at.
            core::hint::black_box(&next);
        }
        let ticks = arch::rdtsc() - start;
        if reached != SUBSCRIBERS || taken != SUBSCRIBERS {
            return Err(format!("broadcast reached {reached}, taken by {taken}"));
        }
        if i >= 50 {
            samples.push(ticks / SUBSCRIBERS as u64);
        }
    }
    report.ticks("ipc.broadcast_per_subscriber", &mut samples);
    Ok(())
}

/// Heap bytes for 1 000 registered services (names, endpoints, capabilities), in
/// a System of their own.
fn services_memory(report: &mut Report) -> Result<(), String> {
    let before = arch::heap_stats().in_use;
    let system = System::new(arch::rdtsc);
    system.caps().set_quotas(KERNEL, Quotas::UNLIMITED);
    let mut handles = Vec::with_capacity(SERVICES);
    for i in 0..SERVICES {
        let name = format!("bench.service{i}");
        handles.push(
            system
                .register(KERNEL, &name, SecurityLevel::System)
                .map_err(|e| format!("{name}: {e}"))?,
        );
    }
    let used = arch::heap_stats().in_use.saturating_sub(before);
    drop(handles);
    drop(system);
    report.value("ipc.services_1000_bytes", "bytes", used as u64);
    Ok(())
}
