#!/usr/bin/env bats
# Concurrency and faults: parallel runs, killed monitors and killed berth commands, and many run --rm cycles
# that must leave nothing behind (mounts, cgroups, namespace files, processes, records).

load engine-helpers

setup() {
        engine_setup
}

teardown() {
        engine_teardown
}

# Kernel objects of this store: mounts under it, nsfs mounts, cgroups named after its containers, processes.
count_kernel_objects() {
        local mounts nsfs procs cgroups
        # The store's berth-procview and its mount (docs/proc.md) serve every container and are kept: not
        # counted (assert_nothing_left does the same).
        mounts=$(grep " $T/" /proc/self/mountinfo | grep -vc " $ROOT/procview " || true)
        nsfs=$(grep -c " nsfs " /proc/self/mountinfo || true)
        procs=$(pgrep -af -- "$ROOT" || true)
        procs=$(printf '%s\n' "$procs" | grep -v "berth-procview .* $ROOT/procview\$" | grep -c . || true)
        # Containers of the engine have 64-hex ids (other suites' runtime containers do not).
        cgroups=$(find /sys/fs/cgroup -maxdepth 3 -regextype posix-extended -regex '.*/berth/[0-9a-f]{64}' -type d 2>/dev/null | wc -l)
        echo "mounts=$mounts nsfs=$nsfs procs=$procs cgroups=$cgroups"
}

@test "20 parallel run -d give 20 running containers and 20 records" {
        for i in $(seq 20); do
                b run -d --name "p$i" busybox sleep 300 > "$T/out.$i" 2>&1 &
        done
        wait
        cat "$T"/out.* | grep -v '^[0-9a-f]\{64\}$' || true
        b ps -a
        [ "$(b ps -q | wc -l)" -eq 20 ]
        [ "$(sqlite3 "$ROOT/berth.db" 'SELECT count(*) FROM engine_containers' 2>/dev/null || b ps -aq | wc -l)" -eq 20 ]
        # Each one really runs: its init is alive and is a sleep.
        for i in $(seq 20); do
                pid=$(init_pid "p$i")
                [ "$(cat "/proc/$pid/comm")" = sleep ]
        done
        [ "$(pgrep -f "berth-monitor.*$ROOT" | wc -l)" -eq 20 ]
        ids=$(b ps -q --no-trunc)
        b rm -f $ids >/dev/null
        assert_nothing_left "$ids"
}

@test "kill -9 of a monitor: ps -a tells the truth, rm -f cleans up" {
        id=$(b run -d busybox sleep 300)
        mon=$(pgrep -o -f "berth-monitor.*$id")
        kill -9 "$mon"
        # The container still runs: ps says so.
        [ "$(container_state "$id")" = running ]
        [ -d "/proc/$(init_pid "$id")" ]
        kill -9 "$(init_pid "$id")"
        wait_until sh -c "[ \"\$('$BERTH_BIN' --root '$ROOT' inspect -f '{{.State.Status}}' $id)\" = exited ]"
        [ "$(b inspect -f '{{.State.ExitCode}}' "$id")" = 255 ]
        b rm -f "$id"
        assert_nothing_left "$id"
}

@test "kill -9 of a monitor whose container keeps running: rm -f stops and removes it" {
        id=$(b run -d busybox sleep 300)
        pid=$(init_pid "$id")
        kill -9 "$(pgrep -o -f "berth-monitor.*$id")"
        b rm -f "$id"
        # Gone, or a zombie waiting for the host's init to reap it (its parent, the monitor, is dead).
        state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo gone)
        [ "$state" = gone ] || [ "$state" = Z ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != sleep ]
        assert_nothing_left "$id"
}

@test "kill -9 of a foreground run's monitor (berth-launch itself): the client ends, ps -a tells the truth" {
        "$BERTH_BIN" --root "$ROOT" run --name fg busybox sleep 300 >/dev/null 2>"$T/fg.err" &
        runner=$!
        wait_until sh -c "[ \"\$('$BERTH_BIN' --root '$ROOT' inspect -f '{{.State.Status}}' fg 2>/dev/null)\" = running ]"
        id=$(b inspect -f '{{.Id}}' fg)
        # A foreground container's monitor is the launcher: no berth-monitor was started for it.
        mon=$(pgrep -o -f "berth-launch.*$id")
        [ -n "$mon" ]
        [ -z "$(pgrep -f "berth-monitor.*$id" || true)" ]
        [ "$(awk '{print $4}' "/proc/$(init_pid "$id")/stat")" = "$mon" ]
        kill -9 "$mon"
        # The client loses its stream and says so; the container goes on, and ps says so.
        status=0
        wait "$runner" || status=$?
        [ "$status" -ne 0 ]
        [ "$(container_state "$id")" = running ]
        kill -9 "$(init_pid "$id")"
        wait_until sh -c "[ \"\$('$BERTH_BIN' --root '$ROOT' inspect -f '{{.State.Status}}' $id)\" = exited ]"
        [ "$(b inspect -f '{{.State.ExitCode}}' "$id")" = 255 ]
        b rm -f "$id"
        assert_nothing_left "$id"
}

@test "kill -9 of berth run at any point: ps -a is truthful and rm -f cleans up" {
        for delay in 0 0.005 0.01 0.02 0.03 0.05 0.08 0.12; do
                "$BERTH_BIN" --root "$ROOT" run --rm busybox sleep 300 >/dev/null 2>&1 &
                runner=$!
                sleep "$delay"
                kill -9 "$runner" 2>/dev/null || true
                wait "$runner" 2>/dev/null || true
        done
        # Every record is in a state that matches the kernel.
        for id in $(b ps -aq --no-trunc); do
                state=$(container_state "$id")
                pid=$(b inspect -f '{{.State.Pid}}' "$id")
                case $state in
                running) [ "$(cat "/proc/$pid/comm")" = sleep ] ;;
                created | exited) [ "$pid" = 0 ] ;;
                *) echo "unexpected state $state"; false ;;
                esac
        done
        # The monitors of killed foreground runs remove their --rm containers themselves: an rm -f racing them
        # may find a container already gone.
        ids=$(b ps -aq --no-trunc)
        [ -z "$ids" ] || b rm -f $ids >/dev/null 2>&1 || true
        [ -z "$(b ps -aq)" ]
        wait_until assert_nothing_left "$ids"
}

@test "kill -9 of berth stop and rm midway: rm -f still finishes the job" {
        id=$(b run -d busybox sleep 300)
        "$BERTH_BIN" --root "$ROOT" stop -t 30 "$id" >/dev/null 2>&1 &
        sleep 0.2
        kill -9 $! 2>/dev/null || true
        b rm -f "$id"
        assert_nothing_left "$id"
}

@test "200 run --rm cycles leave no mount, cgroup, namespace file or process behind" {
        before=$(count_kernel_objects)
        for i in $(seq 200); do
                b run --rm --cidfile "$T/cid.$i" busybox true || { echo "cycle $i failed"; false; }
        done
        after=$(count_kernel_objects)
        echo "before: $before after: $after"
        # Host-wide counts move with whatever else runs on the machine: what must be gone is this test's own
        # containers' cgroups and namespace files, found by their ids (--cidfile).
        for f in "$T"/cid.*; do cat "$f"; echo; done > "$T/ids"
        [ "$(wc -l < "$T/ids")" -eq 200 ]
        left=$(find /sys/fs/cgroup -maxdepth 4 -type d -name '[0-9a-f]*' 2>/dev/null | grep -F -f "$T/ids" || true)
        echo "cgroups left: $left"
        [ -z "$left" ]
        ! grep " nsfs " /proc/self/mountinfo | grep -F -f "$T/ids"
        # Mounts under the test's directory and processes naming its store are the test's own: the same.
        [ "$(grep -o 'mounts=[0-9]*' <<< "$before") $(grep -o 'procs=[0-9]*' <<< "$before")" = \
          "$(grep -o 'mounts=[0-9]*' <<< "$after") $(grep -o 'procs=[0-9]*' <<< "$after")" ]
        [ -z "$(b ps -aq)" ]
        [ -z "$(ls "$ROOT/containers")" ]
        [ -z "$(ls "$ROOT/snapshots")" ]
        [ -z "$(ls "$ROOT/runtime" | grep -v '^\.')" ]
}
