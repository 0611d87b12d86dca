#!/usr/bin/env bats
# The container's own /proc (docs/proc.md, issue 14): /proc/meminfo, cpuinfo, stat, loadavg, uptime,
# diskstats, swaps and /sys/devices/system/cpu/online show its cgroup's limits and its own figures, served
# by berth-procview over FUSE; the server's worker may die mid-read without a reader noticing. Checked with
# what busybox's tools inside the container show. v1 on the hybrid host, v2 in the VM (vm-suites.txt).

load engine-helpers
bats_require_minimum_version 1.5.0

setup() {
        [ -e /dev/fuse ] || skip "this machine has no /dev/fuse: berth runs containers with the kernel's files"
        engine_setup
}

teardown() {
        engine_teardown
}

host_cpus() {
        grep -c '^processor' /proc/cpuinfo
}

# The store's berth-procview: a supervisor and its worker (named so by prctl), which serve every container
# of the store.
procview_pids() {
        pgrep -f -- "berth-procview .* $ROOT/procview\$"
}

procview_named() {
        local pid
        for pid in $(procview_pids); do
                [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] && echo "$pid"
        done
        return 0
}

procview_supervisor() {
        procview_named procview-sup
}

procview_worker() {
        procview_named procview-work
}

# True once no berth-procview of this store runs.
no_procview() {
        ! pgrep -f -- "berth-procview .* $ROOT/procview\$" > /dev/null
}

# True once process $1 is gone.
gone() {
        ! kill -0 "$1" 2> /dev/null
}


@test "--memory 64m: /proc/meminfo's MemTotal and top's header show the limit, not the host's memory" {
        run b run --rm --memory 64m busybox sh -c 'grep -E "^(MemTotal|MemFree|MemAvailable):" /proc/meminfo; top -bn1 | head -1'
        [ "$status" -eq 0 ]
        echo "$output"
        [[ "${lines[0]}" =~ ^MemTotal:\ +65536\ kB$ ]]
        free=$(echo "${lines[1]}" | awk '{print $2}')
        avail=$(echo "${lines[2]}" | awk '{print $2}')
        [ "$free" -gt 0 ] && [ "$free" -le 65536 ] && [ "$avail" -ge "$free" ] && [ "$avail" -le 65536 ]
        # busybox top: "Mem: 676K used, 64860K free, ...": used + free is the limit
        used=$(echo "${lines[3]}" | sed -E 's/^Mem: ([0-9]+)K used, ([0-9]+)K free.*/\1/')
        free=$(echo "${lines[3]}" | sed -E 's/^Mem: ([0-9]+)K used, ([0-9]+)K free.*/\2/')
        [ $((used + free)) -eq 65536 ]
}

@test "without limits the host's memory and CPUs show; --proc-view=false shows the kernel's files" {
        host_total=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
        run b run --rm busybox sh -c 'awk "/^MemTotal:/ {print \$2}" /proc/meminfo; grep -c ^processor /proc/cpuinfo; cat /sys/devices/system/cpu/online'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "$host_total" ]
        [ "${lines[1]}" = "$(host_cpus)" ]
        [ "${lines[2]}" = "$(cat /sys/devices/system/cpu/online)" ]
        # The view is there (a FUSE file bound over /proc/meminfo) ...
        run b run --rm busybox grep -c ' /proc/meminfo ' /proc/self/mountinfo
        [ "$output" = 1 ]
        # ... unless turned off: the limit is then not in the kernel's meminfo.
        run b run --rm --memory 64m --proc-view=false busybox sh -c 'awk "/^MemTotal:/ {print \$2}" /proc/meminfo; grep -c " /proc/meminfo " /proc/self/mountinfo'
        [ "${lines[0]}" = "$host_total" ]
        [ "${lines[1]}" = 0 ]
        run b run --rm --proc-view=maybe busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *'invalid argument "maybe" for "--proc-view" flag'* ]]
}

@test "--cpus 1 and --cpus 0.5: one processor in /proc/cpuinfo, /proc/stat and cpu/online" {
        [ "$(host_cpus)" -ge 2 ] || skip "the host has one CPU: a CPU limit changes nothing"
        for cpus in 1 0.5; do
                run b run --rm --cpus "$cpus" busybox sh -c 'grep -c ^processor /proc/cpuinfo; grep -c "^cpu[0-9]" /proc/stat; cat /sys/devices/system/cpu/online'
                [ "$status" -eq 0 ]
                [ "${lines[0]}" = 1 ]
                [ "${lines[1]}" = 1 ]
                [ "${lines[2]}" = 0 ]
        done
        # --cpu-quota/--cpu-period: 1.5 CPUs round up to 2 (docs/proc.md)
        run b run --rm --cpu-period 100000 --cpu-quota 150000 busybox grep -c ^processor /proc/cpuinfo
        [ "$output" = 2 ]
}

@test "--cpuset-cpus 0: nproc, /proc/cpuinfo and cpu/online show one CPU" {
        [ "$(host_cpus)" -ge 2 ] || skip "the host has one CPU"
        run b run --rm --cpuset-cpus 0 busybox sh -c 'nproc; grep -c ^processor /proc/cpuinfo; cat /sys/devices/system/cpu/online; grep -c "^cpu[0-9]" /proc/stat'
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf '1\n1\n0\n1')" ]
}

@test "/proc/uptime starts at the container's start; /proc/stat's counters never go backwards" {
        run b run --rm --cpus 1 busybox sh -c 'cat /proc/uptime; grep "^cpu " /proc/stat; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; grep "^cpu " /proc/stat'
        [ "$status" -eq 0 ]
        up=$(echo "${lines[0]}" | cut -d' ' -f1)
        [ "$(echo "$up < 5" | bc)" = 1 ]
        read -ra a <<< "${lines[1]}"
        read -ra c <<< "${lines[2]}"
        for i in 1 2 3 4 5 6 7 8; do
                [ "${c[$i]}" -ge "${a[$i]}" ]
        done
}

@test "sysinfo(2): busybox free and uptime show the limit and the container's uptime, in exec'd processes too" {
        run b run --rm --memory 64m busybox sh -c 'free; uptime'
        [ "$status" -eq 0 ]
        echo "$output"
        # busybox free reads sysinfo(2) (lxcfs#263): total in KiB
        [ "$(echo "${lines[1]}" | awk '{print $2}')" = 65536 ]
        [[ "${lines[3]}" == *" up 0 min,"* ]]
        id=$(b run -d --memory 32m busybox sleep 60)
        run b exec "$id" free
        [ "$(echo "${lines[1]}" | awk '{print $2}')" = 32768 ]
        # Without a limit: the host's total; turned off: the kernel's sysinfo.
        host=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
        run b run --rm busybox free
        [ "$(echo "${lines[1]}" | awk '{print $2}')" = "$host" ]
        run b run --rm --memory 64m --proc-view=false busybox free
        [ "$(echo "${lines[1]}" | awk '{print $2}')" = "$host" ]
        # A container without a seccomp profile has the kernel's sysinfo (docs/proc.md).
        run b run --rm --memory 64m --security-opt seccomp=unconfined busybox free
        [ "$(echo "${lines[1]}" | awk '{print $2}')" = "$host" ]
}

@test "the worker killed during a sysinfo call: the call completes with the container's figures" {
        id=$(BERTH_PROCVIEW_TEST_DELAY_MS=600 b run -d --memory 64m busybox sleep 120)
        worker=$(procview_worker)
        b exec "$id" sh -c 'free; echo rc=$?' > "$T/out" 2>&1 &
        reader=$!
        sleep 0.3
        kill -9 "$worker"
        wait "$reader"
        cat "$T/out"
        [ "$(sed -n 2p "$T/out" | awk '{print $2}')" = 65536 ]
        grep -q '^rc=0$' "$T/out"
}

@test "a time namespace: uptime, /proc/stat's btime and process start times (what ps reads) agree" {
        [ -e /proc/self/ns/time ] || skip "the kernel has no time namespaces"
        hz=$(getconf CLK_TCK)
        run b run --rm busybox sh -c 'sleep 1; cat /proc/uptime; grep btime /proc/stat; awk "{print \$22}" /proc/1/stat; date +%s; grep boottime /proc/self/timens_offsets'
        [ "$status" -eq 0 ]
        echo "$output"
        up=$(echo "${lines[0]}" | cut -d' ' -f1)
        btime=$(echo "${lines[1]}" | cut -d' ' -f2)
        start=${lines[2]}
        now=${lines[3]}
        # Up since the container started, not since the host booted.
        [ "$(echo "$up >= 1 && $up < 10" | bc)" = 1 ]
        # The container's first process (the shell, PID 1) started when the container did, before uptime was
        # read: its start time counts from the namespace's boot, so it is at most the uptime read later.
        [ "$(echo "$start / $hz <= $up" | bc)" = 1 ]
        # btime + its start time is when it started: at most a few seconds ago.
        started=$(echo "$btime + $start / $hz" | bc)
        [ "$started" -le "$now" ] && [ "$started" -ge $((now - 10)) ]
        [[ "${lines[4]}" =~ ^boottime\ +-[0-9]+ ]]
}

@test "--time-offset boottime=86400: the container's clock says a day, also without the view; a bad one is refused" {
        [ -e /proc/self/ns/time ] || skip "the kernel has no time namespaces"
        run b run --rm --time-offset boottime=86400 --proc-view=false busybox sh -c 'cut -d" " -f1 /proc/uptime; uptime'
        [ "$status" -eq 0 ]
        [ "$(echo "${lines[0]} >= 86400 && ${lines[0]} < 86410" | bc)" = 1 ]
        [[ "${lines[1]}" == *"up 1 day"* ]]
        run b run --rm --time-offset boottime=3600 busybox cut -d" " -f1 /proc/uptime
        [ "$(echo "$output >= 3600 && $output < 3610" | bc)" = 1 ]
        run b run --rm --time-offset uptime=5 busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *'invalid argument "uptime=5" for "--time-offset" flag'* ]]
}

@test "a process that sizes itself from MemAvailable stays under --memory (and is OOM-killed without the view)" {
        hog='avail=$(awk "/^MemAvailable:/ {print \$2}" /proc/meminfo); x=$(head -c $((avail * 1024 / 3)) /dev/zero | tr "\\0" a); echo survived $avail'
        run b run --rm --memory 64m --memory-swap 64m busybox sh -c "$hog"
        [ "$status" -eq 0 ]
        [[ "$output" == "survived "* ]]
        run b run --rm --memory 64m --memory-swap 64m --proc-view=false busybox sh -c "$hog"
        [ "$status" -eq 137 ]
}

@test "/proc/swaps, /proc/loadavg and /proc/diskstats are the container's" {
        run b run --rm --memory 64m --memory-swap 64m busybox sh -c 'cat /proc/swaps | wc -l; cat /proc/loadavg; cat /proc/diskstats | wc -l'
        [ "$status" -eq 0 ]
        # No swap allowed: the header only.
        [ "${lines[0]}" = 1 ]
        [[ "${lines[1]}" =~ ^[0-9]+\.[0-9]{2}\ [0-9]+\.[0-9]{2}\ [0-9]+\.[0-9]{2}\ [0-9]+/[0-9]+\ [0-9]+$ ]]
        # Total tasks: the container's (sh, cat, wc), not the host's hundreds.
        total=$(echo "${lines[1]}" | cut -d' ' -f4 | cut -d/ -f2)
        [ "$total" -le 5 ]
        # No I/O done yet on a device: no device lines.
        [ "${lines[2]}" = 0 ]
}

@test "the server's worker killed mid-read: the read completes, later reads work, nothing says ENOTCONN" {
        # Every open waits 600 ms in the worker: the kill lands while the read is in flight.
        id=$(BERTH_PROCVIEW_TEST_DELAY_MS=600 b run -d --memory 64m busybox sleep 120)
        worker=$(procview_worker)
        [ -n "$worker" ]
        b exec "$id" sh -c 'grep MemTotal /proc/meminfo; echo rc=$?' > "$T/out" 2>&1 &
        reader=$!
        sleep 0.3
        kill -9 "$worker"
        wait "$reader"
        cat "$T/out"
        grep -qE '^MemTotal: +65536 kB$' "$T/out"
        grep -q '^rc=0$' "$T/out"
        ! grep -q 'not connected' "$T/out"
        # A new worker serves.
        new=$(procview_worker)
        [ -n "$new" ] && [ "$new" != "$worker" ]
        run b exec "$id" grep MemTotal /proc/meminfo
        [[ "$output" =~ ^MemTotal:\ +65536\ kB$ ]]
}

@test "a reading loop survives its server's worker and supervisor being killed again and again" {
        id=$(b run -d --memory 64m busybox sh -c 'n=0; while :; do grep -q "^MemTotal: *65536 kB" /proc/meminfo || echo BAD; cat /proc/cpuinfo > /dev/null || echo BAD; free | grep -q "^Mem: *65536 " || echo BADFREE; done')
        for i in 1 2 3 4 5 6; do
                sleep 0.3
                if [ $((i % 2)) = 1 ]; then kill -9 "$(procview_worker)"; else kill -9 "$(procview_supervisor)"; fi
        done
        sleep 0.3
        run b logs "$id"
        [ "$output" = "" ]
        [ "$(container_state "$id")" = running ]
}

@test "the supervisor killed mid-read, then the worker: reads and sysinfo go on, nothing says ENOTCONN" {
        id=$(BERTH_PROCVIEW_TEST_DELAY_MS=600 b run -d --memory 64m busybox sleep 120)
        sup=$(procview_supervisor)
        worker=$(procview_worker)
        [ -n "$sup" ] && [ -n "$worker" ]
        b exec "$id" sh -c 'grep MemTotal /proc/meminfo; free | sed -n 2p; echo rc=$?' > "$T/out" 2>&1 &
        reader=$!
        sleep 0.3
        kill -9 "$sup"
        wait "$reader"
        cat "$T/out"
        grep -qE '^MemTotal: +65536 kB$' "$T/out"
        [ "$(sed -n 2p "$T/out" | awk '{print $2}')" = 65536 ]
        grep -q '^rc=0$' "$T/out"
        ! grep -q 'not connected' "$T/out"
        # The worker made a new supervisor (its child), which makes a new worker when that one is killed.
        new=$(procview_supervisor)
        [ -n "$new" ] && [ "$new" != "$sup" ]
        [ "$(ps -o ppid= -p "$new" | tr -d ' ')" = "$worker" ]
        kill -9 "$worker"
        run b exec "$id" sh -c 'grep MemTotal /proc/meminfo; free | sed -n 2p'
        echo "$output"
        [[ "${lines[0]}" =~ ^MemTotal:\ +65536\ kB$ ]]
        [ "$(echo "${lines[1]}" | awk '{print $2}')" = 65536 ]
        [ -n "$(procview_worker)" ] && [ "$(procview_worker)" != "$worker" ]
}

@test "one server per store: two containers read their own limits from it; it is kept, nothing per container is" {
        a=$(b run -d --memory 64m busybox sleep 60)
        sup=$(procview_supervisor)
        c=$(b run -d --memory 32m busybox sleep 60)
        # One supervisor and its worker serve both.
        [ "$(procview_pids | wc -l)" = 2 ]
        [ "$(procview_supervisor)" = "$sup" ]
        run b exec "$a" sh -c 'grep MemTotal /proc/meminfo; free | sed -n 2p'
        [[ "${lines[0]}" =~ ^MemTotal:\ +65536\ kB$ ]]
        [ "$(echo "${lines[1]}" | awk '{print $2}')" = 65536 ]
        run b exec "$c" sh -c 'grep MemTotal /proc/meminfo; free | sed -n 2p'
        [[ "${lines[0]}" =~ ^MemTotal:\ +32768\ kB$ ]]
        [ "$(echo "${lines[1]}" | awk '{print $2}')" = 32768 ]
        # Each container's files are binds of the store's mount (its own directory there, inodes of its own):
        # nothing mounted per container.
        grep -q " $ROOT/procview " /proc/self/mountinfo
        ! grep -q " $ROOT/containers/[^ ]*/procview" /proc/self/mountinfo
        b rm -f "$a" "$c" > /dev/null
        b run --rm busybox true
        run -127 b run busybox /no/such/command
        ids=$(b ps -aq --no-trunc)
        b rm -f $ids > /dev/null
        assert_nothing_left "$a $c $ids"
        # Kept for the next container, as lxcfs is: the same server.
        [ "$(procview_supervisor)" = "$sup" ]
        kill -0 "$sup"
        # Its mount gone, it ends by itself.
        umount -l "$ROOT/procview"
        wait_until no_procview
}

@test "containers reading with sendfile at once (busybox cat) each get their own file, never the other's" {
        # cat copies with sendfile(2), through the page cache of the file's inode: one inode for every container
        # would hand a reader the pages another container's read filled.
        a=$(b run -d --memory 64m busybox sh -c 'while :; do cat /proc/meminfo | grep MemTotal | grep -v " 65536 kB"; done')
        c=$(b run -d --memory 32m busybox sh -c 'while :; do cat /proc/meminfo | grep MemTotal | grep -v " 32768 kB"; done')
        sleep 4
        run b logs "$a"
        [ "$output" = "" ]
        run b logs "$c"
        [ "$output" = "" ]
        [ "$(container_state "$a")" = running ] && [ "$(container_state "$c")" = running ]
        b rm -f "$a" "$c" > /dev/null
}

@test "a server killed outright (both processes) is started again by the next container" {
        a=$(b run -d --memory 64m busybox sleep 60)
        sup=$(procview_supervisor)
        kill -9 "$(procview_worker)" "$sup"
        wait_until gone "$sup"
        run b run --rm --memory 48m busybox grep MemTotal /proc/meminfo
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^MemTotal:\ +49152\ kB$ ]]
        [ "$(procview_supervisor)" != "$sup" ]
        [ "$(grep -c " $ROOT/procview " /proc/self/mountinfo)" = 1 ]
        b rm -f "$a" > /dev/null
}

@test "a berth in another mount namespace (unshare -m) that started the server first: the host's berth gets one of its own" {
        # The first container of the store is run from a private mount namespace: the server's mount is there
        # only, which the host's berth cannot bind from.
        run unshare -m --propagation private "$BERTH_BIN" --root "$ROOT" run --rm --memory 64m busybox grep MemTotal /proc/meminfo
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^MemTotal:\ +65536\ kB$ ]]
        ! grep -q " $ROOT/procview " /proc/self/mountinfo
        run b run --rm --memory 32m busybox grep MemTotal /proc/meminfo
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^MemTotal:\ +32768\ kB$ ]]
        [ "$(grep -c " $ROOT/procview " /proc/self/mountinfo)" = 1 ]
        # Two servers, a supervisor and a worker each: the namespace's and the host's.
        [ "$(procview_supervisor | wc -l)" = 2 ]
}
