#!/usr/bin/env python3
"""Where the instructions of one benchmark sample go, from a QEMU instruction trace.

Take the trace (TCG, icount, every guest instruction logged; slow: keep the run short,
e.g. a suite cut down to the figure of interest, at -smp 1 where possible):

    cargo xtask run --icount --smp 1 --exec "bench executor" -- \\
        -d exec,nochain -singlestep -D /tmp/trace.log

then attribute one sample, the instructions between two `rdtsc`s:

    bench/trace.py rdtsc KERNEL FUNCTION            # the rdtsc addresses inside FUNCTION
    bench/trace.py sample TRACE KERNEL START END [N] [--lines]

`sample` takes the N-th (default 500th) window that starts at address START and ends at
END, prints its length (the figure, exactly, under icount) and the instructions per
function (consecutive runs), or with `--lines` per innermost source line of this
repository. Addresses outside the kernel (user code) count as USER. Needs objdump and
addr2line (binutils); only the Python standard library.
"""

import os
import subprocess
import sys

KERNEL_BASE = 0xFFFF800000000000


def trace_pcs(path):
    """Guest PCs of the trace, in order (QEMU's `Trace N: host [cs/pc/flags/cflags]`)."""
    with open(path, "rb") as trace:
        for line in trace:
            if line.startswith(b"Trace"):
                first = line.index(b"/")
                yield int(line[first + 1 : line.index(b"/", first + 1)], 16)


def window(path, start, end, nth):
    """The nth run of PCs from `start` up to and including `end`."""
    seen, pcs = 0, None
    for pc in trace_pcs(path):
        if pcs is None and pc == start:
            seen += 1
            if seen == nth:
                pcs = []
        if pcs is not None:
            pcs.append(pc)
            if pc == end and len(pcs) > 1:
                return pcs
    sys.exit(f"no window {nth} from {start:#x} to {end:#x}")


def functions(kernel):
    """Address -> function name, from the kernel's disassembly."""
    out = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", "-C", kernel], capture_output=True, text=True
    ).stdout
    names, current = {}, "?"
    for line in out.splitlines():
        if line.endswith(">:"):
            current = line.split("<", 1)[1][:-2]
        head = line.strip().split(":", 1)
        if len(head) == 2:
            try:
                names[int(head[0], 16)] = current
            except ValueError:
                pass
    return names


def source_lines(kernel, pcs):
    """Address -> innermost `path:line function` inside this repository (else the first
    frame addr2line gives)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/"
    wanted = sorted({pc for pc in pcs if pc >= KERNEL_BASE})
    out = subprocess.run(
        ["addr2line", "-a", "-i", "-f", "-C", "-e", kernel] + [f"{pc:#x}" for pc in wanted],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    frames, current, lines = {}, None, []
    for line in out + ["0x0"]:
        if line.startswith("0x"):
            if current is not None:
                frames[current] = lines
            current, lines = int(line, 16), []
        else:
            lines.append(line)
    result = {}
    for pc, lines in frames.items():
        pairs = list(zip(lines[0::2], lines[1::2])) or [("?", "?")]
        ours = [(f, loc) for f, loc in pairs if loc.startswith(root)]
        function, location = (ours or pairs)[0]
        result[pc] = f"{location.removeprefix(root)}  {function.split('::')[-1][:48]}"
    return result


def runs(labels):
    """Consecutive equal labels, counted."""
    out = []
    for label in labels:
        if out and out[-1][0] == label:
            out[-1][1] += 1
        else:
            out.append([label, 1])
    return out


def main(argv):
    if len(argv) >= 4 and argv[1] == "rdtsc":
        kernel, function = argv[2], argv[3]
        names = functions(kernel)
        out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", kernel], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if "\trdtsc" in line:
                pc = int(line.split(":")[0], 16)
                inlined = subprocess.run(["addr2line", "-f", "-C", "-i", "-e", kernel, f"{pc:#x}"], capture_output=True, text=True).stdout
                if function in inlined or function in names.get(pc, ""):
                    print(f"{pc:x}")
        return
    if len(argv) >= 6 and argv[1] == "sample":
        trace, kernel, start, end = argv[2], argv[3], int(argv[4], 16), int(argv[5], 16)
        rest = [a for a in argv[6:] if not a.startswith("--")]
        nth = int(rest[0]) if rest else 500
        pcs = window(trace, start, end, nth)
        if "--lines" in argv:
            where = source_lines(kernel, pcs)
            labels = [where.get(pc, "USER") if pc >= KERNEL_BASE else "USER" for pc in pcs[:-1]]
        else:
            names = functions(kernel)
            labels = [names.get(pc, "?") if pc >= KERNEL_BASE else "USER" for pc in pcs[:-1]]
        for label, count in runs(labels):
            print(f"{count:5d} {label[:110]}")
        print(f"{len(pcs) - 1} instructions")
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
