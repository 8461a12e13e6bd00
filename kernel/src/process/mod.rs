//! User processes: isolated ring-3 programs, each in its own address space, each an
//! executor future (`task.rs`).
//!
//! A process is made from one of the programs packed into the kernel image
//! (`programs.rs`): its ELF file is checked (`mohhos_image::parse`), loaded into a new
//! address space with a memory quota (`memory.rs`, `load.rs`), and its future spawned.
//! The shell's `run`, `ps`, `kill`, `suspend` and `resume` drive it.

mod call_deadline;
mod control;
mod ipc_holder;
mod lending;
mod load;
mod memory;
mod message;
mod programs;
mod ring;
mod syscalls;
mod task;

pub use control::{Control, Limits, MAX_PROCESSES, Options, Pid, find, list};
pub use lending::counts as handoff_counts;
pub use programs::names as program_names;
#[cfg(feature = "ktest")]
pub use task::EXIT_EVENT;
pub use task::Exit;

use crate::arch::x86_64::UserFrame;
use crate::runtime::executor;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use executor::{Affinity, JoinHandle, Priority};
use ipc_holder::ProcessIpc;
use memory::UserMemory;

/// Starts program `name` as a new process.
pub fn spawn(name: &str, options: Options) -> Result<(Arc<Control>, JoinHandle<Exit>), String> {
    let file = programs::find(name).ok_or_else(|| format!("no program '{name}'"))?;
    if let Some(core) = options.core
        && core >= crate::arch::x86_64::online_cpus()
    {
        return Err(format!("no core {core}"));
    }
    let image = mohhos_image::parse(file).map_err(|e| format!("{name}: {e}"))?;
    let mut memory =
        UserMemory::new(options.limits.memory_pages).map_err(|e| format!("{name}: {e}"))?;
    let (entry, stack) = load::load(&mut memory, &image).map_err(|e| format!("{name}: {e}"))?;
    let control = control::insert(name, options)
        .ok_or_else(|| format!("{MAX_PROCESSES} processes are running already"))?;
    control.pages.store(memory.pages(), Ordering::Relaxed);
    let mut frame = Box::new(UserFrame::new(control.pid, entry, stack));
    frame.regs.rdi = options.argument;
    let task = Arc::new(spin::Once::new());
    let ipc = ProcessIpc::new(control.pid, options.limits, task.clone());
    let builder = executor()
        .build()
        .name(format!("pid {} {name}", control.pid))
        .priority(Priority::Normal);
    let future = task::run(control.clone(), memory, ipc, frame, options.core);
    let handle = match options.core {
        Some(core) => builder
            .affinity(Affinity::Pinned(core))
            .spawn_on(core, future),
        // The global injector: whichever core is free first starts it.
        None => builder.spawn_anywhere(future),
    };
    control.set_task(handle.task().clone());
    task.call_once(|| handle.task().clone());
    Ok((control, handle))
}
