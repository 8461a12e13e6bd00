//! The in-kernel test cases.

use super::kernel_test;
use crate::arch::x86_64 as arch;
use crate::memory;
use crate::shell::editor::{Editor, Line};
use alloc::string::String;
use alloc::vec::Vec;

fn frames_are_distinct_and_returned() {
    let before = memory::stats().free;
    let a = memory::alloc_frames(3).expect("3 frames");
    let b = memory::alloc_frame().expect("1 frame");
    assert!(b < a || b >= a + 3 * memory::FRAME_SIZE, "frames overlap");
    assert_eq!(memory::stats().free, before - 4);
    memory::free_frames(a, 3);
    memory::free_frames(b, 1);
    assert_eq!(memory::stats().free, before);
}
kernel_test!(frames_are_distinct_and_returned);

fn heap_grows_past_first_arena() {
    let big: Vec<u64> = (0..(3 << 20) / 8).collect();
    assert!(big.iter().enumerate().all(|(i, &v)| v == i as u64));
    assert!(arch::heap_stats().claimed >= 3 << 20);
}
kernel_test!(heap_grows_past_first_arena);

fn heap_size_classes_are_the_smallest_that_fit() {
    use core::alloc::Layout;
    let classes = [16usize, 32, 64, 128, 256, 512];
    for size in 0..=600 {
        let layout = Layout::from_size_align(size, 8).unwrap();
        let expected = classes.iter().position(|&c| size <= c);
        assert_eq!(arch::heap_class_of(layout), expected, "size {size}");
    }
    let aligned = Layout::from_size_align(64, 32).unwrap();
    assert_eq!(arch::heap_class_of(aligned), None, "over-aligned");
}
kernel_test!(heap_size_classes_are_the_smallest_that_fit);

/// Message-sized word copies to and from user memory: inside one page, across two mapped
/// pages (the slow path, same bytes), and refused whole (nothing written) when the range
/// runs into an unmapped or read-only page.
fn user_word_copies_within_and_across_pages() {
    use mohhos_abi::Prot;
    let mut space = arch::AddressSpace::new().expect("address space");
    let (a, b, c) = (0x40_0000u64, 0x40_1000u64, 0x40_2000u64);
    space.map_zeroed(a, Prot::READ_WRITE).expect("map a");
    space.map_zeroed(b, Prot::READ_WRITE).expect("map b");
    space.map_zeroed(c, Prot::READ).expect("map c");
    let words: [u64; 8] = core::array::from_fn(|i| 0x1111_1111 * (i as u64 + 1));
    for addr in [a + 8, a + 0x1000 - 64, a + 0x1000 - 20] {
        space.write_words(addr, &words).expect("write");
        assert_eq!(
            space.read_words::<8>(addr).expect("read"),
            words,
            "at {addr:#x}"
        );
        let mut bytes = [0u8; 64];
        space.read(addr, &mut bytes).expect("byte read");
        assert_eq!(bytes, *bytemuck::bytes_of(&words), "at {addr:#x}");
    }
    let before = space.read_words::<8>(b + 0x1000 - 64).expect("read");
    assert!(
        space.write_words(b + 0x1000 - 20, &words).is_err(),
        "into read-only"
    );
    assert_eq!(
        space.read_words::<8>(b + 0x1000 - 64).expect("read"),
        before,
        "nothing written"
    );
    assert!(space.write_words(c, &words).is_err(), "read-only page");
    assert!(
        space.read_words::<8>(c + 0x1000 - 20).is_err(),
        "into an unmapped page"
    );
    assert!(space.read_words::<8>(0x50_0000).is_err(), "unmapped");
}
kernel_test!(user_word_copies_within_and_across_pages);

fn every_firmware_cpu_is_online() {
    assert_eq!(arch::cpus().count(), arch::firmware_cpu_count());
}
kernel_test!(every_firmware_cpu_is_online);

fn every_cpu_took_a_timer_interrupt() {
    let deadline = arch::rdtsc() + arch::tsc_hz();
    while arch::cpus().any(|c| c.timer_interrupts == 0) && arch::rdtsc() < deadline {
        core::hint::spin_loop();
    }
    for cpu in arch::cpus() {
        assert!(
            cpu.timer_interrupts > 0,
            "cpu {} never took a LAPIC timer interrupt",
            cpu.index
        );
    }
}
kernel_test!(every_cpu_took_a_timer_interrupt);

fn ipi_reaches_every_cpu() {
    for cpu in arch::cpus().filter(|c| c.index != arch::cpu_index()) {
        let before = cpu.interrupts;
        arch::wake_cpu(cpu.index);
        let deadline = arch::rdtsc() + arch::tsc_hz();
        while arch::cpus()
            .nth(cpu.index)
            .is_some_and(|c| c.interrupts == before)
            && arch::rdtsc() < deadline
        {
            core::hint::spin_loop();
        }
        let after = arch::cpus().nth(cpu.index).map_or(before, |c| c.interrupts);
        assert!(
            after > before,
            "cpu {} did not take the wake IPI",
            cpu.index
        );
    }
}
kernel_test!(ipi_reaches_every_cpu);

fn stack_guard_pages_are_unmapped() {
    assert!(!arch::bsp_stack_guard_mapped());
}
kernel_test!(stack_guard_pages_are_unmapped);

fn feed(editor: &mut Editor, bytes: &[u8]) -> Vec<Line> {
    bytes
        .iter()
        .filter_map(|&b| editor.feed(b, &mut |_| {}))
        .collect()
}

fn editor_handles_backspace_history_and_garbage() {
    let mut e = Editor::new();
    assert_eq!(
        feed(&mut e, b"echoo\x7f hi\r\n"),
        [Line::Text(String::from("echo hi"))]
    );
    assert_eq!(
        feed(&mut e, b"\x1b[A\r"),
        [Line::Text(String::from("echo hi"))]
    );
    assert_eq!(
        feed(&mut e, b"\x00\xff\x1b[15~\x1bOx\x01ok\r"),
        [Line::Text(String::from("ok"))]
    );
    let long: Vec<u8> = core::iter::repeat_n(b'a', 5000).chain([b'\r']).collect();
    assert_eq!(feed(&mut e, &long), [Line::TooLong]);
    assert_eq!(feed(&mut e, b"x\x03"), [Line::Cancelled]);
    assert_eq!(
        feed(&mut e, b"a\x1b[\rb\x1bO\rc\x1b\r"),
        [
            Line::Text(String::from("a")),
            Line::Text(String::from("b")),
            Line::Text(String::from("c"))
        ]
    );
}
kernel_test!(editor_handles_backspace_history_and_garbage);

fn pinned_tasks_run_on_their_core() {
    use core::sync::atomic::{AtomicUsize, Ordering};
    static RAN: [AtomicUsize; 64] = [const { AtomicUsize::new(usize::MAX) }; 64];
    let here = arch::cpu_index();
    let others: Vec<usize> = (0..arch::online_cpus()).filter(|&c| c != here).collect();
    for &core in &others {
        let pinned = crate::runtime::executor()
            .build()
            .affinity(executor::Affinity::Pinned(core));
        pinned.spawn_on(core, async move {
            RAN[core].store(arch::cpu_index(), Ordering::Release);
        });
    }
    let deadline = arch::rdtsc() + arch::tsc_hz();
    while others
        .iter()
        .any(|&c| RAN[c].load(Ordering::Acquire) == usize::MAX)
        && arch::rdtsc() < deadline
    {
        core::hint::spin_loop();
    }
    for &core in &others {
        assert_eq!(
            RAN[core].load(Ordering::Acquire),
            core,
            "task for core {core} did not run there"
        );
    }
}
kernel_test!(pinned_tasks_run_on_their_core);

fn heap_caches_survive_cross_cpu_traffic() {
    use alloc::boxed::Box;
    use core::sync::atomic::{AtomicUsize, Ordering};
    static DONE: AtomicUsize = AtomicUsize::new(0);
    const ROUNDS: u64 = 2_000;
    let cpus = arch::online_cpus();
    let here = arch::cpu_index();
    let others: Vec<usize> = (0..cpus).filter(|&c| c != here).collect();
    // Every other CPU allocates small blocks of every class, checks them, and
    // sends half of them back here to be freed (cross-CPU frees).
    let returned: &'static spin::Mutex<Vec<Box<[u64]>>> =
        Box::leak(Box::new(spin::Mutex::new(Vec::new())));
    for &core in &others {
        let pinned = crate::runtime::executor()
            .build()
            .affinity(executor::Affinity::Pinned(core));
        pinned.spawn_on(core, async move {
            for round in 0..ROUNDS {
                let len = 1 + (round % 64) as usize;
                let block: Box<[u64]> = (0..len as u64).map(|i| i ^ round).collect();
                assert!(
                    block
                        .iter()
                        .enumerate()
                        .all(|(i, &v)| v == i as u64 ^ round),
                    "heap block corrupted"
                );
                if round % 2 == 0 {
                    returned.lock().push(block);
                }
            }
            DONE.fetch_add(1, Ordering::Release);
        });
    }
    let deadline = arch::rdtsc() + 10 * arch::tsc_hz();
    while DONE.load(Ordering::Acquire) < others.len() && arch::rdtsc() < deadline {
        drop(core::mem::take(&mut *returned.lock()));
    }
    drop(core::mem::take(&mut *returned.lock()));
    assert_eq!(
        DONE.load(Ordering::Acquire),
        others.len(),
        "allocating tasks did not finish"
    );
}
kernel_test!(heap_caches_survive_cross_cpu_traffic);

/// A CPU's PCIDs keep an address space's TLB entries only while its mappings are as
/// they were when it last ran there, and never hand one address space's entries to
/// another.
fn pcid_slots_keep_only_current_generations() {
    let mut cache = arch::PcidCache::new();
    let tables = |id, generation| arch::UserTables {
        root: 0x1000 * id,
        id,
        generation,
    };
    // First load: a slot, flushed.
    let (a, keep) = cache.take(tables(1, 0));
    assert!(!keep && a != 0);
    // Again, unchanged: kept.
    assert_eq!(cache.take(tables(1, 0)), (a, true));
    // A mapping removed (generation 1): same PCID, flushed; then kept again.
    assert_eq!(cache.take(tables(1, 1)), (a, false));
    assert_eq!(cache.take(tables(1, 1)), (a, true));
    // Eight others take every slot in turn: the first one's slot goes to another
    // address space (flushed), and its next load is a new slot, flushed again.
    let mut taken = Vec::new();
    for id in 2..10 {
        let (pcid, keep) = cache.take(tables(id, 0));
        assert!(!keep, "a new address space never keeps entries");
        taken.push(pcid);
    }
    assert!(taken.contains(&a));
    let (_, keep) = cache.take(tables(1, 1));
    assert!(
        !keep,
        "an address space whose slot was taken starts flushed"
    );
}
kernel_test!(pcid_slots_keep_only_current_generations);
