#!/usr/bin/env bash
# Integration tests: each case in tests/integration drives the real binary (and the
# helper programs built from tests/tools) against a store of its own.
#
#   BIN=build/bin/mem0-mcp TOOLS=build/tests scripts/run-integration.sh [NAME...]
#   (make integration sets both)
#
# A case is a file tests/integration/NN-name.sh (run with bash) or NN-name.mjs (run with
# node); files starting with "_" are shared helpers, not cases.  NAME arguments run only
# the cases whose file name contains one of them.  Each case runs in its own process
# group with, in its environment:
#   BIN        absolute path of mem0-mcp
#   TOOLS      absolute folder of the helper programs (store_check, writer, echo_line)
#   SCRATCH    an empty scratch folder, removed afterwards (INTEG_KEEP=1 keeps it)
#   MEM0_HOME  $SCRATCH/home, not yet created (so the store creates it)
# A case passes by exiting 0.  It is stopped after INTEG_TIMEOUT seconds (default 300),
# and any process it leaves behind is killed with its group.  One line is printed per
# case (its output follows when it fails, or always with INTEG_VERBOSE=1), then exactly
# "N passed, M failed"; the exit status is non-zero when any case failed.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/build/bin/mem0-mcp}
TOOLS=${TOOLS:-$ROOT/build/tests}
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
case "$TOOLS" in /*) ;; *) TOOLS="$PWD/$TOOLS" ;; esac
TIMEOUT=${INTEG_TIMEOUT:-300}
export BIN TOOLS

passed=0
failed=0

# Picks the cases: every tests/integration/[!_]*.{sh,mjs}, filtered by the arguments.
cases=()
for f in "$ROOT"/tests/integration/*.sh "$ROOT"/tests/integration/*.mjs; do
    [ -f "$f" ] || continue
    name=$(basename "$f")
    case "$name" in _*) continue ;; esac
    if [ $# -gt 0 ]; then
        hit=0
        for want in "$@"; do
            case "$name" in *"$want"*) hit=1 ;; esac
        done
        [ "$hit" = 1 ] || continue
    fi
    cases+=("$f")
done
mapfile -t cases < <(printf '%s\n' "${cases[@]}" | sort)

if [ ! -x "$BIN" ]; then
    echo "FAIL - server binary $BIN is missing (run make first)"
    echo "0 passed, 1 failed"
    exit 1
fi

for f in "${cases[@]}"; do
    [ -n "$f" ] || continue
    name=$(basename "$f")
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/mem0-integ.XXXXXX")
    case "$f" in
    *.mjs) runner=(node "$f") ;;
    *) runner=(bash "$f") ;;
    esac
    start=$(date +%s.%N)
    # setsid: the case and everything it starts share one new process group, killed
    # below; timeout signals that whole group when the case overruns.
    SCRATCH="$scratch" MEM0_HOME="$scratch/home" \
        setsid timeout -k 10 "$TIMEOUT" "${runner[@]}" >"$scratch/.log" 2>&1 </dev/null &
    pid=$!
    wait "$pid"
    rc=$?
    kill -KILL -- "-$pid" 2>/dev/null
    secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok - ${name%.*} (${secs}s)"
        [ "${INTEG_VERBOSE:-0}" = 1 ] && sed 's/^/    /' "$scratch/.log"
    else
        failed=$((failed + 1))
        why="exit $rc"
        [ "$rc" -eq 124 ] && why="timed out after ${TIMEOUT}s"
        echo "FAIL - ${name%.*} ($why, ${secs}s)"
        tail -n 60 "$scratch/.log" | sed 's/^/    /'
    fi
    if [ "${INTEG_KEEP:-0}" = 1 ]; then
        echo "    (scratch kept in $scratch)"
    else
        chmod -R u+rwx "$scratch" 2>/dev/null
        rm -rf "$scratch"
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
