#!/usr/bin/env bash
# Real MCP clients against the real binary (make sdk):
#  1. the official MCP TypeScript SDK client (tests/sdk/client.mjs) runs
#     add -> search -> update -> get -> delete -> get -> list_entities and checks values;
#  2. the Claude Code CLI reports the server connected (`claude mcp list`), once wired
#     with `claude mcp add --scope user` and once through a project .mcp.json.
# Every run uses scratch folders for MEM0_HOME and HOME, so no real store or Claude
# Code configuration is touched.  The clients come from build/npm (NPM_DIR), installed
# by scripts/install-npm-tests.sh (run here if needed).  Ends with "N passed, M failed".
#   BIN=build/bin/mem0-mcp scripts/run-sdk.sh
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/build/bin/mem0-mcp}
NPM_DIR=${NPM_DIR:-$ROOT/build/npm}
export NPM_DIR
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac

passed=0
failed=0
ok() {
    passed=$((passed + 1))
    echo "ok - $1"
}
fail() {
    failed=$((failed + 1))
    echo "FAIL - $1"
}
finish() {
    echo "sdk: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

if [ ! -x "$BIN" ]; then
    fail "server binary $BIN is missing (run make first)"
    finish
fi
if ! "$ROOT/scripts/install-npm-tests.sh"; then
    fail "npm test clients could not be installed"
    finish
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/mem0-sdk.XXXXXX")
client="$NPM_DIR/.client-$$.mjs"
cleanup() { rm -rf "$scratch" "$client"; }
trap cleanup EXIT

# Node 22 from build/npm (pinned) runs both clients, whatever the system's Node is.
NODE22="$NPM_DIR/node_modules/node/bin"

# 1. SDK client.  It must sit beside build/npm/node_modules for its imports to resolve.
cp "$ROOT/tests/sdk/client.mjs" "$client"
echo "== MCP TypeScript SDK client $("$NODE22/node" -p 'require(process.argv[1]).version' \
    "$NPM_DIR/node_modules/@modelcontextprotocol/sdk/package.json" 2>/dev/null)" \
    "(node $("$NODE22/node" --version)) against $BIN"
out=$(BIN="$BIN" MEM0_HOME="$scratch/sdk-store" timeout 120 "$NODE22/node" "$client" 2>"$scratch/sdk.err")
rc=$?
printf '%s\n' "$out"
passed=$((passed + $(printf '%s\n' "$out" | grep -c '^ok - ')))
nfail=$(printf '%s\n' "$out" | grep -c '^FAIL - ')
failed=$((failed + nfail))
if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
    fail "SDK client exited with status $rc (124 = timed out)"
fi
if [ "$rc" -ne 0 ] && [ -s "$scratch/sdk.err" ]; then
    echo "-- server/client stderr (last lines):"
    tail -n 20 "$scratch/sdk.err"
fi

# 2. Claude Code CLI, with Node 22 first on PATH and a scratch HOME.
echo "== claude mcp list"
claude_env=(env PATH="$NODE22:$NPM_DIR/node_modules/.bin:$PATH"
    DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1)
ver=$("${claude_env[@]}" HOME="$scratch/home-user" timeout 60 claude --version 2>&1)
echo "claude --version: $ver"

# 2a. User scope, added the way the README says.
mkdir -p "$scratch/home-user"
if "${claude_env[@]}" HOME="$scratch/home-user" timeout 60 claude mcp add mem0 --scope user \
    -e MEM0_HOME="$scratch/claude-store" -- "$BIN" >"$scratch/add.log" 2>&1; then
    ok "claude mcp add mem0 --scope user"
else
    fail "claude mcp add mem0 --scope user: $(tr '\n' ' ' <"$scratch/add.log")"
fi
list=$(cd "$scratch" && "${claude_env[@]}" HOME="$scratch/home-user" timeout 120 claude mcp list 2>&1)
printf '%s\n' "$list"
if printf '%s\n' "$list" | grep -E '^mem0: .*Connected' >/dev/null; then
    ok "claude mcp list reports mem0 (user scope) connected"
else
    fail "claude mcp list did not report mem0 (user scope) connected"
fi

# 2b. Project scope: the .mcp.json snippet from the README, approved for this folder
# in the scratch ~/.claude.json as Claude Code's trust prompt would.
proj="$scratch/project"
mkdir -p "$proj" "$scratch/home-proj"
printf '{"mcpServers":{"mem0":{"command":"%s","args":[],"env":{"MEM0_HOME":"%s"}}}}\n' \
    "$BIN" "$scratch/claude-store" >"$proj/.mcp.json"
printf '{"projects":{"%s":{"hasTrustDialogAccepted":true,"enabledMcpjsonServers":["mem0"]}}}\n' \
    "$proj" >"$scratch/home-proj/.claude.json"
list=$(cd "$proj" && "${claude_env[@]}" HOME="$scratch/home-proj" timeout 120 claude mcp list 2>&1)
printf '%s\n' "$list"
if printf '%s\n' "$list" | grep -E '^mem0: .*Connected' >/dev/null; then
    ok "claude mcp list reports mem0 (project .mcp.json) connected"
else
    fail "claude mcp list did not report mem0 (project .mcp.json) connected"
fi

finish
