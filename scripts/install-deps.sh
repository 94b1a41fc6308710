#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages this project needs, and only the missing ones.
#
#   scripts/install-deps.sh            build dependencies (what `make` needs)
#   scripts/install-deps.sh --test     build + test dependencies (what `make test` needs)
#   scripts/install-deps.sh --dry-run  say what is missing, install nothing
#
# Idempotent: each package is checked with dpkg-query; `apt-get update` and
# `apt-get install` run only when something is missing.  Runs as root directly,
# or through sudo when not root (non-interactive sudo when stdin is not a terminal).
#
# Homebrew (macOS) equivalents, for building by hand; valgrind has no current
# macOS port, so the valgrind pass of `make test` is Linux-only:
#   build:  brew install pkgconf cjson lmdb xxhash libsodium curl snowball utf8proc
#   test:   brew install cmocka cppcheck node git
#   then:   make PKG_CONFIG_PATH="$(brew --prefix)/lib/pkgconfig"
set -euo pipefail

# package | why it is needed (one word or two, printed in the install line)
BUILD_PKGS=(
    "gcc|C compiler"
    "make|build"
    "libc6-dev|C headers"
    "pkg-config|build flags"
    "libcjson-dev|JSON"
    "liblmdb-dev|store"
    "libxxhash-dev|content hash"
    "libsodium-dev|SHA-256/random"
    "libcurl4-openssl-dev|hosted backend"
    "libstemmer-dev|stemming"
    "libutf8proc-dev|Unicode folding"
)
TEST_PKGS=(
    "libcmocka-dev|unit tests"
    "valgrind|memory checks"
    "cppcheck|lint"
    "nodejs|protocol/SDK tests"
    "npm|test clients"
    "git|project detection tests"
    "ca-certificates|npm over TLS"
    "gcc-aarch64-linux-gnu|NEON kernel test (cross compiler)"
    "libc6-dev-arm64-cross|NEON kernel test (cross C library)"
    "qemu-user|NEON kernel test (runs the aarch64 build)"
)

usage() {
    cat <<'EOF'
Usage: scripts/install-deps.sh [--test] [--dry-run]

Installs the Debian/Ubuntu packages needed to build this project (and, with
--test, to run `make test`), skipping those already installed.  Prints one line
naming exactly what it installs and why, or that nothing is missing.

  --test     also install the test dependencies
  --dry-run  print what would be installed and exit (status 1 if anything is missing)
  -h,--help  this text

Build: gcc make libc6-dev pkg-config libcjson-dev liblmdb-dev libxxhash-dev
       libsodium-dev libcurl4-openssl-dev libstemmer-dev libutf8proc-dev
Test:  libcmocka-dev valgrind cppcheck nodejs npm git ca-certificates
       gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user (the NEON kernel test)
       (optional, for `make coverage`: gcovr)

Runs apt-get as root, or through sudo when not root.

Homebrew (macOS) equivalents:
  build: brew install pkgconf cjson lmdb xxhash libsodium curl snowball utf8proc
  test:  brew install cmocka cppcheck node git   (valgrind: Linux only)
EOF
}

want_test=0
dry_run=0
for arg in "$@"; do
    case "$arg" in
    --test) want_test=1 ;;
    --dry-run) dry_run=1 ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "install-deps: unknown option '$arg' (see --help)" >&2
        exit 2
        ;;
    esac
done

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: this script needs a Debian or Ubuntu system (dpkg and apt-get);" \
        "elsewhere install the packages listed in --help by hand" >&2
    exit 1
fi

# True when the package (or, for node and npm, the command it provides) is present.
# Node.js from other repositories ships npm inside the nodejs package, so a
# working `npm` command counts as installed.
is_present() {
    case "$1" in
    nodejs) command -v node >/dev/null 2>&1 && return 0 ;;
    npm) command -v npm >/dev/null 2>&1 && return 0 ;;
    esac
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

entries=("${BUILD_PKGS[@]}")
[ "$want_test" = 1 ] && entries+=("${TEST_PKGS[@]}")

missing=()
reasons=()
for e in "${entries[@]}"; do
    pkg=${e%%|*}
    if ! is_present "$pkg"; then
        missing+=("$pkg")
        reasons+=("$pkg (${e#*|})")
    fi
done

what="build"
[ "$want_test" = 1 ] && what="build and test"
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: nothing missing: all ${#entries[@]} $what packages are installed"
    exit 0
fi

list=$(
    IFS=,
    echo "${reasons[*]}"
)
if [ "$dry_run" = 1 ]; then
    echo "install-deps: would install ${#missing[@]} missing $what package(s): ${list//,/, }"
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install-deps: missing ${missing[*]}; not root and sudo is not installed:" \
            "run this script as root, or install them as root with:" \
            "apt-get install ${missing[*]}" >&2
        exit 1
    fi
    if [ -t 0 ]; then
        SUDO=(sudo)
    else
        SUDO=(sudo -n) # no terminal to ask for a password: fail instead of hanging
    fi
fi

echo "install-deps: installing ${#missing[@]} missing $what package(s): ${list//,/, }"
export DEBIAN_FRONTEND=noninteractive
# apt's and dpkg's own output goes to a temporary file, shown only if a step fails.
aptlog=$(mktemp "${TMPDIR:-/tmp}/install-deps.XXXXXX")
trap 'rm -f "$aptlog"' EXIT
apt_run() {
    if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@" >"$aptlog" 2>&1; then
        cat "$aptlog" >&2
        echo "install-deps: '$*' failed${SUDO[*]:+ (run through ${SUDO[*]}; without a terminal sudo must not ask for a password)}" >&2
        exit 1
    fi
}
apt_run apt-get update -qq
apt_run apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Check the result, so a package apt silently skipped is reported here.
still=()
for pkg in "${missing[@]}"; do
    is_present "$pkg" || still+=("$pkg")
done
if [ ${#still[@]} -ne 0 ]; then
    echo "install-deps: still missing after install: ${still[*]}" >&2
    exit 1
fi
echo "install-deps: done"
