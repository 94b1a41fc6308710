#!/usr/bin/env bash
# The scale benchmark of issue 3 (kept out of make test): stores of 10k, 100k and 1M
# memories built through batched import, then warm and cold search latency, add
# throughput, bytes on disk per memory and memory use (scripts/bench-scale.mjs); and the
# vector index alone: recall@10 against exact float search and queries per second next to
# npm usearch on the same vectors in the same run (tests/tools/bench_vindex.c,
# scripts/bench-vindex.mjs).
#
#   scripts/bench-scale.sh [store|index|all] [SIZES]     (default: all 10000,100000,1000000)
#
# Environment: BUILD (build folder, default build), BENCH_DIR (scratch folder for stores,
# generated data and vectors, default a new one under TMPDIR; removed at exit unless
# KEEP=1), CALLS (timed warm searches per size, default 1000), BUDGET (seconds per timed
# phase, default 60), COLD_RUNS (default 30), ADDS (default 200), VEC_SIZES (vector counts
# for the index part, default SIZES), VEC_QUERIES (default 1000), OUT (also write the
# tables to this file).  The 1M store takes a few minutes and about 3 GB of disk; the
# index part installs npm usearch (prebuilt) into build/npm-bench from
# tests/npm-bench/package-lock.json the first time.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PART=${1:-all}
SIZES=${2:-10000,100000,1000000}
BUILD=${BUILD:-build}
case "$PART" in store | index | all) ;; *)
    echo "usage: scripts/bench-scale.sh [store|index|all] [SIZES, e.g. 10000,100000]" >&2
    exit 2
    ;;
esac
case "$BUILD" in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac

make -C "$ROOT" --no-print-directory -s BUILD="$BUILD" "$BUILD/bin/mem0-mcp" \
    "$BUILD/tests/echo_line" "$BUILD/tests/bench_add" "$BUILD/tests/bench_vindex" >&2

if [ -n "${BENCH_DIR:-}" ]; then
    work=$BENCH_DIR
    mkdir -p "$work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/mem0-scale.XXXXXX")
fi
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT

run() {
    echo "## Scale benchmark ($(date -u +%Y-%m-%dT%H:%MZ))"
    echo
    if [ "$PART" != index ]; then
        echo "### Store: $SIZES memories"
        echo
        node "$ROOT/scripts/bench-scale.mjs" --bin "$B/bin/mem0-mcp" --echo "$B/tests/echo_line" \
            --add-tool "$B/tests/bench_add" --work "$work/store" --sizes "$SIZES" \
            --calls "${CALLS:-1000}" --budget "${BUDGET:-60}" --cold-runs "${COLD_RUNS:-30}" \
            --adds "${ADDS:-200}" --keep "${KEEP:-0}"
    fi
    if [ "$PART" != store ]; then
        echo "### Vector index alone: 384-dim vectors, recall@10 against exact float search"
        echo
        NPM_DIR="$ROOT/build/npm-bench"
        want=$(cat "$ROOT/tests/npm-bench/package.json" "$ROOT/tests/npm-bench/package-lock.json" | cksum)
        if [ ! -f "$NPM_DIR/node_modules/usearch/package.json" ] ||
            [ "$(cat "$NPM_DIR/.installed-from" 2>/dev/null)" != "$want" ]; then
            echo "bench-scale: installing npm usearch into build/npm-bench" >&2
            mkdir -p "$NPM_DIR"
            cp "$ROOT/tests/npm-bench/package.json" "$ROOT/tests/npm-bench/package-lock.json" "$NPM_DIR/"
            (cd "$NPM_DIR" && timeout 600 npm ci --no-audit --no-fund --loglevel=error >&2)
            echo "$want" >"$NPM_DIR/.installed-from"
        fi
        node "$ROOT/scripts/bench-vindex.mjs" --npm-dir "$NPM_DIR" \
            --tool "$B/tests/bench_vindex" --work "$work/vectors" \
            --sizes "${VEC_SIZES:-$SIZES}" --queries "${VEC_QUERIES:-1000}"
    fi
}
if [ -n "${OUT:-}" ]; then run | tee "$OUT"; else run; fi
