#!/usr/bin/env bash
# Runs the hook executables against recorded payloads (tests/hooks/run.mjs): garbage,
# empty and huge input, each hook's behaviour, the debug log format, and deadlines while
# another process holds the store's write lock.  Prints "N passed, M failed".
#   BIN=build/bin TOOLS=build/tests scripts/run-hooks-tests.sh [--only TEXT]
set -u
cd "$(dirname "$0")/.."
exec node tests/hooks/run.mjs --bin "${BIN:-build/bin}" --tools "${TOOLS:-build/tests}" "$@"
