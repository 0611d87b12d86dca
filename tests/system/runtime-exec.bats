#!/usr/bin/env bats
# exec: a new process in a running container, with runc's flags.

load helpers

setup() {
        setup_scratch
        make_bundle
        config_set '.hostname = "exec-box"'
        config_args sleep 1000
        rt run --detach --bundle "$BUNDLE" "$CID"
}

teardown() {
        [ -n "${RECEIVER_PID:-}" ] && kill "$RECEIVER_PID" 2>/dev/null
        teardown_scratch
}

# bats test_tags=conformance
@test "exec joins every namespace of the container and its cgroup" {
        pid=$(container_pid)
        rt exec --detach --pid-file "$TEST_DIR/exec.pid" "$CID" sleep 999
        epid=$(cat "$TEST_DIR/exec.pid")
        # Seen from the host: the same namespaces and the same cgroup in every hierarchy as the init.
        for n in pid net ipc uts mnt cgroup; do
                [ "$(readlink /proc/$epid/ns/$n)" = "$(readlink /proc/$pid/ns/$n)" ]
        done
        [ "$(cat /proc/$epid/cgroup)" = "$(cat /proc/$pid/cgroup)" ]
        run rt exec "$CID" hostname
        [ "$output" = exec-box ]
}

# bats test_tags=conformance
@test "exec's exit code is the process's" {
        run rt exec "$CID" sh -c 'exit 7'
        [ "$status" -eq 7 ]
}

# bats test_tags=conformance
@test "exec --env, --cwd, --user, --additional-gids" {
        run rt exec --env FOO=bar --cwd /tmp --user 1000:1001 --additional-gids 5 "$CID" sh -c 'echo $FOO; pwd; id -u; id -G'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = bar ]
        [ "${lines[1]}" = /tmp ]
        [ "${lines[2]}" = 1000 ]
        [ "${lines[3]}" = "1001 5" ]
}

# bats test_tags=conformance
@test "exec --cap adds a capability" {
        run rt exec "$CID" grep CapEff /proc/self/status
        before=$(awk '{print $2}' <<< "$output")
        run rt exec --cap CAP_SYS_ADMIN "$CID" grep CapEff /proc/self/status
        after=$(awk '{print $2}' <<< "$output")
        [ $(( 0x$after & (1 << 21) )) -ne 0 ]
        [ $(( 0x$before & (1 << 21) )) -eq 0 ]
}

# bats test_tags=conformance
@test "exec --process FILE takes the whole process from JSON" {
        cat > "$TEST_DIR/process.json" <<'EOF'
{"args": ["sh", "-c", "echo $X; id -u; pwd"], "env": ["X=from-file", "PATH=/bin"], "cwd": "/root",
 "user": {"uid": 65534, "gid": 65534}, "terminal": false}
EOF
        run rt exec --process "$TEST_DIR/process.json" "$CID"
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf 'from-file\n65534\n/root')" ]
}

# bats test_tags=conformance
@test "exec --detach --pid-file leaves the process running in the container" {
        rt exec --detach --pid-file "$TEST_DIR/exec.pid" "$CID" sleep 999
        epid=$(cat "$TEST_DIR/exec.pid")
        [ -d "/proc/$epid" ]
        [ "$(readlink /proc/$epid/ns/pid)" = "$(readlink /proc/$(container_pid)/ns/pid)" ]
        [ "$(tr '\0' ' ' < "/proc/$epid/cmdline")" = "sleep 999 " ]
}

# bats test_tags=conformance
@test "exec --tty --console-socket hands over a pty" {
        python3 "$BERTH_ROOT_DIR/tests/helpers/console-receiver.py" "$TEST_DIR/console.sock" "$TEST_DIR/console.out" &
        RECEIVER_PID=$!
        for _ in $(seq 50); do [ -S "$TEST_DIR/console.sock" ] && break; sleep 0.05; done
        run rt exec --tty --console-socket "$TEST_DIR/console.sock" "$CID" sh -c 'tty; echo ok'
        [ "$status" -eq 0 ]
        wait "$RECEIVER_PID"
        RECEIVER_PID=
        [[ "$(cat "$TEST_DIR/console.out")" == */dev/pts/*ok* ]]
}

# bats test_tags=conformance
@test "exec of a missing command fails with a clear error" {
        run rt exec "$CID" no-such-command
        [ "$status" -ne 0 ]
        [[ "$output" == *no-such-command* ]]
}

# bats test_tags=conformance
@test "exec into a stopped container is refused" {
        rt kill "$CID" KILL
        for _ in $(seq 50); do [ "$(container_status)" = stopped ] && break; sleep 0.1; done
        run rt exec "$CID" true
        [ "$status" -ne 0 ]
}

# bats test_tags=conformance
@test "no fd of the runtime reaches an exec'd process" {
        run bash -c "exec 7</; '$RUNTIME_BIN' --root '$STATE_ROOT' exec '$CID' ls /proc/self/fd"
        [ "$status" -eq 0 ]
        [ "$(echo $output)" = "0 1 2 3" ]
}

# bats test_tags=conformance
@test "exec --env replaces a variable the process already has" {
        # The environment as execve gave it, unfiltered by a shell: one TERM, the new value.
        run bash -c "'$RUNTIME_BIN' --root '$STATE_ROOT' exec --env TERM=berth-term --env NEW=1 '$CID' \
                cat /proc/self/environ | tr '\\0' '\\n' | grep -E '^(TERM|NEW)=' | sort"
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf 'NEW=1\nTERM=berth-term')" ]
}
