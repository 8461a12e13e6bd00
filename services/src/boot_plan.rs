//! S-INIT's boot plan: the services in groups, each group depending only on earlier
//! ones, so that a group's services can start in parallel once the group before it
//! serves.
//!
//! Groups come from Kahn's algorithm level by level, each sorted by name, so the same
//! manifests always give the same plan. A plan is refused, naming the services
//! involved, for a manifest that makes no sense, a name used twice, a dependency no
//! manifest provides, a needed endpoint nobody serves, or a dependency cycle (the
//! cycle itself is named, in order).

use crate::manifest::{Manifest, ManifestError};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Why there is no plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// A manifest makes no sense on its own.
    Invalid(ManifestError),
    /// Two manifests have this name.
    Duplicate(String),
    /// `service` depends on `missing`, which no manifest provides.
    MissingDependency {
        /// The service with the dependency.
        service: String,
        /// The name nobody provides.
        missing: String,
    },
    /// `service` needs the endpoint `endpoint`, which no service serves.
    UnknownEndpoint {
        /// The service that needs it.
        service: String,
        /// The endpoint.
        endpoint: String,
    },
    /// These services depend on each other in a circle, in this order (each depends on
    /// the next, the last on the first).
    Cycle(Vec<String>),
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::Invalid(error) => write!(f, "{error}"),
            PlanError::Duplicate(name) => write!(f, "two services are named '{name}'"),
            PlanError::MissingDependency { service, missing } => write!(
                f,
                "service '{service}' depends on '{missing}', which no service provides"
            ),
            PlanError::UnknownEndpoint { service, endpoint } => write!(
                f,
                "service '{service}' needs endpoint '{endpoint}', which no service serves"
            ),
            PlanError::Cycle(names) => {
                write!(f, "dependency cycle: ")?;
                for name in names {
                    write!(f, "{name} -> ")?;
                }
                write!(f, "{}", names[0])
            }
        }
    }
}

/// The order S-INIT starts services in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootPlan {
    /// Indices into the manifests, group by group.
    pub groups: Vec<Vec<usize>>,
}

/// Plans the boot of `manifests`; `endpoints` are the endpoints that exist without any
/// of them (the kernel's own).
pub fn plan(manifests: &[Manifest], endpoints: &[&str]) -> Result<BootPlan, PlanError> {
    let index = check(manifests, endpoints)?;
    // Unmet dependencies of each service, and who waits for each.
    let mut waiting: Vec<usize> = manifests.iter().map(|m| m.depends_on.len()).collect();
    let mut dependents: Vec<Vec<usize>> = alloc::vec![Vec::new(); manifests.len()];
    for (i, m) in manifests.iter().enumerate() {
        for dep in &m.depends_on {
            dependents[index[dep.as_str()]].push(i);
        }
    }
    let by_name =
        |group: &mut Vec<usize>| group.sort_by(|&a, &b| manifests[a].name.cmp(&manifests[b].name));
    let mut ready: Vec<usize> = (0..manifests.len()).filter(|&i| waiting[i] == 0).collect();
    let mut groups = Vec::new();
    let mut planned = 0;
    while !ready.is_empty() {
        by_name(&mut ready);
        let mut next = Vec::new();
        for &i in &ready {
            for &d in &dependents[i] {
                waiting[d] -= 1;
                if waiting[d] == 0 {
                    next.push(d);
                }
            }
        }
        planned += ready.len();
        groups.push(core::mem::replace(&mut ready, next));
    }
    if planned < manifests.len() {
        return Err(PlanError::Cycle(find_cycle(manifests, &index, &waiting)));
    }
    Ok(BootPlan { groups })
}

/// Checks every manifest and every reference; returns the index of each name.
fn check<'a>(
    manifests: &'a [Manifest],
    endpoints: &[&str],
) -> Result<BTreeMap<&'a str, usize>, PlanError> {
    let mut index = BTreeMap::new();
    for (i, m) in manifests.iter().enumerate() {
        m.check().map_err(PlanError::Invalid)?;
        if index.insert(m.name.as_str(), i).is_some() {
            return Err(PlanError::Duplicate(m.name.clone()));
        }
    }
    let served: BTreeSet<&str> = manifests
        .iter()
        .filter_map(|m| m.endpoint.as_deref())
        .chain(endpoints.iter().copied())
        .collect();
    for m in manifests {
        if let Some(missing) = m
            .depends_on
            .iter()
            .find(|d| !index.contains_key(d.as_str()))
        {
            return Err(PlanError::MissingDependency {
                service: m.name.clone(),
                missing: missing.clone(),
            });
        }
        if let Some(endpoint) = m.needs.iter().find(|e| !served.contains(e.as_str())) {
            return Err(PlanError::UnknownEndpoint {
                service: m.name.clone(),
                endpoint: endpoint.clone(),
            });
        }
    }
    Ok(index)
}

/// A cycle among the services Kahn's algorithm could not plan (`waiting[i] > 0`):
/// each of them has a dependency that is unplanned too, so following those from any
/// of them must come back to a service already seen.
fn find_cycle(
    manifests: &[Manifest],
    index: &BTreeMap<&str, usize>,
    waiting: &[usize],
) -> Vec<String> {
    let stuck = |i: usize| waiting[i] > 0;
    let start = (0..manifests.len())
        .filter(|&i| stuck(i))
        .min_by(|&a, &b| manifests[a].name.cmp(&manifests[b].name))
        .expect("a stalled plan leaves a service unplanned");
    let mut path = alloc::vec![start];
    loop {
        let at = *path.last().expect("the path is never empty");
        let next = manifests[at]
            .depends_on
            .iter()
            .map(|d| index[d.as_str()])
            .filter(|&d| stuck(d))
            .min_by(|&a, &b| manifests[a].name.cmp(&manifests[b].name))
            .expect("an unplanned service has an unplanned dependency");
        if let Some(seen) = path.iter().position(|&p| p == next) {
            return path[seen..]
                .iter()
                .map(|&i| manifests[i].name.clone())
                .collect();
        }
        path.push(next);
    }
}

/// Every service that depends on `name`, directly or through others, sorted by name.
pub fn dependents_of(manifests: &[Manifest], name: &str) -> Vec<String> {
    let mut found: BTreeSet<&str> = BTreeSet::new();
    let mut frontier = alloc::vec![name];
    while let Some(at) = frontier.pop() {
        for m in manifests {
            if m.depends_on.iter().any(|d| d == at) && found.insert(m.name.as_str()) {
                frontier.push(m.name.as_str());
            }
        }
    }
    found.into_iter().map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Version;

    const V: Version = Version::new(1, 0, 0);

    fn names(manifests: &[Manifest], plan: &BootPlan) -> Vec<Vec<String>> {
        plan.groups
            .iter()
            .map(|g| g.iter().map(|&i| manifests[i].name.clone()).collect())
            .collect()
    }

    #[test]
    fn groups_follow_the_dependencies() {
        let m = [
            Manifest::kernel("net", V).depends_on(&["dev"]),
            Manifest::kernel("storage", V).depends_on(&["log"]),
            Manifest::kernel("log", V),
            Manifest::kernel("dev", V).depends_on(&["log"]),
            Manifest::kernel("gate", V).depends_on(&["net", "storage"]),
        ];
        let plan = plan(&m, &[]).expect("plan");
        assert_eq!(
            names(&m, &plan),
            [
                alloc::vec!["log"],
                alloc::vec!["dev", "storage"],
                alloc::vec!["net"],
                alloc::vec!["gate"]
            ]
        );
    }

    #[test]
    fn every_service_comes_after_all_it_depends_on() {
        // A wider graph: service i depends on every j < i with i % (j + 2) == 0.
        let m: Vec<Manifest> = (0..40)
            .map(|i| {
                let deps: Vec<String> = (0..i)
                    .filter(|j| i % (j + 2) == 0)
                    .map(|j| alloc::format!("s{j}"))
                    .collect();
                let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
                Manifest::kernel(&alloc::format!("s{i}"), V).depends_on(&deps)
            })
            .collect();
        let plan = plan(&m, &[]).expect("plan");
        let mut group_of = alloc::vec![usize::MAX; m.len()];
        for (g, group) in plan.groups.iter().enumerate() {
            for &i in group {
                assert_eq!(group_of[i], usize::MAX, "planned twice");
                group_of[i] = g;
            }
        }
        for (i, service) in m.iter().enumerate() {
            assert_ne!(group_of[i], usize::MAX, "{} not planned", service.name);
            for dep in &service.depends_on {
                let d = m.iter().position(|x| x.name == *dep).expect("dep");
                assert!(group_of[d] < group_of[i]);
            }
        }
    }

    #[test]
    fn a_cycle_is_named_in_order() {
        let m = [
            Manifest::kernel("a", V).depends_on(&["b"]),
            Manifest::kernel("b", V).depends_on(&["c"]),
            Manifest::kernel("c", V).depends_on(&["a"]),
            Manifest::kernel("d", V).depends_on(&["a"]),
            Manifest::kernel("e", V),
        ];
        let error = plan(&m, &[]).expect_err("cycle");
        assert_eq!(
            error,
            PlanError::Cycle(alloc::vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(
            alloc::format!("{error}"),
            "dependency cycle: a -> b -> c -> a"
        );
    }

    #[test]
    fn a_cycle_behind_a_dependent_is_cut_out() {
        // "a" is stuck only because it depends on the cycle x <-> y.
        let m = [
            Manifest::kernel("a", V).depends_on(&["x"]),
            Manifest::kernel("x", V).depends_on(&["y"]),
            Manifest::kernel("y", V).depends_on(&["x"]),
        ];
        assert_eq!(
            plan(&m, &[]),
            Err(PlanError::Cycle(alloc::vec!["x".into(), "y".into()]))
        );
    }

    #[test]
    fn missing_and_duplicate_names_are_reported() {
        let m = [Manifest::kernel("a", V).depends_on(&["ghost"])];
        let error = plan(&m, &[]).expect_err("missing");
        assert_eq!(
            alloc::format!("{error}"),
            "service 'a' depends on 'ghost', which no service provides"
        );
        let m = [Manifest::kernel("a", V), Manifest::kernel("a", V)];
        assert_eq!(plan(&m, &[]), Err(PlanError::Duplicate("a".into())));
        let m = [Manifest::kernel("a", V).replicas(0)];
        assert!(matches!(plan(&m, &[]), Err(PlanError::Invalid(_))));
    }

    #[test]
    fn needed_endpoints_must_be_served() {
        let m = [
            Manifest::kernel("a", V).endpoint("svc.a"),
            Manifest::kernel("b", V).needs(&["svc.a", "kernel.echo"]),
        ];
        assert!(plan(&m, &["kernel.echo"]).is_ok());
        assert_eq!(
            plan(&m, &[]),
            Err(PlanError::UnknownEndpoint {
                service: "b".into(),
                endpoint: "kernel.echo".into()
            })
        );
    }

    #[test]
    fn dependents_are_found_transitively() {
        let m = [
            Manifest::kernel("log", V),
            Manifest::kernel("storage", V).depends_on(&["log"]),
            Manifest::kernel("db", V).depends_on(&["storage"]),
            Manifest::kernel("other", V),
        ];
        assert_eq!(dependents_of(&m, "log"), ["db", "storage"]);
        assert!(dependents_of(&m, "other").is_empty());
    }

    #[test]
    fn an_empty_system_has_an_empty_plan() {
        assert_eq!(plan(&[], &[]), Ok(BootPlan { groups: Vec::new() }));
    }
}
