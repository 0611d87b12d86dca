#!/usr/bin/env bats
# The container's cgroups (runtime-spec config-linux.md "Control groups" and linux.resources), on this
# hybrid host and in the cgroup v2 VM:
#   /work/shared/vm/vm-run.sh --timeout 900 --env BERTH_BUILD=$PWD/build -- bats tests/system/cgroup.bats
# Every check reads what the kernel shows (the cgroup files, what a process could do), never berth's word.

load helpers
load cgroup-helpers

setup() {
        setup_scratch
        make_bundle
}

teardown() {
        cleanup_containers
        cgroup_teardown
        teardown_scratch
}

# Each test that needs it starts the container created (init waiting), so its cgroup can be read.
create_sleeping() {
        config_args sleep 1000
        rt create --bundle "$BUNDLE" "${1:-$CID}"
}

# ---- placement and removal -------------------------------------------------------------------------------

@test "the default cgroup is /berth/<id> in every hierarchy, and delete removes it" {
        berth_only
        create_sleeping
        pid=$(container_pid)
        [ "$(cg_paths_of "$pid" | wc -l)" -eq "$(cg_all_mountpoints | wc -l)" ]
        for path in $(cg_paths_of "$pid"); do
                [ "$path" = "/berth/$CID" ] || { echo "unexpected: $path"; false; }
        done
        rt delete --force "$CID"
        for m in $(cg_all_mountpoints); do
                [ ! -e "$m/berth/$CID" ] || { echo "$m/berth/$CID left behind"; false; }
        done
        assert_no_cgroup
}

@test "the default parent /berth goes with the last container under it, whichever made it" {
        berth_only
        for m in $(cg_all_mountpoints); do
                [ -z "$(find "$m/berth" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)" ] ||
                        skip "other containers live under $m/berth"
        done
        create_sleeping
        rt create --bundle "$BUNDLE" "$CID-2"
        # The first one made /berth; it is deleted first, so the second one must take /berth along.
        rt delete --force "$CID"
        for m in $(cg_all_mountpoints); do [ -d "$m/berth/$CID-2" ]; done
        rt delete --force "$CID-2"
        for m in $(cg_all_mountpoints); do
                [ ! -e "$m/berth" ] || { echo "$m/berth left behind"; false; }
        done
}

# bats test_tags=conformance
@test "an absolute cgroupsPath is used as it is; delete removes the parents it made, not others" {
        parent=berth-abs-$$-$BATS_TEST_NUMBER
        echo "$(cg_all_mountpoints | sed "s|\$|/$parent|")" > "$TEST_DIR/.cgroups"
        config_set ".linux.cgroupsPath = \"/$parent/a/$CID\""
        create_sleeping
        pid=$(container_pid)
        for path in $(cg_paths_of "$pid"); do
                [ "$path" = "/$parent/a/$CID" ] || { echo "unexpected: $path"; false; }
        done
        rt delete --force "$CID"
        for m in $(cg_all_mountpoints); do
                [ ! -e "$m/$parent" ] || { echo "$m/$parent left behind"; false; }
        done
        # A parent that was there before is not the container's to remove.
        make_test_cgroup "$parent/keep"
        config_set ".linux.cgroupsPath = \"/$parent/keep/$CID\""
        create_sleeping
        rt delete --force "$CID"
        for m in $(cg_all_mountpoints); do
                [ -d "$m/$parent/keep" ] || { echo "$m/$parent/keep was removed"; false; }
                [ ! -e "$m/$parent/keep/$CID" ]
        done
}

# bats test_tags=conformance
@test "a relative cgroupsPath is below the runtime's own cgroup, and cannot climb out of it" {
        parent=berth-rel-$$-$BATS_TEST_NUMBER
        make_test_cgroup "$parent/self"
        # ".." is cleaned away as runc does: "../S/ID" is "S/ID" below the runtime's cgroup. (S is named after
        # the test's containers so that teardown finds whatever a runtime leaves of it.)
        sub=$CID_PREFIX-sub
        config_set ".linux.cgroupsPath = \"../$sub/$CID\""
        config_args sleep 1000
        (
                for m in $(cg_all_mountpoints); do echo "$BASHPID" > "$m/$parent/self/cgroup.procs"; done
                rt create --bundle "$BUNDLE" "$CID"
        )
        pid=$(container_pid)
        for path in $(cg_paths_of "$pid"); do
                [ "$path" = "/$parent/self/$sub/$CID" ] || { echo "unexpected: $path"; false; }
        done
        rt delete --force "$CID"
        [ "$OCI_RUNTIME" != berth-runtime ] && return 0  # runc keeps the parents it made
        for m in $(cg_all_mountpoints); do
                [ ! -e "$m/$parent/self/$sub" ] || { echo "$m/$parent/self/$sub left behind"; false; }
        done
}

# bats test_tags=conformance
@test "delete after the init was killed kills the processes left in the cgroup and removes it" {
        # No pid namespace: the init's children outlive it, as in a container sharing the host's pids.
        config_set '.linux.namespaces |= map(select(.type != "pid"))'
        config_args sh -c "sleep 1001 & sleep 1002 & exec sleep 1000"
        rt create --bundle "$BUNDLE" "$CID"
        rt start "$CID"
        dir=$(cg_dir pids)
        wait_for 'test "$(wc -l < "$dir/cgroup.procs")" -ge 3'
        kill -9 "$(container_pid)"
        wait_for "status_is stopped"
        [ "$(wc -l < "$dir/cgroup.procs")" -ge 2 ]
        rt delete "$CID"
        [ ! -e "$dir" ]
        assert_no_cgroup
        ! pgrep -f "sleep 100[12]"
}

# ---- memory -----------------------------------------------------------------------------------------------

# bats test_tags=conformance
@test "memory: limit, reservation and swap are the kernel's limits" {
        config_set ".linux.resources.memory = {\"limit\": $(mib 64), \"reservation\": $(mib 32), \"swap\": $(mib 96)}"
        create_sleeping
        [ "$(cg_cat memory memory.limit_in_bytes memory.max)" = "$(mib 64)" ]
        [ "$(cg_cat memory memory.soft_limit_in_bytes memory.low)" = "$(mib 32)" ]
        # The spec's swap is memory+swap: v1's memsw as it is, v2's swap.max the difference.
        [ "$(cg_cat memory memory.memsw.limit_in_bytes memory.swap.max)" = "$(cg_is_v2 && mib 32 || mib 96)" ]
}

# bats test_tags=conformance
@test "memory: swappiness and disableOOMKiller (cgroup v1)" {
        cg_is_v2 && skip "no cgroup v2 equivalent (ignored there, as by runc and crun)"
        config_set '.linux.resources.memory = {"limit": 67108864, "swappiness": 17, "disableOOMKiller": true}'
        create_sleeping
        [ "$(cat "$(cg_dir memory)/memory.swappiness")" = 17 ]
        grep -qx 'oom_kill_disable 1' "$(cg_dir memory)/memory.oom_control"
}

# bats test_tags=conformance
@test "memory: a hog is OOM-killed under the limit, and events reports the OOM" {
        config_set ".linux.resources.memory = {\"limit\": $(mib 32), \"swap\": $(mib 32)}"
        # dd's 64 MiB buffer is touched page by page when /dev/zero is read into it.
        config_args sh -c 'sleep 1; dd if=/dev/zero of=/dev/null bs=64M count=1; echo "dd: $?" > /tmp/dd-status'
        rt create --bundle "$BUNDLE" "$CID"
        dir=$(cg_dir memory)
        rt events --interval 1s "$CID" > "$TEST_DIR/events" 2>&1 &
        events_pid=$!
        rt start "$CID"
        wait_for "status_is stopped"
        # events leaves by itself once the container's init is gone.
        wait_for 'test ! -d "/proc/$events_pid"'
        wait "$events_pid"
        [ "$(cat "$BUNDLE/rootfs/tmp/dd-status")" = "dd: 137" ]
        if cg_is_v2; then
                [ "$(awk '$1 == "oom_kill" { print $2 }' "$dir/memory.events")" -ge 1 ]
        else
                [ "$(awk '$1 == "oom_kill" { print $2 }' "$dir/memory.oom_control")" -ge 1 ]
        fi
        grep -q '"type":"oom"' "$TEST_DIR/events" || { cat "$TEST_DIR/events"; false; }
        jq -e -s 'map(select(.type == "oom")) | .[0].id == "'"$CID"'"' "$TEST_DIR/events"
}

# bats test_tags=conformance
@test "update below the current memory usage fails with one line and changes nothing" {
        # 24 MiB in a tmpfs that cannot be swapped out (swap == limit, swappiness 0 on v1).
        config_set ".linux.resources.memory = {\"limit\": $(mib 64), \"swap\": $(mib 64)}"
        cg_is_v2 || config_set '.linux.resources.memory.swappiness = 0'
        config_args sh -c 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=24 2>/dev/null; touch /tmp/filled; exec sleep 1000'
        rt create --bundle "$BUNDLE" "$CID"
        rt start "$CID"
        wait_for 'test -e "$BUNDLE/rootfs/tmp/filled"'
        # v1 refuses such a limit itself (EBUSY); on v2 checkBeforeUpdate asks for the check.
        run rt update --resources - "$CID" <<< "{\"memory\": {\"limit\": $(mib 8), \"swap\": $(mib 8), \"checkBeforeUpdate\": true}}"
        [ "$status" -ne 0 ]
        if [ "$OCI_RUNTIME" = berth-runtime ]; then
                assert_one_line_naming "unable to set memory limit to $(mib 8) (current usage: "
        fi
        [ "$(cg_cat memory memory.limit_in_bytes memory.max)" = "$(mib 64)" ]
        [ "$(container_status)" = running ]
}

# ---- cpu ----------------------------------------------------------------------------------------------------

# bats test_tags=conformance
@test "cpu: shares, quota/period, burst and cpuset are the kernel's values" {
        config_set '.linux.resources.cpu = {"shares": 512, "quota": 20000, "period": 100000, "burst": 5000, "cpus": "0", "mems": "0"}'
        create_sleeping
        if cg_is_v2; then
                # crun's and runc's current conversion: 512 shares -> weight 59 (1024 -> 100).
                [ "$(cat "$(cg_dir cpu)/cpu.weight")" = 59 ] || [ "$OCI_RUNTIME" != berth-runtime ]
                [ "$(cat "$(cg_dir cpu)/cpu.max")" = "20000 100000" ]
                [ "$(cat "$(cg_dir cpu)/cpu.max.burst")" = 5000 ]
        else
                [ "$(cat "$(cg_dir cpu)/cpu.shares")" = 512 ]
                [ "$(cat "$(cg_dir cpu)/cpu.cfs_quota_us")" = 20000 ]
                [ "$(cat "$(cg_dir cpu)/cpu.cfs_period_us")" = 100000 ]
                [ "$(cat "$(cg_dir cpu)/cpu.cfs_burst_us")" = 5000 ]
        fi
        [ "$(cg_cat cpuset cpuset.cpus cpuset.cpus)" = 0 ]
        [ "$(cg_cat cpuset cpuset.mems cpuset.mems)" = 0 ]
}

# bats test_tags=conformance
@test "cpu: a busy loop under quota 20000/100000 is throttled by the kernel" {
        config_set '.linux.resources.cpu = {"quota": 20000, "period": 100000}'
        config_args sh -c 'while :; do :; done'
        rt create --bundle "$BUNDLE" "$CID"
        rt start "$CID"
        # The kernel counts the periods in which it stopped the loop at its quota (cpu.stat, v1 and v2).
        dir=$(cg_dir cpu)
        wait_for 'test "$(awk '"'"'$1 == "nr_throttled" { print $2 }'"'"' "$dir/cpu.stat")" -ge 3'
}

# bats test_tags=conformance
@test "cpu: realtime runtime/period (cgroup v1 with RT group scheduling)" {
        cg_is_v2 && skip "cgroup v2 has no real-time bandwidth (refused: see the bad-input test)"
        [ -f "$(cg_mountpoint cpu)/cpu.rt_runtime_us" ] || skip "kernel without CONFIG_RT_GROUP_SCHED"
        config_set '.linux.resources.cpu = {"realtimeRuntime": 10000, "realtimePeriod": 1000000}'
        create_sleeping
        [ "$(cat "$(cg_dir cpu)/cpu.rt_runtime_us")" = 10000 ]
        [ "$(cat "$(cg_dir cpu)/cpu.rt_period_us")" = 1000000 ]
}

# ---- pids ----------------------------------------------------------------------------------------------------

# bats test_tags=conformance
@test "pids: a fork bomb stops at pids.max" {
        config_set '.linux.resources.pids = {"limit": 32}'
        # The bomb in a subshell: busybox sh exits when a fork fails, and the init is to stay.
        config_args sh -c 'exec 2>/dev/null; (bomb() { bomb | bomb & }; bomb; while :; do sleep 1000 & done) & exec sleep 1000'
        rt create --bundle "$BUNDLE" "$CID"
        dir=$(cg_dir pids)
        [ "$(cat "$dir/pids.max")" = 32 ]
        rt start "$CID"
        # The kernel counts the forks it refused at the limit.
        wait_for 'test "$(awk '"'"'$1 == "max" { print $2 }'"'"' "$dir/pids.events")" -ge 1'
        [ "$(cat "$dir/pids.current")" -le 32 ]
        sleep 1
        [ "$(cat "$dir/pids.current")" -le 32 ]
        rt delete --force "$CID"
        [ ! -e "$dir" ]
}

# ---- block I/O ----------------------------------------------------------------------------------------------

# bats test_tags=conformance
@test "blkio: a read throttle of 1 MiB/s is the kernel's value, and a direct read goes through it" {
        make_loop_device
        config_set ".linux.devices = [{\"path\": \"/dev/testloop\", \"type\": \"b\", \"major\": $LOOP_MAJOR, \"minor\": $LOOP_MINOR}]
                    | .linux.resources.devices += [{\"allow\": true, \"type\": \"b\", \"major\": $LOOP_MAJOR, \"minor\": $LOOP_MINOR, \"access\": \"rw\"}]
                    | .linux.resources.blockIO = {\"throttleReadBpsDevice\": [{\"major\": $LOOP_MAJOR, \"minor\": $LOOP_MINOR, \"rate\": 1048576}]}"
        # 2 MiB read directly: the throttle's own accounting sees every byte (how long it takes is bench/'s
        # business, not a test's).
        config_args sh -c 'dd if=/dev/testloop of=/dev/null bs=64k count=32 iflag=direct 2>/dev/null; sleep 1000'
        rt create --bundle "$BUNDLE" "$CID"
        dir=$(cg_dir blkio)
        if cg_is_v2; then
                grep -qx "$LOOP_MAJOR:$LOOP_MINOR rbps=1048576 wbps=max riops=max wiops=max" "$dir/io.max"
        else
                grep -qx "$LOOP_MAJOR:$LOOP_MINOR 1048576" "$dir/blkio.throttle.read_bps_device"
        fi
        rt start "$CID"
        if cg_is_v2; then
                wait_for 'grep -q "^$LOOP_MAJOR:$LOOP_MINOR rbytes=2097152 " "$dir/io.stat"'
        else
                wait_for 'grep -qx "$LOOP_MAJOR:$LOOP_MINOR Read 2097152" "$dir/blkio.throttle.io_service_bytes"'
        fi
}

# bats test_tags=conformance
@test "blkio: weight and a write throttle are the kernel's values" {
        have_io_weight || skip "kernel without the BFQ I/O scheduler (CONFIG_IOSCHED_BFQ): no bfq in /sys/block/*/queue/scheduler and modprobe bfq fails"
        make_loop_device
        config_set ".linux.resources.blockIO = {\"weight\": 300, \"throttleWriteIOPSDevice\": [{\"major\": $LOOP_MAJOR, \"minor\": $LOOP_MINOR, \"rate\": 100}]}"
        create_sleeping
        dir=$(cg_dir blkio)
        if cg_is_v2; then
                grep -qx "$LOOP_MAJOR:$LOOP_MINOR rbps=max wbps=max riops=max wiops=100" "$dir/io.max"
                if [ -f "$dir/io.bfq.weight" ]; then
                        grep -qx 'default 300' "$dir/io.bfq.weight"
                else
                        grep -qx "default $((1 + (300 - 10) * 9999 / 990))" "$dir/io.weight"
                fi
        else
                grep -qx "$LOOP_MAJOR:$LOOP_MINOR 100" "$dir/blkio.throttle.write_iops_device"
                grep -qxE '(default )?300' "$dir/blkio.bfq.weight"
        fi
}

# bats test_tags=conformance
@test "blkio: a weight on a kernel without BFQ is refused with the reason, nothing left" {
        have_io_weight && skip "this kernel has a proportional I/O scheduler: the refusal cannot happen here"
        berth_only
        config_set '.linux.resources.blockIO = {"weight": 300}'
        config_args sleep 1000
        run rt create --bundle "$BUNDLE" "$CID"
        echo "$output"
        [ "$status" -ne 0 ]
        if cg_is_v2; then
                assert_one_line_naming "no proportional I/O control in this kernel"
        else
                assert_one_line_naming "load the bfq I/O scheduler"
        fi
        assert_no_state
        assert_no_process_with "sleep 1000"
}

# ---- hugetlb ------------------------------------------------------------------------------------------------

# bats test_tags=conformance
@test "hugetlb: a 2MB page limit is the kernel's limit (cgroup2 on hybrid hosts)" {
        [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2 MB huge pages"
        if ! cg_is_v2 && [ -z "$(cg_mountpoint hugetlb)" ]; then
                # Hybrid host with hugetlb on cgroup2: enabling it in the root is the runtime's job; remember to
                # disable it again when the test enabled it.
                root=$(cg_mountpoint unified)
                [ -n "$root" ] && grep -qw hugetlb "$root/cgroup.controllers" || skip "no hugetlb controller on this host"
                grep -qw hugetlb "$root/cgroup.subtree_control" || echo "$root/cgroup.subtree_control hugetlb" > "$TEST_DIR/.subtree"
        fi
        config_set '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
        create_sleeping
        if cg_is_v2; then
                [ "$(cat "$(cg_dir hugetlb)/hugetlb.2MB.max")" = 4194304 ]
        elif [ -n "$(cg_mountpoint hugetlb)" ]; then
                [ "$(cat "$(cg_dir hugetlb)/hugetlb.2MB.limit_in_bytes")" = 4194304 ]
        else
                [ "$(cat "$(cg_dir unified)/hugetlb.2MB.max")" = 4194304 ]
        fi
}

# ---- devices ------------------------------------------------------------------------------------------------

# bats test_tags=conformance
@test "devices: a device node the rules do not allow cannot be opened; an allow rule lets through what it names" {
        make_loop_device
        # The node is bind-mounted (no mknod): only the device cgroup stands between the process and the disk.
        config_set ".mounts += [{\"destination\": \"/dev/testloop\", \"type\": \"bind\", \"source\": \"$LOOP_DEV\", \"options\": [\"bind\"]}]"
        config_args sh -c 'head -c 512 /dev/testloop > /dev/null && echo read-ok; head -c 1 /dev/zero > /dev/null && echo zero-ok'
        run_container
        echo "$output"
        [[ "$output" == *"Operation not permitted"* ]]
        [[ "$output" != *read-ok* ]]
        [[ "$output" == *zero-ok* ]]
        rt delete "$CID" 2>/dev/null || true
        # Read allowed, write still denied: access letters are honoured one by one.
        config_set ".linux.resources.devices += [{\"allow\": true, \"type\": \"b\", \"major\": $LOOP_MAJOR, \"minor\": $LOOP_MINOR, \"access\": \"r\"}]"
        config_args sh -c 'head -c 512 /dev/testloop > /dev/null && echo read-ok; echo x > /dev/testloop && echo write-ok'
        run_container
        echo "$output"
        [[ "$output" == *read-ok* ]]
        [[ "$output" != *write-ok* ]]
}

# bats test_tags=conformance
@test "devices: runc's default devices and linux.devices are usable" {
        make_loop_device
        config_set ".linux.devices = [{\"path\": \"/dev/testloop\", \"type\": \"b\", \"major\": $LOOP_MAJOR, \"minor\": $LOOP_MINOR, \"fileMode\": 432}]"
        config_args sh -c 'for d in null zero full random urandom tty; do head -c 0 /dev/$d 2>/dev/null && echo "$d ok"; done; head -c 512 /dev/testloop > /dev/null && echo loop-ok'
        run_container
        echo "$output"
        for d in null zero full random urandom loop-ok; do [[ "$output" == *"$d"* ]]; done
        if ! cg_is_v2 && [ "$OCI_RUNTIME" = berth-runtime ]; then
                rt delete "$CID" 2>/dev/null || true
                create_sleeping
                list=$(cat "$(cg_dir devices)/devices.list")
                for rule in "c 1:3 rwm" "c 1:5 rwm" "c 136:* rwm" "c 5:2 rwm" "c 10:200 rwm" "c *:* m" "b *:* m" "b $LOOP_MAJOR:$LOOP_MINOR rwm"; do
                        grep -qxF "$rule" <<< "$list" || { echo "missing '$rule' in: $list"; false; }
                done
                ! grep -qxF 'a *:* rwm' <<< "$list"
        fi
}

# ---- unified ------------------------------------------------------------------------------------------------

# bats test_tags=conformance
@test "unified: cgroup v2 files are written as they are" {
        cg_is_v2 || skip "needs cgroup v2 for the memory and pids controllers"
        config_set '.linux.resources.unified = {"memory.high": "52428800", "pids.max": "9"}'
        create_sleeping
        [ "$(cat "$(cg_dir memory)/memory.high")" = 52428800 ]
        [ "$(cat "$(cg_dir pids)/pids.max")" = 9 ]
}

@test "unified: a key of a controller bound to cgroup v1 is refused with one line (hybrid and v1 hosts)" {
        cg_is_v2 && skip "cgroup v2 host"
        config_set '.linux.resources.unified = {"memory.high": "52428800"}'
        config_args true
        run rt create --bundle "$BUNDLE" "$CID"
        [ "$status" -ne 0 ]
        berth_only
        assert_one_line_naming "linux.resources.unified.memory.high"
        assert_no_cgroup
        assert_no_state
}

# ---- bad input: one line, nothing left ------------------------------------------------------------------------

@test "bad input: a throttle on a device that does not exist" {
        config_set '.linux.resources.blockIO = {"throttleReadBpsDevice": [{"major": 250, "minor": 99, "rate": 1048576}]}'
        run rt create --bundle "$BUNDLE" "$CID"
        [ "$status" -ne 0 ]
        assert_no_cgroup
        assert_no_state
        berth_only
        assert_one_line_naming "throttleReadBpsDevice: device 250:99"
}

@test "bad input: a unified key of an unknown controller" {
        config_set '.linux.resources.unified = {"foo.max": "1"}'
        run rt create --bundle "$BUNDLE" "$CID"
        [ "$status" -ne 0 ]
        assert_no_cgroup
        assert_no_state
        berth_only
        assert_one_line_naming 'linux.resources.unified.foo.max: unknown controller "foo"'
}

@test "bad input: net_cls/net_prio where they are not mounted, realtime on cgroup v2, swap below memory" {
        berth_only
        if [ -z "$(cg_mountpoint net_cls)" ]; then
                config_set '.linux.resources.network = {"classID": 1048577}'
                run rt create --bundle "$BUNDLE" "$CID"
                [ "$status" -ne 0 ]
                assert_one_line_naming "linux.resources.network.classID: the net_cls controller is not mounted"
                assert_no_cgroup
                config_set 'del(.linux.resources.network)'
        fi
        if cg_is_v2; then
                config_set '.linux.resources.cpu = {"realtimeRuntime": 1000}'
                run rt create --bundle "$BUNDLE" "$CID"
                [ "$status" -ne 0 ]
                assert_one_line_naming "realtimeRuntime"
                assert_no_cgroup
                config_set 'del(.linux.resources.cpu)'
        fi
        config_set '.linux.resources.memory = {"limit": 67108864, "swap": 33554432}'
        run rt create --bundle "$BUNDLE" "$CID"
        [ "$status" -ne 0 ]
        assert_one_line_naming "linux.resources.memory.swap: 33554432 is below memory.limit 67108864"
        assert_no_cgroup
        assert_no_state
}

# ---- update, pause, resume, events ---------------------------------------------------------------------------

# bats test_tags=conformance
@test "update: runc's flags change the limits of a running container" {
        config_set ".linux.resources.memory = {\"limit\": $(mib 64)} | .linux.resources.pids = {\"limit\": 50}"
        create_sleeping
        rt start "$CID"
        rt update --memory 128m --memory-swap 256m --memory-reservation 32m --cpu-quota 30000 --cpu-period 100000 \
                --cpu-share 256 --cpuset-cpus 0 --pids-limit 20 "$CID"
        [ "$(cg_cat memory memory.limit_in_bytes memory.max)" = "$(mib 128)" ]
        [ "$(cg_cat memory memory.memsw.limit_in_bytes memory.swap.max)" = "$(cg_is_v2 && mib 128 || mib 256)" ]
        [ "$(cg_cat memory memory.soft_limit_in_bytes memory.low)" = "$(mib 32)" ]
        [ "$(cg_cat pids pids.max pids.max)" = 20 ]
        [ "$(cg_cat cpuset cpuset.cpus cpuset.cpus)" = 0 ]
        if cg_is_v2; then
                [ "$(cat "$(cg_dir cpu)/cpu.max")" = "30000 100000" ]
        else
                [ "$(cat "$(cg_dir cpu)/cpu.cfs_quota_us")" = 30000 ]
                [ "$(cat "$(cg_dir cpu)/cpu.shares")" = 256 ]
        fi
        # Only what is named changes: the period stays when only the quota moves.
        rt update --cpu-quota 40000 "$CID"
        [ "$(cg_cat cpu cpu.cfs_period_us cpu.max)" = "$(cg_is_v2 && echo "40000 100000" || echo 100000)" ]
        [ "$(cg_cat memory memory.limit_in_bytes memory.max)" = "$(mib 128)" ]
        # docker's spellings (go-units RAMInBytes, the engine's parser too): ".5g", "1.5GiB".
        rt update --memory .5g --memory-swap 1.5GiB "$CID"
        [ "$(cg_cat memory memory.limit_in_bytes memory.max)" = "$(mib 512)" ]
        [ "$(cg_cat memory memory.memsw.limit_in_bytes memory.swap.max)" = "$(cg_is_v2 && mib 1024 || mib 1536)" ]
}

# bats test_tags=conformance
@test "update: --resources from stdin, and the new pids limit takes effect at once" {
        config_args sh -c 'while :; do sleep 0.1; done'
        rt create --bundle "$BUNDLE" "$CID"
        rt start "$CID"
        echo '{"pids": {"limit": 3}}' | rt update --resources - "$CID"
        dir=$(cg_dir pids)
        [ "$(cat "$dir/pids.max")" = 3 ]
        # The loop's sleeps fork against the new limit: once more than 3 tasks would exist, forks fail.
        run rt exec "$CID" sh -c 'sleep 5 & sleep 5 & sleep 5 & wait'
        [ "$status" -ne 0 ]
        [ "$(awk '$1 == "max" { print $2 }' "$dir/pids.events")" -ge 1 ]
}

@test "update: bad values are refused before anything changes" {
        berth_only
        create_sleeping
        run rt update --memory lots "$CID"
        [ "$status" -ne 0 ]
        assert_one_line_naming '--memory: "lots" is not a size'
        run rt update --resources - "$CID" <<< '{"cpu": {"period": 10}}'
        [ "$status" -ne 0 ]
        assert_one_line_naming "linux.resources.cpu.period: 10 is invalid"
        run rt update --kernel-memory 10m "$CID"
        [ "$status" -eq 0 ]
        [[ "$output" == *"kernel memory settings are ignored"* ]]
}

# bats test_tags=conformance
@test "pause freezes a counter, state says paused, resume lets it go on" {
        # Replaced by rename, never truncated: a freeze between truncation and write would leave it empty.
        config_args sh -c 'i=0; while :; do i=$((i + 1)); echo $i > /tmp/c.new; mv /tmp/c.new /tmp/counter; sleep 0.05; done'
        rt create --bundle "$BUNDLE" "$CID"
        rt start "$CID"
        wait_for 'test -s "$BUNDLE/rootfs/tmp/counter"'
        rt pause "$CID"
        [ "$(container_status)" = paused ]
        if cg_is_v2; then
                grep -qx 'frozen 1' "$(cg_dir unified)/cgroup.events"
        else
                [ "$(cat "$(cg_dir freezer)/freezer.state")" = FROZEN ]
        fi
        c1=$(cat "$BUNDLE/rootfs/tmp/counter")
        sleep 0.5
        c2=$(cat "$BUNDLE/rootfs/tmp/counter")
        [ "$c1" = "$c2" ]
        rt resume "$CID"
        [ "$(container_status)" = running ]
        wait_for 'test "$(cat "$BUNDLE/rootfs/tmp/counter")" -gt "$c2"'
        run rt resume "$CID"
        [ "$status" -ne 0 ]
}

# bats test_tags=conformance
@test "delete --force of a paused container kills it and removes its cgroups" {
        create_sleeping
        rt start "$CID"
        dir=$(cg_dir pids)
        rt pause "$CID"
        rt delete --force "$CID"
        [ ! -e "$dir" ]
        assert_no_cgroup
}

# The runtime's handle (observe.c): ps, events --stats, pause and update read and write the container's
# cgroup under its lock; what they print is what the kernel's files say, also around a pause and a stop.
@test "ps, events --stats and pause show the kernel's cgroup; a stopped container's stats and update are refused" {
        local pids_dir procs
        config_args sh -c 'sleep 1000 & sleep 1000'
        rt run --detach --bundle "$BUNDLE" "$CID"
        pids_dir=$(cg_dir pids)
        wait_for 'test "$(grep -c . "$pids_dir/cgroup.procs")" -eq 2'
        procs=$(sort -n "$pids_dir/cgroup.procs" | jq -sc .)
        run rt ps --format json "$CID"
        [ "$status" -eq 0 ]
        [ "$(jq -c 'sort' <<< "$output")" = "$procs" ]
        run rt events --stats "$CID"
        [ "$status" -eq 0 ]
        [ "$(jq .data.pids.current <<< "$output")" = "$(cat "$pids_dir/pids.current")" ]
        rt pause "$CID"
        if cg_is_v2; then
                grep -qx 'frozen 1' "$(cg_dir unified)/cgroup.events"
        else
                [ "$(cat "$(cg_dir freezer)/freezer.state")" = FROZEN ]
        fi
        # A paused container is still listed and measured.
        run rt ps --format json "$CID"
        [ "$(jq -c 'sort' <<< "$output")" = "$procs" ]
        run rt events --stats "$CID"
        [ "$status" -eq 0 ]
        run rt pause "$CID"
        [ "$status" -ne 0 ]
        assert_one_line_naming "is not running (paused)"
        rt resume "$CID"
        # Stopped (the init killed, the record and cgroup still there): ps reads the now empty cgroup;
        # stats and update are refused with one line; the cgroup is untouched.
        rt kill "$CID" KILL
        wait_for 'status_is stopped'
        wait_for 'test ! -s "$pids_dir/cgroup.procs"'
        run rt ps --format json "$CID"
        [ "$status" -eq 0 ]
        [ "$output" = "[]" ]
        run rt events --stats "$CID"
        [ "$status" -ne 0 ]
        assert_one_line_naming "container $CID is not running"
        run rt update --pids-limit 7 "$CID"
        [ "$status" -ne 0 ]
        assert_one_line_naming "container $CID is not running: cannot update it"
        [ "$(cat "$pids_dir/pids.max")" != 7 ]
        rt delete "$CID"
        [ ! -e "$pids_dir" ]
        run rt ps "$CID"
        [ "$status" -ne 0 ]
        assert_one_line_naming "does not exist"
}

# bats test_tags=conformance
@test "events --stats prints one runc stats object from the kernel's counters" {
        config_set ".linux.resources.memory = {\"limit\": $(mib 64)} | .linux.resources.pids = {\"limit\": 40}"
        config_args sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i + 1)); done; exec sleep 1000'
        rt create --bundle "$BUNDLE" "$CID"
        rt start "$CID"
        sleep 1
        run rt events --stats "$CID"
        [ "$status" -eq 0 ]
        [ "$(grep -c . <<< "$output")" -eq 1 ]
        jq -e --arg id "$CID" '.type == "stats" and .id == $id' <<< "$output"
        jq -e '.data.cpu.usage.total > 0' <<< "$output"
        jq -e ".data.memory.usage.limit == $(mib 64) and .data.memory.usage.usage > 0" <<< "$output"
        jq -e '.data.pids.current == 1 and .data.pids.limit == 40' <<< "$output"
        jq -e '.data | has("blkio") and has("hugetlb")' <<< "$output"
        usage=$(jq .data.memory.usage.usage <<< "$output")
        kernel=$(cg_cat memory memory.usage_in_bytes memory.current)
        # The same counter read twice a moment apart: within 1 MiB.
        [ $((usage - kernel)) -lt 1048576 ] && [ $((kernel - usage)) -lt 1048576 ]
}

# bats test_tags=conformance
@test "events streams stats every --interval and ends when the container stops" {
        config_args sleep 3
        rt create --bundle "$BUNDLE" "$CID"
        rt start "$CID"
        run timeout 30 "$RUNTIME_BIN" --root "$STATE_ROOT" events --interval 500ms "$CID"
        [ "$status" -eq 0 ]
        n=$(grep -c '"type":"stats"' <<< "$output")
        echo "$n stats events"
        [ "$n" -ge 3 ]
        jq -e -s 'all(.[]; .type == "stats" and (.data.cpu | type == "object"))' <<< "$output"
}

# ---- the container's view ------------------------------------------------------------------------------------

# bats test_tags=conformance
@test "with a cgroup namespace the container sees its own cgroup as the root" {
        config_set '.linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "cgroup"}])'
        config_set ".linux.resources.memory = {\"limit\": $(mib 48)}"
        if cg_is_v2; then
                config_args sh -c 'cat /proc/self/cgroup; cat /sys/fs/cgroup/memory.max'
        else
                config_args sh -c 'cat /proc/self/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; ls /sys/fs/cgroup'
        fi
        run_container
        echo "$output"
        [ "$status" -eq 0 ]
        ! grep -E '^[0-9]+:[^:]*:/.+' <<< "$output"
        grep -qx "$(mib 48)" <<< "$output"
}

# bats test_tags=conformance
@test "without a cgroup namespace the mounted cgroup is still the container's own, read-only" {
        config_set '.linux.namespaces |= map(select(.type != "cgroup"))'
        config_set ".linux.resources.memory = {\"limit\": $(mib 48)}"
        if cg_is_v2; then
                config_args sh -c 'cat /sys/fs/cgroup/memory.max; echo 1 > /sys/fs/cgroup/memory.max || echo refused'
        else
                config_args sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes; echo 1 > /sys/fs/cgroup/memory/memory.limit_in_bytes || echo refused'
        fi
        run_container
        echo "$output"
        grep -qx "$(mib 48)" <<< "$output"
        grep -qx refused <<< "$output"
}

# bats test_tags=conformance
@test "nested: a runtime inside a container makes its container's cgroup below the outer one" {
        berth_only
        # The inner bundle inside the outer rootfs; the inner container gets its own cgroup namespace and a
        # pids limit.
        make_rootfs "$BUNDLE/rootfs/inner/rootfs"
        "$BERTH_RUNTIME_BIN" spec --bundle "$BUNDLE/rootfs/inner"
        jq '.process.terminal = false | .root.readonly = false | .linux.resources.pids = {"limit": 10}
            | .process.args = ["sh", "-c", "sed s/^/inner:/ /proc/self/cgroup; echo inner-pids $(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max)"]' \
                "$BUNDLE/rootfs/inner/config.json" > "$TEST_DIR/inner.json"
        mv "$TEST_DIR/inner.json" "$BUNDLE/rootfs/inner/config.json"
        # The outer: privileged enough to run a runtime (every capability we have, no seccomp, cgroupfs
        # writable, all devices), with the host's libc and the berth-runtime binary bind-mounted.
        caps=$(bounding_caps_json)
        mkdir -p "$BUNDLE/rootfs/lib64" "$BUNDLE/rootfs/lib/x86_64-linux-gnu"
        touch "$BUNDLE/rootfs/bin/berth-runtime"
        config_set ".process.capabilities = {\"bounding\": $caps, \"effective\": $caps, \"permitted\": $caps}
                    | del(.linux.seccomp) | .linux.maskedPaths = [] | .linux.readonlyPaths = []
                    | .linux.namespaces |= (map(select(.type != \"cgroup\")) + [{\"type\": \"cgroup\"}])
                    | .mounts |= map(if .type == \"cgroup\" then .options -= [\"ro\"] else . end)
                    | .mounts += [{\"destination\": \"/lib64\", \"type\": \"bind\", \"source\": \"/lib64\", \"options\": [\"rbind\", \"ro\"]},
                                  {\"destination\": \"/lib/x86_64-linux-gnu\", \"type\": \"bind\", \"source\": \"/lib/x86_64-linux-gnu\", \"options\": [\"rbind\", \"ro\"]},
                                  {\"destination\": \"/bin/berth-runtime\", \"type\": \"bind\", \"source\": \"$BERTH_RUNTIME_BIN\", \"options\": [\"bind\", \"ro\"]}]
                    | .linux.resources.devices = [{\"allow\": true, \"access\": \"rwm\"}]"
        # On cgroup v2 the outer's own processes leave its root cgroup first (as docker-in-docker does): a
        # cgroup with processes cannot hand controllers down.
        cat > "$BUNDLE/rootfs/outer.sh" <<'SCRIPT'
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then mkdir /sys/fs/cgroup/init; echo $$ > /sys/fs/cgroup/init/cgroup.procs; fi
R="berth-runtime --root /tmp/inner-state"
$R create --bundle /inner inner || exit 1
p=$($R state inner | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
sed s/^/outer-view:/ /proc/$p/cgroup
$R start inner
while [ "$($R state inner | sed -n 's/.*"status": "\([a-z]*\)".*/\1/p')" != stopped ]; do sleep 0.1; done
$R delete inner || exit 1
if find /sys/fs/cgroup -type d -name inner | grep -q .; then echo LEFT; else echo CLEAN; fi
SCRIPT
        config_args sh /outer.sh
        run_container
        echo "$output"
        [ "$status" -eq 0 ]
        # Seen from the outer's cgroup namespace, the inner container is at /berth/inner in every hierarchy.
        [ "$(grep -c '^outer-view:' <<< "$output")" -ge 1 ]
        ! grep '^outer-view:' <<< "$output" | grep -v ':/berth/inner$'
        # The inner one sees its own cgroup as the root, with its limit in force.
        ! grep '^inner:' <<< "$output" | grep -v ':/$'
        grep -qx 'inner-pids 10' <<< "$output"
        grep -qx CLEAN <<< "$output"
        assert_no_cgroup inner
}
