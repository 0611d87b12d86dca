#!/usr/bin/env bats
# Rootless: berth-runtime run by an unprivileged user (a bare uid, no account needed), mapping itself to
# root in a new user namespace as `spec --rootless` writes it. The id maps are written by the unprivileged
# parent itself (a single self-mapping, setgroups denied), as the kernel allows.

load helpers

ROOTLESS_UID=1500

setup() {
        berth_only
        setup_scratch
        BUNDLE=$TEST_DIR/bundle
        mkdir -p "$BUNDLE" "$TEST_DIR/run"
        make_rootfs "$BUNDLE/rootfs"
        cp "$RUNTIME_BIN" "$TEST_DIR/berth-runtime"
        chmod 755 "$TEST_DIR" "$TEST_DIR/berth-runtime"
        chown -R "$ROOTLESS_UID:$ROOTLESS_UID" "$BUNDLE" "$TEST_DIR/run"
}

teardown() {
        # The unprivileged runtime's containers live under its own XDG_RUNTIME_DIR.
        for id in $(ls "$TEST_DIR/run/berth-runtime" 2>/dev/null); do
                as_user "$TEST_DIR/berth-runtime" delete -f "$id" >/dev/null 2>&1 || true
        done
        teardown_scratch
}

as_user() {
        setpriv --reuid="$ROOTLESS_UID" --regid="$ROOTLESS_UID" --clear-groups \
                env XDG_RUNTIME_DIR="$TEST_DIR/run" HOME="$TEST_DIR" "$@"
}

@test "rootless: spec --rootless, run as an unprivileged user, root inside maps to that user" {
        cd "$BUNDLE"
        as_user "$TEST_DIR/berth-runtime" spec --rootless
        config_set '.process.terminal = false | .root.readonly = false |
                .process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map; echo $$; touch /tmp/made"]'
        run as_user "$TEST_DIR/berth-runtime" run r1
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 0 ]
        [ "$(echo ${lines[1]})" = "0 $ROOTLESS_UID 1" ]
        [ "${lines[2]}" = 1 ]
        # A file the container's root made is the unprivileged user's on the host.
        [ "$(stat -c %u "$BUNDLE/rootfs/tmp/made")" = "$ROOTLESS_UID" ]
        # Its state lived under the user's runtime dir, and is gone.
        [ -z "$(ls "$TEST_DIR/run/berth-runtime" 2>/dev/null)" ]
}

@test "rootless: create, state, start, delete as an unprivileged user" {
        cd "$BUNDLE"
        as_user "$TEST_DIR/berth-runtime" spec --rootless
        config_set '.process.terminal = false | .root.readonly = false | .process.args = ["sleep", "1000"]'
        as_user "$TEST_DIR/berth-runtime" create r2
        [ "$(as_user "$TEST_DIR/berth-runtime" state r2 | jq -r .status)" = created ]
        pid=$(as_user "$TEST_DIR/berth-runtime" state r2 | jq -r .pid)
        [ "$(stat -c %u /proc/$pid)" = "$ROOTLESS_UID" ]
        as_user "$TEST_DIR/berth-runtime" start r2
        [ "$(as_user "$TEST_DIR/berth-runtime" state r2 | jq -r .status)" = running ]
        as_user "$TEST_DIR/berth-runtime" delete -f r2
        [ ! -d "/proc/$pid" ] || ! grep -q "sleep" "/proc/$pid/cmdline" 2>/dev/null
}

@test "rootless: a mapping of other ids without newuidmap's permission is refused clearly" {
        cd "$BUNDLE"
        as_user "$TEST_DIR/berth-runtime" spec --rootless
        config_set ".process.terminal = false | .linux.uidMappings = [{\"containerID\":0,\"hostID\":200000,\"size\":1000}]"
        run as_user "$TEST_DIR/berth-runtime" run r3
        [ "$status" -ne 0 ]
        assert_one_line_naming "linux.uidMappings"
        [ -z "$(ls "$TEST_DIR/run/berth-runtime" 2>/dev/null)" ]
}
