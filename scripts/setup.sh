#!/usr/bin/env bash
# Set-up on a fresh Debian/Ubuntu machine (the README's first command):
#  1. installs the build dependencies (scripts/install-deps.sh: as root, or via sudo);
#  2. builds (make);
#  3. runs a short demo over stdio against a scratch store: initialize, add_memory,
#     search_memories, printing each request and response;
#  4. prints how to wire the server into Claude Code.
# Run as root or as a user with sudo.  Touches no existing store: the demo uses a
# temporary MEM0_HOME that is removed afterwards.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
BIN="$ROOT/$BUILD/bin/mem0-mcp"

step() { printf '\n==> %s\n' "$*"; }

step "Installing build dependencies"
scripts/install-deps.sh

step "Building (make)"
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" BUILD="$BUILD"
echo "built $BIN"

step "Demo: JSON-RPC over stdio against a scratch store"
echo "(one JSON message per line on the wire, shown indented here; a tool result's"
echo " \"text\" is a JSON string, shown decoded)"
demo_home=$(mktemp -d "${TMPDIR:-/tmp}/mem0-demo.XXXXXX")
trap 'rm -rf "$demo_home"' EXIT
requests=(
    '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"setup-demo","version":"1.0"}}}'
    '{"jsonrpc":"2.0","method":"notifications/initialized"}'
    '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add_memory","arguments":{"text":"I prefer tabs over spaces, and I run the tests with make test","user_id":"demo-user"}}}'
    '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search_memories","arguments":{"query":"tabs or spaces?","filters":{"user_id":"demo-user"}}}}'
)
if ! printf '%s\n' "${requests[@]}" |
    MEM0_HOME="$demo_home" timeout 30 "$BIN" >"$demo_home/out.jsonl" 2>"$demo_home/err.log"; then
    echo "setup: the demo run of $BIN failed; its stderr:" >&2
    cat "$demo_home/err.log" >&2
    exit 1
fi
responses=()
while IFS= read -r line; do responses+=("$line"); done <"$demo_home/out.jsonl"
r=0
for req in "${requests[@]}"; do
    echo "--> request"
    printf '%s\n' "$req" | awk -v prefix="    " -f scripts/json-pretty.awk
    case "$req" in
    *'"id":'*)
        if [ $r -ge ${#responses[@]} ]; then
            echo "setup: the server sent no response to this request" >&2
            exit 1
        fi
        echo "<-- response"
        printf '%s\n' "${responses[$r]}" | awk -v prefix="    " -f scripts/json-pretty.awk
        r=$((r + 1))
        ;;
    *) echo "    (notification: no response)" ;;
    esac
done
case "${responses[$((${#responses[@]} - 1))]}" in
*demo-user*) ;;
*)
    echo "setup: the demo search did not return the memory just added" >&2
    exit 1
    ;;
esac

step "Wire it into Claude Code"
cat <<EOF
The server is $BIN (MCP over stdio). Pick one:

  # every project, stored in ~/.claude.json:
  claude mcp add mem0 --scope user -- $BIN

  # this project only, stored in ./.mcp.json (commit it to share with the team):
  claude mcp add mem0 --scope project -- $BIN

Or write the configuration by hand: in ./.mcp.json (project scope), or under
"mcpServers" at the top level of ~/.claude.json (user scope):

  {
    "mcpServers": {
      "mem0": {
        "command": "$BIN",
        "args": [],
        "env": {}
      }
    }
  }

Then check it with:  claude mcp list     (mem0 should show as Connected)

Memories are stored in ~/.mem0 (set MEM0_HOME in "env" to move them).
To install the binary, the library and its header system-wide instead:

  sudo make install PREFIX=/usr/local     (the command becomes /usr/local/bin/mem0-mcp)

Run the whole test suite with: scripts/check.sh
EOF
