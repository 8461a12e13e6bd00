//! Files, through the storage service (`svc.storage`; protocol in
//! `mohhos_abi::storage` and `docs/services.md`).
//!
//! [`Fs::connect`] attaches a shared buffer of [`BUFFER`] bytes once; paths and file
//! bytes go through it, so one request moves at most that much (a longer `read` or
//! `write` takes several). A [`File`] closes itself when dropped.

use crate::ipc::{self, Cap, Message};
use crate::shared::SharedRegion;
use alloc::string::String;
use alloc::vec::Vec;
pub use mohhos_abi::storage::ENDPOINT;
pub use mohhos_abi::storage::Status;
use mohhos_abi::storage::{self, DIR_ENTRY_HEADER, open_flags};

/// The shared buffer's size: the most one request moves.
pub const BUFFER: usize = 8192;
/// How long a request waits for the service.
const TIMEOUT_US: u64 = 2_000_000;

/// Why a file operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsError {
    /// The service answered with this status.
    Status(Status),
    /// The call itself failed (the service is gone, restarting, …).
    Ipc(mohhos_abi::Error),
    /// The answer made no sense.
    Protocol,
}

impl core::fmt::Display for FsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            FsError::Status(status) => write!(f, "{status}"),
            FsError::Ipc(error) => write!(f, "storage service: {error}"),
            FsError::Protocol => f.write_str("storage service: malformed answer"),
        }
    }
}

/// How a file is opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenOptions {
    bits: u64,
}

impl OpenOptions {
    /// Nothing yet (add at least `read` or `write`).
    pub const fn new() -> Self {
        Self { bits: 0 }
    }
    const fn with(self, bit: u64) -> Self {
        Self {
            bits: self.bits | bit,
        }
    }
    /// Reading allowed.
    pub const fn read(self) -> Self {
        self.with(open_flags::READ)
    }
    /// Writing allowed.
    pub const fn write(self) -> Self {
        self.with(open_flags::WRITE)
    }
    /// Create it if missing.
    pub const fn create(self) -> Self {
        self.with(open_flags::CREATE)
    }
    /// Empty it first.
    pub const fn truncate(self) -> Self {
        self.with(open_flags::TRUNCATE)
    }
    /// Every write at the end.
    pub const fn append(self) -> Self {
        self.with(open_flags::APPEND)
    }
    /// With `create`: fail if it exists.
    pub const fn exclusive(self) -> Self {
        self.with(open_flags::EXCLUSIVE)
    }
    /// Raw flag bits (the protocol's), for tests of bad flags.
    pub const fn from_bits(bits: u64) -> Self {
        Self { bits }
    }
}

/// What `stat` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// A directory (else a file).
    pub is_dir: bool,
    /// Bytes of a file, entries of a directory.
    pub size: u64,
    /// The node number.
    pub node: u64,
}

/// One directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// Its name.
    pub name: String,
    /// A directory (else a file).
    pub is_dir: bool,
    /// Its size.
    pub size: u64,
}

/// A connection to the storage service with its buffer attached.
#[derive(Debug)]
pub struct Fs {
    cap: Cap,
    buffer: SharedRegion,
}

/// An open file; closed when dropped (or with [`File::close`] to see the result).
#[derive(Debug)]
pub struct File<'a> {
    fs: &'a Fs,
    handle: u64,
    open: bool,
}

impl Fs {
    /// Connects to the storage service and attaches a buffer.
    pub fn connect() -> Result<Fs, FsError> {
        let cap = ipc::connect(ENDPOINT).map_err(FsError::Ipc)?;
        let buffer = SharedRegion::new(BUFFER).map_err(FsError::Ipc)?;
        let fs = Fs { cap, buffer };
        let mut attach = Message::new(storage::ATTACH, [0; 6]);
        attach.cap = fs.buffer.cap();
        fs.request(attach)?;
        Ok(fs)
    }

    /// Sends `message`, returns the answer's result words after the status.
    fn request(&self, message: Message) -> Result<[u64; 5], FsError> {
        let reply = ipc::call(self.cap, &message, TIMEOUT_US).map_err(FsError::Ipc)?;
        match Status::from_code(reply.data[0]) {
            Some(Status::Ok) => {
                let mut words = [0; 5];
                words.copy_from_slice(&reply.data[1..]);
                Ok(words)
            }
            Some(status) => Err(FsError::Status(status)),
            None => Err(FsError::Protocol),
        }
    }

    /// A request about `path` (copied into the buffer): `data[1]` is its length.
    fn path_request(
        &self,
        tag: u64,
        path: &str,
        data0: u64,
        data2: u64,
    ) -> Result<[u64; 5], FsError> {
        self.buffer
            .copy_in(0, path.as_bytes())
            .map_err(|_| FsError::Status(Status::NameTooLong))?;
        self.request(Message::new(
            tag,
            [data0, path.len() as u64, data2, 0, 0, 0],
        ))
    }

    /// Opens `path`.
    pub fn open(&self, path: &str, options: OpenOptions) -> Result<File<'_>, FsError> {
        let words = self.path_request(storage::OPEN, path, options.bits, 0)?;
        Ok(File {
            fs: self,
            handle: words[0],
            open: true,
        })
    }

    /// What `path` is.
    pub fn stat(&self, path: &str) -> Result<Metadata, FsError> {
        self.path_request(storage::STAT, path, 0, 0).map(metadata)
    }

    /// Makes the directory `path`.
    pub fn mkdir(&self, path: &str) -> Result<(), FsError> {
        self.path_request(storage::MKDIR, path, 0, 0).map(drop)
    }

    /// Removes the file or empty directory `path`.
    pub fn unlink(&self, path: &str) -> Result<(), FsError> {
        self.path_request(storage::UNLINK, path, 0, 0).map(drop)
    }

    /// The entries of the directory `path`, by name.
    pub fn readdir(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let mut entries = Vec::new();
        loop {
            let words = self.path_request(storage::READDIR, path, 0, entries.len() as u64)?;
            let (written, total) = (words[0], words[1]);
            let mut bytes = [0u8; BUFFER];
            self.buffer
                .copy_out(0, &mut bytes)
                .map_err(|_| FsError::Protocol)?;
            let mut at = 0;
            for _ in 0..written {
                let header = bytes
                    .get(at..at + DIR_ENTRY_HEADER)
                    .ok_or(FsError::Protocol)?;
                let mut size = [0u8; 8];
                size.copy_from_slice(&header[1..9]);
                let name_len = usize::from(header[9]);
                let name = bytes
                    .get(at + DIR_ENTRY_HEADER..at + DIR_ENTRY_HEADER + name_len)
                    .ok_or(FsError::Protocol)?;
                entries.push(DirEntry {
                    name: String::from_utf8_lossy(name).into(),
                    is_dir: header[0] == 1,
                    size: u64::from_le_bytes(size),
                });
                at += DIR_ENTRY_HEADER + name_len;
            }
            if written == 0 || entries.len() as u64 >= total {
                return Ok(entries);
            }
        }
    }

    /// Raw request on a handle value (tests of forged handles use it).
    pub fn close_handle(&self, handle: u64) -> Result<(), FsError> {
        self.request(Message::new(storage::CLOSE, [handle, 0, 0, 0, 0, 0]))
            .map(drop)
    }
}

fn metadata(words: [u64; 5]) -> Metadata {
    Metadata {
        is_dir: words[0] == 1,
        size: words[1],
        node: words[2],
    }
}

impl File<'_> {
    /// The handle value (a capability of this process only).
    pub fn handle(&self) -> u64 {
        self.handle
    }

    /// Reads into `buf` from the position; the bytes read (0 at the end).
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, FsError> {
        let mut done = 0;
        while done < buf.len() {
            let want = (buf.len() - done).min(BUFFER);
            let words = self.fs.request(Message::new(
                storage::READ,
                [self.handle, want as u64, 0, 0, 0, 0],
            ))?;
            let n = usize::try_from(words[0])
                .ok()
                .filter(|&n| n <= want)
                .ok_or(FsError::Protocol)?;
            self.fs
                .buffer
                .copy_out(0, &mut buf[done..done + n])
                .map_err(|_| FsError::Protocol)?;
            done += n;
            if n < want {
                break;
            }
        }
        Ok(done)
    }

    /// Writes all of `data` at the position (or the end, for `append`).
    pub fn write(&mut self, data: &[u8]) -> Result<usize, FsError> {
        for chunk in data.chunks(BUFFER) {
            self.fs
                .buffer
                .copy_in(0, chunk)
                .map_err(|_| FsError::Protocol)?;
            self.fs.request(Message::new(
                storage::WRITE,
                [self.handle, chunk.len() as u64, 0, 0, 0, 0],
            ))?;
        }
        Ok(data.len())
    }

    /// Moves the position to `offset` from the start; the new position.
    pub fn seek_start(&mut self, offset: u64) -> Result<u64, FsError> {
        self.seek(0, offset)
    }

    /// Moves the position by `offset` from the end; the new position.
    pub fn seek_end(&mut self, offset: i64) -> Result<u64, FsError> {
        self.seek(2, offset as u64)
    }

    fn seek(&mut self, whence: u64, offset: u64) -> Result<u64, FsError> {
        self.fs
            .request(Message::new(
                storage::SEEK,
                [self.handle, whence, offset, 0, 0, 0],
            ))
            .map(|w| w[0])
    }

    /// What the open file is.
    pub fn metadata(&self) -> Result<Metadata, FsError> {
        self.fs
            .request(Message::new(storage::FSTAT, [self.handle, 0, 0, 0, 0, 0]))
            .map(metadata)
    }

    /// Closes the file.
    pub fn close(mut self) -> Result<(), FsError> {
        self.open = false;
        self.fs.close_handle(self.handle)
    }
}

impl Drop for File<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.fs.close_handle(self.handle);
        }
    }
}
