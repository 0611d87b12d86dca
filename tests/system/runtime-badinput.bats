#!/usr/bin/env bats
# Bad input: a non-zero exit, one clear line naming the field or path, nothing left behind.

load helpers

setup() {
        setup_scratch
        make_bundle
        config_args sleep 1000
        berth_only
}

teardown() {
        teardown_scratch
}

assert_nothing_left() {
        assert_no_state
        assert_no_cgroup
        assert_no_mounts_of "$BUNDLE"
        assert_no_process_with "$BUNDLE"
}

create_fails_naming() {  # create_fails_naming TEXT
        run rt create --bundle "$BUNDLE" "$CID"
        [ "$status" -ne 0 ]
        assert_one_line_naming "$1"
        assert_nothing_left
}

@test "malformed JSON names the file, line and column" {
        printf '{"ociVersion": "1.2.0",\n  "root": {"path": "rootfs",}\n}\n' > "$BUNDLE/config.json"
        create_fails_naming "config.json:2:"
}

@test "a missing required field is named" {
        config_set 'del(.process.cwd)'
        create_fails_naming "process.cwd"
        config_set '.process.cwd = "/" | del(.root)'
        create_fails_naming "root"
}

@test "a wrongly typed field is named with both types" {
        config_set '.process.args = "sleep 1000"'
        create_fails_naming "process.args: expected an array, got string"
        config_set '.process.args = ["sleep", 1000]'
        create_fails_naming "process.args[1]"
        config_set '.process.args = ["true"] | .process.user.uid = "root"'
        create_fails_naming "process.user.uid"
        config_set '.process.user.uid = 0 | .mounts[0].options = "ro"'
        create_fails_naming "mounts[0].options"
}

@test "an unknown namespace type is named" {
        config_set '.linux.namespaces += [{"type": "wormhole"}]'
        create_fails_naming 'linux.namespaces[6].type: unknown namespace type "wormhole"'
}

@test "a missing rootfs is named by path" {
        rm -rf "$BUNDLE/rootfs"
        create_fails_naming "$BUNDLE/rootfs"
}

@test "bad id mappings are refused before anything is made" {
        config_set '.linux.namespaces += [{"type":"user"}] | .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":0}] | .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":1}]'
        create_fails_naming "linux.uidMappings[0].size"
        config_set '.linux.uidMappings = [{"containerID":0,"hostID":100000,"size":100},{"containerID":50,"hostID":300000,"size":10}]'
        create_fails_naming "overlap"
        config_set '.linux.uidMappings = [{"containerID":0,"hostID":100000,"size":10}] | del(.linux.gidMappings)'
        create_fails_naming "gidMappings"
        config_set 'del(.linux.namespaces[] | select(.type == "user")) | .linux.gidMappings = [{"containerID":0,"hostID":1,"size":1}]'
        create_fails_naming "without a user namespace"
}

@test "a duplicate container id is refused" {
        rt create --bundle "$BUNDLE" "$CID"
        run rt create --bundle "$BUNDLE" "$CID"
        [ "$status" -ne 0 ]
        assert_one_line_naming "container with id exists: $CID"
        [ "$(container_status)" = created ]
}

@test "an invalid container id is refused" {
        run rt create --bundle "$BUNDLE" "../escape"
        [ "$status" -ne 0 ]
        assert_one_line_naming "invalid container id"
        [ ! -e "$STATE_ROOT/../escape" ]
}

# (An unknown capability is a warning, not an error: runtime-process.bats.)
@test "an unknown rlimit or device type is named" {
        config_set '.process.rlimits += [{"type":"RLIMIT_COFFEE","soft":1,"hard":1}]'
        create_fails_naming 'unknown rlimit "RLIMIT_COFFEE"'
        config_set '.process.rlimits = [] | .linux.devices = [{"path":"/dev/x","type":"z","major":1,"minor":1}]'
        create_fails_naming "linux.devices[0].type"
}

@test "a mount that fails names the mount; nothing left behind" {
        config_set '.mounts += [{"destination":"/data","type":"bind","source":"/nonexistent/source","options":["bind"]}]'
        create_fails_naming "/nonexistent/source"
}

@test "terminal without a console socket is refused" {
        config_set '.process.terminal = true'
        create_fails_naming "console-socket"
}

@test "a command that does not exist fails create, as runc does" {
        config_args no-such-command
        create_fails_naming 'exec: "no-such-command": executable file not found in $PATH'
}

@test "start, kill, state, delete of an unknown container" {
        for cmd in start state delete; do
                run rt "$cmd" nonexistent
                [ "$status" -ne 0 ]
                assert_one_line_naming "nonexistent"
        done
        run rt kill nonexistent KILL
        [ "$status" -ne 0 ]
        run rt delete --force nonexistent
        [ "$status" -eq 0 ]
}
