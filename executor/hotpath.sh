#!/bin/sh
# Instructions per operation of the executor's hot paths (host, release, callgrind).
# Usage: executor/hotpath.sh [N]   (from the repository root; needs valgrind)
set -eu
N=${1:-2000}
TARGET=${CARGO_TARGET_DIR:-target}
cargo build -q --release -p mohhos-executor --example hotpath
BIN="$TARGET/release/examples/hotpath"
OUT=$(mktemp -d)
total() { # op n [extra callgrind args]
    op=$1; n=$2; shift 2
    f="$OUT/cg.$op.$n.$#"
    valgrind --tool=callgrind --quiet --callgrind-out-file="$f" "$@" "$BIN" "$op" "$n"
    sed -n 's/^\(totals\|summary\): *\([0-9]*\).*/\2/p' "$f" | head -1
}
per_op() { # label op [extra callgrind args]
    label=$1; op=$2; shift 2
    a=$(total "$op" "$N" "$@"); b=$(total "$op" $((2 * N)) "$@")
    echo "$label: $(( (b - a) / N )) instructions/op"
}
per_op "spawn+complete" spawn
per_op "same-core wake->poll" wake
per_op "remote wake (the wake alone)" remote --toggle-collect='*remote_wake_op*'
per_op "remote wake + re-poll on the target (whole loop)" remote
echo "(callgrind files in $OUT)"
