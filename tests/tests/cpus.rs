//! `cpus` reports every CPU online, across CPU counts, memory sizes and machine types.

use mohhos_tests::{Error, Qemu, Timeouts, fixture, output};

const T: Timeouts = Timeouts::QEMU;

/// Boots `machine` (skipped when `None`) and checks that `cpus` shows `n` CPUs online.
fn cpus_online(machine: Option<Qemu>, n: usize) {
    let Some(machine) = machine else { return };
    fixture::check(machine, |s| {
        s.boot(T.boot)?;
        let out = s.run("cpus", T.command)?;
        output::check_cpus(&out, n).map_err(Error::Check)
    });
}

#[test]
fn one_cpu() {
    cpus_online(fixture::kernel(1), 1);
}

#[test]
fn eight_cpus() {
    cpus_online(fixture::kernel(8), 8);
}

#[test]
fn three_cpus() {
    cpus_online(fixture::kernel(3), 3);
}

#[test]
fn small_memory_64m() {
    let machine = fixture::kernel(2).map(|q| Qemu {
        mem: "64M".into(),
        ..q
    });
    cpus_online(machine, 2);
}

#[test]
fn large_memory_4g() {
    let machine = fixture::kernel(2).map(|q| Qemu {
        mem: "4G".into(),
        ..q
    });
    cpus_online(machine, 2);
}

#[test]
fn q35_machine() {
    let machine = fixture::kernel(4).map(|q| Qemu {
        extra: vec!["-machine".into(), "q35".into()],
        ..q
    });
    cpus_online(machine, 4);
}

#[test]
fn icount() {
    let machine = fixture::kernel(2).map(|q| Qemu { icount: true, ..q });
    cpus_online(machine, 2);
}

#[test]
fn sparse_apic_ids() {
    // Two sockets of three cores: QEMU rounds each socket up to four APIC ids,
    // so the ids are 0, 1, 2, 4, 5, 6.
    let machine = fixture::kernel(6).map(|q| Qemu {
        extra: vec!["-smp".into(), "6,sockets=2,cores=3".into()],
        ..q
    });
    let Some(machine) = machine else { return };
    fixture::check(machine, |s| {
        s.boot(T.boot)?;
        let out = s.run("cpus", T.command)?;
        output::check_cpus(&out, 6).map_err(Error::Check)?;
        let has = |id: u32| {
            out.iter()
                .any(|l| l.trim().ends_with(&format!("apic {id} online")))
        };
        if has(4) && has(6) && !has(3) {
            Ok(())
        } else {
            Err(Error::Check(format!(
                "expected APIC ids 0-2 and 4-6, got {out:?}"
            )))
        }
    });
}

#[test]
fn sixteen_cpus() {
    cpus_online(fixture::kernel(16), 16);
}
