#!/usr/bin/env bats
# The container-escape classes the runtime must close, one test each (and a few neighbours):
#   CVE-2024-21626  a runtime fd reaching the container / a cwd outside the root
#   CVE-2019-5736   overwriting the runtime's binary through /proc/self/exe
#   CVE-2021-30465  a symlink in the image redirecting a mount to the host
#   CVE-2025-31133  masked paths when the image replaced /dev/null or the masked path itself

load helpers

setup() {
        setup_scratch
        make_bundle
}

teardown() {
        rm -rf "/tmp/berth-escape-$$" "/tmp/berth-escape2-$$" "/tmp/berth-host-secret-$$"
        teardown_scratch
}

# bats test_tags=conformance
@test "CVE-2024-21626: no fd of the runtime or its caller reaches the container" {
        # ls run directly as the container's process: its fds are what it inherited plus the directory it
        # opens to list them (3).
        config_args ls /proc/self/fd
        # The caller leaks a host directory fd (not close-on-exec) into the runtime, as a buggy engine might.
        run bash -c "exec 7</tmp 8</; '$RUNTIME_BIN' --root '$STATE_ROOT' run --bundle '$BUNDLE' '$CID'"
        [ "$status" -eq 0 ]
        [ "$(echo $output)" = "0 1 2 3" ]
}

# bats test_tags=conformance
@test "CVE-2024-21626: a cwd of /proc/self/fd/N cannot reach a leaked host directory" {
        config_set '.process.cwd = "/proc/self/fd/7"'
        config_args sh -c 'pwd; ls'
        run bash -c "exec 7</; '$RUNTIME_BIN' --root '$STATE_ROOT' run --bundle '$BUNDLE' '$CID'"
        [ "$status" -ne 0 ]
        [[ "$output" != *"boot"* ]]
        assert_no_state
}

# bats test_tags=conformance
@test "CVE-2024-21626: --preserve-fds passes exactly the fds asked for" {
        config_args sh -c 'cat <&3; exec ls /proc/self/fd'
        run bash -c "echo passed > '$TEST_DIR/f'; exec 3<'$TEST_DIR/f' 4</tmp; '$RUNTIME_BIN' --root '$STATE_ROOT' run --preserve-fds 1 --bundle '$BUNDLE' '$CID'"
        [ "$status" -eq 0 ]
        # fd 3 was passed (and read); 4 was not; ls's own directory fd is the next free one, 4.
        [ "$(echo $output)" = "passed 0 1 2 3 4" ]
}

# bats test_tags=conformance
@test "CVE-2019-5736: the runtime binary cannot be overwritten through /proc/PID/exe of the container's init" {
        # The runtime under test is a copy: if it were vulnerable, the copy is what gets overwritten.
        make_runtime_copy "$TEST_DIR"
        before=$(sha256sum < "$RUNTIME_COPY_BINARY")
        config_args sleep 1000
        "$RUNTIME_COPY" --root "$STATE_ROOT" create --bundle "$BUNDLE" "$CID"
        pid=$(container_pid)
        # What a process in the container (or one that grabbed /proc/PID/exe) would do: hold an O_PATH fd of
        # the init's executable, wait for the runtime to be gone, then reopen it for writing.
        run python3 - "$pid" "$RUNTIME_COPY" "$STATE_ROOT" "$CID" <<'EOF'
import os, subprocess, sys, time
pid, copy, root, cid = sys.argv[1:]
fd = os.open(f"/proc/{pid}/exe", os.O_PATH)
subprocess.run([copy, "--root", root, "delete", "--force", cid], check=True)
for _ in range(100):
    if not os.path.exists(f"/proc/{pid}"):
        break
    time.sleep(0.05)
try:
    w = os.open(f"/proc/self/fd/{fd}", os.O_WRONLY | os.O_APPEND)
    os.write(w, b"#pwned")
    print("WRITTEN")
except OSError as e:
    print("refused", os.strerror(e.errno))
EOF
        [ "$status" -eq 0 ]
        [[ "$output" == refused* ]]
        [ "$(sha256sum < "$RUNTIME_COPY_BINARY")" = "$before" ]
}

# bats test_tags=conformance
@test "CVE-2019-5736: executing /proc/self/exe inside the container cannot write the runtime binary" {
        make_runtime_copy "$TEST_DIR"
        before=$(sha256sum < "$RUNTIME_COPY_BINARY")
        # A #! script whose interpreter is /proc/self/exe, the original exploit's entry point, then an
        # attempt to write through the executable the kernel gave it.
        printf '#!/proc/self/exe\n' > "$BUNDLE/rootfs/evil"
        chmod +x "$BUNDLE/rootfs/evil"
        config_args /evil
        run "$RUNTIME_COPY" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID"
        [ "$status" -ne 0 ]
        [ "$(sha256sum < "$RUNTIME_COPY_BINARY")" = "$before" ]
        config_args sh -c 'echo pwned >> /proc/1/exe 2>&1; echo pwned >> /proc/self/exe 2>&1; true'
        run "$RUNTIME_COPY" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID-2"
        [ "$(sha256sum < "$RUNTIME_COPY_BINARY")" = "$before" ]
}

# bats test_tags=conformance
@test "CVE-2021-30465: a symlink in the image cannot redirect a mount to the host" {
        ln -s "/tmp/berth-escape-$$" "$BUNDLE/rootfs/evil-abs"
        ln -s "../../../../../../../../../../tmp/berth-escape2-$$" "$BUNDLE/rootfs/evil-rel"
        config_set '.mounts += [{"destination":"/evil-abs","type":"tmpfs","source":"tmpfs"},
                                {"destination":"/evil-rel/sub","type":"tmpfs","source":"tmpfs"}]'
        config_args sh -c 'grep -c tmpfs /proc/self/mountinfo'
        run_container
        [ "$status" -eq 0 ]
        # Nothing was made or mounted on the host's side of the links...
        [ ! -e "/tmp/berth-escape-$$" ]
        [ ! -e "/tmp/berth-escape2-$$" ]
        ! grep -q "berth-escape" /proc/self/mountinfo
        # ...the links were followed inside the rootfs instead.
        [ -d "$BUNDLE/rootfs/tmp/berth-escape-$$" ]
        [ -d "$BUNDLE/rootfs/tmp/berth-escape2-$$/sub" ]
}

# bats test_tags=conformance
@test "CVE-2021-30465: a bind mount's destination symlink stays inside the rootfs" {
        mkdir -p "$TEST_DIR/src"
        echo payload > "$TEST_DIR/src/f"
        mkdir -p "/tmp/berth-escape-$$"
        ln -s "/tmp/berth-escape-$$" "$BUNDLE/rootfs/evil"
        config_set ".mounts += [{\"destination\":\"/evil\",\"type\":\"bind\",\"source\":\"$TEST_DIR/src\",\"options\":[\"bind\"]}]"
        config_args cat /evil/f
        run_container
        [ "$status" -eq 0 ]
        [ "$output" = payload ]
        [ -z "$(ls -A "/tmp/berth-escape-$$")" ]
        ! grep -q "berth-escape" /proc/self/mountinfo
}

# bats test_tags=conformance
@test "CVE-2025-31133: an image whose /dev/null is a symlink to a /proc/sys file cannot unmask it" {
        host_pattern=$(cat /proc/sys/kernel/core_pattern)
        ln -sf /proc/sys/kernel/core_pattern "$BUNDLE/rootfs/dev/null"
        # No /dev tmpfs: the image's own /dev is used, as with some engines' configurations.
        config_set 'del(.mounts[] | select(.destination == "/dev" or .destination == "/dev/pts" or .destination == "/dev/shm" or .destination == "/dev/mqueue"))'
        config_set '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"] | del(.linux.seccomp)'
        config_args sh -c 'wc -c < /proc/timer_list; echo "|/tmp/pwned" > /proc/timer_list 2>/dev/null; echo "|/tmp/pwned" > /proc/sys/kernel/core_pattern 2>/dev/null; true'
        run_container
        [ "$(cat /proc/sys/kernel/core_pattern)" = "$host_pattern" ]
        if [ "$status" -eq 0 ]; then
                [ "${lines[0]}" = 0 ]
        fi
}

# bats test_tags=conformance
@test "CVE-2025-31133: a masked path the image made a directory or a symlink is masked inside the root" {
        mkdir -p "$BUNDLE/rootfs/etc/secret-dir"
        echo secret > "$BUNDLE/rootfs/etc/secret-dir/key"
        echo "host-secret" > "/tmp/berth-host-secret-$$"
        ln -s "/tmp/berth-host-secret-$$" "$BUNDLE/rootfs/etc/secret-link"
        ln -s /etc/passwd "$BUNDLE/rootfs/etc/passwd-link"
        config_set '.linux.maskedPaths += ["/etc/secret-dir", "/etc/secret-link", "/etc/passwd-link"]'
        config_args sh -c 'ls /etc/secret-dir | wc -l; wc -c < /etc/passwd; cat /etc/secret-link 2>&1 || true'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 0 ]
        [ "${lines[1]}" = 0 ]
        [[ "$output" != *host-secret* ]]
        [ "$(cat "/tmp/berth-host-secret-$$")" = host-secret ]
        ! grep -q "berth-host-secret" /proc/self/mountinfo
        [ -s /etc/passwd ]
}

# bats test_tags=conformance
@test "CVE-2024-21626: a seccomp profile denying getcwd, without noNewPrivileges, still runs in process.cwd" {
        # The cwd check for CVE-2024-21626 must not depend on a syscall the user's filter may deny.
        config_set '.process.noNewPrivileges = false | .process.cwd = "/etc" |
                .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
                        "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
        config_args sh -c 'head -n1 passwd; pwd -P 2>&1 || echo getcwd-denied'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "root:x:0:0:root:/root:/bin/sh" ]
}

# bats test_tags=conformance
@test "a seccomp profile denying what switching user and cwd need (setgroups, setresuid, chdir...) still works" {
        config_set '.process.noNewPrivileges = false | .process.cwd = "/etc" |
                .process.user = {"uid": 1000, "gid": 1000, "additionalGids": [2000]} |
                .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
                        "syscalls": [{"names": ["getcwd", "chdir", "fchdir", "setgroups", "setresuid", "setresgid",
                                "setuid", "setgid", "umask"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
        config_args sh -c 'head -n1 passwd; id -u; id -G'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "root:x:0:0:root:/root:/bin/sh" ]
        [ "${lines[1]}" = 1000 ]
        [ "${lines[2]}" = "1000 2000" ]
}

# bats test_tags=conformance
@test "a seccomp profile denying what the PATH lookup needs (faccessat, stat) still starts and execs by name" {
        for nnp in false true; do
                config_set ".process.noNewPrivileges = $nnp | .process.user = {\"uid\": 1000, \"gid\": 1000} |
                        .linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ALLOW\",
                                \"syscalls\": [{\"names\": [\"access\", \"faccessat\", \"faccessat2\", \"stat\",
                                        \"newfstatat\", \"statx\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}"
                config_args sh -c 'echo started; id -u'
                run_container
                echo "noNewPrivileges=$nnp: $output"
                [ "$status" -eq 0 ]
                [ "${lines[0]}" = started ]
                [ "${lines[1]}" = 1000 ]
                # exec: the same lookup in the joining process, under the container's filter.
                config_args sleep 30
                rt create --bundle "$BUNDLE" "$CID"
                rt start "$CID"
                run rt exec "$CID" sh -c 'echo exec-ok'
                echo "exec, noNewPrivileges=$nnp: $output"
                [ "$status" -eq 0 ]
                [ "$output" = exec-ok ]
                rt delete -f "$CID"
        done
}

# bats test_tags=conformance
@test "--preserve-fds with gaps and a large N: no deadlock, the gaps stay closed in the container" {
        echo three > "$TEST_DIR/f3"
        echo nine > "$TEST_DIR/f9"
        config_args sh -c 'cat <&3; cat <&9; exec ls /proc/self/fd'
        # Only 0-2, 3 and 9 open in the caller: every other fd of 3..102 is a gap the runtime must not fill.
        run timeout -s KILL 60 bash -c 'for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null
                exec 3<"$1" 9<"$2"; exec "$3" --root "$4" run --preserve-fds 100 --bundle "$5" "$6"' \
                _ "$TEST_DIR/f3" "$TEST_DIR/f9" "$RUNTIME_BIN" "$STATE_ROOT" "$BUNDLE" "$CID"
        [ "$status" -eq 0 ]
        # ls's own directory fd is the lowest free one: 4.
        [ "$(echo $output)" = "three nine 0 1 2 3 4 9" ]
        assert_no_state
}
