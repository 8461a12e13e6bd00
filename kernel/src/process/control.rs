//! A process as the rest of the kernel sees it: identity, state, counters, and the
//! table of live processes (`ps`, `kill`, `suspend`, `resume`).

use crate::service_manager::journal;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::future::poll_fn;
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use core::task::Poll;
use executor::TaskRef;
use futures_util::task::AtomicWaker;
use services::log_book::ChannelId;

/// A process id (never reused while the kernel runs).
pub type Pid = u32;

/// What a process is doing, as `ps` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RunState {
    /// Waiting for its turn on a core.
    Ready = 0,
    /// In user mode (or in a system call) on a core.
    Running = 1,
    /// In a blocking system call.
    Blocked = 2,
    /// Stopped by `suspend` until `resume`.
    Suspended = 3,
}

impl RunState {
    fn from_u8(value: u8) -> RunState {
        match value {
            1 => RunState::Running,
            2 => RunState::Blocked,
            3 => RunState::Suspended,
            _ => RunState::Ready,
        }
    }
}

/// The shared part of one process.
pub struct Control {
    /// Its id.
    pub pid: Pid,
    /// The program it runs.
    pub name: String,
    /// Whether a normal exit is reported on the console (faults and kills always are).
    pub announce_exit: bool,
    /// Where `write` goes when not to the console (see [`Options::capture`]).
    captured: Option<spin::Mutex<String>>,
    /// The journal channel its output and its end go to instead of the console (see
    /// [`Options::log`]).
    pub log: Option<ChannelId>,
    state: AtomicU8,
    suspended: AtomicBool,
    resumed: AtomicWaker,
    task: spin::Once<TaskRef>,
    /// Pages of user memory mapped now.
    pub pages: AtomicU64,
    /// Its resource limits.
    pub limits: Limits,
    /// System calls made.
    pub syscalls: AtomicU64,
}

impl Control {
    fn new(pid: Pid, name: &str, options: Options) -> Self {
        Self {
            pid,
            name: String::from(name),
            announce_exit: options.announce_exit,
            captured: options.capture.then(|| spin::Mutex::new(String::new())),
            log: options.log,
            state: AtomicU8::new(RunState::Ready as u8),
            suspended: AtomicBool::new(false),
            resumed: AtomicWaker::new(),
            task: spin::Once::new(),
            pages: AtomicU64::new(0),
            limits: options.limits,
            syscalls: AtomicU64::new(0),
        }
    }

    /// Takes what the process wrote so far, when its output is captured.
    pub fn take_output(&self) -> Option<String> {
        self.captured
            .as_ref()
            .map(|out| core::mem::take(&mut *out.lock()))
    }

    /// Writes process output: to the capture buffer if there is one (`Full` once it holds
    /// [`MAX_CAPTURED`] bytes: nothing is dropped silently), else to its journal channel
    /// or the console.
    pub(super) fn output(&self, text: &str) -> Result<(), mohhos_abi::Error> {
        match &self.captured {
            None if self.log.is_some() => {
                if let Some(channel) = self.log {
                    journal::append_output(channel, text);
                }
            }
            Some(out) => {
                let mut out = out.lock();
                if out.len() + text.len() > MAX_CAPTURED {
                    return Err(mohhos_abi::Error::Full);
                }
                out.push_str(text);
            }
            None => crate::print!("{text}"),
        }
        Ok(())
    }

    /// The current state.
    ///
    /// A process asked to suspend that is not running user code now (ready or blocked)
    /// is `Suspended` already: its task checks the request before it enters user mode
    /// again, so none of its instructions run until `resume`.
    pub fn state(&self) -> RunState {
        match RunState::from_u8(self.state.load(Ordering::Relaxed)) {
            RunState::Ready | RunState::Blocked if self.suspend_requested() => RunState::Suspended,
            state => state,
        }
    }

    pub(super) fn set_state(&self, state: RunState) {
        self.state.store(state as u8, Ordering::Relaxed);
    }

    /// The executor task running the process.
    pub fn task(&self) -> Option<&TaskRef> {
        self.task.get()
    }

    pub(super) fn set_task(&self, task: TaskRef) {
        self.task.call_once(|| task);
    }

    /// Ends the process at its next trap or wake-up (its future is dropped, which frees
    /// its memory).
    pub fn kill(&self) {
        if let Some(task) = self.task() {
            task.abort();
        }
    }

    /// Stops the process at its next trap (at most one time slice) until `resume`.
    pub fn suspend(&self) {
        self.suspended.store(true, Ordering::Release);
    }

    /// Lets a suspended process run again.
    pub fn resume(&self) {
        self.suspended.store(false, Ordering::Release);
        self.resumed.wake();
    }

    /// Whether `suspend` asked the process to stop.
    pub(super) fn suspend_requested(&self) -> bool {
        self.suspended.load(Ordering::Relaxed)
    }

    /// Waits while the process is suspended.
    pub(super) async fn wait_while_suspended(&self) {
        if !self.suspended.load(Ordering::Acquire) {
            return;
        }
        self.set_state(RunState::Suspended);
        poll_fn(|cx| {
            self.resumed.register(cx.waker());
            if self.suspended.load(Ordering::Acquire) {
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;
        self.set_state(RunState::Ready);
    }
}

/// What a process may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Pages of user memory (program, stack and `map`).
    pub memory_pages: u64,
    /// Capabilities it may hold.
    pub caps: u64,
    /// Endpoint queue slots its services may take (256 per service).
    pub queue_slots: u64,
}

impl Default for Limits {
    /// 16 MiB of memory, 64 capabilities, queue slots for 4 services.
    fn default() -> Self {
        Self {
            memory_pages: 4096,
            caps: 64,
            queue_slots: 1024,
        }
    }
}

/// How a process is started.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Its resource limits.
    pub limits: Limits,
    /// Keep it on this core (pinned: never stolen); `None` runs it wherever a core is free.
    pub core: Option<usize>,
    /// Print a line when it exits normally (faults and kills are always reported).
    pub announce_exit: bool,
    /// Keep what it writes (at most [`MAX_CAPTURED`] bytes until taken) instead of
    /// printing it: benchmarks and tests read it with [`Control::take_output`].
    pub capture: bool,
    /// Send what it writes, and the report of its end, to this journal channel
    /// instead of the console (supervised services).
    pub log: Option<ChannelId>,
    /// The start argument: in `rdi` at its first instruction (`docs/abi.md`).
    pub argument: u64,
}

/// Most bytes of captured output kept until taken.
pub const MAX_CAPTURED: usize = 64 * 1024;

/// Most processes alive at once.
pub const MAX_PROCESSES: usize = 1024;

static TABLE: spin::Mutex<BTreeMap<Pid, Arc<Control>>> = spin::Mutex::new(BTreeMap::new());
static NEXT_PID: AtomicU32 = AtomicU32::new(1);

/// Adds a new process named `name`; `None` when [`MAX_PROCESSES`] are alive.
pub(super) fn insert(name: &str, options: Options) -> Option<Arc<Control>> {
    let mut table = TABLE.lock();
    if table.len() >= MAX_PROCESSES {
        return None;
    }
    let pid = NEXT_PID.fetch_add(1, Ordering::Relaxed);
    let control = Arc::new(Control::new(pid, name, options));
    table.insert(pid, control.clone());
    Some(control)
}

/// Removes an ended process.
pub(super) fn remove(pid: Pid) {
    TABLE.lock().remove(&pid);
}

/// The live process `pid`.
pub fn find(pid: Pid) -> Option<Arc<Control>> {
    TABLE.lock().get(&pid).cloned()
}

/// Every live process, by pid.
pub fn list() -> Vec<Arc<Control>> {
    TABLE.lock().values().cloned().collect()
}
