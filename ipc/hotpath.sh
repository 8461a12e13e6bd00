#!/bin/sh
# Instructions per operation of the endpoint's hot paths (host, release, callgrind).
# Usage: ipc/hotpath.sh [N]   (from the repository root; needs valgrind)
set -eu
N=${1:-2000}
TARGET=${CARGO_TARGET_DIR:-target}
cargo build -q --release -p mohhos-ipc --example ipc_hotpath
BIN="$TARGET/release/examples/ipc_hotpath"
OUT=$(mktemp -d)
total() { # op n
    f="$OUT/cg.$1.$2"
    valgrind --tool=callgrind --quiet --callgrind-out-file="$f" "$BIN" "$1" "$2"
    sed -n 's/^\(totals\|summary\): *\([0-9]*\).*/\2/p' "$f" | head -1
}
per_op() { # label op per
    a=$(total "$2" "$N"); b=$(total "$2" $((2 * N)))
    echo "$1: $(( (b - a) / (N * $3) )) instructions/op"
}
per_op "msg (try_send + try_recv)" msg 1
per_op "batch (try_send_batch of 32 + 32 try_recv, per message)" batch 32
per_op "call round trip (call, try_recv, reply, completion)" call 1
per_op "service call round trip on one executor core (ipc.call_rtt_same_core)" service 1
echo "(callgrind files in $OUT)"
