#!/usr/bin/env bats
# hooks (runtime-spec config.md "POSIX-platform Hooks", runtime.md "Lifecycle").

load helpers

setup() {
        setup_scratch
        make_bundle
        HOOK_LOG=$TEST_DIR/hooks.log
        # A hook that records its name, args, env, what namespace it ran in and the state on its stdin.
        cat > "$TEST_DIR/hook.sh" <<EOF
#!/bin/sh
state=\$(cat)
echo "\$1 args=\$* env=\$HOOK_ENV mnt=\$(readlink /proc/self/ns/mnt) state=\$state" >> "$HOOK_LOG"
EOF
        chmod +x "$TEST_DIR/hook.sh"
}

teardown() {
        teardown_scratch
}

hook_json() {  # hook_json NAME [extra json fields]
        printf '{"path":"%s","args":["hook.sh","%s","x y"],"env":["HOOK_ENV=%s-env"]%s}' "$TEST_DIR/hook.sh" "$1" "$1" "${2:-}"
}

# bats test_tags=conformance
@test "every hook kind runs once, in order, with args, env and the state on stdin" {
        config_set ".hooks = {
                \"prestart\": [$(hook_json prestart)],
                \"createRuntime\": [$(hook_json createRuntime)],
                \"createContainer\": [$(hook_json createContainer)],
                \"startContainer\": [$(hook_json startContainer)],
                \"poststart\": [$(hook_json poststart)],
                \"poststop\": [$(hook_json poststop)]}"
        # startContainer runs in the container: its path must resolve there.
        mkdir -p "$BUNDLE/rootfs$TEST_DIR"
        cp "$TEST_DIR/hook.sh" "$BUNDLE/rootfs$TEST_DIR/hook.sh"
        sed -i "s|>> \"$HOOK_LOG\"|>> /tmp/hooks-inside.log|" "$BUNDLE/rootfs$TEST_DIR/hook.sh"
        config_args sleep 1000
        rt create --bundle "$BUNDLE" "$CID"
        pid=$(container_pid)
        run cut -d' ' -f1 "$HOOK_LOG"
        [ "$output" = "$(printf 'prestart\ncreateRuntime\ncreateContainer')" ]
        rt start "$CID"
        for _ in $(seq 50); do [ -e "$BUNDLE/rootfs/tmp/hooks-inside.log" ] && break; sleep 0.1; done
        grep -q '^startContainer args=startContainer x y env=startContainer-env' "$BUNDLE/rootfs/tmp/hooks-inside.log"
        grep -q '^poststart ' "$HOOK_LOG"
        rt delete --force "$CID"
        grep -q '^poststop ' "$HOOK_LOG"
        [ "$(grep -c . "$HOOK_LOG")" -eq 5 ]
        host_mnt=$(readlink /proc/self/ns/mnt)
        # prestart, createRuntime, poststart, poststop: the runtime's namespace; createContainer: the container's.
        for h in prestart createRuntime poststart poststop; do
                grep "^$h " "$HOOK_LOG" | grep -qF "mnt=$host_mnt"
        done
        ! grep "^createContainer " "$HOOK_LOG" | grep -qF "mnt=$host_mnt"
        grep '^createRuntime ' "$HOOK_LOG" | grep -q 'env=createRuntime-env'
        grep '^createRuntime ' "$HOOK_LOG" | grep -q 'args=createRuntime x y'
        state=$(grep '^createRuntime ' "$HOOK_LOG" | sed 's/.* state=//')
        [ "$(jq -r .id <<< "$state")" = "$CID" ]
        [ "$(jq -r .pid <<< "$state")" = "$pid" ]
        [ "$(jq -r .bundle <<< "$state")" = "$BUNDLE" ]
        [ "$(jq -r .status <<< "$state")" = creating ]
        [ "$(grep '^poststop ' "$HOOK_LOG" | sed 's/.* state=//' | jq -r .status)" = stopped ]
}

# bats test_tags=conformance
@test "a failing createRuntime hook fails create and leaves nothing behind" {
        printf '#!/bin/sh\necho "hook says no" >&2\nexit 3\n' > "$TEST_DIR/fail.sh"
        chmod +x "$TEST_DIR/fail.sh"
        config_set ".hooks = {\"createRuntime\": [{\"path\": \"$TEST_DIR/fail.sh\"}], \"poststop\": [$(hook_json poststop)]}"
        config_args sleep 1000
        run rt create --bundle "$BUNDLE" "$CID"
        [ "$status" -ne 0 ]
        assert_no_state
        assert_no_cgroup
        assert_no_process_with "$BUNDLE"
        assert_no_mounts_of "$BUNDLE"
        berth_only
        assert_one_line_naming "fail.sh"
        [[ "$output" == *"hook says no"* ]]
}

# bats test_tags=conformance
@test "a hanging hook is killed at its timeout and fails create" {
        printf '#!/bin/sh\nexec sleep 1000\n' > "$TEST_DIR/hang.sh"
        chmod +x "$TEST_DIR/hang.sh"
        config_set ".hooks = {\"prestart\": [{\"path\": \"$TEST_DIR/hang.sh\", \"timeout\": 1}]}"
        config_args sleep 1000
        # timeout(1) only guards against a hang (exit 124): the hook's own timeout is what ends create.
        run timeout 300 "$RUNTIME_BIN" --root "$STATE_ROOT" create --bundle "$BUNDLE" "$CID"
        [ "$status" -ne 0 ] && [ "$status" -ne 124 ]
        assert_no_state
        assert_no_process_with "$TEST_DIR/hang.sh"
        assert_no_process_with "sleep 1000"
        berth_only
        assert_one_line_naming "timed out"
}

# bats test_tags=conformance
@test "a failing poststart hook is a warning: the container keeps running" {
        printf '#!/bin/sh\nexit 1\n' > "$TEST_DIR/fail.sh"
        chmod +x "$TEST_DIR/fail.sh"
        config_set ".hooks = {\"poststart\": [{\"path\": \"$TEST_DIR/fail.sh\"}, $(hook_json poststart2)]}"
        config_args sleep 1000
        rt create --bundle "$BUNDLE" "$CID"
        run rt start "$CID"
        # CI once saw this start fail (stop at fa134a5, not reproduced in 41 runs here): say why when it does.
        echo "start: status $status: $output"
        [ "$status" -eq 0 ]
        [ "$(container_status)" = running ]
}

# bats test_tags=conformance
@test "a failing poststart or poststop hook does not stop the next one of its kind" {
        # runtime-spec lifecycle steps 9 and 13: the failure is logged, the remaining hooks still run.
        config_set ".hooks = {\"poststart\": [{\"path\": \"$(type -P false)\"}, $(hook_json poststart)],
                \"poststop\": [{\"path\": \"$(type -P false)\"}, $(hook_json poststop)]}"
        config_args sleep 1000
        rt create --bundle "$BUNDLE" "$CID"
        run rt start "$CID"
        [ "$status" -eq 0 ]
        grep -q '^poststart args=poststart x y' "$HOOK_LOG"
        [ "$(container_status)" = running ]
        run rt delete --force "$CID"
        [ "$status" -eq 0 ]
        grep -q '^poststop args=poststop x y' "$HOOK_LOG"
        assert_no_state
}

# bats test_tags=conformance
@test "a hook without env inherits the runtime's environment" {
        printf '#!/bin/sh\necho "probe=$BERTH_HOOK_PROBE" >> "%s"\n' "$HOOK_LOG" > "$TEST_DIR/env.sh"
        chmod +x "$TEST_DIR/env.sh"
        config_set ".hooks = {\"createRuntime\": [{\"path\": \"$TEST_DIR/env.sh\"}],
                \"poststart\": [{\"path\": \"$TEST_DIR/env.sh\"}, $(hook_json poststart)]}"
        config_args sleep 1000
        BERTH_HOOK_PROBE=from-the-caller rt create --bundle "$BUNDLE" "$CID"
        BERTH_HOOK_PROBE=from-the-caller rt start "$CID"
        [ "$(grep -c '^probe=from-the-caller$' "$HOOK_LOG")" -eq 2 ]
        # A hook with env gets exactly that env, nothing of the runtime's.
        grep '^poststart ' "$HOOK_LOG" | grep -q 'env=poststart-env'
}
