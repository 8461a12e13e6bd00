//! In-kernel service tests: S-INIT's refusals as the kernel reports them, and the
//! catalog it booted.

use super::kernel_test;
use crate::service_manager::{self, State};
use services::manifest::{Manifest, Version};

const V: Version = Version::new(1, 0, 0);

fn a_cyclic_or_incomplete_catalog_stops_the_boot_naming_the_services() {
    let cycle = [
        Manifest::kernel("net", V).depends_on(&["dev"]),
        Manifest::kernel("dev", V).depends_on(&["net"]),
    ];
    assert_eq!(
        service_manager::plan_message(&cycle),
        Err("s-init: boot stopped: dependency cycle: dev -> net -> dev".into())
    );
    let missing = [Manifest::kernel("gate", V).depends_on(&["net"])];
    assert_eq!(
        service_manager::plan_message(&missing),
        Err(
            "s-init: boot stopped: service 'gate' depends on 'net', which no service provides"
                .into()
        )
    );
    let needs = [Manifest::kernel("a", V).needs(&["svc.none"])];
    assert!(service_manager::plan_message(&needs).is_err());
    // Replicas expand into instances and a router, one group after them.
    let replicated = [Manifest::user("kv", V, "svc-mirror")
        .endpoint("svc.kv")
        .replicas(2)];
    assert_eq!(service_manager::plan_message(&replicated), Ok(2));
}
kernel_test!(a_cyclic_or_incomplete_catalog_stops_the_boot_naming_the_services);

/// Whether service `s` is where the boot left it: serving, or stopped when manual.
fn booted(s: &service_manager::ServiceView) -> bool {
    let expected = if s.manifest.autostart {
        State::Serving
    } else {
        State::Stopped
    };
    s.state == expected
}

fn the_catalog_booted_in_dependency_order() {
    // The tests before this one load every CPU: a service may be in the middle of a
    // restart, which its supervisor finishes in well under this bound.
    let deadline = crate::arch::x86_64::rdtsc() + 5 * crate::arch::x86_64::tsc_hz();
    while !service_manager::list().iter().all(booted) && crate::arch::x86_64::rdtsc() < deadline {
        core::hint::spin_loop();
    }
    let services = service_manager::list();
    for s in &services {
        assert!(booted(s), "{} is {}", s.manifest.name, s.state.name());
        for dependency in &s.manifest.depends_on {
            let d = services
                .iter()
                .find(|d| d.manifest.name == *dependency)
                .expect("a dependency in the catalog");
            let group = |name: &str| service_manager::dependencies(name).map(|d| d.group);
            assert!(group(&d.manifest.name) < group(&s.manifest.name));
        }
    }
}
kernel_test!(the_catalog_booted_in_dependency_order);
