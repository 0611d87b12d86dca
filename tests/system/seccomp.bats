#!/usr/bin/env bats
# linux.seccomp (runtime-spec config-linux.md "Seccomp"): every action, errnoRet/defaultErrnoRet, argument
# comparisons, architectures, flags, the notify listener, the default profile of `spec`, bad input, and the
# compiled-filter cache. What the tests check is what the kernel does to the container's syscalls (their
# errno, the signal that killed the caller, the audit record, /proc/self/status), never what berth says.
# OCI_RUNTIME=runc|crun runs the same tests against the other runtimes (docs/seccomp.md has the table).

load helpers
load seccomp-helpers

setup() {
        seccomp_setup
}

teardown() {
        seccomp_teardown
}

# bats test_tags=conformance
@test "seccomp: SCMP_ACT_ERRNO with errnoRet 38: mkdir fails with ENOSYS and makes nothing" {
        seccomp_deny_mkdir SCMP_ACT_ERRNO '"errnoRet": 38'
        config_args sh -c 'mkdir /dev/shm/foo; [ -d /dev/shm/foo ] && echo exists || echo absent'
        run_container
        [ "$status" -eq 0 ]
        [[ "$output" == *"mkdir: can't create directory '/dev/shm/foo': Function not implemented"* ]]
        [[ "$output" == *absent* ]]
}

# bats test_tags=conformance
@test "seccomp: SCMP_ACT_ERRNO without errnoRet answers EPERM" {
        seccomp_deny_mkdir SCMP_ACT_ERRNO
        config_args seccomp-syscall mkdir /dev/shm/foo 0700
        run_container
        [ "$status" -eq 1 ]
        [ "$output" = "errno 1 Operation not permitted" ]
}

# bats test_tags=conformance
@test "seccomp: defaultAction SCMP_ACT_ERRNO with defaultErrnoRet: unlisted syscalls get that errno" {
        # spec's profile (Docker's) with another default errno: keyctl is not on its allowlist.
        config_set '.linux.seccomp.defaultErrnoRet = 6'
        config_args sh -c 'seccomp-syscall keyctl 0 0xfffffffffffffffd 0; seccomp-syscall getpid'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "errno 6 No such device or address" ]
        [[ "${lines[1]}" == "ok "* ]]
}

# bats test_tags=conformance
@test "seccomp: SCMP_ACT_KILL kills the caller with SIGSYS" {
        seccomp_deny_mkdir SCMP_ACT_KILL
        config_args sh -c 'seccomp-syscall mkdir /dev/shm/foo 0700; echo status=$?; [ -d /dev/shm/foo ] || echo absent'
        run_container
        [ "$status" -eq 0 ]
        [[ "$output" == *"status=159"* ]] # 128 + SIGSYS (31)
        [[ "$output" == *absent* ]]
}

# bats test_tags=conformance
@test "seccomp: SCMP_ACT_KILL_PROCESS and SCMP_ACT_KILL_THREAD kill with SIGSYS" {
        local action
        for action in SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD; do
                seccomp_deny_mkdir "$action"
                config_args sh -c 'seccomp-syscall mkdir /dev/shm/foo 0700; echo status=$?'
                run_container "$CID-${action##*_}"
                echo "$action: $status $output"
                [ "$status" -eq 0 ]
                [[ "$output" == *"status=159"* ]]
        done
}

# bats test_tags=conformance
@test "seccomp: SCMP_ACT_TRAP sends SIGSYS" {
        seccomp_deny_mkdir SCMP_ACT_TRAP
        config_args sh -c 'seccomp-syscall mkdir /dev/shm/foo 0700; echo status=$?'
        run_container
        [ "$status" -eq 0 ]
        [[ "$output" == *"status=159"* ]]
}

# bats test_tags=conformance
@test "seccomp: SCMP_ACT_TRACE without a tracer fails the syscall with ENOSYS" {
        seccomp_deny_mkdir SCMP_ACT_TRACE '"errnoRet": 5'
        config_args seccomp-syscall mkdir /dev/shm/foo 0700
        run_container
        [ "$status" -eq 1 ]
        [ "$output" = "errno 38 Function not implemented" ]
}

# bats test_tags=conformance
@test "seccomp: SCMP_ACT_LOG lets the syscall through and the kernel logs it" {
        # A command name of the test's own, to find its audit record (type=1326) in the kernel log.
        local comm=sclog$RANDOM
        cp "$SECCOMP_SYSCALL_BIN" "$BUNDLE/rootfs/bin/$comm"
        seccomp_deny_mkdir SCMP_ACT_LOG
        config_args sh -c "$comm mkdir /dev/shm/foo 0700 && [ -d /dev/shm/foo ] && echo made"
        run_container
        [ "$status" -eq 0 ]
        [[ "$output" == *made* ]]
        run seccomp_audit_records "$comm"
        echo "$output"
        [[ "$output" == *"syscall=83 "*"code=0x7ffc0000"* ]] # mkdir on x86_64, SECCOMP_RET_LOG
}

# bats test_tags=conformance
@test "seccomp: argument comparison: Docker's personality rules allow 0xffffffff, deny ADDR_NO_RANDOMIZE" {
        config_args sh -c 'seccomp-syscall personality 0xffffffff; seccomp-syscall personality 0x0040000; true'
        run_container
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "ok "* ]]
        [ "${lines[1]}" = "errno 1 Operation not permitted" ]
        # The same calls without the profile: the denial was the filter's.
        config_set 'del(.linux.seccomp)'
        run_container "$CID-nofilter"
        [ "$status" -eq 0 ]
        [[ "${lines[1]}" == "ok "* ]]
}

# bats test_tags=conformance
@test "seccomp: SCMP_CMP_MASKED_EQ compares (arg & value) with valueTwo" {
        seccomp_profile '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"],
                "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
                "args": [{"index": 0, "value": 65280, "valueTwo": 256, "op": "SCMP_CMP_MASKED_EQ"}]}]}'
        config_args sh -c 'seccomp-syscall personality 0x0108; seccomp-syscall personality 0x0208'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "errno 22 Invalid argument" ] # 0x0108 & 0xff00 == 0x0100
        [[ "${lines[1]}" == "ok "* ]]
}

# bats test_tags=conformance
@test "seccomp: args on distinct indexes are ANDed; a repeated index makes each condition its own rule" {
        seccomp_profile '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22, "args": [
                        {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                        {"index": 1, "value": 5, "op": "SCMP_CMP_EQ"}]},
                {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 7, "args": [
                        {"index": 0, "value": 131072, "op": "SCMP_CMP_EQ"},
                        {"index": 0, "value": 131080, "op": "SCMP_CMP_EQ"}]}]}'
        config_args sh -c 'for a in "8 5" "8 0" "131072 0" "131080 0" "0 0"; do seccomp-syscall personality $a; done'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "errno 22 Invalid argument" ]     # both conditions hold
        [[ "${lines[1]}" == "ok "* ]]                       # only one: AND fails
        [ "${lines[2]}" = "errno 7 Argument list too long" ] # either value of the repeated index
        [ "${lines[3]}" = "errno 7 Argument list too long" ]
        [[ "${lines[4]}" == "ok "* ]]
}

# bats test_tags=conformance
@test "seccomp: the native architecture is always in the filter" {
        seccomp_deny_mkdir SCMP_ACT_ERRNO '"errnoRet": 38'
        config_set '.linux.seccomp.architectures = ["SCMP_ARCH_AARCH64"]'
        config_args seccomp-syscall mkdir /dev/shm/foo 0700
        run_container
        [ "$status" -eq 1 ]
        [ "$output" = "errno 38 Function not implemented" ]
}

# bats test_tags=conformance
@test "seccomp: syscall names unknown to libseccomp are skipped" {
        seccomp_profile '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names":
                ["no_such_syscall_berth", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}'
        config_args seccomp-syscall mkdir /dev/shm/foo 0700
        run_container
        [ "$status" -eq 1 ]
        [ "$output" = "errno 38 Function not implemented" ]
}

# bats test_tags=conformance
@test "seccomp: every flag the kernel supports is accepted and the filter applies" {
        local flag
        for flag in SECCOMP_FILTER_FLAG_TSYNC SECCOMP_FILTER_FLAG_LOG SECCOMP_FILTER_FLAG_SPEC_ALLOW \
                SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV; do
                seccomp_deny_mkdir SCMP_ACT_ERRNO '"errnoRet": 38'
                config_set ".linux.seccomp.flags = [\"$flag\"]"
                config_args seccomp-syscall mkdir /dev/shm/foo 0700
                run_container "$CID-${flag##*_}"
                echo "$flag: $status $output"
                [ "$status" -eq 1 ]
                [ "$output" = "errno 38 Function not implemented" ]
        done
}

# bats test_tags=conformance
@test "seccomp: the filter is in force with noNewPrivileges false too" {
        seccomp_deny_mkdir SCMP_ACT_ERRNO '"errnoRet": 38'
        config_set '.process.noNewPrivileges = false'
        config_args sh -c 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status; seccomp-syscall mkdir /dev/shm/foo 0700'
        run_container
        [ "$status" -eq 1 ]
        [[ "$output" == *"NoNewPrivs:"*0* ]]
        [[ "$output" == *"Seccomp:"*2* ]]
        [[ "$output" == *"errno 38 Function not implemented"* ]]
}

notify_test() {  # notify_test NO_NEW_PRIVILEGES
        seccomp_start_agent
        seccomp_profile '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "'"$AGENT_SOCK"'",
                "listenerMetadata": "berth-test-metadata",
                "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
        config_set ".process.noNewPrivileges = $1"
        config_args sh -c 'seccomp-syscall mkdir /dev/shm/foo 0700; [ -d /dev/shm/foo ] || echo absent'
        run_container
        echo "$output"
        cat "$AGENT_REPORT"
        [ "$status" -eq 0 ]
        # The agent's answer reached the container's syscall.
        [[ "$output" == *"errno 123 No medium found"* ]]
        [[ "$output" == *absent* ]]
        seccomp_wait_agent
        # What arrived on the socket: one fd, a seccomp notify fd, and the container process state.
        grep -qx "fds 1" "$AGENT_REPORT"
        grep -qx "fd anon_inode:seccomp notify" "$AGENT_REPORT"
        grep -qx "notified 83" "$AGENT_REPORT" # mkdir on x86_64
        local payload
        payload=$(seccomp_agent_payload)
        [ "$(jq -r '.fds | join(",")' <<<"$payload")" = seccompFd ]
        [ "$(jq -r .metadata <<<"$payload")" = berth-test-metadata ]
        [ "$(jq -r .state.id <<<"$payload")" = "$CID" ]
        [ "$(jq -r .state.bundle <<<"$payload")" = "$BUNDLE" ]
        [ "$(jq -r .pid <<<"$payload")" = "$(jq -r .state.pid <<<"$payload")" ]
        [ "$(jq -r .pid <<<"$payload")" -gt 0 ]
        jq -e '.ociVersion | type == "string"' <<<"$payload"
        # "The connection MUST NOT be reused and it MUST be closed after sending a seccomp state": the agent
        # saw EOF while the container was still running.
        grep -qx "closed" "$AGENT_REPORT"
}

# bats test_tags=conformance
@test "seccomp: SCMP_ACT_NOTIFY hands the listener and the state to listenerPath (noNewPrivileges true)" {
        notify_test true
}

# bats test_tags=conformance
@test "seccomp: SCMP_ACT_NOTIFY hands the listener and the state to listenerPath (noNewPrivileges false)" {
        notify_test false
}

# bats test_tags=conformance
@test "seccomp: an unreachable listenerPath fails the create and leaves nothing behind" {
        seccomp_profile '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "'"$TEST_DIR"'/nobody.sock",
                "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
        run_container
        [ "$status" -ne 0 ]
        [[ "$output" == *"$TEST_DIR/nobody.sock"* ]]
        assert_no_state
        assert_no_cgroup
        assert_no_process_with "$BUNDLE"
}

# bats test_tags=conformance
@test "seccomp: spec's default profile blocks unshare and keyctl and runs busybox sh normally" {
        # (config_args takes one argument per line: the script stays on one line.)
        config_args sh -c 'grep "^Seccomp:" /proc/self/status; unshare -U true; echo unshare=$?; seccomp-syscall keyctl 0 0xfffffffffffffffd 0; echo hello | cat; ls /bin | grep -c . >/dev/null && echo sh-ok'
        run_container
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Seccomp:"*2* ]]
        [[ "$output" == *"unshare: unshare(0x10000000): Operation not permitted"* ]]
        [[ "$output" == *"unshare=1"* ]]
        [[ "$output" == *"errno 1 Operation not permitted"* ]]
        [[ "$output" == *hello* ]]
        [[ "$output" == *sh-ok* ]]
        # Without the profile both work: the denials were the filter's, not missing capabilities.
        config_set 'del(.linux.seccomp)'
        run_container "$CID-nofilter"
        echo "$output"
        [[ "$output" == *"unshare=0"* ]]
        [[ "$output" != *"errno 1 "* ]]
}

# bats test_tags=conformance
@test "seccomp: an unknown action is refused with one line naming it, nothing left behind" {
        seccomp_deny_mkdir SCMP_ACT_BOGUS
        run_container
        [ "$status" -ne 0 ]
        assert_no_state
        assert_no_cgroup
        berth_only
        assert_one_line_naming 'linux.seccomp.syscalls[0].action: unknown action "SCMP_ACT_BOGUS"'
}

# bats test_tags=conformance
@test "seccomp: an argument index above 5 is refused with one line naming it, nothing left behind" {
        seccomp_profile '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"],
                "action": "SCMP_ACT_ERRNO", "args": [{"index": 7, "value": 0, "op": "SCMP_CMP_EQ"}]}]}'
        run_container
        [ "$status" -ne 0 ]
        assert_no_state
        assert_no_cgroup
        berth_only
        assert_one_line_naming "linux.seccomp.syscalls[0].args[0].index: 7 is out of range 0-5"
}

# bats test_tags=conformance
@test "seccomp: errnoRet on an action that takes none is an error (runtime-spec MUST)" {
        seccomp_deny_mkdir SCMP_ACT_KILL '"errnoRet": 5'
        run_container
        [ "$status" -ne 0 ]
        assert_no_state
        berth_only
        assert_one_line_naming "linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_KILL takes no errno"
}

@test "seccomp: the compiled filter is cached, verified, and rebuilt when damaged" {
        berth_only
        seccomp_deny_mkdir SCMP_ACT_ERRNO '"errnoRet": 38'
        config_args seccomp-syscall mkdir /dev/shm/foo 0700
        run_container "$CID-1"
        [ "$output" = "errno 38 Function not implemented" ]
        local entries entry size
        entries=$(find "$STATE_ROOT" -type f -regextype egrep -regex '.*/[0-9a-f]{64}')
        [ "$(grep -c . <<<"$entries")" -eq 1 ]
        entry=$entries
        size=$(stat -c %s "$entry")
        [ $(((size - 80) % 8)) -eq 0 ] # header + whole BPF instructions
        # A damaged entry is not trusted: the start compiles again and rewrites it.
        truncate -s 100 "$entry"
        run_container "$CID-2"
        [ "$output" = "errno 38 Function not implemented" ]
        [ "$(stat -c %s "$entry")" -eq "$size" ]
        # Another profile, another entry.
        seccomp_deny_mkdir SCMP_ACT_ERRNO '"errnoRet": 39'
        run_container "$CID-3"
        [ "$output" = "errno 39 Directory not empty" ]
        [ "$(find "$STATE_ROOT" -type f -regextype egrep -regex '.*/[0-9a-f]{64}' | grep -c .)" -eq 2 ]
}
