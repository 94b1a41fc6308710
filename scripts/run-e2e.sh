#!/usr/bin/env bash
# End-to-end tests: the real Claude Code CLI (`claude -p`) with this repository loaded as
# the mem0 plugin (--plugin-dir, and installed from a fresh clone through a marketplace),
# against the scripted Messages API of tests/e2e/fake-api.mjs on 127.0.0.1.  Cases are the
# data files tests/e2e/cases/*.json, read by tests/e2e/run.mjs (see tests/e2e/README.md).
#
#   BINDIR=build/bin TOOLS=build/tests scripts/run-e2e.sh [CASE...] [--keep] [--verbose]
#   scripts/run-e2e.sh --record tests/fixtures/hooks/recorded   refresh the recorded payloads
#
# BINDIR holds mem0-mcp and the mem0-* hooks, TOOLS the test helpers (hold_writer); both
# default to build/e2e, built here with make when unset.  Claude Code and Node 22 come from
# build/npm (NPM_DIR), installed by scripts/install-npm-tests.sh (run here if needed).
# Every case gets scratch HOME and MEM0_HOME folders; nothing real is touched.  Prints one
# line per case and "N passed, M failed"; exit status 1 when a case failed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NPM_DIR=${NPM_DIR:-$ROOT/build/npm}
export NPM_DIR

if [ -z "${BINDIR:-}" ]; then
    BINDIR=$ROOT/build/e2e/bin
    TOOLS=${TOOLS:-$ROOT/build/e2e/tests}
    make -s -C "$ROOT" BUILD=build/e2e -j2 all build/e2e/tests/hold_writer
fi
TOOLS=${TOOLS:-$(dirname "$BINDIR")/tests}
case "$BINDIR" in /*) ;; *) BINDIR=$PWD/$BINDIR ;; esac
case "$TOOLS" in /*) ;; *) TOOLS=$PWD/$TOOLS ;; esac

if [ ! -x "$NPM_DIR/node_modules/.bin/claude" ] || [ ! -x "$NPM_DIR/node_modules/node/bin/node" ]; then
    "$ROOT/scripts/install-npm-tests.sh"
fi
command -v git >/dev/null || { echo "run-e2e: git is needed (scripts/install-deps.sh --test)" >&2; exit 1; }

# The plugin and its marketplace must pass Claude Code's own strict validator.
vhome=$(mktemp -d "${TMPDIR:-/tmp}/mem0-validate.XXXXXX")
for target in "$ROOT" "$ROOT/.claude-plugin/marketplace.json"; do
    if ! HOME=$vhome PATH="$NPM_DIR/node_modules/node/bin:$PATH" timeout 120 \
        "$NPM_DIR/node_modules/.bin/claude" plugin validate --strict "$target" >"$vhome/log" 2>&1; then
        cat "$vhome/log" >&2
        echo "run-e2e: claude plugin validate --strict $target failed" >&2
        rm -rf "$vhome"
        exit 1
    fi
    echo "ok   claude plugin validate --strict ${target#"$ROOT"/}"
done
rm -rf "$vhome"

exec "$NPM_DIR/node_modules/node/bin/node" "$ROOT/tests/e2e/run.mjs" --bin "$BINDIR" --tools "$TOOLS" "$@"
