#!/bin/sh
# Test-only hook: keeps one real hook payload per run in $E2E_RECORD_DIR/<event>-<pid>.json.
[ -n "${E2E_RECORD_DIR:-}" ] || { cat >/dev/null; exit 0; }
cat >"$E2E_RECORD_DIR/$1-$$.json"
exit 0
