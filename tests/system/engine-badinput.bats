#!/usr/bin/env bats
# Bad input to run/create: one line in docker's words, exit 125, nothing created.

load engine-helpers

setup() {
        engine_setup
}

teardown() {
        engine_teardown
}

# Nothing of a container exists: records, directories, snapshots, runtime state, mounts.
assert_nothing_created() {
        [ -z "$(b ps -aq)" ]
        [ -z "$(ls "$ROOT/containers")" ]
        [ -z "$(ls "$ROOT/snapshots")" ]
        [ -z "$(ls "$ROOT/runtime" 2>/dev/null | grep -v '^\.')" ]
        ! grep -q " $T/" /proc/self/mountinfo
}

@test "unknown image" {
        run b run --rm --pull never no-such-image echo hi
        [ "$status" -eq 125 ]
        assert_one_line_naming "No such image: no-such-image"
        assert_nothing_created
}

# As docker: the pull on run announces itself, then its failure is one line. The registry is a closed port
# on 127.0.0.1, so that nothing leaves the machine.
@test "unknown image that cannot be pulled" {
        run b run --rm 127.0.0.1:1/no-such-image echo hi
        [ "$status" -eq 125 ]
        [ "${lines[0]}" = "Unable to find image '127.0.0.1:1/no-such-image:latest' locally" ]
        [ "${#lines[@]}" -eq 2 ]
        [[ "${lines[1]}" == *"127.0.0.1:1"* ]]
        assert_nothing_created
}

@test "unknown flag" {
        run b run --bogus-flag busybox true
        [ "$status" -eq 125 ]
        assert_one_line_naming "unknown flag: --bogus-flag"
        assert_nothing_created
}

@test "invalid memory size" {
        run b run --memory 12zb busybox true
        [ "$status" -eq 125 ]
        assert_one_line_naming "invalid argument \"12zb\" for \"-m, --memory\" flag: invalid size: '12zb'"
        assert_nothing_created
        run b create -m lots busybox true
        [ "$status" -eq 125 ]
        assert_nothing_created
}

@test "missing volume source" {
        run b run --mount "type=bind,source=$T/nope,target=/x" busybox true
        [ "$status" -eq 125 ]
        assert_one_line_naming "bind source path does not exist: $T/nope"
        assert_nothing_created
}

@test "name already in use" {
        id=$(b create --name taken busybox true)
        run b run --name taken busybox true
        [ "$status" -eq 125 ]
        assert_one_line_naming "The container name \"/taken\" is already in use by container \"$id\""
        [ "$(b ps -aq --no-trunc)" = "$id" ]
        [ "$(ls "$ROOT/containers")" = "$id" ]
        [ "$(ls "$ROOT/snapshots")" = "$id" ]
}

@test "invalid flag values: cpus, restart, ulimit, network, user namespace, --rm with --restart" {
        for args in "--cpus x" "--restart sometimes" "--ulimit nofile" "--network nosuchnet" "--userns weird" \
                "--rm --restart always" "--name a/b" "--stop-signal SIGNOPE" "-w relative"; do
                run b run $args busybox true
                [ "$status" -eq 125 ] || { echo "$args: $status $output"; false; }
                [ "$(printf '%s\n' "$output" | grep -c .)" -eq 1 ] || { echo "$args: $output"; false; }
        done
        assert_nothing_created
}
