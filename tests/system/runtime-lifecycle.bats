#!/usr/bin/env bats
# The lifecycle of runtime-spec "Lifecycle" and "Operations", and runc's CLI around it.

load helpers

setup() {
        setup_scratch
        make_bundle
}

teardown() {
        teardown_scratch
}

# bats test_tags=conformance
@test "create leaves the init waiting: the process does not run before start" {
        config_args sh -c 'echo ran > /tmp/marker'
        rt create --bundle "$BUNDLE" "$CID"
        [ "$(container_status)" = created ]
        pid=$(container_pid)
        [ "$pid" -gt 0 ]
        [ -d "/proc/$pid" ]
        [ ! -e "$BUNDLE/rootfs/tmp/marker" ]
        rt start "$CID"
        for _ in $(seq 50); do [ -e "$BUNDLE/rootfs/tmp/marker" ] && break; sleep 0.1; done
        [ "$(cat "$BUNDLE/rootfs/tmp/marker")" = ran ]
}

# bats test_tags=conformance
@test "state goes created -> running -> stopped, and delete removes the record" {
        config_args sleep 1000
        rt create --bundle "$BUNDLE" "$CID"
        run rt state "$CID"
        [ "$status" -eq 0 ]
        [ "$(jq -r .status <<< "$output")" = created ]
        [ "$(jq -r .id <<< "$output")" = "$CID" ]
        [ "$(jq -r .bundle <<< "$output")" = "$BUNDLE" ]
        [ "$(jq -r .ociVersion <<< "$output")" != null ]
        rt start "$CID"
        [ "$(container_status)" = running ]
        pid=$(container_pid)
        rt kill "$CID" KILL
        for _ in $(seq 50); do [ "$(container_status)" = stopped ] && break; sleep 0.1; done
        [ "$(container_status)" = stopped ]
        [ ! -d "/proc/$pid" ] || grep -q '^State:.*Z' "/proc/$pid/status"
        rt delete "$CID"
        run rt state "$CID"
        [ "$status" -ne 0 ]
        assert_no_state
}

# bats test_tags=conformance
@test "the init is PID 1 of its own pid namespace" {
        config_args sh -c 'echo $$'
        run_container
        [ "$status" -eq 0 ]
        [ "$output" = 1 ]
}

# bats test_tags=conformance
@test "run returns the process's exit code, 128+N for a signal" {
        config_args sh -c 'exit 42'
        run_container
        [ "$status" -eq 42 ]
        # PID 1 of a namespace cannot be killed from inside it: kill it from outside while run waits.
        config_args sleep 1000
        ( set +e; rt run --bundle "$BUNDLE" "$CID-2"; echo $? > "$TEST_DIR/run-status" ) &
        for _ in $(seq 50); do [ "$(container_status "$CID-2" 2>/dev/null)" = running ] && break; sleep 0.1; done
        rt kill "$CID-2" KILL
        for _ in $(seq 50); do [ -s "$TEST_DIR/run-status" ] && break; sleep 0.1; done
        [ "$(cat "$TEST_DIR/run-status")" -eq 137 ]
}

# bats test_tags=conformance
@test "kill accepts signal names and numbers, --all reaches every process" {
        config_args sh -c 'trap "echo got-usr1 > /tmp/usr1" USR1; while :; do sleep 0.1; done'
        rt run --detach --bundle "$BUNDLE" "$CID"
        sleep 0.3
        rt kill "$CID" SIGUSR1
        for _ in $(seq 50); do [ -e "$BUNDLE/rootfs/tmp/usr1" ] && break; sleep 0.1; done
        [ -e "$BUNDLE/rootfs/tmp/usr1" ]
        rm "$BUNDLE/rootfs/tmp/usr1"
        rt kill "$CID" 10
        for _ in $(seq 50); do [ -e "$BUNDLE/rootfs/tmp/usr1" ] && break; sleep 0.1; done
        [ -e "$BUNDLE/rootfs/tmp/usr1" ]
        rt kill --all "$CID" KILL
        for _ in $(seq 50); do [ "$(container_status)" = stopped ] && break; sleep 0.1; done
        [ "$(container_status)" = stopped ]
}

# bats test_tags=conformance
@test "delete refuses a running container without --force and removes it with --force" {
        config_args sleep 1000
        rt run --detach --bundle "$BUNDLE" "$CID"
        pid=$(container_pid)
        run rt delete "$CID"
        [ "$status" -ne 0 ]
        [ -d "/proc/$pid" ]
        rt delete --force "$CID"
        assert_no_state
        for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
        [ ! -d "/proc/$pid" ]
}

# bats test_tags=conformance
@test "delete of a created container kills its waiting init" {
        config_args sleep 1000
        rt create --bundle "$BUNDLE" "$CID"
        pid=$(container_pid)
        rt delete "$CID"
        for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
        [ ! -d "/proc/$pid" ]
        assert_no_state
}

# bats test_tags=conformance
@test "start of a running container fails" {
        config_args sleep 1000
        rt run --detach --bundle "$BUNDLE" "$CID"
        run rt start "$CID"
        [ "$status" -ne 0 ]
}

@test "--pid-file gets the init's pid" {
        config_args sleep 1000
        rt create --pid-file "$TEST_DIR/pid" --bundle "$BUNDLE" "$CID"
        [ "$(cat "$TEST_DIR/pid")" = "$(container_pid)" ]
}

@test "list shows a table, json and ids" {
        config_args sleep 1000
        rt create --bundle "$BUNDLE" "$CID"
        rt run --detach --bundle "$BUNDLE" "$CID-b"
        run rt list
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == ID*PID*STATUS*BUNDLE*CREATED*OWNER ]]
        [[ "$output" == *"$CID "*created* ]]
        [[ "$output" == *"$CID-b "*running* ]]
        run rt list -q
        [ "$output" = "$(printf '%s\n%s' "$CID" "$CID-b")" ]
        run rt list --format json
        [ "$(jq -r '.[] | select(.id == "'"$CID-b"'") | .status' <<< "$output")" = running ]
        [ "$(jq length <<< "$output")" -eq 2 ]
}

@test "ps lists the container's processes" {
        config_args sh -c 'sleep 1000 & sleep 1000'
        rt run --detach --bundle "$BUNDLE" "$CID"
        sleep 0.3
        run rt ps --format json "$CID"
        [ "$status" -eq 0 ]
        # busybox sh execs its last command: the init becomes the second sleep.
        [ "$(jq length <<< "$output")" -eq 2 ]
        jq -e "index($(container_pid))" <<< "$output"
        run rt ps "$CID"
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == *PID* ]]
        [ "$(grep -c 'sleep 1000' <<< "$output")" -eq 2 ]
}

@test "a duplicate id is refused and the first container is untouched" {
        config_args sleep 1000
        rt run --detach --bundle "$BUNDLE" "$CID"
        pid=$(container_pid)
        run rt create --bundle "$BUNDLE" "$CID"
        [ "$status" -ne 0 ]
        berth_only
        assert_one_line_naming "$CID"
        [ "$(container_pid)" = "$pid" ]
        [ "$(container_status)" = running ]
}

@test "features prints the runtime-spec features document" {
        berth_only
        run rt features
        [ "$status" -eq 0 ]
        jq -e '.ociVersionMin and .ociVersionMax and (.hooks | index("createRuntime"))' <<< "$output"
        jq -e '.linux.namespaces | index("time")' <<< "$output"
        jq -e '.linux.capabilities | index("CAP_SYS_ADMIN")' <<< "$output"
        jq -e '.linux.cgroup.v1 and .linux.cgroup.v2' <<< "$output"
        jq -e '.mountOptions | index("rbind")' <<< "$output"
}

@test "spec writes a default config.json; --rootless maps the caller" {
        berth_only
        mkdir "$TEST_DIR/s"
        rt spec --bundle "$TEST_DIR/s"
        jq -e '.process.args == ["sh"] and .root.path == "rootfs"' "$TEST_DIR/s/config.json"
        jq -e '[.linux.namespaces[].type] | index("mount")' "$TEST_DIR/s/config.json"
        run rt spec --bundle "$TEST_DIR/s"
        [ "$status" -ne 0 ]
        mkdir "$TEST_DIR/r"
        rt spec --rootless --bundle "$TEST_DIR/r"
        jq -e '.linux.uidMappings[0].hostID == 0 and ([.linux.namespaces[].type] | index("user"))' "$TEST_DIR/r/config.json"
}

@test "--version and global flags" {
        berth_only
        run "$RUNTIME_BIN" --version
        [ "$status" -eq 0 ]
        [[ "$output" == *"berth-runtime version"* ]]
        run rt --systemd-cgroup list
        [ "$status" -ne 0 ]
        [[ "$output" == *systemd* ]]
}

@test "--log --log-format json writes runc-style JSON error lines" {
        berth_only
        run "$RUNTIME_BIN" --root "$STATE_ROOT" --log "$TEST_DIR/log.json" --log-format json state nonexistent
        [ "$status" -ne 0 ]
        jq -e 'select(.level == "error") | .msg | contains("nonexistent")' "$TEST_DIR/log.json"
        jq -e '.time' "$TEST_DIR/log.json"
}
