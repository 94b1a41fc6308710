#!/usr/bin/env bash
# The vector index's NEON kernels, under emulation: cross-compiles core/vindex_kernels.c and
# tests/tools/vindex_kernel_check.c for aarch64 (static), runs the result under
# qemu-aarch64 (NEON against scalar, in the same process) and compares its checksum with
# the same program built for this machine (AVX2 against scalar), so both architectures
# are shown to compute identical results.
#
#   scripts/test-neon.sh [CASES]          (default 3000)
#
# Needs the Debian packages gcc-aarch64-linux-gnu, libc6-dev-arm64-cross and qemu-user
# (scripts/install-deps.sh --test).  Without them it says so and exits 0, unless
# NEON_REQUIRED=1 (then 1).  BUILD sets the build folder (default build).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CASES=${1:-3000}
BUILD=${BUILD:-build}
case "$BUILD" in /*) OUT=$BUILD/neon ;; *) OUT=$ROOT/$BUILD/neon ;; esac
CROSS=${CROSS_CC:-aarch64-linux-gnu-gcc}
QEMU=$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)

if ! command -v "$CROSS" >/dev/null 2>&1 || [ -z "$QEMU" ]; then
    echo "test-neon: SKIPPED: needs $CROSS and qemu-aarch64 (Debian packages" \
        "gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)" >&2
    [ "${NEON_REQUIRED:-0}" = 1 ] && exit 1
    exit 0
fi

FLAGS=(-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wconversion -Wno-sign-conversion
    -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -I"$ROOT/core")
SRC=("$ROOT/core/vindex_kernels.c" "$ROOT/tests/tools/vindex_kernel_check.c")
mkdir -p "$OUT"
"$CROSS" "${FLAGS[@]}" -static -o "$OUT/kernel-check-aarch64" "${SRC[@]}" -lm
"${CC:-cc}" "${FLAGS[@]}" -o "$OUT/kernel-check-native" "${SRC[@]}" -lm

arm=$("$QEMU" "$OUT/kernel-check-aarch64" --cases "$CASES") || {
    echo "test-neon: FAILED under qemu: $arm" >&2
    exit 1
}
native=$("$OUT/kernel-check-native" --cases "$CASES") || {
    echo "test-neon: FAILED natively: $native" >&2
    exit 1
}
echo "aarch64 (qemu): $arm"
echo "native:         $native"
case "$arm" in kernels=neon\ *) ;; *)
    echo "test-neon: FAILED: the aarch64 build did not run the NEON kernels" >&2
    exit 1
    ;;
esac
if [ "${arm#* cases=}" != "${native#* cases=}" ]; then
    echo "test-neon: FAILED: the two architectures computed different results" >&2
    exit 1
fi
echo "test-neon: NEON kernels match the scalar ones and this machine's results"
