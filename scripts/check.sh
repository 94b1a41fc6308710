#!/usr/bin/env bash
# The whole test suite on a fresh Debian/Ubuntu machine (the README's second command;
# .ci/run runs exactly this): installs the build and test dependencies
# (scripts/install-deps.sh --test, as root or via sudo), the pinned npm test clients
# (scripts/install-npm-tests.sh, into build/npm), then runs `make test`, whose
# summary is the last thing printed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

echo "==> Installing build and test dependencies"
scripts/install-deps.sh --test
echo "==> Installing the npm test clients"
scripts/install-npm-tests.sh
echo "==> make test"
exec make test
