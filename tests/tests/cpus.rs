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
