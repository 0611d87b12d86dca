#!/usr/bin/env bats
# process: args, env, cwd, user, rlimits, capabilities, noNewPrivileges, oomScoreAdj, terminal, personality.

load helpers

setup() {
        setup_scratch
        make_bundle
}

teardown() {
        [ -n "${RECEIVER_PID:-}" ] && kill "$RECEIVER_PID" 2>/dev/null
        teardown_scratch
}

status_field() {  # status_field NAME: the value of NAME in the container's /proc/self/status, from $output
        grep "^$1:" <<< "$output" | awk '{print $2}'
}

# bats test_tags=conformance
@test "args, env and cwd are the process's" {
        config_set '.process.env = ["PATH=/bin", "GREETING=hello world"] | .process.cwd = "/tmp"'
        config_args sh -c 'echo "$GREETING"; pwd; echo "$0" "$1"' zero one
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "hello world" ]
        [ "${lines[1]}" = /tmp ]
        [ "${lines[2]}" = "zero one" ]
}

# bats test_tags=conformance
@test "a missing cwd is created inside the rootfs" {
        config_set '.process.cwd = "/work/here"'
        config_args pwd
        run_container
        [ "$status" -eq 0 ]
        [ "$output" = /work/here ]
        [ -d "$BUNDLE/rootfs/work/here" ]
}

# bats test_tags=conformance
@test "user uid, gid, additionalGids and umask" {
        config_set '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [2000, 2001], "umask": 63}'
        config_args sh -c 'id -u; id -g; id -G; umask; touch /tmp/f; stat -c %a /tmp/f'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 1000 ]
        [ "${lines[1]}" = 1001 ]
        [ "${lines[2]}" = "1001 2000 2001" ]
        [ "${lines[3]}" = 0077 ]
        [ "${lines[4]}" = 600 ]
}

# bats test_tags=conformance
@test "rlimits are set, and one that cannot be set is an error" {
        config_set '.process.rlimits = [{"type":"RLIMIT_NOFILE","soft":512,"hard":1000},{"type":"RLIMIT_NPROC","soft":300,"hard":300}]'
        config_args sh -c 'ulimit -n; ulimit -Hn; ulimit -u'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 512 ]
        [ "${lines[1]}" = 1000 ]
        [ "${lines[2]}" = 300 ]
        # Above the host's hard limit, without CAP_SYS_RESOURCE: the runtime must refuse, not shrug.
        hard=$(ulimit -Hn)
        config_set ".process.rlimits = [{\"type\":\"RLIMIT_NOFILE\",\"soft\":$((hard + 1)),\"hard\":$((hard + 1))}]"
        if grep -q 'CapEff:.*' /proc/self/status && capsh --has-p=cap_sys_resource 2>/dev/null; then
                skip "this host has CAP_SYS_RESOURCE"
        fi
        run_container "$CID-2"
        [ "$status" -ne 0 ]
        assert_no_state "$CID-2"
}

# bats test_tags=conformance
@test "capabilities: all five sets as /proc/self/status shows them" {
        config_set '.process.user.uid = 1000 |
                .process.capabilities = {
                  "bounding": ["CAP_CHOWN","CAP_NET_RAW","CAP_KILL","CAP_SETUID"],
                  "effective": ["CAP_CHOWN","CAP_KILL"],
                  "permitted": ["CAP_CHOWN","CAP_KILL","CAP_NET_RAW"],
                  "inheritable": ["CAP_KILL","CAP_NET_RAW"],
                  "ambient": ["CAP_KILL"]}'
        config_args cat /proc/self/status
        run_container
        [ "$status" -eq 0 ]
        # CAP_CHOWN=0, CAP_KILL=5, CAP_SETUID=7, CAP_NET_RAW=13. The exec of cat recomputes effective and
        # permitted from ambient for a non-root user: permitted = effective = ambient = {KILL}.
        [ "$(status_field CapBnd)" = 00000000000020a1 ]
        [ "$(status_field CapInh)" = 0000000000002020 ]
        [ "$(status_field CapAmb)" = 0000000000000020 ]
        [ "$(status_field CapPrm)" = 0000000000000020 ]
        [ "$(status_field CapEff)" = 0000000000000020 ]
}

# bats test_tags=conformance
@test "capabilities of root: effective and permitted as given" {
        config_set '.process.capabilities = {
                  "bounding": ["CAP_CHOWN","CAP_NET_BIND_SERVICE"],
                  "effective": ["CAP_CHOWN","CAP_NET_BIND_SERVICE"],
                  "permitted": ["CAP_CHOWN","CAP_NET_BIND_SERVICE"]}'
        config_args cat /proc/self/status
        run_container
        [ "$status" -eq 0 ]
        [ "$(status_field CapBnd)" = 0000000000000401 ]
        [ "$(status_field CapPrm)" = 0000000000000401 ]
        [ "$(status_field CapEff)" = 0000000000000401 ]
        [ "$(status_field CapAmb)" = 0000000000000000 ]
}

# bats test_tags=conformance
@test "noNewPrivileges sets NoNewPrivs" {
        config_set '.process.noNewPrivileges = true'
        config_args grep NoNewPrivs /proc/self/status
        run_container
        [ "$(echo $output)" = "NoNewPrivs: 1" ]
        config_set '.process.noNewPrivileges = false'
        run_container "$CID-2"
        [ "$(echo $output)" = "NoNewPrivs: 0" ]
}

# bats test_tags=conformance
@test "oomScoreAdj" {
        config_set '.process.oomScoreAdj = 345'
        config_args cat /proc/self/oom_score_adj
        run_container
        [ "$status" -eq 0 ]
        [ "$output" = 345 ]
}

# bats test_tags=conformance
@test "personality LINUX32 makes uname -m say i686" {
        config_set '.linux.personality = {"domain": "LINUX32"}'
        config_args uname -m
        run_container
        [ "$status" -eq 0 ]
        [ "$output" = i686 ]
}

# bats test_tags=conformance
@test "terminal: the pty master goes to --console-socket; the process has a controlling tty of the given size" {
        config_set '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 111}'
        config_args sh -c 'tty; stty size; ls -l /dev/console | cut -c1; readlink /proc/self/fd/0'
        python3 "$BERTH_ROOT_DIR/tests/helpers/console-receiver.py" "$TEST_DIR/console.sock" "$TEST_DIR/console.out" &
        RECEIVER_PID=$!
        for _ in $(seq 50); do [ -S "$TEST_DIR/console.sock" ] && break; sleep 0.05; done
        rt create --console-socket "$TEST_DIR/console.sock" --bundle "$BUNDLE" "$CID"
        rt start "$CID"
        wait "$RECEIVER_PID"
        RECEIVER_PID=
        output=$(tr -d '\r' < "$TEST_DIR/console.out")
        [[ "$(sed -n 1p <<< "$output")" == /dev/pts/* ]]
        [ "$(sed -n 2p <<< "$output")" = "33 111" ]
        [ "$(sed -n 3p <<< "$output")" = c ]
        [[ "$(sed -n 4p <<< "$output")" == /dev/pts/* ]]
}

# bats test_tags=conformance
@test "without terminal, the process keeps the caller's stdio" {
        config_args sh -c 'read line; echo "got $line"; echo err >&2'
        run bash -c "echo hi | '$RUNTIME_BIN' --root '$STATE_ROOT' run --bundle '$BUNDLE' '$CID' 2>/dev/null"
        [ "$status" -eq 0 ]
        [ "$output" = "got hi" ]
}

@test "run in the foreground with a terminal proxies it (no console socket)" {
        berth_only
        command -v script >/dev/null || skip "script(1) missing"
        config_set '.process.terminal = true'
        config_args sh -c 'tty; echo done'
        run script -qec "'$RUNTIME_BIN' --root '$STATE_ROOT' run --bundle '$BUNDLE' '$CID'" /dev/null
        [ "$status" -eq 0 ]
        [[ "$output" == *"/dev/pts/"* ]]
        [[ "$output" == *done* ]]
}

# bats test_tags=conformance
@test "an unknown capability is a warning, not an error: the known ones are granted" {
        config_set '.process.capabilities = {"bounding": ["CAP_NET_RAW", "CAP_BERTH_UNKNOWN"],
                "effective": ["CAP_NET_RAW", "CAP_BERTH_UNKNOWN"], "permitted": ["CAP_NET_RAW", "CAP_BERTH_UNKNOWN"]}'
        config_args cat /proc/self/status
        run_container
        [ "$status" -eq 0 ]
        # CAP_NET_RAW is capability 13.
        [ "$(status_field CapEff)" = 0000000000002000 ]
        [ "$(status_field CapBnd)" = 0000000000002000 ]
        berth_only
        grep -q 'warning: .*unknown capability "CAP_BERTH_UNKNOWN"' <<< "$output"
}

# bats test_tags=conformance
@test "linux.sysctl kernel.hostname together with hostname is refused; alone it sets the hostname" {
        config_set '.hostname = "box" | .linux.sysctl = {"kernel.hostname": "other"}'
        config_args hostname
        run_container
        [ "$status" -ne 0 ]
        assert_no_state
        if [ "$OCI_RUNTIME" = berth-runtime ]; then assert_one_line_naming "kernel.hostname"; fi
        config_set 'del(.hostname)'
        run rt run --bundle "$BUNDLE" "$CID-b"
        [ "$status" -eq 0 ]
        [ "$output" = other ]
}

# bats test_tags=conformance
@test "HOME comes from the container's /etc/passwd when process.env has none, for run and exec" {
        echo 'app:x:1000:1000:app:/home/app:/bin/sh' >> "$BUNDLE/rootfs/etc/passwd"
        config_set '.process.env = ["PATH=/bin"]'
        config_args sh -c 'echo "$HOME"'
        run rt run --bundle "$BUNDLE" "$CID-root"
        [ "$output" = /root ]
        config_set '.process.user = {"uid": 1000, "gid": 1000}'
        run rt run --bundle "$BUNDLE" "$CID-app"
        [ "$output" = /home/app ]
        config_set '.process.user = {"uid": 4321, "gid": 4321}'
        run rt run --bundle "$BUNDLE" "$CID-none"
        [ "$output" = / ]
        # A HOME the config gives is kept.
        config_set '.process.env = ["PATH=/bin", "HOME=/given"]'
        run rt run --bundle "$BUNDLE" "$CID-given"
        [ "$output" = /given ]
        config_set '.process.env = ["PATH=/bin"] | .process.user = {"uid": 0, "gid": 0}'
        config_args sleep 1000
        rt run --detach --bundle "$BUNDLE" "$CID"
        run rt exec --user 1000:1000 "$CID" sh -c 'echo "$HOME"'
        [ "$output" = /home/app ]
        run rt exec "$CID" sh -c 'echo "$HOME"'
        [ "$output" = /root ]
}
