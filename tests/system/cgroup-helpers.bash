# Helpers of tests/system/cgroup.bats: where a process's cgroup is on this host (v1, hybrid or v2), reading
# its files, loop devices, cgroups made by a test, all removed again by cgroup_teardown.

cg_is_v2() {
        [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]
}

# The mountpoint of the hierarchy holding CONTROLLER ("unified" for the cgroup2 mount).
cg_mountpoint() {
        local ctrl=$1
        if [ "$ctrl" = unified ] || cg_is_v2; then
                awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo
                return
        fi
        awk -v c="$ctrl" '$0 ~ / - cgroup / { n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $5; exit } }' \
                /proc/self/mountinfo
}

# cg_dir CONTROLLER [PID]: the cgroup directory of PID (default: the container's init) for CONTROLLER;
# on a v2 host every controller gives the one directory. "unified" is the cgroup2 directory.
cg_dir() {
        local ctrl=$1 pid=${2:-$(container_pid)} path
        if [ "$ctrl" = unified ] || cg_is_v2; then
                path=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
        else
                path=$(awk -F: -v c="$ctrl" '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $3; exit } }' \
                        "/proc/$pid/cgroup")
        fi
        [ -n "$path" ] || { echo "no $ctrl cgroup for $pid" >&2; return 1; }
        echo "$(cg_mountpoint "$ctrl")${path%/}"
}

# cg_cat CONTROLLER V1_FILE V2_FILE [PID]: the container's value of a limit, whichever the cgroup version.
cg_cat() {
        if cg_is_v2; then
                cat "$(cg_dir "$1" "${4:-}")/$3"
        else
                cat "$(cg_dir "$1" "${4:-}")/$2"
        fi
}

# The container's CPU time in nanoseconds (v1 cpuacct.usage, v2 cpu.stat usage_usec).
cg_cpu_usage_ns() {
        if cg_is_v2; then
                echo $(($(awk '$1 == "usage_usec" { print $2 }' "$(cg_dir cpu)/cpu.stat") * 1000))
        else
                cat "$(cg_dir cpuacct)/cpuacct.usage"
        fi
}

# wait_for 'SHELL CONDITION': up to ~10 s (30 s in the VM) for the condition, evaluated anew each time, to
# hold ('test "$(cat file)" -ge 3', 'status_is stopped').
wait_for() {
        local tries=100
        [ -n "${BERTH_VM:-}" ] && tries=300
        for _ in $(seq "$tries"); do
                eval "$1" && return 0
                sleep 0.1
        done
        return 1
}

status_is() {
        [ "$(container_status "${2:-$CID}")" = "$1" ]
}

# A loop device over a file of the test's own, removed by cgroup_teardown. Sets LOOP_DEV, LOOP_MAJOR,
# LOOP_MINOR.
make_loop_device() {
        truncate -s 64M "$TEST_DIR/loop.img"
        LOOP_DEV=$(losetup --find --show "$TEST_DIR/loop.img")
        echo "$LOOP_DEV" >> "$TEST_DIR/.loops"
        LOOP_MAJOR=$(cut -d: -f1 "/sys/class/block/${LOOP_DEV#/dev/}/dev")
        LOOP_MINOR=$(cut -d: -f2 "/sys/class/block/${LOOP_DEV#/dev/}/dev")
}

# A proportional I/O weight needs BFQ (CONFIG_IOSCHED_BFQ) on cgroup v1, and BFQ or iocost (io.weight) on
# v2. Loads the bfq module when it is one; succeeds when the kernel offers a file the runtime writes.
have_io_weight() {
        local root
        if cg_is_v2; then
                root=$(cg_mountpoint unified)
                grep -qw io "$root/cgroup.controllers" || return 1
                # iocost (CONFIG_BLK_CGROUP_IOCOST) gives every cgroup io.weight; its root has io.cost.qos.
                [ -e "$root/io.cost.qos" ] && return 0
        fi
        grep -qw bfq /sys/block/*/queue/scheduler 2>/dev/null && return 0
        modprobe -q bfq 2>/dev/null && grep -qw bfq /sys/block/*/queue/scheduler 2>/dev/null
}

# make_test_cgroup NAME: NAME below the root of every hierarchy (recorded for cgroup_teardown).
make_test_cgroup() {
        local m dir part
        for m in $(cg_all_mountpoints); do
                dir=$m
                for part in ${1//\// }; do
                        if [ ! -d "$dir/$part" ]; then
                                mkdir "$dir/$part"
                                echo "$dir/$part" >> "$TEST_DIR/.cgroups"
                                # A new v1 cpuset has no cpus and no mems: nothing could join it.
                                if [ -f "$dir/cpuset.cpus" ] && ! cg_is_v2; then
                                        cat "$dir/cpuset.cpus" > "$dir/$part/cpuset.cpus"
                                        cat "$dir/cpuset.mems" > "$dir/$part/cpuset.mems"
                                fi
                        fi
                        dir=$dir/$part
                done
        done
}

cg_all_mountpoints() {
        awk '$0 ~ / - cgroup2? / { print $5 }' /proc/self/mountinfo | sort -u
}

# Removes, deepest first, every directory below the recorded cgroups (their processes are gone with the
# containers), then the recorded ones; detaches the loop devices. Also what a runtime left behind when it
# failed (runc and crun do, on some of these tests): cgroups named after this test's containers, and the
# plain directories runc writes onto the /sys/fs/cgroup tmpfs for a relative cgroupsPath on hybrid hosts.
cgroup_teardown() {
        local d loop
        if [ -n "${CID_PREFIX:-}" ]; then
                for d in $(find /sys/fs/cgroup -maxdepth 6 -depth -type d -name "$CID_PREFIX-*" 2>/dev/null); do
                        if [ "$(stat -fc %T "$d")" = tmpfs ]; then
                                rm -rf "$d"
                                rmdir "$(dirname "$d")" 2>/dev/null || true
                                continue
                        fi
                        xargs -r kill -9 < "$d/cgroup.procs" 2>/dev/null || true
                        for _ in $(seq 20); do rmdir "$d" 2>/dev/null && break; sleep 0.1; done
                done
        fi
        if [ -f "$TEST_DIR/.cgroups" ]; then
                for d in $(sort -r "$TEST_DIR/.cgroups"); do
                        [ -d "$d" ] || continue
                        for p in $(find "$d" -name cgroup.procs 2>/dev/null); do
                                xargs -r kill -9 < "$p" 2>/dev/null || true
                        done
                        find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
                        for _ in $(seq 20); do [ -d "$d" ] || break; sleep 0.1; find "$d" -depth -type d -exec rmdir {} + 2>/dev/null; done
                done
        fi
        if [ -f "$TEST_DIR/.loops" ]; then
                for loop in $(cat "$TEST_DIR/.loops"); do
                        losetup -d "$loop" 2>/dev/null || true
                done
        fi
        if [ -f "$TEST_DIR/.subtree" ]; then
                # A controller a test enabled in a root's cgroup.subtree_control, disabled again.
                while read -r file ctrl; do
                        [ -f "$file" ] && { echo "-$ctrl" > "$file"; } 2>/dev/null || true
                done < "$TEST_DIR/.subtree"
        fi
}

# The configured memory limit in the form the kernel shows it (page-rounded on v2).
mib() {
        echo $(($1 * 1024 * 1024))
}

# The capabilities of this shell's bounding set, as a JSON array of names (a nested runtime needs them all;
# the host may lack some, e.g. CAP_SYS_RESOURCE, and a container cannot get more than its runtime has).
bounding_caps_json() {
        local names=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
                NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT
                SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE
                AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ
                PERFMON BPF CHECKPOINT_RESTORE)
        local bnd i out=()
        bnd=$((16#$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)))
        for i in "${!names[@]}"; do
                (((bnd >> i) & 1)) && out+=("CAP_${names[$i]}")
        done
        printf '%s\n' "${out[@]}" | jq -R . | jq -s -c .
}

# The lines of /proc/PID/cgroup for the hierarchies mounted here (a v1 host still lists "0::/..." for the
# unmounted cgroup2 hierarchy), as "path" only.
cg_paths_of() {
        local line
        while IFS= read -r line; do
                case $line in
                0::*) [ -n "$(cg_mountpoint unified)" ] || continue ;;
                esac
                echo "${line#*:*:}"
        done < "/proc/$1/cgroup"
}
