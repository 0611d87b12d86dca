# Helpers for tests/system/seccomp.bats (on top of helpers.bash).

SECCOMP_SYSCALL_BIN=${SECCOMP_SYSCALL_BIN:-$BERTH_BUILD/tests/unit/seccomp-syscall}
SECCOMP_AGENT=$BERTH_ROOT_DIR/tests/helpers/seccomp-agent.py

# A bundle with berth-runtime's default spec (Docker's profile included), the static syscall helper in
# /bin/seccomp-syscall, and no core dumps (the KILL tests die of SIGSYS on purpose).
seccomp_setup() {
        setup_scratch
        make_bundle
        [ -x "$SECCOMP_SYSCALL_BIN" ] || { echo "build $SECCOMP_SYSCALL_BIN first"; return 1; }
        cp "$SECCOMP_SYSCALL_BIN" "$BUNDLE/rootfs/bin/seccomp-syscall"
        config_set '.process.rlimits = [{"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
}

seccomp_teardown() {
        seccomp_stop_agent
        teardown_scratch
}

# seccomp_profile JSON: replaces linux.seccomp.
seccomp_profile() {
        config_set ".linux.seccomp = $1"
}

# seccomp_deny_mkdir ACTION [EXTRA_JSON_MEMBERS]: allow everything, ACTION on mkdir/mkdirat.
seccomp_deny_mkdir() {
        seccomp_profile '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "'"$1"'"'"${2:+, $2}"'}]}'
}

# Starts tests/helpers/seccomp-agent.py on $TEST_DIR/agent.sock; its report is $TEST_DIR/agent.report.
seccomp_start_agent() {
        AGENT_SOCK=$TEST_DIR/agent.sock
        AGENT_REPORT=$TEST_DIR/agent.report
        python3 "$SECCOMP_AGENT" "$AGENT_SOCK" "$AGENT_REPORT" 3>&- &
        AGENT_PID=$!
        local i
        for i in $(seq 50); do
                [ -S "$AGENT_SOCK" ] && return 0
                sleep 0.1
        done
        echo "the seccomp agent did not start"
        return 1
}

# Waits for the agent to finish (it exits once the container's processes are gone).
seccomp_wait_agent() {
        local i
        for i in $(seq 100); do
                kill -0 "$AGENT_PID" 2>/dev/null || { wait "$AGENT_PID"; return $?; }
                sleep 0.1
        done
        echo "the seccomp agent is still running"
        return 1
}

seccomp_stop_agent() {
        if [ -n "${AGENT_PID:-}" ]; then
                kill "$AGENT_PID" 2>/dev/null || true
                wait "$AGENT_PID" 2>/dev/null || true
                AGENT_PID=
        fi
}

# The agent's "payload" line as JSON.
seccomp_agent_payload() {
        sed -n 's/^payload //p' "$AGENT_REPORT"
}

# The kernel's audit record of a seccomp action (type=1326) for a command name, from the kernel log.
seccomp_audit_records() {
        dmesg | grep 'type=1326' | grep -F "comm=\"$1\"" || true
}
