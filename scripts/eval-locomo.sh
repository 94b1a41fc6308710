#!/usr/bin/env bash
# The LoCoMo retrieval evaluation of ../shared/bench/README.md, through the public C API
# (mem0_add with infer=false, mem0_search with the conversation's scope, top_k 10).
#
#   scripts/eval-locomo.sh [PATH/TO/locomo10.json]
#
# Default data: ../shared/bench/locomo10.json beside the repository (a clean clone with
# shared/ next to it).  Prints markdown tables: the headline (overall categories 1-4) and
# per category, for all ten conversations and for conversations 5-9, with three rows:
#   core (default ranking)          the store's ranking as configured
#   core BM25 (MEM0_RANKING=bm25)   the same stores searched in core's plain BM25 mode
#   reference BM25 (harness)        the README's reference BM25 implemented in the harness
#                                   (tests/tools/eval_common.h), independent of core
# Environment: BUILD (build folder, default build), SYSTEMS (default core,bm25,ref),
# TMPDIR (where the ten scratch stores go; removed at exit), OUT (also write the tables
# to this file).  Takes about a minute on two cores.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${1:-$ROOT/../shared/bench/locomo10.json}
BUILD=${BUILD:-build}
SYSTEMS=${SYSTEMS:-core,bm25,ref}

if [ ! -f "$DATA" ]; then
    echo "eval-locomo: no data at $DATA; give the path to locomo10.json" >&2
    echo "usage: scripts/eval-locomo.sh [PATH/TO/locomo10.json]" >&2
    exit 2
fi
DATA=$(cd "$(dirname "$DATA")" && pwd)/$(basename "$DATA")

make -C "$ROOT" --no-print-directory -s BUILD="$BUILD" \
    "$BUILD/tests/eval_locomo" >&2
TOOL="$ROOT/$BUILD/tests/eval_locomo"
case "$BUILD" in /*) TOOL="$BUILD/tests/eval_locomo" ;; esac

scratch=$(mktemp -d "${TMPDIR:-/tmp}/mem0-locomo.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
    echo "Machine: nproc $(nproc), ${cpu:-unknown CPU}; $(uname -sr); $(date -u +%Y-%m-%d)."
    echo "Data: $(basename "$DATA") ($(sha256sum "$DATA" | cut -c1-16)...)."
    echo
    MEM0_USER_ID=eval "$TOOL" --data "$DATA" --home "$scratch/stores" --systems "$SYSTEMS"
} | if [ -n "${OUT:-}" ]; then tee "$OUT"; else cat; fi
