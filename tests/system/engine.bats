#!/usr/bin/env bats
# berth run and the container lifecycle: what the kernel shows inside and outside the container.

load engine-helpers

setup() {
        engine_setup
}

teardown() {
        engine_teardown
}

@test "run --rm uname -r equals the host's kernel" {
        run b run --rm busybox uname -r
        [ "$status" -eq 0 ]
        [ "$output" = "$(uname -r)" ]
}

@test "ps inside shows the command as PID 1 and nothing of the host" {
        run b run --rm busybox ps -o pid,comm
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 2 ]
        [ "$(echo "${lines[1]}" | awk '{print $1, $2}')" = "1 ps" ]
}

@test "hostname inside is the container's: --hostname, or the short id" {
        run b run --rm --hostname web1 busybox hostname
        [ "$status" -eq 0 ]
        [ "$output" = web1 ]
        id=$(b create busybox hostname)
        run b start -a "$id"
        [ "$status" -eq 0 ]
        [ "$output" = "${id:0:12}" ]
        [ "$output" != "$(hostname)" ]
}

@test "files written in the container land in its overlay upper directory; the image is unchanged" {
        [ "$(b info 2>/dev/null | grep -c 'overlay')" -gt 0 ] || skip "copy driver store"
        id=$(b run -d busybox sh -c 'echo hello > /newfile; rm /bin/vi; sleep 60')
        wait_until test -e "$ROOT/snapshots/$id/upper/newfile"
        [ "$(cat "$ROOT/snapshots/$id/upper/newfile")" = hello ]
        # The deletion is a whiteout in the upper directory; the layer still has the file.
        [ -c "$ROOT/snapshots/$id/upper/bin/vi" ]
        [ -z "$(find "$ROOT/layers" -name newfile)" ]
        [ -n "$(find "$ROOT/layers" -path '*/bin/vi')" ]
        run b run --rm busybox sh -c 'test -e /newfile || echo absent; test -e /bin/vi && echo present'
        [ "$output" = "absent
present" ]
}

@test "exit codes: the container's, 127 not found, 126 not executable, 128+N after signal N" {
        run b run --rm busybox sh -c 'exit 42'
        [ "$status" -eq 42 ]
        run b run --rm busybox no-such-command
        [ "$status" -eq 127 ]
        [[ "$output" == *no-such-command* ]]
        run b run --rm busybox /etc/passwd
        [ "$status" -eq 126 ]
        run b run --rm --init busybox sh -c 'kill -9 $$'
        [ "$status" -eq 137 ]
        id=$(b run -d --init busybox sleep 100)
        b kill -s USR1 "$id"
        run b wait "$id"
        [ "$output" = 138 ]
        b rm "$id"
        [ -z "$(b ps -aq)" ]
}

@test "stdout and stderr stay apart; stdin with -i" {
        run sh -c "'$BERTH_BIN' --root '$ROOT' run --rm busybox sh -c 'echo out; echo err >&2' 2>/dev/null"
        [ "$output" = out ]
        run sh -c "'$BERTH_BIN' --root '$ROOT' run --rm busybox sh -c 'echo out; echo err >&2' 2>&1 >/dev/null"
        [ "$output" = err ]
        run sh -c "printf 'a\nb\n' | '$BERTH_BIN' --root '$ROOT' run --rm -i busybox wc -l"
        [ "$output" = 2 ]
}

@test "run -d, ps, logs, stop, inspect State, rm" {
        id=$(b run -d --name web busybox sh -c 'echo started; echo oops >&2; while true; do sleep 0.1; done')
        [ ${#id} -eq 64 ]
        run b ps
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "CONTAINER ID   IMAGE "* ]]
        [[ "${lines[1]}" == "${id:0:12}   busybox "*"Up "*" web" ]]
        pid=$(init_pid web)
        [ -d "/proc/$pid" ]
        wait_until sh -c "'$BERTH_BIN' --root '$ROOT' logs web 2>&1 | grep -q oops"
        [ "$(b logs web 2>/dev/null)" = started ]
        [ "$(b logs web 2>&1 >/dev/null)" = oops ]
        run b stop -t 1 web
        [ "$status" -eq 0 ]
        [ "$output" = web ]
        [ ! -d "/proc/$pid" ]
        run b inspect web
        [ "$(echo "$output" | jq -r '.[0].State.Status')" = exited ]
        [ "$(echo "$output" | jq -r '.[0].State.ExitCode')" = 137 ]
        [ "$(echo "$output" | jq -r '.[0].State.Running')" = false ]
        [ "$(echo "$output" | jq -r '.[0].State.OOMKilled')" = false ]
        [ "$(echo "$output" | jq -r '.[0].State.Pid')" = 0 ]
        [ "$(echo "$output" | jq -r '.[0].Name')" = /web ]
        [ "$(echo "$output" | jq -r '.[0].Config.Image')" = busybox ]
        [ "$(echo "$output" | jq -r '.[0].GraphDriver.Data.UpperDir')" = "$ROOT/snapshots/$id/upper" ]
        [ "$(echo "$output" | jq -r '.[0].State.FinishedAt')" != "0001-01-01T00:00:00Z" ]
        [[ "$(b ps -a)" == *"Exited (137)"* ]]
        run b rm web
        [ "$status" -eq 0 ]
        [ -z "$(b ps -aq)" ]
        assert_nothing_left "$id"
}

@test "the log is docker's json-file; --tail, -t, rotation with max-size/max-file" {
        id=$(b run -d --log-opt max-size=1k --log-opt max-file=3 busybox sh -c 'for i in $(seq 1 200); do echo "line $i"; done')
        run b wait "$id"
        [ "$output" = 0 ]
        log=$ROOT/containers/$id/$id-json.log
        [ -f "$log.1" ] && [ -f "$log.2" ] && [ ! -e "$log.3" ]
        [ "$(stat -c %s "$log")" -le 1024 ]
        head -1 "$log" | jq -e '.stream == "stdout" and (.log | endswith("\n")) and (.time | test("^20[0-9-]+T[0-9:.]+Z$"))'
        [ "$(b logs --tail 2 "$id")" = "line 199
line 200" ]
        run b logs -t --tail 1 "$id"
        [[ "$output" =~ ^20[0-9-]+T[0-9:.]+Z\ line\ 200$ ]]
        run b run --rm --log-driver none busybox echo x
        [ "$output" = x ]
}

@test "wait, restart, kill -s, rename, pause/unpause" {
        id=$(b run -d --name aa busybox sh -c 'trap "exit 3" TERM; while true; do sleep 0.1; done')
        b rename aa b1
        [ "$(b inspect -f '{{.Name}}' "$id")" = /b1 ]
        b pause b1
        [ "$(container_state b1)" = paused ]
        freezer=$(cgroup_dir b1 freezer)
        if is_cgroup_v2; then [ "$(cat "$freezer/cgroup.freeze")" = 1 ]; else [ "$(cat "$freezer/freezer.state")" = FROZEN ]; fi
        b unpause b1
        [ "$(container_state b1)" = running ]
        old=$(init_pid b1)
        b restart -t 5 b1
        [ "$(container_state b1)" = running ]
        [ "$(init_pid b1)" != "$old" ]
        b kill -s TERM b1
        run b wait b1
        [ "$output" = 3 ]
}

@test "--restart on-failure:2 restarts twice, then leaves it exited" {
        id=$(b run -d --restart on-failure:2 busybox sh -c 'exit 5')
        wait_until sh -c "[ \"\$('$BERTH_BIN' --root '$ROOT' inspect -f '{{.RestartCount}} {{.State.Status}}' $id)\" = '2 exited' ]"
        [ "$(b inspect -f '{{.State.ExitCode}}' "$id")" = 5 ]
}

@test "--rm -d removes the container when it exits" {
        id=$(b run -d --rm busybox true)
        wait_until sh -c "[ -z \"\$('$BERTH_BIN' --root '$ROOT' ps -aq)\" ]"
        assert_nothing_left "$id"
}

@test "--rm: the writable layer is mounted volatile, a kept container's is not; rm -f of a running --rm container" {
        id=$(b run -d --rm busybox sleep 300)
        kept=$(b run -d busybox sleep 300)
        # Linux 6.6+ shows fsync=volatile, older kernels volatile.
        grep "/snapshots/$id/merged " /proc/self/mountinfo | grep -Eq ',(fsync=)?volatile(,|$)'
        grep "/snapshots/$kept/merged " /proc/self/mountinfo
        ! grep "/snapshots/$kept/merged " /proc/self/mountinfo | grep -q volatile
        # Its own --rm cleanup and the rm -f race to remove it: either way rm -f succeeds, as docker's.
        run b rm -f "$id"
        [ "$status" -eq 0 ]
        [ "$output" = "$id" ]
        b rm -f "$kept"
        assert_nothing_left "$id"
        assert_nothing_left "$kept"
}

@test "--init: a reaping init is PID 1 and the command its child; SIGTERM stops it" {
        run b run --rm --init busybox ps -o pid,ppid,comm
        [ "$status" -eq 0 ]
        [ "$(echo "${lines[1]}" | awk '{print $1, $3}')" = "1 docker-init" ]
        [ "$(echo "${lines[2]}" | awk '{print $2}')" = 1 ]
        id=$(b run -d --init busybox sleep 100)
        b stop -t 20 "$id"
        # 143: SIGTERM ended it (a stop that had to wait out its timeout would have SIGKILLed it: 137).
        [ "$(b inspect -f '{{.State.ExitCode}}' "$id")" = 143 ]
}

@test "-e, --env-file, -w, -u, --entrypoint, image Cmd and Env" {
        printf 'FROMFILE=yes\n# comment\n' > "$T/env"
        run b run --rm -e A=1 --env-file "$T/env" -w /tmp -u nobody busybox sh -c 'echo $A $FROMFILE $(pwd) $(id -u) $HOME; grep ^nobody: /etc/passwd | cut -d: -f6'
        [ "${lines[0]}" = "1 yes /tmp 65534 ${lines[1]}" ]
        run b run --rm --entrypoint echo busybox hi there
        [ "$output" = "hi there" ]
        run b run --rm -u 1234:5678 busybox id
        [ "$output" = "uid=1234 gid=5678 groups=5678" ]
        run b run --rm -u nosuchuser busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"unable to find user nosuchuser"* ]]
        # The image's Cmd is sh: with -i and input it runs it.
        run sh -c "echo 'echo from-sh' | '$BERTH_BIN' --root '$ROOT' run --rm -i busybox"
        [ "$output" = from-sh ]
}

@test "volumes: bind (ro), named volume kept across containers, --tmpfs, --read-only" {
        mkdir "$T/data" && echo host > "$T/data/f"
        run b run --rm -v "$T/data:/data:ro" busybox sh -c 'cat /data/f; echo x > /data/g'
        [ "$status" -ne 0 ]
        [[ "$output" == host* ]]
        [ ! -e "$T/data/g" ]
        b run --rm -v "$T/data:/data" busybox sh -c 'echo x > /data/g'
        [ "$(cat "$T/data/g")" = x ]
        b run --rm -v vol1:/v busybox sh -c 'echo kept > /v/file'
        run b run --rm -v vol1:/v busybox cat /v/file
        [ "$output" = kept ]
        [ "$(cat "$ROOT/volumes/vol1/_data/file")" = kept ]
        run b run --rm --tmpfs /scratch:size=1m busybox sh -c 'grep " /scratch " /proc/mounts'
        [[ "$output" == "tmpfs /scratch tmpfs "*size=1024k* ]]
        run b run --rm --read-only busybox touch /x
        [ "$status" -ne 0 ]
        run b run --rm --mount "type=bind,source=$T/data,target=/m,readonly" busybox cat /m/f
        [ "$output" = host ]
}

@test "--add-host and --dns are in the container's /etc/hosts and /etc/resolv.conf" {
        run b run --rm --add-host db:10.1.2.3 --dns 10.9.9.9 busybox sh -c 'grep db /etc/hosts; cat /etc/resolv.conf'
        [ "${lines[0]}" = "10.1.2.3	db" ]
        [ "${lines[1]}" = "nameserver 10.9.9.9" ]
        id=$(b create --hostname h1 busybox true)
        [ "$(b inspect -f '{{.HostsPath}}' "$id")" = "$ROOT/containers/$id/hosts" ]
        [ "$(cat "$ROOT/containers/$id/hostname")" = h1 ]
}

@test "--network none: only a loopback interface; --network host: the host's" {
        run b run --rm busybox ls /sys/class/net
        [ "$output" = lo ]
        run b run --rm --network host busybox ls /sys/class/net
        [ "$output" = "$(ls /sys/class/net)" ]
}

@test "--privileged sees host devices and has every capability" {
        dev=$(ls /dev | grep -E '^(vda|sda|nvme0n1|loop-control|kvm)$' | head -1)
        [ -n "$dev" ] || skip "no known host device"
        run b run --rm busybox ls /dev
        [[ " $(echo $output) " != *" $dev "* ]]
        run b run --rm --privileged busybox ls /dev
        [[ " $(echo $output) " == *" $dev "* ]]
        run b run --rm --privileged busybox grep CapEff /proc/self/status
        [ "$(echo "$output" | awk '{print $2}')" = "$(grep CapBnd /proc/self/status | awk '{print $2}')" ]
        run b run --rm busybox grep CapEff /proc/self/status
        [ "$(echo "$output" | awk '{print $2}')" = 00000000a80425fb ]
        run b run --rm --cap-drop ALL --cap-add NET_ADMIN busybox grep CapEff /proc/self/status
        [ "$(echo "$output" | awk '{print $2}')" = 0000000000001000 ]
}

@test "a remapped container's root is an unprivileged uid on the host" {
        # Its root must be able to pass through the store's parents (docker's root is 0711 for the same reason).
        chmod 0711 "$T"
        id=$(b run -d --userns remap busybox sh -c 'touch /mine; sleep 60')
        pid=$(init_pid "$id")
        read -r inside outside size < "/proc/$pid/uid_map"
        [ "$inside" = 0 ]
        [ "$outside" -gt 0 ]
        [ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = "$outside" ]
        # Files in its root belong to it, as the host sees them.
        wait_until test -e "$ROOT/snapshots/$id/upper/mine"
        [ "$(stat -c %u "$ROOT/snapshots/$id/upper/mine")" = "$outside" ]
        run b exec "$id" id -u
        [ "$output" = 0 ]
        id2=$(b run -d --uidmap 0:200000:65536 busybox sleep 60)
        [ "$(awk '{print $1, $2}' "/proc/$(init_pid "$id2")/uid_map")" = "0 200000" ]
}

@test "rm refuses a running container without -f; rm -f removes it and everything it held" {
        id=$(b run -d busybox sleep 100)
        run b rm "$id"
        [ "$status" -eq 1 ]
        [[ "$output" == *"stop the container before removing or force remove"* ]]
        run b rm -f "$id"
        [ "$status" -eq 0 ]
        [ -z "$(b ps -aq)" ]
        [ ! -e "$ROOT/containers/$id" ] && [ ! -e "$ROOT/snapshots/$id" ]
        assert_nothing_left "$id"
}

@test "ps -a -q -n --no-trunc --filter and --format json" {
        a=$(b run -d --name one -l tier=web busybox sleep 100)
        b2=$(b create --name two busybox true)
        c=$(b run --name three busybox true)
        [ "$(b ps -q)" = "${a:0:12}" ]
        [ "$(b ps -aq | wc -l)" = 3 ]
        [ "$(b ps -a -n 1 -q --no-trunc)" = "$(b inspect -f '{{.Id}}' three)" ]
        [ "$(b ps -a --filter status=created --format '{{.Names}}')" = two ]
        [ "$(b ps -a --filter status=exited --format '{{.Names}}')" = three ]
        [ "$(b ps -a --filter name=^t --format '{{.Names}}' | sort | tr '\n' ' ')" = "three two " ]
        [ "$(b ps -a --filter label=tier=web -q)" = "${a:0:12}" ]
        # labels are ANDed, as docker's (compose asks for project AND service AND oneoff)
        [ "$(b ps -a --filter label=tier=web --filter label=tier -q)" = "${a:0:12}" ]
        [ -z "$(b ps -a --filter label=tier=web --filter label=other -q)" ]
        [ "$(b ps -a --filter name=one --filter name=two --format '{{.Names}}' | sort | tr '\n' ' ')" = "one two " ]
        [ "$(b ps -a --filter ancestor=busybox -q | wc -l)" = 3 ]
        run b ps --format json
        [ "$(echo "$output" | jq -r '.State + " " + .Names + " " + .Image')" = "running one busybox" ]
        run b ps -a --filter status=bogus
        [ "$status" -eq 125 ]
        b rm -f one two three
}

@test "container prune removes stopped containers only" {
        a=$(b run -d busybox sleep 100)
        b run busybox true
        b create busybox true
        run b container prune -f
        [ "$status" -eq 0 ]
        [ "$(b ps -aq)" = "${a:0:12}" ]
}

@test "--pid/--uts host and container:NAME; --security-opt seccomp=unconfined|PROFILE and no-new-privileges" {
        b run -d --name nssrc busybox sleep 100
        run b run --rm --pid container:nssrc busybox ps -o pid,comm
        [ "$(echo "${lines[1]}" | awk '{print $1, $2}')" = "1 sleep" ]
        [ "$(b run --rm --uts host busybox hostname)" = "$(hostname)" ]
        [ "$(b run --rm --pid host busybox sh -c 'ls -d /proc/[0-9]* | wc -l')" -gt 5 ]
        [ "$(b run --rm busybox grep Seccomp: /proc/self/status | awk '{print $2}')" = 2 ]
        [ "$(b run --rm --security-opt seccomp=unconfined busybox grep Seccomp: /proc/self/status | awk '{print $2}')" = 0 ]
        [ "$(b run --rm --security-opt no-new-privileges busybox grep NoNewPrivs: /proc/self/status | awk '{print $2}')" = 1 ]
        [ "$(b run --rm busybox grep NoNewPrivs: /proc/self/status | awk '{print $2}')" = 0 ]
        # A docker-format profile (names, includes/excludes by capability).
        cat > "$T/profile.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"},
              {"names": ["chdir"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}
JSON
        run b run --rm --security-opt "seccomp=$T/profile.json" busybox sh -c 'mkdir /x; cd /tmp && echo cd-ok'
        [[ "$output" == *"mkdir: can't create directory '/x': Operation not permitted"* ]]
        [[ "$output" == *cd-ok* ]]
}

@test "--sig-proxy: a signal to the foreground berth run reaches the container" {
        "$BERTH_BIN" --root "$ROOT" run --name proxied busybox sh -c 'trap "echo got-term; exit 3" TERM; echo ready; while true; do sleep 0.1; done' > "$T/out" 2>&1 &
        client=$!
        wait_until grep -q ready "$T/out"
        kill -TERM "$client"
        wait "$client" || status=$?
        [ "${status:-0}" -eq 3 ]
        grep -q got-term "$T/out"
        [ "$(b inspect -f '{{.State.ExitCode}}' proxied)" = 3 ]
}

@test "logs --since and --until select by time" {
        id=$(b run -d busybox sh -c 'echo early; sleep 2; echo late')
        b wait "$id" >/dev/null
        mid=$(date -u -d @$(( $(date +%s) - 1 )) +%Y-%m-%dT%H:%M:%SZ)
        [ "$(b logs --since "$mid" "$id")" = late ]
        [ "$(b logs --until "$mid" "$id")" = early ]
        [ "$(b logs --since 1h "$id" | wc -l)" = 2 ]
}
