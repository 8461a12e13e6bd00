//! What a service is: the manifest S-INIT and the supervisor work from.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// How a service runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunsAs {
    /// A future on the kernel's executor (its code is part of the kernel image).
    Kernel,
    /// A ring-3 process started from the program of this name packed into the image.
    User {
        /// The program's name.
        program: String,
    },
    /// The kernel's failover router in front of a replicated service: it owns the
    /// service's endpoint and forwards every request to the first replica that serves,
    /// replaying what a dying replica left unanswered to the next (see
    /// [`expand_replicas`]).
    Failover {
        /// The replicas' endpoints, in the order they are tried.
        replicas: Vec<String>,
    },
}

/// When the supervisor restarts a service that ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartPolicy {
    /// Never (one-shot services).
    Never,
    /// Only when it failed: a fault, a non-zero exit code, or killed.
    OnFailure,
    /// Whenever it ended, even cleanly (daemons).
    Always,
}

impl RestartPolicy {
    /// The policy's name as the shell shows it.
    pub fn name(self) -> &'static str {
        match self {
            RestartPolicy::Never => "never",
            RestartPolicy::OnFailure => "on-failure",
            RestartPolicy::Always => "always",
        }
    }
}

/// A restart policy with its limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartConfig {
    /// When to restart.
    pub policy: RestartPolicy,
    /// At most this many restarts within [`RestartConfig::window_us`]; one more gives
    /// up (`RestartFailed`).
    pub max_restarts: u32,
    /// The window the restarts are counted in, microseconds.
    pub window_us: u64,
    /// How long the supervisor waits before each restart, microseconds.
    pub delay_us: u64,
}

impl RestartConfig {
    /// The defaults: restart on failure, at most 3 times in 60 s, after 1 s.
    pub const DEFAULT: RestartConfig = RestartConfig {
        policy: RestartPolicy::OnFailure,
        max_restarts: 3,
        window_us: 60_000_000,
        delay_us: 1_000_000,
    };
}

impl Default for RestartConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A service's version, `major.minor.patch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Incompatible changes.
    pub major: u16,
    /// Compatible additions.
    pub minor: u16,
    /// Fixes.
    pub patch: u16,
}

impl Version {
    /// `major.minor.patch`.
    pub const fn new(major: u16, minor: u16, patch: u16) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Most replicas a service may ask for.
pub const MAX_REPLICAS: u8 = 4;

/// One service's manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// Its name, unique in the system (also the name its endpoint registers, unless
    /// [`Manifest::endpoint`] says otherwise).
    pub name: String,
    /// Its version.
    pub version: Version,
    /// Services that must be serving before it starts.
    pub depends_on: Vec<String>,
    /// The endpoints it is given send capabilities for when it starts.
    pub needs: Vec<String>,
    /// The IPC name it serves under, if any.
    pub endpoint: Option<String>,
    /// Its restart policy.
    pub restart: RestartConfig,
    /// How many instances run: the primary and `replicas - 1` standbys.
    pub replicas: u8,
    /// A kernel future or a user process.
    pub runs_as: RunsAs,
    /// Which replica this is (1, 2, …; 0 for a service that is not a replica): a user
    /// process gets it as its start argument.
    pub instance: u8,
    /// Whether S-INIT starts it at boot (else only an operator's `start` does).
    pub autostart: bool,
}

impl Manifest {
    /// A kernel service `name` at `version` with no dependencies, the default restart
    /// policy and one instance.
    pub fn kernel(name: &str, version: Version) -> Self {
        Self {
            name: name.into(),
            version,
            depends_on: Vec::new(),
            needs: Vec::new(),
            endpoint: None,
            restart: RestartConfig::DEFAULT,
            replicas: 1,
            runs_as: RunsAs::Kernel,
            instance: 0,
            autostart: true,
        }
    }

    /// A user service `name` at `version`, run from `program`; otherwise as
    /// [`Manifest::kernel`].
    pub fn user(name: &str, version: Version, program: &str) -> Self {
        Self {
            runs_as: RunsAs::User {
                program: program.into(),
            },
            ..Self::kernel(name, version)
        }
    }

    /// The same with dependencies `names`.
    pub fn depends_on(mut self, names: &[&str]) -> Self {
        self.depends_on = names.iter().map(|&n| n.into()).collect();
        self
    }

    /// The same, given send capabilities for the endpoints `names`.
    pub fn needs(mut self, names: &[&str]) -> Self {
        self.needs = names.iter().map(|&n| n.into()).collect();
        self
    }

    /// The same, serving under the IPC name `name`.
    pub fn endpoint(mut self, name: &str) -> Self {
        self.endpoint = Some(name.into());
        self
    }

    /// The same with restart policy `restart`.
    pub fn restart(mut self, restart: RestartConfig) -> Self {
        self.restart = restart;
        self
    }

    /// The same, started only on request (not at boot).
    pub fn manual(mut self) -> Self {
        self.autostart = false;
        self
    }

    /// The same with `count` instances.
    pub fn replicas(mut self, count: u8) -> Self {
        self.replicas = count;
        self
    }

    /// Checks the fields that make sense on their own (the boot plan checks the
    /// references between manifests).
    pub fn check(&self) -> Result<(), ManifestError> {
        let bad = |why| Err(ManifestError::new(&self.name, why));
        if !valid_name(&self.name) {
            return bad("a name is 1 to 32 characters: a-z, 0-9, '-', '.'");
        }
        if self.replicas == 0 || self.replicas > MAX_REPLICAS {
            return bad("replicas must be 1 to 4");
        }
        if self.replicas > 1 && self.endpoint.is_none() {
            return bad("replicas need an endpoint to fail over");
        }
        if self.replicas > 1 && self.runs_as == RunsAs::Kernel {
            return bad("only user services run replicas");
        }
        if self.restart.window_us == 0 {
            return bad("the restart window must not be empty");
        }
        if self.depends_on.contains(&self.name) {
            return bad("a service cannot depend on itself");
        }
        Ok(())
    }
}

/// Expands every replicated manifest (replicas > 1, a user service) into its replicas
/// and the router in front of them: service `NAME` with endpoint `EP` and `n` replicas
/// becomes `NAME.1` … `NAME.n` (the same program, each with its own endpoint `EP.k`,
/// its instance number as start argument, the same dependencies and restart policy)
/// and `NAME` itself, a [`RunsAs::Failover`] router that owns `EP`, depends on every
/// replica and is always restarted at once. Other manifests stay as they are. Run it on
/// checked manifests (an unchecked one passes through unchanged for the plan to
/// refuse).
pub fn expand_replicas(manifests: Vec<Manifest>) -> Vec<Manifest> {
    let mut out = Vec::new();
    for m in manifests {
        let (Some(endpoint), true) = (m.endpoint.clone(), m.check().is_ok() && m.replicas > 1)
        else {
            out.push(m);
            continue;
        };
        let mut replicas = Vec::new();
        let mut names = Vec::new();
        for k in 1..=m.replicas {
            let name = alloc::format!("{}.{k}", m.name);
            let replica_endpoint = alloc::format!("{endpoint}.{k}");
            replicas.push(replica_endpoint.clone());
            out.push(Manifest {
                name: name.clone(),
                endpoint: Some(replica_endpoint),
                replicas: 1,
                instance: k,
                ..m.clone()
            });
            names.push(name);
        }
        out.push(Manifest {
            name: m.name.clone(),
            version: m.version,
            depends_on: names,
            needs: Vec::new(),
            endpoint: Some(endpoint),
            // The router holds no state worth a pause: back at once.
            restart: RestartConfig {
                policy: RestartPolicy::Always,
                max_restarts: 100,
                window_us: 60_000_000,
                delay_us: 0,
            },
            replicas: 1,
            runs_as: RunsAs::Failover { replicas },
            instance: 0,
            autostart: m.autostart,
        });
    }
    out
}

/// Whether `name` can name a service.
pub fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// A manifest that makes no sense, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    /// The service.
    pub service: String,
    /// What is wrong.
    pub why: &'static str,
}

impl ManifestError {
    fn new(service: &str, why: &'static str) -> Self {
        Self {
            service: service.into(),
            why,
        }
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "service '{}': {}", self.service, self.why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_issue() {
        let m = Manifest::kernel("log", Version::new(1, 0, 0));
        assert_eq!(m.restart.policy, RestartPolicy::OnFailure);
        assert_eq!(m.restart.max_restarts, 3);
        assert_eq!(m.restart.window_us, 60_000_000);
        assert_eq!(m.restart.delay_us, 1_000_000);
        assert_eq!(m.replicas, 1);
        assert!(m.check().is_ok());
    }

    #[test]
    fn bad_manifests_are_refused_with_a_reason() {
        let v = Version::new(1, 0, 0);
        let cases = [
            Manifest::kernel("", v),
            Manifest::kernel("Upper", v),
            Manifest::kernel("way-too-long-a-name-for-a-service-x", v),
            Manifest::kernel("a", v).replicas(0),
            Manifest::kernel("a", v).replicas(5),
            Manifest::kernel("a", v).replicas(2),
            Manifest::kernel("a", v).depends_on(&["a"]),
            Manifest::kernel("a", v).restart(RestartConfig {
                window_us: 0,
                ..RestartConfig::DEFAULT
            }),
        ];
        for case in cases {
            let error = case.check().expect_err("refused");
            assert!(!error.why.is_empty());
        }
        assert!(
            Manifest::user("a", v, "prog")
                .endpoint("svc.a")
                .replicas(2)
                .check()
                .is_ok()
        );
        let kernel_replicas = Manifest::kernel("a", v).endpoint("svc.a").replicas(2);
        assert!(kernel_replicas.check().is_err());
    }

    #[test]
    fn replicas_expand_into_instances_and_a_router() {
        let v = Version::new(1, 0, 0);
        let manifests = alloc::vec![
            Manifest::kernel("log", v),
            Manifest::user("kv", v, "kv-server")
                .endpoint("svc.kv")
                .depends_on(&["log"])
                .replicas(2),
        ];
        let out = expand_replicas(manifests);
        let names: Vec<&str> = out.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["log", "kv.1", "kv.2", "kv"]);
        assert_eq!(out[1].endpoint.as_deref(), Some("svc.kv.1"));
        assert_eq!(out[2].instance, 2);
        assert_eq!(out[2].depends_on, ["log"]);
        assert_eq!(
            out[2].runs_as,
            RunsAs::User {
                program: "kv-server".into()
            }
        );
        assert_eq!(out[3].depends_on, ["kv.1", "kv.2"]);
        assert_eq!(
            out[3].runs_as,
            RunsAs::Failover {
                replicas: alloc::vec!["svc.kv.1".into(), "svc.kv.2".into()]
            }
        );
        assert!(out.iter().all(|m| m.check().is_ok()));
        assert!(
            crate::boot_plan::plan(&out, &[]).is_ok(),
            "the expansion plans"
        );
    }

    #[test]
    fn versions_print_and_order() {
        assert_eq!(alloc::format!("{}", Version::new(1, 2, 3)), "1.2.3");
        assert!(Version::new(1, 10, 0) > Version::new(1, 9, 9));
    }
}
