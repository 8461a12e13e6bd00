//! S-INIT: boots the catalog's services group by group in dependency order, each
//! group's services starting in parallel (spread over the CPUs), the next group once
//! every service of this one serves or has given up. A service whose dependency gave
//! up is not started. A plan that cannot be made (a cycle, a missing dependency)
//! stops the boot of services with one message naming the services involved; the
//! kernel and its shell carry on. A manual service (`Manifest::manual`) waits for an
//! operator's `start`.

use super::catalog;
use super::poll_until;
use super::supervisor;
use super::table::{self, Entry, State};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use services::boot_plan::{self, BootPlan};
use services::events::EventKind;
use services::manifest::Manifest;

/// How long S-INIT waits for one group before it goes on without the laggards.
const GROUP_TIMEOUT_US: u64 = 3_000_000;

/// What S-INIT did.
pub struct BootReport {
    /// Groups started.
    pub groups: usize,
    /// Services serving at the end.
    pub serving: usize,
    /// Services that are not (failed, or still starting after the timeout).
    pub not_serving: Vec<String>,
}

/// The plan for `manifests` next to the kernel's own endpoints, or the message that
/// stops the boot (naming the services involved).
pub fn plan(manifests: &[Manifest]) -> Result<BootPlan, String> {
    boot_plan::plan(manifests, catalog::KERNEL_ENDPOINTS)
        .map_err(|e| format!("s-init: boot stopped: {e}"))
}

/// Boots `manifests` (the catalog's, expanded).
pub async fn boot(manifests: Vec<Manifest>) -> Result<BootReport, String> {
    let plan = plan(&manifests)?;
    let mut group_of = alloc::vec![0; manifests.len()];
    for (g, group) in plan.groups.iter().enumerate() {
        for &i in group {
            group_of[i] = g;
        }
    }
    table::install(
        manifests
            .into_iter()
            .zip(group_of)
            .map(|(m, g)| Entry::new(m, g))
            .collect(),
    );
    run_groups(&plan).await;
    let (serving, not_serving) = table::with(|t| {
        let serving = t.iter().filter(|e| e.state == State::Serving).count();
        let others = t
            .iter()
            .filter(|e| e.state != State::Serving && e.manifest.autostart)
            .map(|e| format!("{} ({})", e.manifest.name, e.state.name()))
            .collect();
        (serving, others)
    });
    Ok(BootReport {
        groups: plan.groups.len(),
        serving,
        not_serving,
    })
}

async fn run_groups(plan: &BootPlan) {
    for group in &plan.groups {
        for &index in group {
            if !table::with(|t| t[index].manifest.autostart) {
                table::with(|t| {
                    let e = &mut t[index];
                    e.state = State::Stopped;
                    e.event(
                        EventKind::Unregistered,
                        String::from("not started at boot (manual)"),
                    );
                });
                continue;
            }
            match failed_dependency(index) {
                Some(dependency) => table::with(|t| {
                    let e = &mut t[index];
                    e.state = State::Failed;
                    e.event(
                        EventKind::RestartFailed,
                        format!("not started: dependency {dependency} is not serving"),
                    );
                }),
                None => supervisor::spawn(index, supervisor::take_over(index)),
            }
        }
        poll_until(GROUP_TIMEOUT_US, || settled(group)).await;
    }
}

/// A dependency of service `index` that is not serving.
pub fn failed_dependency(index: usize) -> Option<String> {
    table::with(|t| {
        t[index]
            .manifest
            .depends_on
            .iter()
            .find(|d| {
                t.iter()
                    .find(|e| e.manifest.name == **d)
                    .is_none_or(|e| e.state != State::Serving)
            })
            .cloned()
    })
}

/// Whether every service of `group` serves or is out of the running.
fn settled(group: &[usize]) -> bool {
    table::with(|t| {
        group
            .iter()
            .all(|&i| matches!(t[i].state, State::Serving | State::Failed | State::Stopped))
    })
}
