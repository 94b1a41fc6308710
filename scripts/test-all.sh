#!/usr/bin/env bash
# Runs every suite `make test` covers, in order, continuing past failures so one run
# shows everything; ends with "make test: N passed, M failed" (one count per suite).
# Called by `make test`; each step is a make target, so any step can be rerun alone.
set -u
cd "$(dirname "$0")/.."
MAKE=${MAKE:-make}
steps=(all unit protocol integration hooks guard sdk e2e neon lint asan asan-unit asan-protocol asan-hooks
       asan-guard valgrind)
[ -n "${TEST_STEPS:-}" ] && read -r -a steps <<<"$TEST_STEPS"
passed=0 failed=0 failures=()
for step in "${steps[@]}"; do
    start=$(date +%s)
    printf '\n==== %s\n' "$step"
    if "$MAKE" --no-print-directory "$step"; then
        passed=$((passed + 1))
        printf '==== %s: ok (%ss)\n' "$step" $(($(date +%s) - start))
    else
        failed=$((failed + 1))
        failures+=("$step")
        printf '==== %s: FAILED (%ss)\n' "$step" $(($(date +%s) - start))
    fi
done
[ "$failed" -gt 0 ] && printf '\nfailed suites: %s\n' "${failures[*]}"
echo "make test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
