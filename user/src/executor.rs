//! A small single-threaded async executor for user programs, driven by the IPC rings.
//!
//! Tasks await ring operations ([`Runtime::send`], [`Runtime::recv`],
//! [`Runtime::reply`]); each operation is submitted on its first poll and completes
//! when its completion arrives. When no task is ready, [`Runtime::run`] hands the
//! submissions to the kernel and blocks in `ring_enter` until a completion arrives, then
//! wakes the tasks whose operations finished. A process is one thread: the locks only
//! make the wakers `Send + Sync`.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::Arc;
use alloc::task::Wake;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::future::{Future, poll_fn};
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use mohhos_abi::Error;
use spin::Mutex;

use crate::ipc::{Cap, Message};
use crate::ring::{Completion, Op, Ring};

type Task = Pin<Box<dyn Future<Output = ()>>>;

/// Tasks woken since the last look.
#[derive(Default)]
struct ReadyQueue(Mutex<VecDeque<usize>>);

struct TaskWaker {
    index: usize,
    ready: Arc<ReadyQueue>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.ready.0.lock().push_back(self.index);
    }
}

/// Operations submitted and not yet collected, by tag.
#[derive(Default)]
struct Operations {
    next_tag: u64,
    waiting: BTreeMap<u64, Waker>,
    done: BTreeMap<u64, Completion>,
    /// Tasks whose submission found the queue full.
    want_room: Vec<Waker>,
}

/// The executor and its rings.
pub struct Runtime {
    ring: RefCell<Ring>,
    operations: RefCell<Operations>,
    tasks: RefCell<Vec<Option<Task>>>,
    ready: Arc<ReadyQueue>,
}

impl Runtime {
    /// A runtime over new rings of `entries` slots.
    pub fn new(entries: u32) -> Result<Runtime, Error> {
        Ok(Runtime {
            ring: RefCell::new(Ring::setup(entries)?),
            operations: RefCell::new(Operations::default()),
            tasks: RefCell::new(Vec::new()),
            ready: Arc::new(ReadyQueue::default()),
        })
    }

    /// Adds a task; it first runs inside [`Runtime::run`].
    pub fn spawn(&self, task: impl Future<Output = ()> + 'static) {
        let mut tasks = self.tasks.borrow_mut();
        self.ready.0.lock().push_back(tasks.len());
        tasks.push(Some(Box::pin(task)));
    }

    /// Runs until every task finished. `Err` if the kernel refused `ring_enter`; panics
    /// if every task waits and no operation is in flight (nothing could wake them).
    pub fn run(&self) -> Result<(), Error> {
        loop {
            let next = self.ready.0.lock().pop_front();
            if let Some(index) = next {
                self.poll_task(index);
                continue;
            }
            if self.tasks.borrow().iter().all(Option::is_none) {
                return Ok(());
            }
            {
                let operations = self.operations.borrow();
                assert!(
                    !operations.waiting.is_empty() || !operations.want_room.is_empty(),
                    "every task waits and no ring operation is in flight"
                );
            }
            self.ring.borrow_mut().enter(1, 0)?;
            self.collect();
        }
    }

    fn poll_task(&self, index: usize) {
        let Some(mut task) = self
            .tasks
            .borrow_mut()
            .get_mut(index)
            .and_then(Option::take)
        else {
            return; // finished already (a late wake)
        };
        let waker = Waker::from(Arc::new(TaskWaker {
            index,
            ready: self.ready.clone(),
        }));
        if task
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
        {
            self.tasks.borrow_mut()[index] = Some(task);
        }
    }

    /// Takes every posted completion and wakes its task.
    fn collect(&self) {
        let mut operations = self.operations.borrow_mut();
        while let Some(completion) = self.ring.borrow_mut().complete() {
            if let Some(waker) = operations.waiting.remove(&completion.user_data) {
                waker.wake();
            }
            operations.done.insert(completion.user_data, completion);
        }
        for waker in operations.want_room.drain(..) {
            waker.wake();
        }
    }

    /// Submits `op` and waits for its completion.
    async fn operation(&self, op: Op) -> Completion {
        let mut tag = None;
        poll_fn(|cx| {
            let mut operations = self.operations.borrow_mut();
            match tag {
                None => {
                    let next = operations.next_tag;
                    match self.ring.borrow_mut().submit(op, next) {
                        Ok(()) => {
                            operations.next_tag += 1;
                            operations.waiting.insert(next, cx.waker().clone());
                            tag = Some(next);
                        }
                        Err(_) => operations.want_room.push(cx.waker().clone()),
                    }
                    Poll::Pending
                }
                Some(tag) => match operations.done.remove(&tag) {
                    Some(completion) => Poll::Ready(completion),
                    None => {
                        operations.waiting.insert(tag, cx.waker().clone());
                        Poll::Pending
                    }
                },
            }
        })
        .await
    }

    /// Sends `message` to `cap` (done once queued at the service).
    pub async fn send(&self, cap: Cap, message: Message) -> Result<(), Error> {
        self.operation(Op::Send { cap, message })
            .await
            .result
            .map(drop)
    }

    /// The next message for the service `cap`, and the token that answers it (0: none).
    pub async fn recv(&self, cap: Cap) -> Result<(Message, u64), Error> {
        let completion = self.operation(Op::Recv { cap }).await;
        completion
            .result
            .map(|_| (completion.message, completion.token))
    }

    /// Answers the call `token` stands for.
    pub async fn reply(&self, token: u64, message: Message) -> Result<(), Error> {
        self.operation(Op::Reply { token, message })
            .await
            .result
            .map(drop)
    }
}
