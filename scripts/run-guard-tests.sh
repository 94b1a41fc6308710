#!/usr/bin/env bash
# Runs the guard's data cases (tests/guard/cases) against the real mem0-guard binary.
# Prints one line per case and "N passed, M failed"; non-zero exit when any case failed.
#   BIN=build/bin/mem0-guard scripts/run-guard-tests.sh [--valgrind] [--only TEXT]
set -u
cd "$(dirname "$0")/.."
exec node tests/guard/run.mjs --bin "${BIN:-build/bin/mem0-guard}" "$@" tests/guard/cases
