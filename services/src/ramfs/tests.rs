//! Tests of the public API: round trips, every error, handles, unlink, limits.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::*;

const ME: u64 = 1;
const OTHER: u64 = 2;
const RW: OpenFlags = OpenFlags::READ.union(OpenFlags::WRITE);
const RWC: OpenFlags = RW.union(OpenFlags::CREATE);

fn fs() -> RamFs {
    RamFs::new(1 << 20, 64, 16)
}

/// Reads from the handle's position to the end, in small pieces to exercise the
/// position bookkeeping.
fn read_rest(fs: &mut RamFs, owner: u64, handle: Handle) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0; 3];
    loop {
        match fs.read(owner, handle, &mut buf).unwrap() {
            0 => return out,
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

fn contents(fs: &mut RamFs, path: &str) -> Vec<u8> {
    let handle = fs.open(ME, path, OpenFlags::READ).unwrap();
    let data = read_rest(fs, ME, handle);
    fs.close(ME, handle).unwrap();
    data
}

fn create(fs: &mut RamFs, path: &str, data: &[u8]) {
    let handle = fs.open(ME, path, RWC | OpenFlags::TRUNCATE).unwrap();
    assert_eq!(fs.write(ME, handle, data), Ok(data.len()));
    fs.close(ME, handle).unwrap();
}

#[test]
fn a_new_filesystem_has_only_the_root() {
    let fs = RamFs::new(100, 0, 4);
    assert_eq!(
        fs.stat("/"),
        Ok(Stat {
            kind: NodeKind::Directory,
            size: 0,
            node: 1
        })
    );
    assert_eq!(fs.readdir("/"), Ok(vec![]));
    assert_eq!(
        fs.usage(),
        Usage {
            used_bytes: 0,
            capacity_bytes: 100,
            nodes: 1,
            max_nodes: 1,
            open_handles: 0,
            max_open: 4,
        }
    );
}

#[test]
fn write_then_read_back() {
    let mut fs = fs();
    let handle = fs.open(ME, "/f", RWC).unwrap();
    assert_eq!(fs.write(ME, handle, b"hello, "), Ok(7));
    assert_eq!(fs.write(ME, handle, b"world"), Ok(5));
    assert_eq!(fs.read(ME, handle, &mut [0; 4]), Ok(0), "at the end");
    assert_eq!(fs.seek(ME, handle, SeekFrom::Start(0)), Ok(0));
    assert_eq!(read_rest(&mut fs, ME, handle), b"hello, world");
    assert_eq!(fs.read(ME, handle, &mut []), Ok(0));
    fs.close(ME, handle).unwrap();
    assert_eq!(contents(&mut fs, "/f"), b"hello, world");
    assert_eq!(fs.stat("/f").unwrap().size, 12);
    assert_eq!(fs.usage().used_bytes, 12);
}

#[test]
fn seek_variants() {
    let mut fs = fs();
    let handle = fs.open(ME, "/f", RWC).unwrap();
    fs.write(ME, handle, b"0123456789").unwrap();
    assert_eq!(fs.seek(ME, handle, SeekFrom::Start(2)), Ok(2));
    assert_eq!(fs.seek(ME, handle, SeekFrom::Current(3)), Ok(5));
    assert_eq!(fs.seek(ME, handle, SeekFrom::Current(-1)), Ok(4));
    assert_eq!(read_rest(&mut fs, ME, handle), b"456789");
    assert_eq!(fs.seek(ME, handle, SeekFrom::End(-3)), Ok(7));
    assert_eq!(read_rest(&mut fs, ME, handle), b"789");
    assert_eq!(
        fs.seek(ME, handle, SeekFrom::End(5)),
        Ok(15),
        "past the end"
    );
    assert_eq!(fs.read(ME, handle, &mut [0; 4]), Ok(0));
    assert_eq!(fs.seek(ME, handle, SeekFrom::Start(u64::MAX)), Ok(u64::MAX));
    assert_eq!(fs.read(ME, handle, &mut [0; 4]), Ok(0));
    // Failed seeks leave the position alone.
    assert_eq!(
        fs.seek(ME, handle, SeekFrom::Current(1)),
        Err(FsError::InvalidArgument)
    );
    assert_eq!(fs.seek(ME, handle, SeekFrom::Current(0)), Ok(u64::MAX));
    fs.seek(ME, handle, SeekFrom::Start(1)).unwrap();
    assert_eq!(
        fs.seek(ME, handle, SeekFrom::Current(-2)),
        Err(FsError::InvalidArgument)
    );
    assert_eq!(
        fs.seek(ME, handle, SeekFrom::End(-11)),
        Err(FsError::InvalidArgument)
    );
    assert_eq!(fs.seek(ME, handle, SeekFrom::Current(0)), Ok(1));
}

#[test]
fn append_writes_at_the_current_end() {
    let mut fs = fs();
    create(&mut fs, "/log", b"one ");
    let log = fs
        .open(
            ME,
            "/log",
            OpenFlags::READ | OpenFlags::WRITE | OpenFlags::APPEND,
        )
        .unwrap();
    let other = fs.open(ME, "/log", OpenFlags::WRITE).unwrap();
    assert_eq!(fs.write(ME, log, b"two "), Ok(4));
    // Another handle grows the file; the appending handle follows the new end.
    fs.seek(ME, other, SeekFrom::End(0)).unwrap();
    fs.write(ME, other, b"three ").unwrap();
    fs.seek(ME, log, SeekFrom::Start(0)).unwrap();
    assert_eq!(fs.write(ME, log, b"four"), Ok(4));
    assert_eq!(fs.seek(ME, log, SeekFrom::Current(0)), Ok(18));
    assert_eq!(contents(&mut fs, "/log"), b"one two three four");
}

#[test]
fn truncate_empties_and_frees() {
    let mut fs = fs();
    create(&mut fs, "/f", b"old contents");
    assert_eq!(fs.usage().used_bytes, 12);
    let handle = fs
        .open(ME, "/f", OpenFlags::WRITE | OpenFlags::TRUNCATE)
        .unwrap();
    assert_eq!(fs.stat("/f").unwrap().size, 0);
    assert_eq!(fs.usage().used_bytes, 0);
    fs.write(ME, handle, b"new").unwrap();
    fs.close(ME, handle).unwrap();
    assert_eq!(contents(&mut fs, "/f"), b"new");
    // Opening without TRUNCATE keeps the data.
    let handle = fs.open(ME, "/f", OpenFlags::WRITE).unwrap();
    fs.write(ME, handle, b"N").unwrap();
    fs.close(ME, handle).unwrap();
    assert_eq!(contents(&mut fs, "/f"), b"New");
}

#[test]
fn writing_past_the_end_zero_fills_the_gap() {
    let mut fs = fs();
    let handle = fs.open(ME, "/sparse", RWC).unwrap();
    fs.write(ME, handle, b"ab").unwrap();
    fs.seek(ME, handle, SeekFrom::Start(6)).unwrap();
    // An empty write past the end changes nothing.
    assert_eq!(fs.write(ME, handle, b""), Ok(0));
    assert_eq!(fs.stat("/sparse").unwrap().size, 2);
    assert_eq!(fs.write(ME, handle, b"cd"), Ok(2));
    assert_eq!(fs.seek(ME, handle, SeekFrom::Current(0)), Ok(8));
    assert_eq!(contents(&mut fs, "/sparse"), b"ab\0\0\0\0cd");
    assert_eq!(fs.usage().used_bytes, 8);
}

#[test]
fn overwriting_in_the_middle_keeps_the_rest() {
    let mut fs = fs();
    create(&mut fs, "/f", b"abcdef");
    let handle = fs.open(ME, "/f", OpenFlags::WRITE).unwrap();
    fs.seek(ME, handle, SeekFrom::Start(2)).unwrap();
    fs.write(ME, handle, b"XY").unwrap();
    fs.seek(ME, handle, SeekFrom::End(-1)).unwrap();
    fs.write(ME, handle, b"ZZ").unwrap();
    fs.close(ME, handle).unwrap();
    assert_eq!(contents(&mut fs, "/f"), b"abXYeZZ");
    assert_eq!(fs.usage().used_bytes, 7);
}

#[test]
fn not_found() {
    let mut fs = fs();
    fs.mkdir("/d").unwrap();
    assert_eq!(fs.stat("/nope"), Err(FsError::NotFound));
    assert_eq!(fs.stat("/nope/x"), Err(FsError::NotFound));
    assert_eq!(fs.readdir("/nope"), Err(FsError::NotFound));
    assert_eq!(fs.unlink("/nope"), Err(FsError::NotFound));
    assert_eq!(fs.unlink("/nope/x"), Err(FsError::NotFound));
    assert_eq!(fs.mkdir("/nope/x"), Err(FsError::NotFound));
    assert_eq!(fs.open(ME, "/d/f", RW), Err(FsError::NotFound));
    assert_eq!(fs.open(ME, "/nope/f", RWC), Err(FsError::NotFound));
    assert_eq!(fs.usage().nodes, 2);
}

#[test]
fn already_exists() {
    let mut fs = fs();
    fs.mkdir("/d").unwrap();
    create(&mut fs, "/f", b"");
    assert_eq!(fs.mkdir("/"), Err(FsError::AlreadyExists));
    assert_eq!(fs.mkdir("/d"), Err(FsError::AlreadyExists));
    assert_eq!(fs.mkdir("/f"), Err(FsError::AlreadyExists));
    let exclusive = RWC | OpenFlags::EXCLUSIVE;
    assert_eq!(fs.open(ME, "/f", exclusive), Err(FsError::AlreadyExists));
    assert_eq!(fs.open(ME, "/d", exclusive), Err(FsError::AlreadyExists));
    assert_eq!(fs.open(ME, "/", exclusive), Err(FsError::AlreadyExists));
    let handle = fs.open(ME, "/g", exclusive).unwrap();
    assert_eq!(fs.fstat(ME, handle).unwrap().kind, NodeKind::File);
}

#[test]
fn not_a_directory() {
    let mut fs = fs();
    create(&mut fs, "/f", b"x");
    assert_eq!(fs.readdir("/f"), Err(FsError::NotADirectory));
    assert_eq!(fs.stat("/f/x"), Err(FsError::NotADirectory));
    assert_eq!(fs.stat("/f/x/y"), Err(FsError::NotADirectory));
    assert_eq!(fs.mkdir("/f/x"), Err(FsError::NotADirectory));
    assert_eq!(fs.unlink("/f/x"), Err(FsError::NotADirectory));
    assert_eq!(fs.open(ME, "/f/x", RWC), Err(FsError::NotADirectory));
    assert_eq!(fs.usage().nodes, 2);
}

#[test]
fn is_a_directory() {
    let mut fs = fs();
    fs.mkdir("/d").unwrap();
    assert_eq!(
        fs.open(ME, "/d", OpenFlags::READ),
        Err(FsError::IsADirectory)
    );
    assert_eq!(fs.open(ME, "/d", RWC), Err(FsError::IsADirectory));
    assert_eq!(
        fs.open(ME, "/", OpenFlags::READ),
        Err(FsError::IsADirectory)
    );
    assert_eq!(fs.usage().open_handles, 0);
}

#[test]
fn directory_not_empty() {
    let mut fs = fs();
    fs.mkdir("/d").unwrap();
    fs.mkdir("/d/e").unwrap();
    assert_eq!(fs.unlink("/d"), Err(FsError::DirectoryNotEmpty));
    fs.unlink("/d/e").unwrap();
    fs.unlink("/d").unwrap();
    assert_eq!(fs.readdir("/"), Ok(vec![]));
    assert_eq!(fs.usage().nodes, 1);
}

#[test]
fn unlinking_the_root_is_denied() {
    let mut fs = fs();
    assert_eq!(fs.unlink("/"), Err(FsError::AccessDenied));
    assert!(fs.stat("/").is_ok());
}

#[test]
fn access_denied_without_the_right_flag() {
    let mut fs = fs();
    create(&mut fs, "/f", b"data");
    let reader = fs.open(ME, "/f", OpenFlags::READ).unwrap();
    let writer = fs.open(ME, "/f", OpenFlags::WRITE).unwrap();
    assert_eq!(fs.write(ME, reader, b"x"), Err(FsError::AccessDenied));
    assert_eq!(fs.write(ME, reader, b""), Err(FsError::AccessDenied));
    assert_eq!(fs.read(ME, writer, &mut [0; 4]), Err(FsError::AccessDenied));
    assert_eq!(contents(&mut fs, "/f"), b"data");
}

#[test]
fn invalid_flags() {
    let mut fs = fs();
    create(&mut fs, "/f", b"data");
    let bad = [
        OpenFlags::from_bits(0).unwrap(),
        OpenFlags::CREATE,
        OpenFlags::READ | OpenFlags::TRUNCATE,
        OpenFlags::READ | OpenFlags::APPEND,
        OpenFlags::WRITE | OpenFlags::EXCLUSIVE,
    ];
    for flags in bad {
        assert_eq!(fs.open(ME, "/f", flags), Err(FsError::InvalidArgument));
        assert_eq!(fs.open(ME, "/new", flags), Err(FsError::InvalidArgument));
    }
    // Flags are checked first, before the path.
    assert_eq!(
        fs.open(ME, "bad", OpenFlags::CREATE),
        Err(FsError::InvalidArgument)
    );
    assert_eq!(contents(&mut fs, "/f"), b"data", "nothing truncated");
    assert_eq!(fs.stat("/new"), Err(FsError::NotFound), "nothing created");
}

#[test]
fn bad_paths_are_refused_by_every_operation() {
    let mut fs = fs();
    let long = alloc::format!("/{}", "n".repeat(MAX_NAME_LEN + 1));
    for (path, error) in [
        ("", FsError::BadPath),
        ("f", FsError::BadPath),
        ("/a//b", FsError::BadPath),
        ("/d/", FsError::BadPath),
        ("/..", FsError::BadPath),
        ("/\0", FsError::BadPath),
        (long.as_str(), FsError::NameTooLong),
    ] {
        assert_eq!(fs.stat(path), Err(error), "{path:?}");
        assert_eq!(fs.readdir(path), Err(error));
        assert_eq!(fs.mkdir(path), Err(error));
        assert_eq!(fs.unlink(path), Err(error));
        assert_eq!(fs.open(ME, path, RWC), Err(error));
    }
    assert_eq!(fs.usage().nodes, 1);
}

#[test]
fn longest_names_and_paths_work() {
    let mut fs = fs();
    let name = "n".repeat(MAX_NAME_LEN);
    let mut path = String::new();
    for _ in 0..3 {
        path.push('/');
        path.push_str(&name);
        fs.mkdir(&path).unwrap();
    }
    path.push('/');
    path.push_str(&name);
    assert_eq!(path.len(), MAX_PATH_LEN);
    create(&mut fs, &path, b"deep");
    assert_eq!(contents(&mut fs, &path), b"deep");
    path.push('x');
    assert_eq!(fs.stat(&path), Err(FsError::NameTooLong));
}

#[test]
fn closed_handles_stay_bad_even_after_slot_reuse() {
    let mut fs = RamFs::new(100, 8, 1);
    create(&mut fs, "/f", b"abc");
    let old = fs.open(ME, "/f", RW).unwrap();
    fs.close(ME, old).unwrap();
    // Only one slot: the new handle must reuse it.
    let new = fs.open(ME, "/f", RW).unwrap();
    assert_ne!(old, new);
    assert_eq!(fs.read(ME, old, &mut [0; 4]), Err(FsError::BadHandle));
    assert_eq!(fs.write(ME, old, b"x"), Err(FsError::BadHandle));
    assert_eq!(
        fs.seek(ME, old, SeekFrom::Start(0)),
        Err(FsError::BadHandle)
    );
    assert_eq!(fs.fstat(ME, old), Err(FsError::BadHandle));
    assert_eq!(fs.close(ME, old), Err(FsError::BadHandle));
    assert_eq!(
        read_rest(&mut fs, ME, new),
        b"abc",
        "untouched by the old value"
    );
    fs.close(ME, new).unwrap();
    assert_eq!(fs.close(ME, new), Err(FsError::BadHandle), "double close");
    for never_issued in [Handle(0), Handle(1), Handle(u64::MAX)] {
        assert_eq!(fs.close(ME, never_issued), Err(FsError::BadHandle));
    }
}

#[test]
fn another_owners_handle_is_a_bad_handle() {
    let mut fs = fs();
    create(&mut fs, "/f", b"secret");
    let handle = fs.open(ME, "/f", RW).unwrap();
    assert_eq!(fs.read(OTHER, handle, &mut [0; 8]), Err(FsError::BadHandle));
    assert_eq!(fs.write(OTHER, handle, b"x"), Err(FsError::BadHandle));
    assert_eq!(
        fs.seek(OTHER, handle, SeekFrom::End(0)),
        Err(FsError::BadHandle)
    );
    assert_eq!(fs.fstat(OTHER, handle), Err(FsError::BadHandle));
    assert_eq!(fs.close(OTHER, handle), Err(FsError::BadHandle));
    assert_eq!(fs.close_all(OTHER), 0);
    // Still mine, position untouched.
    assert_eq!(read_rest(&mut fs, ME, handle), b"secret");
}

#[test]
fn close_all_closes_one_clients_handles() {
    let mut fs = fs();
    create(&mut fs, "/f", b"x");
    let mine: Vec<Handle> = (0..3)
        .map(|_| fs.open(ME, "/f", OpenFlags::READ).unwrap())
        .collect();
    let theirs = fs.open(OTHER, "/f", OpenFlags::READ).unwrap();
    assert_eq!(fs.usage().open_handles, 4);
    assert_eq!(fs.close_all(ME), 3);
    assert_eq!(fs.usage().open_handles, 1);
    for handle in mine {
        assert_eq!(fs.close(ME, handle), Err(FsError::BadHandle));
    }
    assert_eq!(fs.read(OTHER, theirs, &mut [0; 2]), Ok(1));
    assert_eq!(fs.close_all(ME), 0);
    assert_eq!(fs.close_all(OTHER), 1);
    assert_eq!(fs.usage().open_handles, 0);
}

#[test]
fn an_unlinked_open_file_lives_until_its_last_handle_closes() {
    let mut fs = fs();
    create(&mut fs, "/f", b"old");
    let node = fs.stat("/f").unwrap().node;
    let first = fs.open(ME, "/f", RW).unwrap();
    let second = fs.open(OTHER, "/f", OpenFlags::READ).unwrap();
    fs.unlink("/f").unwrap();

    // The name is gone and free at once...
    assert_eq!(fs.stat("/f"), Err(FsError::NotFound));
    assert_eq!(fs.readdir("/"), Ok(vec![]));
    create(&mut fs, "/f", b"replacement");
    assert_ne!(fs.stat("/f").unwrap().node, node);

    // ...but the data is still there through the open handles.
    fs.seek(ME, first, SeekFrom::End(0)).unwrap();
    fs.write(ME, first, b" data").unwrap();
    assert_eq!(read_rest(&mut fs, OTHER, second), b"old data");
    assert_eq!(
        fs.fstat(ME, first),
        Ok(Stat {
            kind: NodeKind::File,
            size: 8,
            node
        })
    );
    assert_eq!(contents(&mut fs, "/f"), b"replacement");

    // Its bytes and node stay charged until the last handle goes.
    assert_eq!(fs.usage().used_bytes, 8 + 11);
    assert_eq!(fs.usage().nodes, 3);
    fs.close(ME, first).unwrap();
    assert_eq!(fs.usage().used_bytes, 8 + 11);
    assert_eq!(fs.close_all(OTHER), 1);
    assert_eq!(fs.usage().used_bytes, 11);
    assert_eq!(fs.usage().nodes, 2);
}

#[test]
fn unlinking_a_closed_file_frees_it_at_once() {
    let mut fs = fs();
    create(&mut fs, "/f", b"12345");
    fs.unlink("/f").unwrap();
    assert_eq!(fs.usage().used_bytes, 0);
    assert_eq!(fs.usage().nodes, 1);
    assert_eq!(fs.unlink("/f"), Err(FsError::NotFound));
}

#[test]
fn capacity_is_all_or_nothing() {
    let mut fs = RamFs::new(10, 8, 8);
    let a = fs.open(ME, "/a", RWC).unwrap();
    let b = fs.open(ME, "/b", RWC).unwrap();
    assert_eq!(fs.write(ME, a, b"123456"), Ok(6));
    assert_eq!(fs.write(ME, b, b"abcde"), Err(FsError::NoSpace));
    assert_eq!(fs.stat("/b").unwrap().size, 0, "nothing written");
    assert_eq!(fs.seek(ME, b, SeekFrom::Current(0)), Ok(0), "position kept");
    assert_eq!(fs.write(ME, b, b"abcd"), Ok(4), "exactly full");
    assert_eq!(fs.usage().used_bytes, 10);
    // Overwriting needs no new space; growing by one byte does.
    fs.seek(ME, a, SeekFrom::Start(0)).unwrap();
    assert_eq!(fs.write(ME, a, b"ABCDEF"), Ok(6));
    assert_eq!(fs.write(ME, a, b"!"), Err(FsError::NoSpace));
    // A sparse write is charged for its gap too.
    fs.seek(ME, b, SeekFrom::Start(100)).unwrap();
    assert_eq!(fs.write(ME, b, b"x"), Err(FsError::NoSpace));
    // A position at the very end of `u64` cannot be written at all.
    fs.seek(ME, b, SeekFrom::Start(u64::MAX)).unwrap();
    assert_eq!(fs.write(ME, b, b"x"), Err(FsError::NoSpace));
    fs.close(ME, b).unwrap();
    assert_eq!(contents(&mut fs, "/b"), b"abcd");
    // Freeing space makes room again.
    fs.unlink("/b").unwrap();
    assert_eq!(fs.write(ME, a, b"!!!!"), Ok(4));
    assert_eq!(fs.usage().used_bytes, 10);
}

#[test]
fn the_node_limit_counts_the_root() {
    let mut fs = RamFs::new(100, 3, 8);
    fs.mkdir("/d").unwrap();
    create(&mut fs, "/d/f", b"");
    assert_eq!(fs.mkdir("/e"), Err(FsError::NoSpace));
    assert_eq!(fs.open(ME, "/g", RWC), Err(FsError::NoSpace));
    assert_eq!(fs.usage().open_handles, 0);
    assert_eq!(
        fs.readdir("/"),
        Ok(vec![DirEntry {
            name: String::from("d"),
            kind: NodeKind::Directory,
            size: 1
        }])
    );
    // Opening existing files needs no node.
    let handle = fs.open(ME, "/d/f", RW).unwrap();
    fs.close(ME, handle).unwrap();
    fs.unlink("/d/f").unwrap();
    fs.mkdir("/e").unwrap();
    assert_eq!(fs.usage().nodes, 3);
}

#[test]
fn the_open_limit_is_checked_before_anything_changes() {
    let mut fs = RamFs::new(100, 8, 2);
    create(&mut fs, "/f", b"keep");
    let a = fs.open(ME, "/f", OpenFlags::READ).unwrap();
    fs.open(OTHER, "/f", OpenFlags::READ).unwrap();
    assert_eq!(
        fs.open(ME, "/f", OpenFlags::READ),
        Err(FsError::TooManyOpen)
    );
    assert_eq!(fs.open(ME, "/new", RWC), Err(FsError::TooManyOpen));
    assert_eq!(
        fs.open(ME, "/f", OpenFlags::WRITE | OpenFlags::TRUNCATE),
        Err(FsError::TooManyOpen)
    );
    assert_eq!(fs.stat("/new"), Err(FsError::NotFound), "not created");
    assert_eq!(fs.stat("/f").unwrap().size, 4, "not truncated");
    fs.close(ME, a).unwrap();
    assert!(fs.open(ME, "/new", RWC).is_ok());
}

#[test]
fn readdir_is_sorted_by_name_with_kinds_and_sizes() {
    let mut fs = fs();
    for name in ["b", "a", "é", "aa", "C"] {
        create(&mut fs, &alloc::format!("/{name}"), name.as_bytes());
    }
    fs.mkdir("/dir").unwrap();
    fs.mkdir("/dir/sub").unwrap();
    let listing: Vec<(String, NodeKind, u64)> = fs
        .readdir("/")
        .unwrap()
        .into_iter()
        .map(|e| (e.name, e.kind, e.size))
        .collect();
    let file = |name: &str, size| (String::from(name), NodeKind::File, size);
    assert_eq!(
        listing,
        [
            file("C", 1),
            file("a", 1),
            file("aa", 2),
            file("b", 1),
            (String::from("dir"), NodeKind::Directory, 1),
            file("é", 2),
        ]
    );
    assert_eq!(fs.stat("/").unwrap().size, 6);
    assert_eq!(fs.readdir("/dir/sub"), Ok(vec![]));
}

#[test]
fn inode_numbers_are_never_reused() {
    let mut fs = fs();
    fs.mkdir("/d").unwrap();
    let first = fs.stat("/d").unwrap().node;
    fs.unlink("/d").unwrap();
    fs.mkdir("/d").unwrap();
    assert!(fs.stat("/d").unwrap().node > first);
}
