#!/usr/bin/env bash
# Installs the test-only npm clients pinned in tests/npm/package-lock.json into
# build/npm (ignored by git; NPM_DIR overrides): the official MCP TypeScript SDK,
# the Claude Code CLI, and Node 22 for that CLI (build/npm/node_modules/node/bin/node).
# Nothing here is part of the product.  Idempotent: skipped when build/npm was
# installed from the same package.json and lock and its binaries are present.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC="$ROOT/tests/npm"
DEST=${NPM_DIR:-$ROOT/build/npm}
STAMP="$DEST/.installed-from"

if ! command -v npm >/dev/null 2>&1; then
    echo "install-npm-tests: npm not found: run scripts/install-deps.sh --test first" >&2
    exit 1
fi

want=$(cat "$SRC/package.json" "$SRC/package-lock.json" | cksum)
present() {
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] &&
        [ -f "$DEST/node_modules/@modelcontextprotocol/sdk/package.json" ] &&
        [ -x "$DEST/node_modules/.bin/claude" ] &&
        [ -x "$DEST/node_modules/node/bin/node" ]
}

if present; then
    echo "install-npm-tests: up to date in ${DEST#"$ROOT"/} (sdk, claude-code, node 22 as pinned)"
    exit 0
fi

mkdir -p "$DEST"
rm -f "$STAMP"
cp "$SRC/package.json" "$SRC/package-lock.json" "$DEST/"
pins=$(node -e 'const d=require(process.argv[1]).dependencies;
  console.log(Object.entries(d).map(([k,v])=>k+"@"+v).join(" "))' "$SRC/package.json")
echo "install-npm-tests: installing $pins into ${DEST#"$ROOT"/} (test clients only)"
# npm ci installs exactly the lock; the node package fetches the Node 22 build for
# this platform from the registry in its install script.
if ! (cd "$DEST" && timeout 900 npm ci --no-audit --no-fund --loglevel=error); then
    echo "install-npm-tests: npm ci failed in $DEST" >&2
    exit 1
fi
if ! present_bins=$("$DEST/node_modules/node/bin/node" --version) ||
    [ "${present_bins%%.*}" != v22 ]; then
    echo "install-npm-tests: node 22 did not install (got '${present_bins:-nothing}')" >&2
    exit 1
fi
claude_ver=$(PATH="$DEST/node_modules/node/bin:$PATH" HOME="$DEST" \
    timeout 60 "$DEST/node_modules/.bin/claude" --version 2>&1) || true
case "$claude_ver" in
[0-9]*) ;;
*)
    echo "install-npm-tests: the claude CLI does not run: ${claude_ver:-no output}" >&2
    exit 1
    ;;
esac
echo "$want" >"$STAMP"
if ! present; then
    echo "install-npm-tests: install finished but a client is missing in $DEST" >&2
    exit 1
fi
echo "install-npm-tests: done (node $present_bins, claude $claude_ver)"
