#!/usr/bin/env bats
# crun's command line, which berth-runtime accepts as well as runc's (issue 17): the --cgroup-manager global
# option, create/run --config, delete --regex, LISTEN_FDS/LISTEN_PID passed through, and the
# run.oci.keep_original_groups annotation. Run against runc too, which has none of them.

load helpers

setup() {
        setup_scratch
        make_bundle
}

teardown() {
        teardown_scratch
}

# bats test_tags=conformance
@test "--cgroup-manager disabled leaves the container in the runtime's cgroup; cgroupfs gives it its own" {
        config_set '.linux.namespaces |= map(select(.type != "cgroup")) | .mounts |= map(select(.type != "cgroup"))'
        config_args cat /proc/self/cgroup
        run "$RUNTIME_BIN" --cgroup-manager disabled --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID-off"
        [ "$status" -eq 0 ]
        [ "$output" = "$(cat /proc/self/cgroup)" ]
        run "$RUNTIME_BIN" --cgroup-manager cgroupfs --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID-on"
        [ "$status" -eq 0 ]
        [ "$output" != "$(cat /proc/self/cgroup)" ]
        [[ "$output" == *"$CID-on"* ]]
        run "$RUNTIME_BIN" --cgroup-manager bogus --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID-bad"
        [ "$status" -ne 0 ]
        assert_no_state "$CID-bad"
}

# bats test_tags=conformance
@test "create and run --config take the config from another file, relative paths from the bundle" {
        config_args echo from-bundle
        jq '.process.args = ["echo", "from-elsewhere"]' "$BUNDLE/config.json" > "$TEST_DIR/elsewhere.json"
        jq '.process.args = ["echo", "from-alt"]' "$BUNDLE/config.json" > "$BUNDLE/alt.json"
        run rt run --config "$TEST_DIR/elsewhere.json" --bundle "$BUNDLE" "$CID-abs"
        [ "$status" -eq 0 ]
        [ "$output" = from-elsewhere ]
        run rt run --config alt.json --bundle "$BUNDLE" "$CID-rel"
        [ "$status" -eq 0 ]
        [ "$output" = from-alt ]
        jq '.process.args = ["sleep", "1000"]' "$BUNDLE/config.json" > "$TEST_DIR/sleep.json"
        rt create --config "$TEST_DIR/sleep.json" --bundle "$BUNDLE" "$CID"
        rt start "$CID"
        for _ in $(seq 50); do [ "$(tr '\0' ' ' < /proc/$(container_pid)/cmdline)" = "sleep 1000 " ] && break; sleep 0.1; done
        [ "$(tr '\0' ' ' < /proc/$(container_pid)/cmdline)" = "sleep 1000 " ]
}

# bats test_tags=conformance
@test "delete --regex deletes every container whose id matches, and only those" {
        config_args sleep 1000
        for name in keep del1 del2; do rt create --bundle "$BUNDLE" "$CID_PREFIX-$name"; done
        pid1=$(container_pid "$CID_PREFIX-del1")
        pid2=$(container_pid "$CID_PREFIX-del2")
        pidk=$(container_pid "$CID_PREFIX-keep")
        run rt delete --force --regex "^$CID_PREFIX-del[0-9]"
        [ "$status" -eq 0 ]
        for _ in $(seq 50); do [ ! -d /proc/$pid1 ] && [ ! -d /proc/$pid2 ] && break; sleep 0.1; done
        [ ! -d /proc/$pid1 ]
        [ ! -d /proc/$pid2 ]
        kill -0 "$pidk"
        ! rt state "$CID_PREFIX-del1"
        ! rt state "$CID_PREFIX-del2"
        [ "$(container_status "$CID_PREFIX-keep")" = created ]
}

# bats test_tags=conformance
@test "LISTEN_FDS and LISTEN_PID pass systemd's sockets through to the container process" {
        echo activated > "$TEST_DIR/socket"
        config_args sh -c 'echo "$LISTEN_FDS $LISTEN_PID"; cat <&3; ls /proc/self/fd'
        # LISTEN_PID is the runtime's own pid (exec keeps it), as systemd sets it.
        run bash -c 'for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null
                exec 3<"$1"; export LISTEN_FDS=1 LISTEN_PID=$$; exec "$2" --root "$3" run --bundle "$4" "$5"' \
                _ "$TEST_DIR/socket" "$RUNTIME_BIN" "$STATE_ROOT" "$BUNDLE" "$CID"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "1 1" ]
        [ "${lines[1]}" = activated ]
        [ "$(echo ${lines[@]:2})" = "0 1 2 3 4" ]
}

# bats test_tags=conformance
@test "run.oci.keep_original_groups=1 keeps the caller's supplementary groups" {
        config_set '.process.user = {"uid": 0, "gid": 0, "additionalGids": [2000]}'
        config_args sh -c 'grep ^Groups: /proc/self/status'
        run setpriv --groups 1234,5678 -- "$RUNTIME_BIN" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID-plain"
        [ "$status" -eq 0 ]
        [ "$(echo $output)" = "Groups: 2000" ]
        config_set '.annotations["run.oci.keep_original_groups"] = "1"'
        run setpriv --groups 1234,5678 -- "$RUNTIME_BIN" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID-kept"
        [ "$status" -eq 0 ]
        [ "$(echo $output)" = "Groups: 1234 5678" ]
}
