# Helpers for the engine's bats tests (tests/system/engine*.bats). Every test gets its own store root under a
# scratch directory with the busybox test image loaded (as localhost/busybox and busybox); teardown removes
# every container the test made (rm -f), then unmounts and removes what is left under the scratch directory.
load helpers

BERTH_BIN=${BERTH_BIN:-$BERTH_BUILD/src/cli/berth/berth}
# The engine's suites run their containers without a network unless they ask for one (dockerd's
# --bridge=none): the default bridge would make berth0 and berth's nftables table in the host's own network
# namespace. tests/system/network.bats unsets this and runs berth inside network namespaces it makes.
export BERTH_DEFAULT_NETWORK=${BERTH_DEFAULT_NETWORK-none}
IMAGES=${BERTH_IMAGES:-$HOME/.cache/berth-images}
SHARED_IMAGES=${SHARED_IMAGES:-${BERTH_SHARED:-$BERTH_ROOT_DIR/../shared}/images}
[ -d "$SHARED_IMAGES" ] || SHARED_IMAGES=/work/shared/images

engine_setup() {
        if [ ! -e "$IMAGES/busybox.docker.tar" ]; then
                "$SHARED_IMAGES/make-images.sh" "$IMAGES" busybox >&2
        fi
        T=$(mktemp -d /tmp/berth-engine-test.XXXXXX)
        ROOT=$T/root
        b load -q -i "$IMAGES/busybox.docker.tar" >/dev/null
        b tag localhost/busybox busybox
}

engine_teardown() {
        [ -n "${T:-}" ] && [ -d "$T" ] || return 0
        local id
        for id in $("$BERTH_BIN" --root "$ROOT" ps -aq --no-trunc 2>/dev/null); do
                "$BERTH_BIN" --root "$ROOT" rm -f -v "$id" >/dev/null 2>&1 || true
        done
        # Whatever a failed test left: processes started for this store, then mounts under it.
        pkill -9 -f -- "$T/" 2>/dev/null || true
        findmnt -rn -o TARGET | grep "^$T/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf "$T"
}

# b ARGS...: berth on the test's store.
b() {
        "$BERTH_BIN" --root "$ROOT" "$@"
}

# The host pid of a running container's init.
init_pid() {
        b inspect -f '{{.State.Pid}}' "$1"
}

# The container's cgroup directory for a controller, as the kernel shows it for its init (v1 hierarchy
# name, or "" for cgroup v2).
cgroup_dir() {  # CONTAINER CONTROLLER
        local pid line path
        pid=$(init_pid "$1")
        if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
                path=$(awk -F: '$1 == 0 {print $3}' "/proc/$pid/cgroup")
                echo "/sys/fs/cgroup$path"
        else
                line=$(grep -E "^[0-9]+:([^:]*,)?$2(,[^:]*)?:" "/proc/$pid/cgroup")
                echo "/sys/fs/cgroup/$2${line##*:}"
        fi
}

is_cgroup_v2() {
        [ -e /sys/fs/cgroup/cgroup.controllers ]
}

# Waits (up to 10 s) until a command succeeds.
wait_until() {
        local i
        for i in $(seq 100); do
                "$@" && return 0
                sleep 0.1
        done
        return 1
}

container_state() {
        b inspect -f '{{.State.Status}}' "$1"
}

# Everything of a store that must be gone once its containers are: mounts, cgroups, processes, runtime state.
assert_nothing_left() {
        local ids=$1 id mounts procs
        # The store's berth-procview and its mount, ROOT/procview, serve every container of the store and are
        # kept (docs/proc.md): not a container's leftover. engine_teardown ends them.
        mounts=$(grep " $T/" /proc/self/mountinfo | grep -v " $ROOT/procview " || true)
        if [ -n "$mounts" ]; then
                echo "mounts left:"; echo "$mounts"; return 1
        fi
        for id in $ids; do
                [ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null)" ] || { echo "cgroup of $id left"; return 1; }
        done
        procs=$(pgrep -af -- "$ROOT" || true)
        procs=$(printf '%s\n' "$procs" | grep -v "berth-procview .* $ROOT/procview\$" || true)
        if [ -n "$procs" ]; then
                echo "processes left:"; echo "$procs"; return 1
        fi
        [ -z "$(ls "$ROOT/runtime" 2>/dev/null | grep -v '^\.')" ] || { echo "runtime state left: $(ls "$ROOT/runtime")"; return 1; }
}
