#!/usr/bin/env bash
# Prove the README's two commands on a bare Debian 12: build a minimal bookworm system with
# debootstrap in a temporary folder, clone this checkout's HEAD into it, run `make test` and
# then `make demo` without a display there, and report the pytest summary, the wall times and
# the Debian packages `make` installed. Everything mounted is unmounted and every process
# started in the bare system is stopped on exit, also when interrupted.
#
# Environment: FRESH_MIRROR (Debian mirror; default: the host's configured bookworm source),
# FRESH_KEEP=1 (keep the bare system's folder for inspection), TMPDIR (where it is built).
set -uo pipefail

SUITE=bookworm
BASE_PACKAGES=git,make,ca-certificates,python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=""
LOGS=""
BG=""
MOUNTS=()

say() { printf 'fresh-check: %s\n' "$*"; }
die() { printf 'fresh-check: %s\n' "$*" >&2; exit 2; }

preflight() {
    [ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mounts): run 'sudo make fresh-check'"
    local tool
    for tool in debootstrap chroot mount umount git dpkg-query; do
        command -v "$tool" >/dev/null \
            || die "needs '$tool'; on Debian: apt-get install debootstrap git mount coreutils"
    done
    [ -r /usr/share/keyrings/debian-archive-keyring.gpg ] \
        || die "needs the Debian archive keyring: apt-get install debian-archive-keyring"
    git -C "$HERE" rev-parse --verify -q HEAD >/dev/null || die "$HERE is not a git checkout"
    if [ -n "$(git -C "$HERE" status --porcelain --untracked-files=no)" ]; then
        say "note: uncommitted changes are not checked (the bare system gets HEAD only)"
    fi
}

host_mirror() {
    # The host's configured Debian source for bookworm, so the bare system uses the same mirror.
    if [ -n "${FRESH_MIRROR:-}" ]; then echo "$FRESH_MIRROR"; return; fi
    apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null \
        | awk -v s="$SUITE" '$2 == s { print $1; exit }'
}

bind() {
    # bind SRC DST [ro]: bind-mount a host path into the bare system and remember it.
    local src=$1 dst=$ROOT$2
    mkdir -p "$dst"
    mount --bind "$src" "$dst" || return 1
    MOUNTS+=("$dst")
    # Private: mounts made under it never propagate back to the host's tree (systemd hosts
    # make / shared).
    mount --make-private "$dst"
    if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$dst"; fi
}

mount_system() {
    bind "$ROOT" /
    mount -t proc proc "$ROOT/proc" && MOUNTS+=("$ROOT/proc")
    mount -t sysfs sysfs "$ROOT/sys" && MOUNTS+=("$ROOT/sys") || bind /sys /sys ro
    bind /dev /dev
    bind /dev/pts /dev/pts
    mkdir -p "$ROOT/dev/shm"
    mount -t tmpfs -o mode=1777,nosuid,nodev shm "$ROOT/dev/shm" && MOUNTS+=("$ROOT/dev/shm")
}

chroot_pids() {
    local p link
    for p in /proc/[0-9]*; do
        link=$(readlink "$p/root" 2>/dev/null) || continue
        case "$link" in "$ROOT" | "$ROOT"/*) echo "${p#/proc/}" ;; esac
    done
}

stop_processes() {
    local pids n
    pids=$(chroot_pids)
    [ -z "$pids" ] && return 0
    say "stopping processes left in the bare system: $(echo $pids)"
    kill -TERM $pids 2>/dev/null
    for n in 1 2 3 4 5 6 7 8 9 10; do
        sleep 1
        pids=$(chroot_pids)
        [ -z "$pids" ] && return 0
    done
    kill -KILL $pids 2>/dev/null
    sleep 1
}

still_mounted() {
    awk -v r="$ROOT" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo
}

cleanup() {
    local status=$? i
    trap - EXIT INT TERM HUP
    [ -n "$ROOT" ] || exit "$status"
    if [ -n "$BG" ]; then kill -TERM -- "-$BG" 2>/dev/null; fi
    stop_processes
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null
    done
    if [ -n "$(still_mounted)" ]; then
        umount -R -l "$ROOT" 2>/dev/null
        for i in $(still_mounted | sort -r); do umount -l "$i" 2>/dev/null; done
    fi
    if [ -n "$(still_mounted)" ]; then
        say "could not unmount everything under $ROOT; left it in place:" >&2
        still_mounted >&2
    elif [ "${FRESH_KEEP:-}" = 1 ]; then
        say "bare system kept in $ROOT"
    else
        rm -rf --one-file-system "$ROOT"
    fi
    [ -n "$LOGS" ] && [ "${FRESH_KEEP:-}" != 1 ] && rm -rf "$LOGS"
    exit "$status"
}

interrupted() { say "interrupted"; exit 130; }

carry_apt() {
    # apt sources, their keyrings and the apt settings about fetching (proxies, validity).
    local f
    rm -f "$ROOT"/etc/apt/sources.list
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && cp "$f" "$ROOT$f"
    done
    for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
        [ -f "$f" ] && grep -q 'Acquire::' "$f" && cp "$f" "$ROOT$f"
    done
    for f in /etc/apt/trusted.gpg.d/* /etc/apt/keyrings/* /usr/share/keyrings/*; do
        [ -f "$f" ] && [ ! -e "$ROOT$f" ] && mkdir -p "$(dirname "$ROOT$f")" && cp "$f" "$ROOT$f"
    done
    # Standard for chroots: packages may not start daemons (postgresql's own cluster) here.
    printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
    chmod 755 "$ROOT/usr/sbin/policy-rc.d"
}

pip_local_dirs() {
    # Local folders named by the pip configuration (find-links, file:// indexes).
    local text
    text=$(cat /etc/pip.conf "$HOME/.config/pip/pip.conf" "$HOME/.pip/pip.conf" 2>/dev/null;
           env | grep '^PIP_')
    grep -oE '(file://)?/[^ ="'\'']+' <<<"$text" | sed 's|^file://||' | while read -r dir; do
        [ -d "$dir" ] || continue
        case "$dir" in */simple | */simple/) dir=$(dirname "${dir%/}") ;; esac
        echo "$dir"
    done | sort -u
}

carry_pip_and_certs() {
    local f dir
    for f in /etc/pip.conf "$HOME/.config/pip/pip.conf" "$HOME/.pip/pip.conf"; do
        [ -f "$f" ] || continue
        dir=${f/#$HOME//root}
        mkdir -p "$ROOT$(dirname "$dir")" && cp "$f" "$ROOT$dir"
    done
    for dir in $(pip_local_dirs); do
        case "$dir" in /etc/* | /usr/local/share/ca-certificates*) continue ;; esac
        say "local package folder carried over (read-only): $dir"
        bind "$dir" "$dir" ro || die "could not bind-mount $dir"
    done
    if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
        cp -r /usr/local/share/ca-certificates/. "$ROOT/usr/local/share/ca-certificates/"
        in_chroot update-ca-certificates >/dev/null
    fi
    cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null
    cp /etc/hosts "$ROOT/etc/hosts" 2>/dev/null
}

in_chroot() {
    # A clean login-like environment: what a new user has, plus the host's registry settings.
    local keep=() v
    while IFS= read -r v; do keep+=("$v"); done < <(env | grep -E '^(PIP_|https?_proxy=|HTTPS?_PROXY=|no_proxy=|NO_PROXY=)')
    chroot "$ROOT" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash \
        LANG=C.UTF-8 TERM="${TERM:-dumb}" \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${keep[@]}" "$@"
}

run_logged() {
    # run_logged show|quiet LOG COMMAND...: run in its own process group (so an interrupt stops
    # all of it and `wait` returns at once on a signal), output to LOG and, if show, the terminal.
    local mode=$1 log=$2 status
    shift 2
    set -m
    if [ "$mode" = show ]; then
        ( "$@" </dev/null 2>&1 | tee "$log" ) &
    else
        ( "$@" </dev/null >"$log" 2>&1 ) &
    fi
    BG=$!
    set +m
    wait "$BG"
    status=$?
    BG=""
    return "$status"
}

timed() {
    # timed NAME COMMAND...: run a shell command in the checkout, log it, record its wall time.
    local name=$1 start status
    shift
    start=$(date +%s)
    run_logged show "$LOGS/$name.log" in_chroot bash -c "cd /root/hallkiosk && $*"
    status=$?
    TIMES+=("$(printf '%-10s %s (exit %s)' "$name" "$(minutes $(($(date +%s) - start)))" "$status")")
    return "$status"
}

minutes() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

packages() { in_chroot dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" { print $2 }' | sort; }

main() {
    preflight
    local mirror sha start test_status demo_status shots summary
    mirror=$(host_mirror)
    [ -n "$mirror" ] || die "no Debian $SUITE source in the apt configuration; set FRESH_MIRROR=URL"
    sha=$(git -C "$HERE" rev-parse HEAD)
    ROOT=$(mktemp -d "${TMPDIR:-/var/tmp}/hallkiosk-fresh.XXXXXX")
    chmod 755 "$ROOT"  # mktemp makes it 0700: the postgres user could not reach /bin/sh
    trap cleanup EXIT
    trap interrupted INT TERM HUP
    LOGS=$ROOT.logs
    mkdir -p "$LOGS"
    TIMES=()
    start=$(date +%s)

    say "debootstrap $SUITE (minbase + $BASE_PACKAGES) from $mirror into $ROOT"
    run_logged quiet "$LOGS/debootstrap.log" \
        debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$ROOT" "$mirror" \
        || { tail -20 "$LOGS/debootstrap.log"; die "debootstrap failed"; }
    TIMES+=("$(printf '%-10s %s' debootstrap "$(minutes $(($(date +%s) - start)))")")
    mount_system
    carry_apt
    carry_pip_and_certs
    say "cloning $(git -C "$HERE" log -1 --format='%h %s' | cut -c1-80)"
    git clone -q --no-hardlinks "$HERE" "$ROOT/root/hallkiosk" && git -C "$ROOT/root/hallkiosk" checkout -q --detach "$sha" \
        || die "git clone failed"
    packages >"$LOGS/packages-before"
    say "bare system: $(wc -l <"$LOGS/packages-before") Debian packages, $(in_chroot python3 --version)"

    say "running: make test"
    timed make-test make test
    test_status=$?
    say "running: make demo (no display)"
    in_chroot rm -rf /root/hallkiosk/demo-screens
    timed make-demo make demo
    demo_status=$?
    packages >"$LOGS/packages-after"
    shots=$(find "$ROOT/root/hallkiosk/demo-screens" -name '*.png' 2>/dev/null | wc -l)
    summary=$(grep -E '^=+ .*(passed|failed|error).* in [0-9.]+s' "$LOGS/make-test.log" | tail -1)

    echo
    echo "==================== fresh-check: bare Debian 12 ($SUITE) ===================="
    echo "checkout:  $sha"
    echo "pytest:    ${summary:-no pytest summary (see make test output above)}"
    echo "demo:      $shots screenshots in demo-screens/"
    printf 'wall time: %s\n' "${TIMES[@]}"
    echo "Debian packages installed by make ($(comm -13 "$LOGS/packages-before" "$LOGS/packages-after" | wc -l)):"
    comm -13 "$LOGS/packages-before" "$LOGS/packages-after" | tr '\n' ' ' | fold -s -w 96 | sed 's/^/  /'
    echo
    if [ "$test_status" = 0 ] && [ "$demo_status" = 0 ] && [ "$shots" -gt 0 ]; then
        echo "fresh-check: PASSED"
        return 0
    fi
    echo "fresh-check: FAILED (make test exit $test_status, make demo exit $demo_status, $shots screenshots)"
    return 1
}

main "$@"
