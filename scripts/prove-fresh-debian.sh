#!/usr/bin/env bash
# Proves the README's two commands on a fresh Debian 12 (bookworm) system.
#
# Builds a clean minimal Debian 12 root with debootstrap (variant minbase), puts a
# clean `git clone` of this repository in it, and runs, inside a chroot, the set-up
# and test commands exactly as README.md writes them (the lines between
# <!-- setup-command --> / <!-- /setup-command --> and <!-- test-command --> /
# <!-- /test-command -->), from the clone's top folder:
#   1. as root:                               setup command, then test command;
#   2. on a second fresh root, as a user with passwordless sudo (`su - user -c`):
#      setup command (and the test command too with --user-test).
# Prints what it did, the tail of each command's output, and a verdict.  Full logs
# are kept in $PROVE_DIR/logs.  Needs root (debootstrap, chroot, mount); installs
# debootstrap with apt-get when missing.  Every mount is undone on exit.
#
#   sudo scripts/prove-fresh-debian.sh [--user-test] [--worktree] [--keep]
#     --user-test  also run the test command as the sudo user
#     --worktree   copy the working tree (uncommitted changes included) over the
#                  clone instead of the committed HEAD only: for trying the proof
#                  before committing; the verdict says so
#     --overlay=P[,P...]  copy these paths (files or folders) from the working tree
#                  over the clone: for trying a few uncommitted files against HEAD;
#                  the verdict names them
#     --keep       keep the root folders afterwards (for a look inside)
#   PROVE_README   read the commands from this file instead of README.md (for
#                  trying the script itself; the verdict names the file)
#   PROVE_DIR      scratch folder (default /var/tmp/mem0-fresh-debian); the base
#                  system's packages are cached there between runs
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${PROVE_DIR:-/var/tmp/mem0-fresh-debian}
SUITE=bookworm
CACHE="$WORK/cache/$SUITE-minbase.tgz"
LOGS="$WORK/logs"
USER_NAME=tester
SETUP_TIMEOUT=${SETUP_TIMEOUT:-2400}
TEST_TIMEOUT=${TEST_TIMEOUT:-4800}

user_test=0
worktree=0
keep=0
overlay=()
for arg in "$@"; do
    case "$arg" in
    --overlay=*) IFS=, read -r -a overlay <<<"${arg#--overlay=}" ;;
    --user-test) user_test=1 ;;
    --worktree) worktree=1 ;;
    --keep) keep=1 ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "prove-fresh-debian: unknown option '$arg' (see --help)" >&2
        exit 2
        ;;
    esac
done

say() { printf 'prove-fresh-debian: %s\n' "$*"; }
die() {
    say "ERROR: $*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot and mount): run it with sudo"
case "$WORK" in /?*) ;; *) die "PROVE_DIR must be an absolute path" ;; esac

# ---- the README's commands -------------------------------------------------------
readme_block() { # marker -> the command lines between <!-- m --> and <!-- /m -->
    awk -v m="$1" '
        $0 ~ "<!-- *" m " *-->" { on = 1; next }
        $0 ~ "<!-- */" m " *-->" { on = 0 }
        on && $0 !~ /^ *```/ && $0 !~ /^[ \t]*$/ { print }
    ' "$README"
}
README=${PROVE_README:-$ROOT/README.md}
[ -f "$README" ] || die "$README not found"
SETUP_CMD=$(readme_block setup-command)
TEST_CMD=$(readme_block test-command)
[ -n "$SETUP_CMD" ] || die "$README has no <!-- setup-command --> ... <!-- /setup-command --> block"
[ -n "$TEST_CMD" ] || die "$README has no <!-- test-command --> ... <!-- /test-command --> block"
say "setup command (from ${README#"$ROOT"/}): $SETUP_CMD"
say "test command  (from ${README#"$ROOT"/}): $TEST_CMD"

# ---- mounts and clean-up -----------------------------------------------------------
ROOTS=()
mounts_under() { # mount points under $1, deepest first
    awk -v r="$1/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r
}
stop_procs_in() { # processes this script left running inside root $1, by pid
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$1" ] && kill -KILL "${p#/proc/}" 2>/dev/null
    done
    return 0
}
release_root() { # unmount everything under $1; remove it unless --keep
    local r=$1 m
    [ -d "$r" ] || return 0
    stop_procs_in "$r"
    for m in $(mounts_under "$r"); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
    done
    if [ -n "$(mounts_under "$r")" ]; then
        say "mounts remain under $r; not removing it"
        return 1
    fi
    if [ "$keep" = 0 ]; then rm -rf --one-file-system "$r"; fi
}
cleanup() {
    local r
    for r in "${ROOTS[@]}"; do release_root "$r" || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mount_root() {
    local r=$1
    mount -t proc proc "$r/proc"
    mount -t sysfs sysfs "$r/sys"
    mount --bind /dev "$r/dev"
    mount --make-private "$r/dev"
    mount --bind /dev/pts "$r/dev/pts"
    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$r/dev/shm"
}

# ---- the base system ---------------------------------------------------------------
mkdir -p "$WORK/cache" "$LOGS"
if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
fi
command -v git >/dev/null 2>&1 || die "git is needed on this machine to clone the repository"

if [ ! -s "$CACHE" ]; then
    say "downloading the Debian 12 minbase packages once (cached in $CACHE)"
    rm -rf "$WORK/tarball-tmp"
    debootstrap --variant=minbase --make-tarball="$CACHE.part" "$SUITE" "$WORK/tarball-tmp" \
        >"$LOGS/make-tarball.log" 2>&1 || die "debootstrap --make-tarball failed: see $LOGS/make-tarball.log"
    mv "$CACHE.part" "$CACHE"
    rm -rf "$WORK/tarball-tmp"
fi

new_root() { # name -> NEW_ROOT: the path of a fresh Debian 12 root, mounted
    local r="$WORK/root-$1" src
    release_root "$r" || die "a previous root at $r is still mounted"
    rm -rf --one-file-system "$r"
    ROOTS+=("$r")
    local t0=$SECONDS
    debootstrap --variant=minbase --unpack-tarball="$CACHE" "$SUITE" "$r" \
        >"$LOGS/debootstrap-$1.log" 2>&1 || die "debootstrap failed: see $LOGS/debootstrap-$1.log"
    # A fresh install also follows the stable updates and security suites of the
    # mirror debootstrap used.
    src=$(awk '$1 == "deb" { print $2; exit }' "$r/etc/apt/sources.list")
    if [ -n "$src" ]; then
        printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s-security %s-security main\n' \
            "$src" "$SUITE" "$src" "$SUITE" "$src" "$SUITE" >"$r/etc/apt/sources.list"
    fi
    # Reach the registries the way this machine does, and nothing more: its resolver,
    # apt's proxy and release-validity settings, the extra CA certificates of its
    # network (taken in when the ca-certificates package installs) and npm's cafile.
    cp -L /etc/resolv.conf "$r/etc/resolv.conf"
    local f
    for f in /etc/apt/apt.conf.d/*; do
        [ -f "$f" ] && grep -qE 'Acquire::(.*Proxy|Check-Valid-Until|Check-Date)' "$f" &&
            cp "$f" "$r/etc/apt/apt.conf.d/"
    done
    mkdir -p "$r/usr/local/share/ca-certificates"
    for f in /usr/local/share/ca-certificates/*.crt; do
        [ -f "$f" ] && cp "$f" "$r/usr/local/share/ca-certificates/"
    done
    if [ -f /etc/npmrc ] && grep -q '^cafile=' /etc/npmrc; then
        grep '^cafile=' /etc/npmrc >"$r/etc/npmrc"
    fi
    mount_root "$r"
    say "fresh Debian $(cat "$r/etc/debian_version") root at $r ($((SECONDS - t0)) s)"
    NEW_ROOT=$r
}

clone_into() { # root, folder inside it -> clean clone of the repository there
    local r=$1 dest="$1$2"
    git clone --quiet --no-hardlinks "$ROOT" "$dest"
    if [ "$worktree" = 1 ]; then
        (cd "$ROOT" && git ls-files -z -c -o -m --exclude-standard | sort -zu |
            while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
            tar --null -T - -cf -) | tar -C "$dest" -xf -
        (cd "$ROOT" && git ls-files -z -d) | (cd "$dest" && xargs -0 -r rm -f --)
    fi
    if [ ${#overlay[@]} -gt 0 ]; then
        (cd "$ROOT" && tar -cf - -- "${overlay[@]}") | tar -C "$dest" -xf -
    fi
}

# ---- running the commands ----------------------------------------------------------
results=()
npass=0
nfail=0
record() { # label, status, seconds, log
    local verdict=FAIL
    [ "$2" -eq 0 ] && verdict=PASS
    if [ "$verdict" = PASS ]; then npass=$((npass + 1)); else nfail=$((nfail + 1)); fi
    results+=("$verdict  $1  (exit $2, $3 s)")
    say "$verdict: $1 (exit $2, $3 s); last lines of $4:"
    tail -n 6 "$4" | sed 's/^/    | /'
}

run_as_root() { # root, label, command, timeout
    local r=$1 log="$LOGS/$2.log" t0=$SECONDS st=0
    say "running as root in $r: $3"
    timeout "$4" chroot "$r" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb \
        /bin/bash -c "cd /root/mem0 && $3" </dev/null >"$log" 2>&1 || st=$?
    record "root: $3" "$st" "$((SECONDS - t0))" "$log"
}

run_as_user() { # root, label, command, timeout
    local r=$1 log="$LOGS/$2.log" t0=$SECONDS st=0
    say "running as $USER_NAME (sudo) in $r: $3"
    timeout "$4" chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb \
        su - "$USER_NAME" -c "cd ~/mem0 && $3" </dev/null >"$log" 2>&1 || st=$?
    record "$USER_NAME (sudo): $3" "$st" "$((SECONDS - t0))" "$log"
}

what="clean clone of HEAD $(git -C "$ROOT" rev-parse --short HEAD)"
[ "$worktree" = 1 ] && what="clone of HEAD $(git -C "$ROOT" rev-parse --short HEAD) plus the uncommitted working tree"
if [ ${#overlay[@]} -gt 0 ]; then
    for p in "${overlay[@]}"; do [ -e "$ROOT/$p" ] || die "--overlay: $p not found"; done
    what="$what plus working-tree copies of ${overlay[*]}"
fi
say "repository: $what"
t_all=$SECONDS

# 1. root
new_root as-root
r1=$NEW_ROOT
clone_into "$r1" /root/mem0
run_as_root "$r1" root-setup "$SETUP_CMD" "$SETUP_TIMEOUT"
run_as_root "$r1" root-test "$TEST_CMD" "$TEST_TIMEOUT"
release_root "$r1" || true

# 2. a user with passwordless sudo, on another fresh root
new_root as-user
r2=$NEW_ROOT
chroot "$r2" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    /bin/bash -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends sudo" \
    >"$LOGS/user-prepare.log" 2>&1 || die "could not install sudo in the root: see $LOGS/user-prepare.log"
chroot "$r2" useradd -m -s /bin/bash "$USER_NAME"
echo "$USER_NAME ALL=(ALL) NOPASSWD:ALL" >"$r2/etc/sudoers.d/$USER_NAME"
chmod 0440 "$r2/etc/sudoers.d/$USER_NAME"
# The package lists fetched to install sudo go, so the user's run starts like a fresh one.
rm -rf "$r2/var/lib/apt/lists/"* && mkdir -p "$r2/var/lib/apt/lists/partial"
clone_into "$r2" "/home/$USER_NAME/mem0"
chroot "$r2" chown -R "$USER_NAME:$USER_NAME" "/home/$USER_NAME/mem0"
say "user $USER_NAME created with passwordless sudo"
run_as_user "$r2" user-setup "$SETUP_CMD" "$SETUP_TIMEOUT"
if [ "$user_test" = 1 ]; then
    run_as_user "$r2" user-test "$TEST_CMD" "$TEST_TIMEOUT"
fi
release_root "$r2" || true

say "summary ($what, Debian $SUITE minbase, $((SECONDS - t_all)) s in all):"
for l in "${results[@]}"; do say "  $l"; done
if [ "$nfail" -eq 0 ]; then
    say "VERDICT: PASS: the README's commands work on a fresh Debian 12 as root and as a sudo user"
else
    say "VERDICT: FAIL: see $LOGS"
fi
echo "prove-fresh-debian: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
