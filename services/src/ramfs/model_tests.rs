//! A model test: thousands of pseudo-random operations, deterministic per seed, applied
//! both to a [`RamFs`] and to a deliberately naive model (a map from full path to node,
//! a list of open handles). Every result, every error and the usage counters must agree
//! after every step; the small limits make `NoSpace` and `TooManyOpen` common.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;
use alloc::{format, vec};

use super::*;

/// xorshift64: tiny, deterministic, good enough to shuffle operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum MNode {
    Dir,
    /// A file, by its key in [`Model::files`].
    File(u64),
}

struct MFile {
    data: Vec<u8>,
    linked: bool,
    open: usize,
}

#[derive(Clone, Copy)]
struct MHandle {
    handle: Handle,
    owner: u64,
    file: u64,
    flags: OpenFlags,
    pos: u64,
}

struct Model {
    /// Every linked node by full path, the root (`/`) included.
    tree: BTreeMap<String, MNode>,
    /// Every live file, linked or not.
    files: BTreeMap<u64, MFile>,
    next_file: u64,
    handles: Vec<MHandle>,
    capacity: u64,
    max_nodes: usize,
    max_open: usize,
}

impl Model {
    fn new(capacity: u64, max_nodes: usize, max_open: usize) -> Model {
        Model {
            tree: BTreeMap::from([(String::from("/"), MNode::Dir)]),
            files: BTreeMap::new(),
            next_file: 0,
            handles: Vec::new(),
            capacity,
            max_nodes,
            max_open,
        }
    }

    fn used(&self) -> u64 {
        self.files.values().map(|f| f.data.len() as u64).sum()
    }

    fn nodes(&self) -> usize {
        let unlinked = self.files.values().filter(|f| !f.linked).count();
        self.tree.len() + unlinked
    }

    /// The direct children of a directory: (name, node), in name order.
    fn children(&self, dir: &str) -> Vec<(String, MNode)> {
        let prefix = join(dir, "");
        let mut children: Vec<(String, MNode)> = self
            .tree
            .iter()
            .filter_map(|(path, &node)| {
                let name = path.strip_prefix(&prefix)?;
                (!name.is_empty() && !name.contains('/')).then(|| (String::from(name), node))
            })
            .collect();
        children.sort_by(|a, b| a.0.cmp(&b.0));
        children
    }

    fn size(&self, path: &str, node: MNode) -> u64 {
        match node {
            MNode::Dir => self.children(path).len() as u64,
            MNode::File(id) => self.files[&id].data.len() as u64,
        }
    }

    /// Every ancestor of `path` (not the root) must be a directory.
    fn check_parents(&self, path: &str) -> Result<(), FsError> {
        let names: Vec<&str> = path[1..].split('/').collect();
        let mut prefix = String::new();
        for name in &names[..names.len() - 1] {
            prefix.push('/');
            prefix.push_str(name);
            match self.tree.get(&prefix) {
                None => return Err(FsError::NotFound),
                Some(MNode::File(_)) => return Err(FsError::NotADirectory),
                Some(MNode::Dir) => {}
            }
        }
        Ok(())
    }

    /// The node at `path`, after its ancestors check out; the root has none.
    fn find(&self, path: &str) -> Result<Option<MNode>, FsError> {
        if path != "/" {
            self.check_parents(path)?;
        }
        Ok(self.tree.get(path).copied())
    }

    fn handle(&self, owner: u64, handle: Handle) -> Result<usize, FsError> {
        self.handles
            .iter()
            .position(|h| h.handle == handle && h.owner == owner)
            .ok_or(FsError::BadHandle)
    }

    fn release(&mut self, index: usize) {
        let h = self.handles.swap_remove(index);
        let file = self.files.get_mut(&h.file).unwrap();
        file.open -= 1;
        if file.open == 0 && !file.linked {
            self.files.remove(&h.file);
        }
    }

    /// What `open` must answer (`Ok(file)` for success); applies the effects, except
    /// for recording the handle, which only the real filesystem can name.
    fn open(&mut self, path: &str, flags: OpenFlags) -> Result<u64, FsError> {
        let has = |f| flags.contains(f);
        let valid = (has(OpenFlags::READ) || has(OpenFlags::WRITE))
            && (has(OpenFlags::WRITE) || !(has(OpenFlags::TRUNCATE) || has(OpenFlags::APPEND)))
            && (has(OpenFlags::CREATE) || !has(OpenFlags::EXCLUSIVE));
        if !valid {
            return Err(FsError::InvalidArgument);
        }
        bad_path(path)?;
        let full = self.handles.len() >= self.max_open;
        match self.find(path)? {
            Some(_) if has(OpenFlags::CREATE) && has(OpenFlags::EXCLUSIVE) => {
                Err(FsError::AlreadyExists)
            }
            Some(MNode::Dir) => Err(FsError::IsADirectory),
            Some(_) if full => Err(FsError::TooManyOpen),
            Some(MNode::File(id)) => {
                if has(OpenFlags::TRUNCATE) {
                    self.files.get_mut(&id).unwrap().data.clear();
                }
                Ok(id)
            }
            None if !has(OpenFlags::CREATE) => Err(FsError::NotFound),
            None if full => Err(FsError::TooManyOpen),
            None if self.nodes() >= self.max_nodes => Err(FsError::NoSpace),
            None => {
                let id = self.next_file;
                self.next_file += 1;
                let file = MFile {
                    data: Vec::new(),
                    linked: true,
                    open: 0,
                };
                self.files.insert(id, file);
                self.tree.insert(String::from(path), MNode::File(id));
                Ok(id)
            }
        }
    }

    fn read(&mut self, owner: u64, handle: Handle, len: usize) -> Result<Vec<u8>, FsError> {
        let i = self.handle(owner, handle)?;
        let h = &mut self.handles[i];
        if !h.flags.contains(OpenFlags::READ) {
            return Err(FsError::AccessDenied);
        }
        let data = &self.files[&h.file].data;
        let start = (h.pos.min(data.len() as u64)) as usize;
        let end = data.len().min(start + len);
        h.pos += (end - start) as u64;
        Ok(data[start..end].to_vec())
    }

    fn write(&mut self, owner: u64, handle: Handle, bytes: &[u8]) -> Result<usize, FsError> {
        let i = self.handle(owner, handle)?;
        let used = self.used();
        let h = &mut self.handles[i];
        if !h.flags.contains(OpenFlags::WRITE) {
            return Err(FsError::AccessDenied);
        }
        if bytes.is_empty() {
            return Ok(0);
        }
        let data = &mut self.files.get_mut(&h.file).unwrap().data;
        let pos = if h.flags.contains(OpenFlags::APPEND) {
            data.len() as u64
        } else {
            h.pos
        };
        let end = u128::from(pos) + bytes.len() as u128;
        let growth = end.saturating_sub(data.len() as u128);
        if u128::from(used) + growth > u128::from(self.capacity) {
            return Err(FsError::NoSpace);
        }
        let (pos, end) = (pos as usize, end as usize);
        if data.len() < end {
            data.resize(end, 0);
        }
        data[pos..end].copy_from_slice(bytes);
        h.pos = end as u64;
        Ok(bytes.len())
    }

    fn seek(&mut self, owner: u64, handle: Handle, from: SeekFrom) -> Result<u64, FsError> {
        let i = self.handle(owner, handle)?;
        let h = &mut self.handles[i];
        let len = self.files[&h.file].data.len() as i128;
        let target = match from {
            SeekFrom::Start(pos) => i128::from(pos),
            SeekFrom::Current(delta) => i128::from(h.pos) + i128::from(delta),
            SeekFrom::End(delta) => len + i128::from(delta),
        };
        h.pos = u64::try_from(target).map_err(|_| FsError::InvalidArgument)?;
        Ok(h.pos)
    }

    fn close(&mut self, owner: u64, handle: Handle) -> Result<(), FsError> {
        let i = self.handle(owner, handle)?;
        self.release(i);
        Ok(())
    }

    fn close_all(&mut self, owner: u64) -> usize {
        let mut count = 0;
        while let Some(i) = self.handles.iter().position(|h| h.owner == owner) {
            self.release(i);
            count += 1;
        }
        count
    }

    fn fstat(&self, owner: u64, handle: Handle) -> Result<(NodeKind, u64), FsError> {
        let i = self.handle(owner, handle)?;
        Ok((
            NodeKind::File,
            self.files[&self.handles[i].file].data.len() as u64,
        ))
    }

    fn stat(&self, path: &str) -> Result<(NodeKind, u64), FsError> {
        bad_path(path)?;
        match self.find(path)? {
            None => Err(FsError::NotFound),
            Some(node) => Ok((kind(node), self.size(path, node))),
        }
    }

    fn mkdir(&mut self, path: &str) -> Result<(), FsError> {
        bad_path(path)?;
        match self.find(path)? {
            Some(_) => Err(FsError::AlreadyExists),
            None if self.nodes() >= self.max_nodes => Err(FsError::NoSpace),
            None => {
                self.tree.insert(String::from(path), MNode::Dir);
                Ok(())
            }
        }
    }

    fn unlink(&mut self, path: &str) -> Result<(), FsError> {
        bad_path(path)?;
        if path == "/" {
            return Err(FsError::AccessDenied);
        }
        match self.find(path)? {
            None => Err(FsError::NotFound),
            Some(MNode::Dir) if !self.children(path).is_empty() => Err(FsError::DirectoryNotEmpty),
            Some(node) => {
                self.tree.remove(path);
                if let MNode::File(id) = node {
                    let file = self.files.get_mut(&id).unwrap();
                    file.linked = false;
                    if file.open == 0 {
                        self.files.remove(&id);
                    }
                }
                Ok(())
            }
        }
    }

    fn readdir(&self, path: &str) -> Result<Vec<(String, NodeKind, u64)>, FsError> {
        bad_path(path)?;
        match self.find(path)? {
            None => Err(FsError::NotFound),
            Some(MNode::File(_)) => Err(FsError::NotADirectory),
            Some(MNode::Dir) => Ok(self
                .children(path)
                .into_iter()
                .map(|(name, node)| {
                    let size = self.size(&join(path, &name), node);
                    (name, kind(node), size)
                })
                .collect()),
        }
    }
}

/// `dir/name`, without doubling the root's slash.
fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

fn kind(node: MNode) -> NodeKind {
    match node {
        MNode::Dir => NodeKind::Directory,
        MNode::File(_) => NodeKind::File,
    }
}

/// The malformed paths the generator produces, all `BadPath`.
const BAD_PATHS: [&str; 5] = ["", "a", "/a/", "//a", "/d/../a"];

fn bad_path(path: &str) -> Result<(), FsError> {
    if BAD_PATHS.contains(&path) {
        Err(FsError::BadPath)
    } else {
        Ok(())
    }
}

/// Names that are mostly files (`a`, `b`, `c`) or mostly directories (`d`, `e`); each
/// operation prefers its own kind of last name but sometimes takes the other, so kinds
/// collide now and then.
const FILE_NAMES: [&str; 3] = ["a", "b", "c"];
const DIR_NAMES: [&str; 2] = ["d", "e"];
const ANY_NAMES: [&str; 5] = ["a", "b", "c", "d", "e"];

fn random_path(rng: &mut Rng, leaf: &[&str]) -> String {
    if rng.chance(3) {
        return String::from(rng.pick(&BAD_PATHS));
    }
    if rng.chance(3) {
        return String::from("/");
    }
    let mut path = String::new();
    let depth = rng.pick(&[1, 1, 2, 2, 3]);
    for level in 1..=depth {
        let names: &[&str] = match (level == depth, rng.chance(85)) {
            (true, true) => leaf,
            (false, true) => &DIR_NAMES,
            (_, false) => &FILE_NAMES,
        };
        path.push('/');
        path.push_str(rng.pick(names));
    }
    path
}

fn random_flags(rng: &mut Rng) -> OpenFlags {
    let mut bits = 0;
    // Mostly meaningful combinations, sometimes anything.
    if rng.chance(4) {
        bits = rng.below(64) as u32;
    } else {
        bits |= rng.pick(&[1, 2, 3, 3]);
        for (flag, percent) in [(4, 70), (8, 10), (16, 20), (32, 10)] {
            if rng.chance(percent) {
                bits |= flag;
            }
        }
    }
    OpenFlags::from_bits(bits).unwrap()
}

fn random_seek(rng: &mut Rng) -> SeekFrom {
    let small = rng.below(61) as i64 - 30;
    match rng.below(8) {
        0 => SeekFrom::Start(u64::MAX - rng.below(3)),
        1 => SeekFrom::Current(rng.pick(&[i64::MIN, i64::MAX])),
        2 | 3 => SeekFrom::Start(small.unsigned_abs() * 2),
        4 | 5 => SeekFrom::Current(small),
        _ => SeekFrom::End(small),
    }
}

/// Picks a handle to use: mostly a live one with its owner, sometimes a live one with
/// the wrong owner, a closed one, or a made-up value.
fn random_handle(rng: &mut Rng, model: &Model, closed: &[Handle]) -> (u64, Handle) {
    let owner = 1 + rng.below(3);
    match rng.below(20) {
        0..=14 if !model.handles.is_empty() => {
            let h = model.handles[rng.below(model.handles.len() as u64) as usize];
            (if rng.chance(90) { h.owner } else { owner }, h.handle)
        }
        15..=17 if !closed.is_empty() => (owner, closed[rng.below(closed.len() as u64) as usize]),
        _ => (owner, Handle((rng.next() % 8) | (rng.below(4) << 32))),
    }
}

#[derive(Clone, Copy)]
enum Op {
    Open,
    Read,
    Write,
    Seek,
    Close,
    CloseAll,
    Fstat,
    Stat,
    Mkdir,
    Unlink,
    Readdir,
}

/// The operation mix: each entry is equally likely, so repeats weigh an operation.
const OPS: [Op; 21] = [
    Op::Open,
    Op::Open,
    Op::Open,
    Op::Open,
    Op::Open,
    Op::Read,
    Op::Read,
    Op::Read,
    Op::Write,
    Op::Write,
    Op::Write,
    Op::Seek,
    Op::Seek,
    Op::Close,
    Op::CloseAll,
    Op::Fstat,
    Op::Stat,
    Op::Mkdir,
    Op::Unlink,
    Op::Unlink,
    Op::Readdir,
];

fn run(seed: u64, steps: usize, capacity: u64, max_nodes: usize, max_open: usize) {
    let mut rng = Rng(seed);
    let mut fs = RamFs::new(capacity, max_nodes, max_open);
    let mut model = Model::new(capacity, max_nodes, max_open);
    let mut issued = BTreeSet::new();
    let mut closed = Vec::new();

    for step in 0..steps {
        let ctx = format!("seed {seed} step {step}");
        match rng.pick(&OPS) {
            Op::Open => {
                let owner = 1 + rng.below(3);
                let path = random_path(&mut rng, &FILE_NAMES);
                let flags = random_flags(&mut rng);
                let expected = model.open(&path, flags);
                let got = fs.open(owner, &path, flags);
                assert_eq!(
                    got.map(drop),
                    expected.map(drop),
                    "{ctx}: open {path} {flags:?}"
                );
                if let (Ok(handle), Ok(file)) = (got, expected) {
                    assert!(issued.insert(handle.0), "{ctx}: handle value reused");
                    model.files.get_mut(&file).unwrap().open += 1;
                    model.handles.push(MHandle {
                        handle,
                        owner,
                        file,
                        flags,
                        pos: 0,
                    });
                }
            }
            Op::Read => {
                let (owner, handle) = random_handle(&mut rng, &model, &closed);
                let len = rng.below(24) as usize;
                let mut buf = vec![0xAA; len];
                let got = fs.read(owner, handle, &mut buf).map(|n| buf[..n].to_vec());
                assert_eq!(got, model.read(owner, handle, len), "{ctx}: read");
            }
            Op::Write => {
                let (owner, handle) = random_handle(&mut rng, &model, &closed);
                let data: Vec<u8> = (0..rng.below(40)).map(|_| rng.next() as u8).collect();
                let got = fs.write(owner, handle, &data);
                assert_eq!(got, model.write(owner, handle, &data), "{ctx}: write");
            }
            Op::Seek => {
                let (owner, handle) = random_handle(&mut rng, &model, &closed);
                let from = random_seek(&mut rng);
                let got = fs.seek(owner, handle, from);
                assert_eq!(got, model.seek(owner, handle, from), "{ctx}: seek {from:?}");
            }
            Op::Close => {
                let (owner, handle) = random_handle(&mut rng, &model, &closed);
                let got = fs.close(owner, handle);
                assert_eq!(got, model.close(owner, handle), "{ctx}: close");
                if got.is_ok() {
                    closed.push(handle);
                }
            }
            Op::CloseAll => {
                let owner = 1 + rng.below(3);
                closed.extend(
                    model
                        .handles
                        .iter()
                        .filter(|h| h.owner == owner)
                        .map(|h| h.handle),
                );
                assert_eq!(
                    fs.close_all(owner),
                    model.close_all(owner),
                    "{ctx}: close_all"
                );
            }
            Op::Fstat => {
                let (owner, handle) = random_handle(&mut rng, &model, &closed);
                let got = fs.fstat(owner, handle).map(|s| (s.kind, s.size));
                assert_eq!(got, model.fstat(owner, handle), "{ctx}: fstat");
            }
            Op::Stat => {
                let path = random_path(&mut rng, &ANY_NAMES);
                let got = fs.stat(&path).map(|s| (s.kind, s.size));
                assert_eq!(got, model.stat(&path), "{ctx}: stat {path}");
            }
            Op::Mkdir => {
                let path = random_path(&mut rng, &DIR_NAMES);
                assert_eq!(fs.mkdir(&path), model.mkdir(&path), "{ctx}: mkdir {path}");
            }
            Op::Unlink => {
                let path = random_path(&mut rng, &ANY_NAMES);
                assert_eq!(
                    fs.unlink(&path),
                    model.unlink(&path),
                    "{ctx}: unlink {path}"
                );
            }
            Op::Readdir => {
                let path = random_path(&mut rng, &DIR_NAMES);
                let got = fs.readdir(&path).map(|entries| {
                    entries
                        .into_iter()
                        .map(|e| (e.name, e.kind, e.size))
                        .collect::<Vec<_>>()
                });
                assert_eq!(got, model.readdir(&path), "{ctx}: readdir {path}");
            }
        }
        let usage = fs.usage();
        assert_eq!(usage.used_bytes, model.used(), "{ctx}: used bytes");
        assert!(usage.used_bytes <= capacity, "{ctx}: over capacity");
        assert_eq!(usage.nodes, model.nodes(), "{ctx}: nodes");
        assert_eq!(usage.open_handles, model.handles.len(), "{ctx}: handles");
    }

    // Finally every linked file holds exactly the model's bytes, and closing every
    // client frees every unlinked file.
    for owner in 1..=3 {
        assert_eq!(fs.close_all(owner), model.close_all(owner));
    }
    assert!(model.files.values().all(|f| f.linked));
    for (path, node) in &model.tree {
        if let MNode::File(id) = node {
            let handle = fs.open(9, path, OpenFlags::READ).unwrap();
            let mut buf = vec![0; capacity as usize + 1];
            let n = fs.read(9, handle, &mut buf).unwrap();
            assert_eq!(
                &buf[..n],
                model.files[id].data.as_slice(),
                "seed {seed}: {path}"
            );
            fs.close(9, handle).unwrap();
        }
    }
    assert_eq!(fs.usage().used_bytes, model.used());
}

#[test]
fn random_operations_agree_with_the_model() {
    for (seed, capacity, max_nodes, max_open) in [
        (0x9E37_79B9_7F4A_7C15, 200, 12, 6),
        (0x2545_F491_4F6C_DD1D, 64, 6, 3),
        (0xD1B5_4A32_D192_ED03, 4096, 40, 16),
        (1, 0, 1, 1),
    ] {
        run(seed, 4000, capacity, max_nodes, max_open);
    }
}
