//! The shell's service commands: `services`, `deps`, `start`, `stop`, `restart`,
//! `crash`, `events`, `dmesg`.

use super::commands::Outcome;
use crate::println;
use crate::service_manager::{self, journal};
use alloc::format;
use alloc::string::String;
use services::log_book::Level;
use services::manifest::RunsAs;

/// Events `events NAME` shows unless told.
const DEFAULT_EVENTS: usize = 10;
/// Most events `events NAME N` shows.
const MAX_EVENTS: usize = 128;

/// `services`: every supervised service.
pub fn services() -> Outcome {
    println!(
        "name         version  kind    state       restarts  uptime      core  pid    endpoint"
    );
    let list = service_manager::list();
    for s in &list {
        let kind = match s.manifest.runs_as {
            RunsAs::Kernel => "kernel",
            RunsAs::User { .. } => "user",
            RunsAs::Failover { .. } => "router",
        };
        let uptime = s.uptime_us.map_or(String::from("-"), |us| {
            format!("{}.{:03} s", us / 1_000_000, us / 1000 % 1000)
        });
        let core = s.core.map_or(String::from("-"), |c| format!("{c}"));
        let pid = s.pid.map_or(String::from("-"), |p| format!("{p}"));
        println!(
            "{:<12} {:<8} {:<7} {:<11} {:<9} {:<11} {:<5} {:<6} {}",
            s.manifest.name,
            format!("{}", s.manifest.version),
            kind,
            s.state.name(),
            s.restarts,
            uptime,
            core,
            pid,
            s.manifest.endpoint.as_deref().unwrap_or("-"),
        );
    }
    println!("{} services", list.len());
    for (name, c) in service_manager::routers() {
        println!(
            "router {name}: accepted {} answered {} replayed {} failed {}",
            c.accepted, c.answered, c.replayed, c.failed
        );
    }
    Ok(())
}

/// The one argument of `command`, a service name.
fn one_name<'a>(command: &str, args: &'a str) -> Result<&'a str, String> {
    let mut words = args.split_whitespace();
    match (words.next(), words.next()) {
        (Some(name), None) => Ok(name),
        _ => Err(format!("usage: {command} NAME")),
    }
}

/// `deps NAME`: what it depends on and who depends on it.
pub fn deps(args: &str) -> Outcome {
    let name = one_name("deps", args)?;
    let deps = service_manager::dependencies(name)?;
    let list = |names: &[String]| match names {
        [] => String::from("(none)"),
        names => names.join(", "),
    };
    println!("{name}: boot group {}", deps.group);
    println!("depends on: {}", list(&deps.depends_on));
    println!("needed by: {}", list(&deps.dependents));
    Ok(())
}

/// `start NAME`.
pub async fn start(args: &str) -> Outcome {
    let name = one_name("start", args)?;
    service_manager::start(name).await?;
    println!("{name} serving");
    Ok(())
}

/// `stop NAME`.
pub async fn stop(args: &str) -> Outcome {
    let name = one_name("stop", args)?;
    service_manager::stop(name).await?;
    println!("{name} stopped");
    Ok(())
}

/// `restart NAME`.
pub async fn restart(args: &str) -> Outcome {
    let name = one_name("restart", args)?;
    service_manager::restart(name).await?;
    println!("{name} serving");
    Ok(())
}

/// `crash NAME`: fault injection.
pub fn crash(args: &str) -> Outcome {
    let name = one_name("crash", args)?;
    let what = service_manager::crash(name)?;
    println!("crashed {what}");
    Ok(())
}

/// `events NAME [N]`: the last N lifecycle events.
pub fn events(args: &str) -> Outcome {
    let mut words = args.split_whitespace();
    let usage = || format!("usage: events NAME [N] (N from 1 to {MAX_EVENTS})");
    let name = words.next().ok_or_else(usage)?;
    let n = match words.next().map(str::parse::<usize>) {
        None => DEFAULT_EVENTS,
        Some(Ok(n)) if (1..=MAX_EVENTS).contains(&n) => n,
        Some(_) => return Err(usage()),
    };
    if words.next().is_some() {
        return Err(usage());
    }
    for event in service_manager::events(name, n)? {
        let at = event.at_us;
        println!(
            "[{:>6}.{:06}] {:<13} {}",
            at / 1_000_000,
            at % 1_000_000,
            event.kind.name(),
            event.detail
        );
    }
    Ok(())
}

/// `dmesg [--service NAME] [--level LEVEL]`: the journal, oldest first.
pub fn dmesg(args: &str) -> Outcome {
    let usage =
        || String::from("usage: dmesg [--service NAME] [--level error|warn|info|debug|trace]");
    let (mut service, mut level) = (None, Level::Trace);
    let mut words = args.split_whitespace();
    while let Some(flag) = words.next() {
        match (flag, words.next()) {
            ("--service", Some(name)) => service = Some(name),
            ("--level", Some(name)) => {
                level = Level::parse(name)
                    .ok_or_else(|| format!("unknown level '{name}'; {}", usage()))?
            }
            _ => return Err(usage()),
        }
    }
    let records = journal::query(service, level)
        .ok_or_else(|| format!("no log channel '{}'", service.unwrap_or_default()))?;
    for (channel, record) in &records {
        let at = record.at_us;
        println!(
            "[{:>6}.{:06}] {:<10} {:<5} {}",
            at / 1_000_000,
            at % 1_000_000,
            channel,
            record.level.name(),
            record.text
        );
    }
    Ok(())
}
