//! `storage`: the storage service. A RAM filesystem (`services::ramfs`) behind the
//! endpoint `svc.storage`, protocol in `mohhos_abi::storage` and `docs/services.md`.
//!
//! Each client (a process, known by the sender the kernel stamps on its messages, or
//! the kernel) first attaches a shared region as its buffer; paths and file bytes go
//! through it. File handles are capabilities of the client that opened them: another
//! client's use of a handle value is `BadHandle`. A client that ends loses its open
//! files and its buffer at the next sweep (every [`SWEEP_US`]).

use crate::ipc_runtime::{self, KERNEL, Service};
use crate::process;
use crate::runtime::{executor, us_to_ticks};
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use ipc::{Cap, Header, Message, RegionMap};
use mohhos_abi::storage::{self, DIR_ENTRY_HEADER, Status};
use services::last_hit::LastHitList;
use services::ramfs::{FsError, Handle, NodeKind, OpenFlags, RamFs, SeekFrom, Stat};

/// The storage service's endpoint.
pub const ENDPOINT: &str = storage::ENDPOINT;
/// File bytes the filesystem holds.
const CAPACITY_BYTES: u64 = 16 << 20;
/// Files and directories, the root included.
const MAX_NODES: usize = 4096;
/// Open files over all clients.
const MAX_OPEN: usize = 1024;
/// Clients with a buffer attached.
const MAX_CLIENTS: usize = 64;
/// Smallest and largest buffer a client may attach.
const MIN_BUFFER: usize = 4096;
const MAX_BUFFER: usize = 64 << 10;
/// Paths up to this many bytes are copied out of a client's buffer onto the stack.
const SHORT_PATH: usize = 64;
/// How often ended clients are swept.
const SWEEP_US: u64 = 100_000;

/// A client: a process id, or 0 for the kernel.
type ClientId = u64;

struct Storage {
    fs: RamFs,
    /// Each client's buffer (a client usually makes several requests in a row).
    buffers: LastHitList<RegionMap>,
}

/// Serves until the endpoint closes: directly on the caller's stack while it waits and
/// the filesystem is free (the fast path), else from its queue.
pub async fn serve(mut service: Service) {
    let storage = Arc::new(spin::Mutex::new(Storage {
        fs: RamFs::new(CAPACITY_BYTES, MAX_NODES, MAX_OPEN),
        buffers: LastHitList::default(),
    }));
    let direct = storage.clone();
    // A fresh endpoint has no handler yet, so this cannot be refused. Busy (the task
    // or another caller has it): the call queues.
    let _ = service.serve_directly(Box::new(move |header, message, reply| {
        direct
            .try_lock()
            .map(|mut storage| *reply = storage.handle(client_of(header), message))
            .is_some()
    }));
    let mut next_sweep = 0;
    loop {
        if crate::arch::x86_64::rdtsc() >= next_sweep {
            storage.lock().sweep();
            next_sweep = crate::arch::x86_64::rdtsc() + us_to_ticks(SWEEP_US);
        }
        match executor()
            .timeout(us_to_ticks(SWEEP_US), service.next())
            .await
        {
            Ok(Ok(request)) => {
                let reply = storage
                    .lock()
                    .handle(client_of(&request.header), &request.message);
                if let Some(token) = request.reply {
                    // A caller that gave up is its own loss.
                    let _ = token.reply(reply);
                }
            }
            Ok(Err(_)) => return,
            Err(_) => {}
        }
    }
}

fn client_of(header: &Header) -> ClientId {
    ipc_runtime::sender_pid(header.source).map_or(0, u64::from)
}

fn status_of(error: FsError) -> Status {
    Status::from_code(u64::from(error.code())).unwrap_or(Status::BadRequest)
}

/// An answer: `status` and up to three result words.
fn answer(tag: u64, status: Status, results: [u64; 3]) -> Message {
    let [a, b, c] = results;
    Message::with_data(tag, [status as u64, a, b, c, 0, 0])
}

fn stat_words(stat: Stat) -> [u64; 3] {
    let kind = match stat.kind {
        NodeKind::File => 0,
        NodeKind::Directory => 1,
    };
    [kind, stat.size, stat.node]
}

impl Storage {
    /// Forgets the clients whose process has ended: their files close, their buffer goes.
    fn sweep(&mut self) {
        let ended: Vec<ClientId> = self
            .buffers
            .keys()
            .filter(|&c| c != 0 && process::find(c as u32).is_none())
            .collect();
        for client in ended {
            self.buffers.remove(client);
            self.fs.close_all(client);
        }
    }

    fn handle(&mut self, client: ClientId, m: &Message) -> Message {
        let result = match m.tag {
            storage::ATTACH => self.attach(client, m.cap).map(|()| [0; 3]),
            storage::OPEN => self.open(client, m.data[0], m.data[1]),
            storage::CLOSE => self
                .fs_op(|fs| fs.close(client, Handle(m.data[0])))
                .map(|()| [0; 3]),
            storage::READ => self.read(client, m.data[0], m.data[1]),
            storage::WRITE => self.write(client, m.data[0], m.data[1]),
            storage::SEEK => self.seek(client, m.data[0], m.data[1], m.data[2]),
            storage::STAT => self
                .on_path(client, m.data[1], |fs, path| fs.stat(path))
                .map(stat_words),
            storage::FSTAT => self
                .fs_op(|fs| fs.fstat(client, Handle(m.data[0])))
                .map(stat_words),
            storage::MKDIR => self
                .on_path(client, m.data[1], |fs, path| fs.mkdir(path))
                .map(|()| [0; 3]),
            storage::UNLINK => self
                .on_path(client, m.data[1], |fs, path| fs.unlink(path))
                .map(|()| [0; 3]),
            storage::READDIR => self.readdir(client, m.data[1], m.data[2]),
            _ => Err(Status::BadRequest),
        };
        match result {
            Ok(words) => answer(m.tag, Status::Ok, words),
            Err(status) => answer(m.tag, status, [0; 3]),
        }
    }

    fn fs_op<R>(&mut self, f: impl FnOnce(&mut RamFs) -> Result<R, FsError>) -> Result<R, Status> {
        f(&mut self.fs).map_err(status_of)
    }

    fn attach(&mut self, client: ClientId, cap: u64) -> Result<(), Status> {
        if self.buffers.get(client).is_none() && self.buffers.len() >= MAX_CLIENTS {
            return Err(Status::TooManyClients);
        }
        let map = ipc_runtime::system()
            .map_region(KERNEL, &Cap::from_word(cap))
            .map_err(|_| Status::NoBuffer)?;
        if !(MIN_BUFFER..=MAX_BUFFER).contains(&map.len()) {
            return Err(Status::NoBuffer);
        }
        self.buffers.insert(client, map);
        Ok(())
    }

    /// `len` bytes from the start of the client's buffer.
    /// Puts `bytes` at the start of the client's buffer.
    fn give(&self, client: ClientId, bytes: &[u8]) -> Result<(), Status> {
        let buffer = self.buffers.get(client).ok_or(Status::NoBuffer)?;
        buffer.write(0, bytes).map_err(|_| Status::NoBuffer)
    }

    /// Runs `op` on the filesystem with the path of `len` bytes at the start of the
    /// client's buffer, copied out first (so the client cannot change it under the
    /// check): on the stack when it is short, else on the heap.
    fn on_path<R>(
        &mut self,
        client: ClientId,
        len: u64,
        op: impl FnOnce(&mut RamFs, &[u8]) -> Result<R, FsError>,
    ) -> Result<R, Status> {
        let buffer = self.buffers.get(client).ok_or(Status::NoBuffer)?;
        let len = usize::try_from(len)
            .ok()
            .filter(|&len| len <= buffer.len())
            .ok_or(Status::NoBuffer)?;
        let mut short = [0; SHORT_PATH];
        let mut long = Vec::new();
        let bytes = match short.get_mut(..len) {
            Some(bytes) => bytes,
            None => {
                long.resize(len, 0);
                &mut long[..]
            }
        };
        buffer.read(0, bytes).map_err(|_| Status::NoBuffer)?;
        op(&mut self.fs, bytes).map_err(status_of)
    }

    fn open(&mut self, client: ClientId, flags: u64, len: u64) -> Result<[u64; 3], Status> {
        let flags = u32::try_from(flags)
            .ok()
            .and_then(OpenFlags::from_bits)
            .ok_or(Status::InvalidArgument)?;
        let handle = self.on_path(client, len, |fs, path| fs.open(client, path, flags))?;
        Ok([handle.0, 0, 0])
    }

    /// The client's buffer in `buffers` and `len` as a length within it.
    fn buffer(
        buffers: &LastHitList<RegionMap>,
        client: ClientId,
        len: u64,
    ) -> Result<(&RegionMap, usize), Status> {
        let buffer = buffers.get(client).ok_or(Status::NoBuffer)?;
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= buffer.len())
            .ok_or(Status::NoBuffer)?;
        Ok((buffer, len))
    }

    /// Reads straight into the client's buffer (one copy).
    fn read(&mut self, client: ClientId, handle: u64, len: u64) -> Result<[u64; 3], Status> {
        let (buffer, len) = Self::buffer(&self.buffers, client, len)?;
        let fs = &mut self.fs;
        let n = buffer
            .with_mut(|bytes| fs.read(client, Handle(handle), &mut bytes[..len]))
            .map_err(status_of)?;
        Ok([n as u64, 0, 0])
    }

    /// Writes straight from the client's buffer (one copy).
    fn write(&mut self, client: ClientId, handle: u64, len: u64) -> Result<[u64; 3], Status> {
        let (buffer, len) = Self::buffer(&self.buffers, client, len)?;
        let fs = &mut self.fs;
        let n = buffer
            .with(|bytes| fs.write(client, Handle(handle), &bytes[..len]))
            .map_err(status_of)?;
        Ok([n as u64, 0, 0])
    }

    fn seek(
        &mut self,
        client: ClientId,
        handle: u64,
        whence: u64,
        offset: u64,
    ) -> Result<[u64; 3], Status> {
        let from = match whence {
            0 => SeekFrom::Start(offset),
            1 => SeekFrom::Current(offset as i64),
            2 => SeekFrom::End(offset as i64),
            _ => return Err(Status::InvalidArgument),
        };
        let position = self.fs_op(|fs| fs.seek(client, Handle(handle), from))?;
        Ok([position, 0, 0])
    }

    /// Writes the entries from index `first` that fit the buffer.
    fn readdir(&mut self, client: ClientId, len: u64, first: u64) -> Result<[u64; 3], Status> {
        let entries = self.on_path(client, len, |fs, path| fs.readdir(path))?;
        let room = self.buffers.get(client).ok_or(Status::NoBuffer)?.len();
        let mut out = Vec::new();
        let mut written = 0u64;
        for entry in entries
            .iter()
            .skip(usize::try_from(first).unwrap_or(usize::MAX))
        {
            let name = entry.name.as_bytes();
            if out.len() + DIR_ENTRY_HEADER + name.len() > room {
                break;
            }
            out.push(u8::from(entry.kind == NodeKind::Directory));
            out.extend_from_slice(&entry.size.to_le_bytes());
            // Names are at most 255 bytes (`ramfs::MAX_NAME_LEN`).
            out.push(name.len() as u8);
            out.extend_from_slice(name);
            written += 1;
        }
        self.give(client, &out)?;
        Ok([written, entries.len() as u64, 0])
    }
}
