# Shared helpers for berth's bats system tests.
#
# OCI_RUNTIME selects the runtime under test: berth-runtime (default), runc or crun, so that the same tests
# give the side-by-side conformance table (tests/conformance.sh). Every test gets its own state root,
# bundle and container ids; teardown deletes whatever it created, also when the test failed.

BERTH_ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH_BUILD=${BERTH_BUILD:-$BERTH_ROOT_DIR/build}
BERTH_RUNTIME_BIN=${BERTH_RUNTIME_BIN:-$BERTH_BUILD/src/cli/berth-runtime}
OCI_RUNTIME=${OCI_RUNTIME:-berth-runtime}
BUSYBOX=${BUSYBOX:-/bin/busybox}

case $OCI_RUNTIME in
berth-runtime) RUNTIME_BIN=$BERTH_RUNTIME_BIN ;;
runc) RUNTIME_BIN=$(command -v runc) ;;
# crun may need a wrapper on hybrid hosts (tests/conformance.sh passes one).
crun) RUNTIME_BIN=${RUNTIME_BIN_OVERRIDE:-$(command -v crun)} ;;
*) RUNTIME_BIN=$OCI_RUNTIME ;;
esac

# make_runtime_copy DIR: a private copy of the runtime's binary, for tests that try to overwrite it: if the
# runtime were vulnerable, only the copy is damaged. Sets RUNTIME_COPY (what to run) and RUNTIME_COPY_BINARY
# (the file to checksum).
make_runtime_copy() {
        local dir=$1
        case $OCI_RUNTIME in
        crun)
                cp "$(command -v crun)" "$dir/crun-copy"
                RUNTIME_COPY_BINARY=$dir/crun-copy
                if [ -n "${RUNTIME_BIN_OVERRIDE:-}" ]; then
                        printf '#!/bin/sh\nexec unshare -m sh -c '"'"'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$0" "$@"'"'"' %s "$@"\n' \
                                "$dir/crun-copy" > "$dir/runtime-copy"
                        chmod +x "$dir/runtime-copy"
                        RUNTIME_COPY=$dir/runtime-copy
                else
                        RUNTIME_COPY=$dir/crun-copy
                fi
                ;;
        *)
                cp "$RUNTIME_BIN" "$dir/runtime-copy"
                RUNTIME_COPY=$dir/runtime-copy
                RUNTIME_COPY_BINARY=$dir/runtime-copy
                ;;
        esac
}

# Tests that only make sense for berth (its own CLI, its error texts) call this first.
berth_only() {
        [ "$OCI_RUNTIME" = berth-runtime ] || skip "berth-runtime only"
}

# A scratch directory of the test's own on the filesystem of /tmp.
setup_scratch() {
        TEST_DIR=$(mktemp -d "${BATS_TMPDIR:-/tmp}/berth-test.XXXXXX")
        STATE_ROOT=$TEST_DIR/state
        mkdir -p "$STATE_ROOT"
        CID_PREFIX="berth-t$$-${BATS_TEST_NUMBER:-0}"
        CID=$CID_PREFIX-a
}

# rt ARGS...: the runtime under test with our private state root.
rt() {
        "$RUNTIME_BIN" --root "$STATE_ROOT" "$@"
}

# A minimal busybox rootfs: the static busybox and its applets as symlinks, /etc/passwd and group.
# Built once per bats run, copied per test.
make_rootfs() {
        local root=$1 template=${BATS_RUN_TMPDIR:-/tmp}/berth-rootfs-template applet
        if [ ! -e "$template/.done" ]; then
                rm -rf "$template"
                mkdir -p "$template"/{bin,etc,tmp,proc,sys,dev,root}
                cp "$BUSYBOX" "$template/bin/busybox"
                for applet in $("$BUSYBOX" --list); do
                        [ -e "$template/bin/$applet" ] || ln -s busybox "$template/bin/$applet"
                done
                printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$template/etc/passwd"
                printf 'root:x:0:\ntty:x:5:\nnobody:x:65534:\n' > "$template/etc/group"
                chmod 1777 "$template/tmp"
                touch "$template/.done"
        fi
        mkdir -p "$root"
        cp -a "$template/." "$root/"
        rm -f "$root/.done"
}

# make_bundle [DIR]: a bundle with berth-runtime's default spec (runc's, plus Docker's seccomp profile),
# terminal off and args `true`. The same config.json is used whatever OCI_RUNTIME is.
make_bundle() {
        BUNDLE=${1:-$TEST_DIR/bundle}
        mkdir -p "$BUNDLE"
        make_rootfs "$BUNDLE/rootfs"
        "$BERTH_RUNTIME_BIN" spec --bundle "$BUNDLE"
        # runc's default root is read-only; most tests write into the rootfs to observe what happened.
        config_set '.ociVersion = "1.0.2-dev" | .root.readonly = false | .process.terminal = false | .process.args = ["true"]'
}

# config_set JQ_EXPRESSION: edits the bundle's config.json.
config_set() {
        local tmp=$BUNDLE/config.json.tmp
        jq "$1" "$BUNDLE/config.json" > "$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

# config_args ARG...: sets process.args.
config_args() {
        config_set ".process.args = $(printf '%s\n' "$@" | jq -R . | jq -s -c .)"
}

# run_container [ID]: runs the bundle's process in the foreground; output and status in $output/$status.
run_container() {
        run rt run --bundle "$BUNDLE" "${1:-$CID}"
}

# The host pid of a created/running container's init.
container_pid() {
        rt state "${1:-$CID}" | jq -r .pid
}

container_status() {
        rt state "${1:-$CID}" | jq -r .status
}

# Removes every container of this test and the scratch directory. Safe to call twice.
cleanup_containers() {
        local id
        [ -n "${STATE_ROOT:-}" ] && [ -d "$STATE_ROOT" ] || return 0
        for id in $(ls "$STATE_ROOT" 2>/dev/null); do
                case $id in .*) continue ;; esac
                "$RUNTIME_BIN" --root "$STATE_ROOT" delete --force "$id" >/dev/null 2>&1 || true
        done
}

teardown_scratch() {
        cleanup_containers
        if [ -n "${TEST_DIR:-}" ] && [ -d "$TEST_DIR" ]; then
                # A failed test may have left a mount under the scratch dir: detach before removing.
                grep -F " $TEST_DIR" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
                        umount -l "$m" 2>/dev/null || true
                done
                rm -rf "$TEST_DIR"
        fi
}

# Leftover checks for "nothing left behind".
assert_no_state() {
        [ ! -e "$STATE_ROOT/${1:-$CID}" ] || { echo "state dir $STATE_ROOT/${1:-$CID} left behind"; return 1; }
}

assert_no_mounts_of() {
        if grep -qF "$1" /proc/self/mountinfo; then
                echo "mounts left behind:"; grep -F "$1" /proc/self/mountinfo
                return 1
        fi
}

assert_no_cgroup() {
        local found
        found=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "${1:-$CID}" 2>/dev/null)
        [ -z "$found" ] || { echo "cgroups left behind: $found"; return 1; }
}

assert_no_process_with() {
        if pgrep -f "$1" >/dev/null; then
                echo "processes left behind:"; pgrep -af "$1"
                return 1
        fi
}

# One line of error output that names what was wrong.
assert_one_line_naming() {
        local lines
        lines=$(printf '%s\n' "$output" | grep -c .)
        [ "$lines" -eq 1 ] || { echo "expected one line, got $lines: $output"; return 1; }
        [[ "$output" == *"$1"* ]] || { echo "expected the error to name '$1': $output"; return 1; }
}
