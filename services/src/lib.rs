//! MOHHOS services: the parts that need no hardware, built and tested on the host.
//!
//! - [`manifest`]: what a service is (name, version, dependencies, the capabilities it
//!   needs, restart policy, replicas, kernel future or user process);
//! - [`boot_plan`]: S-INIT's order, group by group, with cycles and missing
//!   dependencies reported by name;
//! - [`restart`]: the supervisor's restart decisions (policy, limit within a window,
//!   delay);
//! - [`events`]: lifecycle events and their bounded per-service log;
//! - [`health`]: a service's health from its heartbeats and its queue;
//! - [`log_book`]: the log service's channels (`dmesg`);
//! - [`ramfs`]: the storage service's RAM filesystem;
//! - [`last_hit`]: a short keyed list that remembers its last hit (a process's
//!   connections, the storage service's clients).
//!
//! The kernel runs them (`kernel/src/service_manager/`).

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod boot_plan;
pub mod events;
pub mod health;
pub mod last_hit;
pub mod log_book;
pub mod manifest;
pub mod ramfs;
pub mod restart;
pub mod token_table;
