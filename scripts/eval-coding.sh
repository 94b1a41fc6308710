#!/usr/bin/env bash
# The coding-memory retrieval evaluation: tests/eval/coding.json (155 memories of one
# developer over five projects and five sessions each, with realistic noise; 116 queries
# that paraphrase their gold memories, each labelled with a kind) through the public C API.
#
#   scripts/eval-coding.sh [DATA.json]
#
# Prints markdown: any@1/5/10, all@5/10 and MRR@10 per kind and overall for
#   core (default ranking)          the store's ranking as configured
#   core BM25 (MEM0_RANKING=bm25)   the same store searched in core's plain BM25 mode
#   reference BM25 (harness)        the reference BM25 of tests/tools/eval_common.h
# then whether any kind of the default ranking falls below a BM25 row, and how far the
# queries paraphrase (the share of query terms found in the gold memories).
# Environment: BUILD (default build), SYSTEMS (default core,bm25,ref), TMPDIR (scratch
# store, removed at exit), OUT (also write the tables to this file), DETAIL=1 (add each
# query's first gold rank per ranking, for tuning).  Takes seconds.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${1:-$ROOT/tests/eval/coding.json}
BUILD=${BUILD:-build}
SYSTEMS=${SYSTEMS:-core,bm25,ref}

if [ ! -f "$DATA" ]; then
    echo "eval-coding: no data at $DATA" >&2
    exit 2
fi
DATA=$(cd "$(dirname "$DATA")" && pwd)/$(basename "$DATA")

make -C "$ROOT" --no-print-directory -s BUILD="$BUILD" \
    "$BUILD/tests/eval_coding" >&2
TOOL="$ROOT/$BUILD/tests/eval_coding"
case "$BUILD" in /*) TOOL="$BUILD/tests/eval_coding" ;; esac

detail=()
[ "${DETAIL:-0}" = 1 ] && detail=(--detail)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mem0-coding.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
    echo "Machine: nproc $(nproc), ${cpu:-unknown CPU}; $(uname -sr); $(date -u +%Y-%m-%d)."
    echo
    MEM0_USER_ID=eval "$TOOL" --data "$DATA" --home "$scratch/store" --systems "$SYSTEMS" \
        "${detail[@]}"
} | if [ -n "${OUT:-}" ]; then tee "$OUT"; else cat; fi
