#!/usr/bin/env bats
# docker's smaller flags (issue 16): --cidfile, --label-file, --detach-keys for run/start/attach and exec -it
# (its refusal without a terminal session), docker's "read escape sequence", logs --details.

load engine-helpers

setup() {
        engine_setup
}

teardown() {
        engine_teardown
}

od_saw_broken_sequence() {
        [ "$(b logs echo)" = "$(printf 'z\nzq')" ]
}

@test "--cidfile: the id written once the container exists; an existing file refused; removed when nothing was made" {
        b run -d --cidfile "$T/cid" --name one busybox sleep 100
        [ "$(cat "$T/cid")" = "$(b inspect -f '{{.Id}}' one)" ]
        run b run -d --cidfile "$T/cid" busybox sleep 100
        [ "$status" -eq 125 ]
        [ "$output" = "Error: Container ID file found, make sure the other container isn't running or delete $T/cid" ]
        [ "$(b ps -aq | wc -l)" -eq 1 ]
        b create --cidfile "$T/cid2" --name two busybox true
        [ "$(cat "$T/cid2")" = "$(b inspect -f '{{.Id}}' two)" ]
        # A create that fails (name in use) leaves no file behind.
        run b create --cidfile "$T/cid3" --name two busybox true
        [ "$status" -eq 125 ]
        [ ! -e "$T/cid3" ]
        # In the foreground the file is there while the container runs.
        b run --cidfile "$T/cid4" --name three busybox sh -c 'sleep 0.2'
        [ "$(cat "$T/cid4")" = "$(b inspect -f '{{.Id}}' three)" ]
}

@test "--label-file: KEY=VALUE lines, comments and blank lines skipped; -l wins; a missing file refused" {
        printf 'a=1\n# comment\n\n  b=two words\nc\nd=from-file\n' > "$T/labels"
        b create --name lab -l d=from-flag --label-file "$T/labels" busybox true
        [ "$(b inspect -f '{{json .Config.Labels}}' lab | jq -c -S .)" = '{"a":"1","b":"two words","c":"","d":"from-flag"}' ]
        [ "$(b ps -a --filter label=b='two words' --format '{{.Names}}')" = lab ]
        run b create --label-file "$T/none" busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"$T/none"* ]]
}

@test "--detach-keys: run, start -a and attach detach on the given sequence; a broken sequence goes to the container" {
        (printf '\001\002'; sleep 2) | "$BERTH_BIN" --root "$ROOT" run -i --name dk --detach-keys ctrl-a,ctrl-b busybox sleep 100 \
                > "$T/out" 2> "$T/err"
        grep -q "read escape sequence" "$T/err"
        [ "$(container_state dk)" = running ]
        # attach with docker's default, ctrl-p ctrl-q.
        (printf '\020\021'; sleep 2) | "$BERTH_BIN" --root "$ROOT" attach dk 2> "$T/err2" || true
        [ "$(container_state dk)" = running ]
        # A sequence that is broken reaches the container whole.
        b create -i --name echo busybox sh -c 'cat; sleep 100'
        (printf 'z\nzq\nz\021'; sleep 2) | "$BERTH_BIN" --root "$ROOT" start -a -i --detach-keys z,ctrl-q echo > "$T/out3" 2>&1
        grep -q "read escape sequence" "$T/out3"
        # cat got what was not the sequence: z, newline, z, q, newline.
        wait_until od_saw_broken_sequence
        run b run --detach-keys ctrl-zz busybox true
        [ "$status" -eq 125 ]
        [ "$output" = "Error: Invalid detach keys (ctrl-zz) provided" ]
        [ "$(b ps -a --filter name=echo -q | wc -l)" -eq 1 ]
        run b exec --detach-keys ctrl-a dk true
        [ "$status" -eq 125 ]
        [[ "$output" == *"--detach-keys is not supported without -i -t"* ]]
}

# exec_pty KEYS INPUT...: berth exec -it [--detach-keys KEYS] dk sh (reading a line, then sleeping) on a pty;
# each INPUT is written once the previous output is seen; prints what the terminal showed and the exit status.
exec_pty() {
        python3 - "$BERTH_BIN" "$ROOT" "$@" <<'PY'
import os, pty, sys, time, select
berth, root, keys, *inputs = sys.argv[1:]
args = [berth, "--root", root, "exec", "-it"] + (["--detach-keys", keys] if keys else []) + \
       ["dk", "sh", "-c", "echo ready; read line; echo got:$line; sleep 100"]
pid, fd = pty.fork()
if pid == 0:
    os.execv(berth, args)
out = b""
def read_until(pred, timeout=10):
    global out
    end = time.time() + timeout
    while time.time() < end and not pred(out):
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            if not data:
                return
            out += data
read_until(lambda o: b"ready" in o)
for i in inputs:
    os.write(fd, i.encode("latin-1").decode("unicode_escape").encode("latin-1"))
    time.sleep(0.5)
read_until(lambda o: False, 5)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("latin-1").replace("\r", ""))
print("status=%d" % os.waitstatus_to_exitcode(status))
PY
}

sleeps_in() {  # CONTAINER N: N processes in the container whose command is exactly "sleep 100"
        [ "$(b top "$1" | awk '$(NF-2) ~ /^[0-9:]+$/ && $(NF-1) == "sleep" && $NF == "100"' | wc -l)" -eq "$2" ]
}

@test "exec -it detaches on ctrl-p ctrl-q or --detach-keys: the process runs on, a broken sequence reaches it" {
        b run -d --name dk busybox sleep 100
        # docker's default: ctrl-p ctrl-q.
        run exec_pty "" 'hello\n' '\x10\x11'
        echo "$output"
        [[ "$output" == *"got:hello"* ]]
        [[ "$output" == *"read escape sequence"* ]]
        [[ "$output" == *"status=0"* ]]
        wait_until sleeps_in dk 2
        # Other keys; the held byte of a broken sequence goes on (the line ends with ^A y).
        run exec_pty ctrl-a,z 'q\x01y\n' '\x01z'
        echo "$output"
        [[ "$output" == *$'got:q\001y'* ]]
        [[ "$output" == *"read escape sequence"* ]]
        wait_until sleeps_in dk 3
        # The detached sessions' terminals are held until their processes end: none outlives the container.
        run b events --since 0 --until "$(date +%s.%N)" --filter event=exec_start --format '{{.Actor.Attributes.execID}}'
        [ "${#lines[@]}" -eq 2 ]
        [[ "${lines[0]}" =~ ^[0-9a-f]{64}$ ]] && [ "${lines[0]}" != "${lines[1]}" ]
        holders=$(pgrep -f -- "$ROOT [e]xec -it" | wc -l)
        [ "$holders" -eq 2 ]
        b rm -f dk >/dev/null
        wait_until no_holders
}

no_holders() {
        ! pgrep -f -- "$ROOT [e]xec -it" >/dev/null
}

@test "logs --details: docker's (empty) attribute list and its space before each line" {
        b run --name lg busybox sh -c 'echo one; echo two >&2'
        [ "$(b logs --details lg 2>/dev/null)" = " one" ]
        [ "$(b logs --details lg 2>&1 >/dev/null)" = " two" ]
        run b logs --details -t lg
        [[ "${lines[0]}" =~ ^[0-9T:.-]+Z\ \ one$ ]]
}

@test "export: the container's filesystem as docker's tar (names without ./, links kept), stdout or -o" {
        b run --name ex busybox sh -c 'echo hi > /marker; mkdir -p /d/e; ln -s /marker /d/link; chown 12:34 /marker'
        b export ex > "$T/out.tar"
        tar -tf "$T/out.tar" > "$T/names"
        grep -qx marker "$T/names"
        grep -qx bin/busybox "$T/names"
        ! grep -q '^\./' "$T/names"
        [ "$(tar -xOf "$T/out.tar" marker)" = hi ]
        tar -tvf "$T/out.tar" d/link | grep -q -- '-> /marker'
        [ "$(tar --numeric-owner -tvf "$T/out.tar" marker | awk '{print $2}')" = 12/34 ]
        # A running container too, into a file.
        b run -d --name live busybox sh -c 'echo up > /now; sleep 100'
        wait_until b exec live test -e /now
        b export -o "$T/live.tar" live
        [ "$(tar -xOf "$T/live.tar" now)" = up ]
        run b export nosuch
        [ "$status" -eq 125 ]
        [ "$output" = "Error: No such container: nosuch" ]
}

@test "flags berth cannot honour are refused with one line, not ignored" {
        b run -d --name r1 busybox sleep 100
        for cmd in "ps -s" "inspect --size r1" "rm --link r1" "cp -L r1:/etc/passwd $T/p" \
                   "exec --detach-keys ctrl-a r1 true" "exec -d -i -t --detach-keys ctrl-a r1 true"; do
                run b $cmd
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 1 ]
                [[ "$output" == "Error: "*"not supported"* ]]
        done
        [ "$(container_state r1)" = running ]
        # stats --no-trunc is honoured: the whole id.
        [ "$(b stats --no-stream --no-trunc --format '{{.ID}}' r1)" = "$(b inspect -f '{{.Id}}' r1)" ]
}

memory_limit() {  # CONTAINER: the memory limit its cgroup has
        if is_cgroup_v2; then cat "$(cgroup_dir "$1" memory)/memory.max"; else cat "$(cgroup_dir "$1" memory)/memory.limit_in_bytes"; fi
}

@test "update: new limits in the running container's cgroup and in the record; a stopped one gets them at start" {
        b run -d --name up -m 64m busybox sleep 100
        [ "$(memory_limit up)" = 67108864 ]
        run b update -m 128m --pids-limit 50 --cpus 0.5 --restart always up
        [ "$status" -eq 0 ]
        [ "$output" = up ]
        [ "$(memory_limit up)" = 134217728 ]
        [ "$(cat "$(cgroup_dir up pids)/pids.max")" = 50 ]
        if is_cgroup_v2; then
                [ "$(cut -d' ' -f1 "$(cgroup_dir up cpu)/cpu.max")" = 50000 ]
        else
                [ "$(cat "$(cgroup_dir up cpu)/cpu.cfs_quota_us")" = 50000 ]
        fi
        [ "$(b inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}}' up)" = \
          "134217728 50 500000000 always" ]
        run b events --since 0 --until "$(date +%s.%N)" --filter event=update --format '{{.Actor.Attributes.name}}'
        [ "$output" = up ]
        b stop -t 0 up
        b update -m 96m up
        b start up
        [ "$(memory_limit up)" = 100663296 ]
        # Refused, nothing changed: a flag update does not take, none at all, a value docker refuses.
        run b update --name x up
        [ "$status" -eq 125 ]
        run b update up
        [ "$status" -eq 125 ]
        run b update -m 1k up
        [ "$status" -eq 1 ]
        [[ "$output" == *"Minimum memory limit allowed is 6MB"* ]]
        [ "$(memory_limit up)" = 100663296 ]
        [ "$(b inspect -f '{{.HostConfig.Memory}}' up)" = 100663296 ]
}
