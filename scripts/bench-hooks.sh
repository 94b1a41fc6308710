#!/usr/bin/env bash
# Hook latency benchmark (issue 4 Targets; not part of make test):
#
#   scripts/bench-hooks.sh            RUNS=200 MEMORIES=10000 by default
#
# 1. Wall time of each hook from process start to exit, with MEMORIES memories in a scratch
#    store, for session-start, prompt and guard: the binary itself, the same binary through
#    the plugin's launcher (plugin/bin/mem0-hook, what Claude Code runs), and, for the same
#    event and stdin, the floor every peer pays: an empty C program, `node -e ''` and
#    `python3 -c ''`.  All in one run, interleaved round by round (tests/tools/spawn_bench).
# 2. The durationMs Claude Code itself records for our hooks (its debug log and the
#    transcript's stop_hook_summary) in real `claude -p` sessions against the scripted API
#    of tests/e2e (skipped when build/npm has no Claude Code: scripts/install-npm-tests.sh).
# Prints markdown tables with the machine.  Builds into build/bench-hooks (BUILD=...).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build/bench-hooks}
RUNS=${RUNS:-200}
WARMUP=${WARMUP:-20}
MEMORIES=${MEMORIES:-10000}
SESSIONS=${SESSIONS:-3}
NPM=${NPM_DIR:-$ROOT/build/npm}

make -s BUILD="$BUILD" -j2 all "$BUILD/tests/spawn_bench" >/dev/null
BIN=$ROOT/$BUILD/bin
for h in mem0-session-start mem0-prompt mem0-guard; do
    [ -x "$BIN/$h" ] || { echo "bench-hooks: $BIN/$h was not built" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mem0-bench-hooks.XXXXXX")
api_pid=
cleanup() {
    if [ -n "$api_pid" ]; then kill "$api_pid" 2>/dev/null || true; fi
    if [ -n "${KEEP:-}" ]; then echo "bench-hooks: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# A scratch world: HOME, store, project (a git repository), the launcher's build folder.
export HOME=$tmp/home USER=bench MEM0_HOME=$tmp/mem0
unset MEM0_DEBUG MEM0_DISABLE MEM0_USER_ID MEM0_PROJECT_ID CLAUDE_PROJECT_DIR
proj=$tmp/proj
mkdir -p "$HOME" "$proj/src"
git init -q "$proj"
version=$(sed -n 's/^[[:space:]]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' .claude-plugin/plugin.json | head -n 1)
export CLAUDE_PLUGIN_ROOT=$ROOT CLAUDE_PLUGIN_DATA=$tmp/plugin-data
mkdir -p "$tmp/prebuilt" "$CLAUDE_PLUGIN_DATA/build"
ln -s "$BIN" "$tmp/prebuilt/bin"
: >"$tmp/prebuilt/.built"
ln -s "$tmp/prebuilt" "$CLAUDE_PLUGIN_DATA/build/$version"

# MEMORIES varied memories: a third for this project, the rest the user's own; durable
# types mostly, some session snapshots; a few about deploying (what the prompt asks).
awk -v n="$MEMORIES" -v app="proj" 'BEGIN {
    split("build parser release cache ci-job schema api index deploy client server docs tests " \
          "logger config queue scheduler auth session storage", s, " ");
    split("uses prefers avoids needs depends-on was-moved-to replaced calls wraps", v, " ");
    split("LMDB clang-format cmocka nightly-runs tabs Debian-12 JSONL libcurl gzip Postgres " \
          "Redis systemd Docker make ninja valgrind", o, " ");
    split("decision convention anti_pattern user_preference task_learning environmental " \
          "session_state", t, " ");
    srand(42);
    for (i = 0; i < n; i++) {
        a = s[1 + int(rand() * 20)]; b = v[1 + int(rand() * 9)]; c = o[1 + int(rand() * 16)];
        ty = t[1 + int(rand() * 7)];
        text = sprintf("The %s %s %s since change %d; see ticket %d for the reasons", a, b, c, i, 1000 + i);
        scope = (i % 3 == 0) ? sprintf(",\"app_id\":\"%s\"", app) : "";
        printf("{\"memory\":\"%s\",\"user_id\":\"bench\",\"metadata\":{\"type\":\"%s\"}%s}\n", text, ty, scope);
    }
    printf("{\"memory\":\"Releases are deployed to the staging servers with make release\",\"user_id\":\"bench\",\"metadata\":{\"type\":\"decision\"},\"app_id\":\"%s\"}\n", app);
}' >"$tmp/memories.jsonl"
"$BIN/mem0-mcp" import "$tmp/memories.jsonl" >/dev/null
count=$("$BIN/mem0-mcp" stats --json | sed -n 's/.*"memories":\([0-9]*\).*/\1/p')

# Hook payloads in the shape Claude Code sends (tests/fixtures/hooks has recorded ones);
# @RUN@ gives each run its own session, so no run sees state left by the previous one.
tr=$HOME/.claude/projects/x/bench-@RUN@.jsonl
cat >"$tmp/session-start.json" <<EOF
{"session_id":"bench-@RUN@","transcript_path":"$tr","cwd":"$proj","hook_event_name":"SessionStart","source":"startup","model":"claude-opus-5-5"}
EOF
cat >"$tmp/prompt.json" <<EOF
{"session_id":"bench-@RUN@","transcript_path":"$tr","cwd":"$proj","prompt_id":"p-@RUN@","permission_mode":"default","hook_event_name":"UserPromptSubmit","prompt":"How do we deploy the release build to the staging servers?"}
EOF
cat >"$tmp/guard.json" <<EOF
{"session_id":"bench-@RUN@","transcript_path":"$tr","cwd":"$proj","prompt_id":"p-@RUN@","permission_mode":"default","effort":{"level":"medium"},"hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"file_path":"$proj/src/main.c","content":"int main(void) { return 0; }\n"},"tool_use_id":"toolu_@RUN@"}
EOF

printf 'int main(void) { return 0; }\n' >"$tmp/empty.c"
cc -O2 -o "$tmp/empty-c" "$tmp/empty.c"
# The interpreters themselves, not version-manager shims (a pyenv shim is a shell script).
node=$(node -e 'process.stdout.write(process.execPath)' 2>/dev/null || true)
python=$(python3 -c 'import sys; sys.stdout.write(sys.executable)' 2>/dev/null || true)

spec=$tmp/spec.tsv
: >"$spec"
for ev in session-start prompt guard; do
    in=$tmp/$ev.json
    {
        printf '%s\t%s\t%s\n' "$ev|mem0-$ev" "$in" "$BIN/mem0-$ev"
        printf '%s\t%s\t%s\t%s\n' "$ev|mem0-hook $ev (plugin launcher, sh)" "$in" "$ROOT/plugin/bin/mem0-hook" "$ev"
        printf '%s\t%s\t%s\n' "$ev|empty C program" "$in" "$tmp/empty-c"
        if [ -n "$node" ]; then printf '%s\t%s\t%s\t-e\t\n' "$ev|node -e ''" "$in" "$node"; fi
        if [ -n "$python" ]; then printf '%s\t%s\t%s\t-c\t\n' "$ev|python3 -c ''" "$in" "$python"; fi
    } >>"$spec"
done

echo "bench-hooks: $count memories, $RUNS runs per command after $WARMUP warm-up rounds..." >&2
"$ROOT/$BUILD/tests/spawn_bench" --runs "$RUNS" --warmup "$WARMUP" "$spec" >"$tmp/results.tsv"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "### Hook wall time, process start to exit ($count memories, $RUNS runs each)"
echo
echo "Machine: ${cpu:-$(uname -m)}, $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'); $(cc --version | head -n 1); node ${node:+$($node --version)}; $(${python:-false} --version 2>&1 || true)"
echo
echo "| event | handler | p50 ms | p95 ms | mean ms | failed runs |"
echo "|---|---|---:|---:|---:|---:|"
while IFS=$'\t' read -r label p50 p95 mean _runs fails; do
    printf '| %s | %s | %s | %s | %s | %s |\n' "${label%%|*}" "${label#*|}" "$p50" "$p95" "$mean" "$fails"
done <"$tmp/results.tsv"
echo
echo "(node -e '' and python3 -c '' run the same no-op as the peers' script hooks pay before any work.)"

# ---- what Claude Code records for our hooks in real sessions ----
claude=$NPM/node_modules/.bin/claude
node22=$NPM/node_modules/node/bin
if [ ! -x "$claude" ]; then
    echo
    echo "(Claude Code's own durationMs: skipped, no Claude Code in $NPM; run scripts/install-npm-tests.sh)"
    exit 0
fi
echo
echo "bench-hooks: $SESSIONS real claude -p sessions against the scripted API..." >&2
# --plugin-dir gives the plugin the data folder <HOME>/.claude/plugins/data/mem0-inline: the
# binaries under test go where the launchers look, so no session waits for a build.
mkdir -p "$HOME/.claude/plugins/data/mem0-inline/build"
ln -s "$tmp/prebuilt" "$HOME/.claude/plugins/data/mem0-inline/build/$version"
cat >"$tmp/replies.json" <<EOF
[{"tool_use": {"name": "Write", "input": {"file_path": "$proj/notes.txt", "content": "deploy notes\n"}}},
 {"text": "Wrote notes.txt."}]
EOF
for i in $(seq 1 "$SESSIONS"); do
    PATH="$node22:$PATH" node "$ROOT/tests/e2e/fake-api.mjs" --replies "$tmp/replies.json" \
        </dev/null >"$tmp/api.out" 2>/dev/null &
    api_pid=$!
    for _ in $(seq 1 100); do grep -q '^port ' "$tmp/api.out" 2>/dev/null && break; sleep 0.05; done
    port=$(sed -n 's/^port //p' "$tmp/api.out")
    (cd "$proj" && env -u CLAUDE_PLUGIN_ROOT -u CLAUDE_PLUGIN_DATA PATH="$node22:$(dirname "$claude"):$PATH" \
        ANTHROPIC_BASE_URL="http://127.0.0.1:$port" ANTHROPIC_API_KEY=sk-fake ENABLE_TOOL_SEARCH=false \
        timeout 120 "$claude" -p "How do we deploy the release build to the staging servers?" \
        --plugin-dir "$ROOT" --allowedTools Write --output-format json \
        --debug-file "$tmp/debug-$i.txt" >/dev/null 2>&1) || true
    kill "$api_pid" 2>/dev/null || true
    wait "$api_pid" 2>/dev/null || true
    api_pid=
done
echo
echo "### durationMs Claude Code records for our hooks ($SESSIONS sessions, \`claude -p\`, scripted API)"
echo
echo "| hook | runs | median ms | min ms | max ms |"
echo "|---|---:|---:|---:|---:|"
cat "$tmp"/debug-*.txt 2>/dev/null |
    sed -n 's/.*mem0-hook \([a-z-]*\)\] (plugin [^)]*) finished with status [0-9]* (\([0-9]*\)ms).*/\1 \2/p' |
    sort -k1,1 -k2,2n | awk '
    { v[$1] = v[$1] " " $2; n[$1]++ }
    END {
        for (h in n) {
            c = split(substr(v[h], 2), a, " ");
            printf("| %s | %d | %s | %s | %s |\n", h, c, a[int((c + 1) / 2)], a[1], a[c]);
        }
    }' | sort
stops=$(cat "$HOME"/.claude/projects/*/*.jsonl 2>/dev/null | grep -o '"command":"[^"]*mem0-hook stop","durationMs":[0-9]*' |
    sed 's/.*"durationMs"://' | tr '\n' ' ')
echo
echo "Transcript stop_hook_summary durationMs for mem0-hook stop: ${stops:-none recorded}"
