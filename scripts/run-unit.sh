#!/usr/bin/env bash
# Runs each cmocka unit-test binary given as an argument, each in its own scratch
# MEM0_HOME.  VALGRIND=1 runs them under valgrind (leaks and errors fail the run).
set -u
fail=0
for t in "$@"; do
    home=$(mktemp -d "${TMPDIR:-/tmp}/mem0-unit.XXXXXX")
    if [ "${VALGRIND:-0}" = 1 ]; then
        MEM0_HOME="$home" valgrind -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite,indirect --track-origins=yes "$t" || fail=1
    else
        MEM0_HOME="$home" "$t" || fail=1
    fi
    rm -rf "$home"
done
exit $fail
