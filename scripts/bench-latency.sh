#!/usr/bin/env bash
# Latency of search_memories and add_memory over stdio at N memories (default 10,000),
# next to an empty-process floor measured in the same run (issue 2, Done-when 8).
#
#   scripts/bench-latency.sh [N]        (make bench runs it)
#
# Environment: BUILD (build folder, default build), BIN (mem0-mcp, default
# $BUILD/bin/mem0-mcp), ECHO_BIN (the floor program, default $BUILD/tests/echo_line,
# built here if missing), CALLS (timed calls per operation, default 1000), WARMUP
# (default 200), TMPDIR (where the scratch store goes; its file system is reported, as
# add_memory waits for a durable commit).  The store is built, measured and removed; no
# other store is touched.  Prints a markdown table; see scripts/bench-latency.mjs.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-10000}
BUILD=${BUILD:-build}
BIN=${BIN:-$ROOT/$BUILD/bin/mem0-mcp}
ECHO_BIN=${ECHO_BIN:-$ROOT/$BUILD/tests/echo_line}
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
case "$ECHO_BIN" in /*) ;; *) ECHO_BIN="$PWD/$ECHO_BIN" ;; esac

if ! [[ "$N" =~ ^[0-9]+$ ]] || [ "$N" -lt 1 ]; then
    echo "usage: scripts/bench-latency.sh [N]   (N memories, default 10000)" >&2
    exit 2
fi
if [ ! -x "$BIN" ] || [ ! -x "$ECHO_BIN" ]; then
    echo "bench-latency: building $BIN and $ECHO_BIN" >&2
    make -C "$ROOT" --no-print-directory -s BUILD="$BUILD" \
        "${BIN#"$ROOT"/}" "${ECHO_BIN#"$ROOT"/}" >&2
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/mem0-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

echo "## mem0-mcp round-trip latency over stdio ($(date -u +%Y-%m-%dT%H:%MZ), $("$BIN" --version))"
echo
node "$ROOT/scripts/bench-latency.mjs" --bin "$BIN" --echo "$ECHO_BIN" --home "$scratch/home" \
    --memories "$N" --calls "${CALLS:-1000}" --warmup "${WARMUP:-200}"
