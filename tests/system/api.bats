#!/usr/bin/env bats
# The Docker Engine API (`berth system service`, docs/api.md), driven by the real docker CLI and by curl: the
# service itself (socket, activation, idle timeout), versions, containers, attach, logs, images, and docker's
# errors for bad input.
bats_require_minimum_version 1.5.0
load api-helpers

setup() {
        api_setup
}

teardown() {
        api_teardown
}

@test "the service listens on its unix socket, mode 0660, and removes it when stopped" {
        [ "$(stat -c %a "$SOCK")" = 660 ]
        [ "$(stat -c %F "$SOCK")" = socket ]
        api_stop
        [ ! -e "$SOCK" ]
}

@test "an idle service exits after --time seconds and leaves no socket; requests keep it up" {
        api_stop
        api_start --time 2
        dk version >/dev/null
        sleep 1
        dk info >/dev/null
        kill -0 "$API_PID"
        wait_until api_exited
        [ ! -e "$SOCK" ]
        API_PID=
}

@test "systemd socket activation: the service serves the socket it is given (LISTEN_FDS)" {
        command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate is not installed"
        api_stop
        SOCK=$T/activated.sock
        systemd-socket-activate -l "$SOCK" -- "$BERTH_BIN" --root "$ROOT" system service --time 0 2> "$T/service.log" &
        API_PID=$!
        wait_until test -S "$SOCK"
        [ "$(dk version --format '{{.Server.APIVersion}}')" = 1.50 ]
        # The default socket was not made: the activated one is used.
        [ ! -e "$T/docker.sock" ]
}

@test "/_ping answers GET and HEAD with docker's headers" {
        run api GET /_ping -i
        [[ "$output" == *$'\r\nApi-Version: 1.50\r\n'* ]]
        [[ "$output" == *$'\r\nBuilder-Version: 1\r\n'* ]]
        [[ "$output" == *$'\r\nOstype: linux\r\n'* ]]
        [[ "$output" == *$'\r\nDocker-Experimental: false\r\n'* ]]
        [ "${lines[-2]}" = OK ]
        [ "${lines[-1]}" = 200 ]
        run curl -sS -I --unix-socket "$SOCK" http://berth/v1.44/_ping
        [[ "$output" == "HTTP/1.1 200 OK"* ]]
        [[ "$output" == *$'\r\nApi-Version: 1.50\r\n'* ]]
}

@test "docker version negotiates 1.50; /version and /info in docker's schema" {
        [ "$(dk version --format '{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}')" = "1.50 1.24 linux" ]
        [ "$(dk info --format '{{.OSType}} {{.DockerRootDir}} {{.Images}} {{.CgroupDriver}}')" = "linux $ROOT 1 cgroupfs" ]
        run api GET /v1.24/version
        [ "${lines[-1]}" = 200 ]
        [ "$(jq -r .ApiVersion <<< "${lines[0]}")" = 1.50 ]
}

@test "a too-new or too-old API version is refused with 400 and docker's message" {
        run api GET /v1.51/version
        [ "${lines[-1]}" = 400 ]
        [ "$(jq -r .message <<< "${lines[0]}")" = "client version 1.51 is too new. Maximum supported API version is 1.50" ]
        run api GET /v1.12/containers/json
        [ "${lines[-1]}" = 400 ]
        [[ "$(jq -r .message <<< "${lines[0]}")" == "client version 1.12 is too old. Minimum supported API version is 1.24"* ]]
        run api GET /v2.0/version
        [ "${lines[-1]}" = 400 ]
        run api GET /v1.50/no/such/endpoint
        [ "${lines[-1]}" = 404 ]
        [ "$(jq -r .message <<< "${lines[0]}")" = "page not found" ]
}

@test "docker run --rm: output through the hijacked attach, the exit code, the container removed" {
        run -3 --separate-stderr dk run --rm busybox sh -c 'echo out; echo err >&2; exit 3'
        echo "$output / $stderr"
        [ "$output" = out ]
        [ "$stderr" = err ]
        [ -z "$(b ps -aq)" ]
        # stdin: docker run -i, closed by the client's half-close.
        [ "$(echo piped | dk run -i --rm busybox cat)" = piped ]
        # A TTY: raw bytes, no frames.
        [ "$(dk run --rm -t busybox echo tty | od -An -c | tr -s ' ')" = " t t y \r \n" ]
        [ -z "$(b ps -aq)" ]
        api_stop
        assert_nothing_left ""
}

@test "docker run -d, ps, logs, inspect, stop, start, restart, kill, rm: the CLI's and the API's records agree" {
        id=$(dk run -d --name web --label tier=front busybox sh -c 'echo out; echo err >&2; exec sleep 100')
        [ ${#id} -eq 64 ]
        # The container berth itself shows, with its process in the kernel.
        [ "$(b inspect -f '{{.State.Status}}' web)" = running ]
        kill -0 "$(b inspect -f '{{.State.Pid}}' web)"
        [ "$(dk ps --format '{{.ID}} {{.Names}} {{.Image}} {{.Labels}}')" = "${id:0:12} web busybox tier=front" ]
        [ "$(dk ps -q --filter label=tier=front)" = "${id:0:12}" ]
        [ -z "$(dk ps -q --filter label=tier=back)" ]
        logged() { [ "$(b logs web 2>&1 | wc -l)" -eq 2 ]; }
        wait_until logged
        run --separate-stderr dk logs web
        [ "$output" = out ]
        [ "$stderr" = err ]
        [ "$(dk logs --tail 1 web 2>&1)" = err ]
        dk logs -t web 2>&1 | grep -Eq '^20[0-9-]+T[0-9:.]+Z out$'
        [ "$(dk inspect -f '{{.Id}} {{.Name}} {{.State.Running}} {{.Config.Labels.tier}}' web)" = "$id /web true front" ]
        # The API's document is the engine's inspect, as berth's CLI prints it.
        diff <(api GET /v1.50/containers/web/json | head -1 | jq -S 'del(.State)') <(b inspect web | jq -S '.[0] | del(.State)')
        pid=$(b inspect -f '{{.State.Pid}}' web)
        dk stop -t 1 web
        ! kill -0 "$pid" 2>/dev/null
        [ "$(b inspect -f '{{.State.Status}}' web)" = exited ]
        [ "$(dk ps -a --format '{{.Status}}')" = "Exited (137) Less than a second ago" ] ||
                [[ "$(dk ps -a --format '{{.Status}}')" == "Exited (137) "*" ago" ]]
        dk start web
        [ "$(b inspect -f '{{.State.Status}}' web)" = running ]
        pid=$(b inspect -f '{{.State.Pid}}' web)
        dk restart -t 1 web
        [ "$(b inspect -f '{{.State.Pid}}' web)" != "$pid" ]
        [ "$(b inspect -f '{{.State.Status}}' web)" = running ]
        dk kill -s KILL web
        [ "$(b inspect -f '{{.State.Status}} {{.State.ExitCode}}' web)" = "exited 137" ]
        dk rm web
        [ -z "$(b ps -aq)" ]
        api_stop
        assert_nothing_left "$id"
}

@test "docker create + start -a, wait, rm -f of a running container" {
        dk create --name once busybox sh -c 'echo created; exit 4' >/dev/null
        [ "$(b inspect -f '{{.State.Status}}' once)" = created ]
        run dk start -a once
        [ "$status" -eq 4 ]
        [ "$output" = created ]
        [ "$(dk wait once)" = 4 ]
        dk run -d --name long busybox sleep 100 >/dev/null
        pid=$(b inspect -f '{{.State.Pid}}' long)
        run dk rm long
        [ "$status" -ne 0 ]
        [[ "$output" == *"stop the container before removing or force remove"* ]]
        dk rm -f long
        ! kill -0 "$pid" 2>/dev/null
        dk rm once
        [ -z "$(b ps -aq)" ]
}

@test "a start that fails: docker's exit codes (127: not found) and --rm removes the container" {
        run -127 dk run --rm busybox /no/such/command
        [ "$status" -eq 127 ]
        [ -z "$(b ps -aq)" ]
        run -127 dk run --name kept busybox /no/such/command
        [ "$status" -eq 127 ]
        [ "$(b inspect -f '{{.State.ExitCode}}' kept)" = 127 ]
        run dk start kept
        [ "$status" -ne 0 ]
        [[ "$output" == *"no such file or directory"* ]]
}

@test "logs -f streams until the container stops" {
        dk run -d --name ticker busybox sh -c 'for i in 1 2 3; do echo tick$i; sleep 0.3; done' >/dev/null
        run timeout 20 "$DOCKER" -H "unix://$SOCK" logs -f ticker
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf 'tick1\ntick2\ntick3')" ]
}

@test "bad input: malformed JSON, wrong Content-Type, unknown container, bad wait condition, a body too large" {
        run api POST /v1.50/containers/create -H 'Content-Type: application/json' -d '{"Image": "busybox", '
        [ "${lines[-1]}" = 400 ]
        jq -e '.message | length > 0' <<< "${lines[0]}"
        run api POST /v1.50/containers/create -H 'Content-Type: text/plain' -d '{"Image": "busybox"}'
        [ "${lines[-1]}" = 400 ]
        [[ "$(jq -r .message <<< "${lines[0]}")" == "unsupported Content-Type header (text/plain)"* ]]
        run api GET /v1.50/containers/nosuch/json
        [ "${lines[-1]}" = 404 ]
        [ "$(jq -r .message <<< "${lines[0]}")" = "No such container: nosuch" ]
        run api POST /v1.50/containers/nosuch/start
        [ "${lines[-1]}" = 404 ]
        run api DELETE /v1.50/containers/nosuch
        [ "${lines[-1]}" = 404 ]
        dk create --name wt busybox true >/dev/null
        run api POST '/v1.50/containers/wt/wait?condition=whenever'
        [ "${lines[-1]}" = 400 ]
        run api POST /v1.50/containers/create -H 'Content-Type: application/json' -d '{"Image": "nosuchimage"}'
        [ "${lines[-1]}" = 404 ]
        # 17 MiB announced: refused before it is read; the service goes on serving.
        head -c $((17 * 1024 * 1024)) /dev/zero > "$T/big"
        run api POST /v1.50/containers/create -H 'Content-Type: application/json' --data-binary "@$T/big"
        [ "${lines[-1]}" = 413 ]
        [ "$(dk ps -aq | wc -l)" -eq 1 ]
        [ "$(b ps -aq | wc -l)" -eq 1 ]
}

@test "concurrent clients: 50 requests at once, and a stuck client does not block the others" {
        # A client that sends half a request and stays.
        exec 7< <(python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.send(b"POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
print("stuck", flush=True); time.sleep(30)' "$SOCK")
        read -r -u 7 line
        [ "$line" = stuck ]
        for i in $(seq 50); do
                curl -sS --unix-socket "$SOCK" -o /dev/null -w '%{http_code}\n' http://berth/v1.50/containers/json &
        done > "$T/codes"
        lines_are() { [ "$(wc -l < "$1")" -eq "$2" ]; }
        wait_until lines_are "$T/codes" 50
        [ "$(sort -u "$T/codes")" = 200 ]
        timeout 5 "$DOCKER" -H "unix://$SOCK" version >/dev/null
        exec 7<&-
}

@test "docker volume create, ls, inspect, rm, and a container using one: the store's records" {
        [ "$(dk volume create --label app=db data)" = data ]
        [ -d "$ROOT/volumes/data/_data" ]
        [ "$(b volume ls -q)" = data ]
        [ "$(dk volume ls -q)" = data ]
        [ "$(dk volume inspect -f '{{.Name}} {{.Driver}} {{.Mountpoint}} {{.Labels.app}}' data)" = "data local $ROOT/volumes/data/_data db" ]
        diff <(api GET /v1.50/volumes/data | head -1 | jq -S .) <(b volume inspect data | jq -S '.[0]')
        dk run --rm -v data:/data busybox sh -c 'echo kept > /data/f'
        [ "$(cat "$ROOT/volumes/data/_data/f")" = kept ]
        dk create --name user -v data:/data busybox true >/dev/null
        run dk volume rm data
        [ "$status" -ne 0 ]
        [[ "$output" == *"volume is in use"* ]]
        dk rm user
        dk volume rm data
        [ ! -e "$ROOT/volumes/data" ]
        [ -z "$(b volume ls -q)" ]
        run api GET /v1.50/volumes/nosuch
        [ "${lines[-1]}" = 404 ]
        # An anonymous volume: named by 64 hex digits.
        name=$(dk volume create)
        [[ "$name" =~ ^[0-9a-f]{64}$ ]]
        dk volume rm "$name"
}

@test "docker events: the journal's past events with since/until and filters, then the ones to come" {
        since=$(date +%s.%N)
        dk create --name ev1 --label team=a busybox true >/dev/null
        dk rm ev1 >/dev/null
        now=$(date +%s.%N)
        [ "$(dk events --since "$since" --until "$now" --filter container=ev1 --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.team}}')" = \
          "$(printf 'container create ev1 a\ncontainer destroy ev1 a')" ]
        [ "$(dk events --since "$since" --until "$now" --filter event=destroy --format '{{.Action}}')" = destroy ]
        # Following: what berth's own CLI does shows up in the stream.
        timeout 20 "$DOCKER" -H "unix://$SOCK" events --filter event=start --format '{{.Actor.Attributes.name}}' > "$T/follow" &
        follower=$!
        sleep 1
        b run -d --name ev2 busybox true >/dev/null
        has_start() { grep -qx ev2 "$T/follow"; }
        wait_until has_start
        kill "$follower"
        wait "$follower" || true
        run api GET '/v1.50/events?filters=%7B%22nokey%22%3A%5B%22x%22%5D%7D&until=1'
        [ "${lines[-1]}" = 400 ]
}

@test "contrib/berth.socket and berth.service: the socket's settings, and the service's command serves a passed socket, then exits when idle" {
        socket=$BERTH_ROOT_DIR/contrib/berth.socket service=$BERTH_ROOT_DIR/contrib/berth.service
        grep -qx 'ListenStream=/run/berth/docker.sock' "$socket"
        grep -qx 'SocketMode=0660' "$socket"
        grep -qx 'SocketGroup=berth' "$socket"
        exec_start=$(sed -n 's|^ExecStart=/usr/local/bin/berth ||p' "$service")
        [ "$exec_start" = "system service --time 5" ]
        command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate is not installed"
        api_stop
        SOCK=$T/activated.sock
        # The unit's command line, with this build's berth and the test's store.
        # shellcheck disable=SC2086
        systemd-socket-activate -l "$SOCK" -- "$BERTH_BIN" --root "$ROOT" $exec_start 2> "$T/service.log" &
        API_PID=$!
        wait_until test -S "$SOCK"
        [ "$(dk ps -q | wc -l)" -eq 0 ]
        [ "$(dk version --format '{{.Server.Os}}')" = linux ]
        # Idle for 5 s: it exits (systemd would start it again on the next connection).
        sleep 5
        wait_until api_exited
        API_PID=
}

@test "docker pause, unpause, rename: the freezer and the record" {
        dk run -d --name sleeper busybox sleep 100 >/dev/null
        dk pause sleeper
        [ "$(b inspect -f '{{.State.Status}}' sleeper)" = paused ]
        if is_cgroup_v2; then
                [ "$(cat "$(cgroup_dir sleeper)/cgroup.freeze")" = 1 ]
        else
                [ "$(cat "$(cgroup_dir sleeper freezer)/freezer.state")" = FROZEN ]
        fi
        [[ "$(dk ps --format '{{.Status}}')" == *"(Paused)" ]]
        dk unpause sleeper
        [ "$(b inspect -f '{{.State.Status}}' sleeper)" = running ]
        dk rename sleeper dozer
        [ "$(b inspect -f '{{.Name}}' dozer)" = /dozer ]
        run dk rename dozer "bad name"
        [ "$status" -ne 0 ]
        run api POST /v1.50/containers/nosuch/pause
        [ "${lines[-1]}" = 404 ]
        dk rm -f dozer >/dev/null
}

@test "docker top, diff, export: the container's processes (its cgroup's), its changes, its root as a tar" {
        dk run -d --name box busybox sh -c 'mkdir /data; echo hello > /data/f; rm /bin/vi; touch /ready; exec sleep 100' >/dev/null
        wait_until b exec box test -e /ready
        # top: the processes of the container's cgroup, as the kernel lists them.
        run dk top box
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == UID*PID*CMD ]]
        [[ "$output" == *"sleep 100"* ]]
        top_pids=$(dk top box -o pid | tail -n +2 | tr -d ' ' | sort -n)
        if is_cgroup_v2; then procs=$(cgroup_dir box)/cgroup.procs; else procs=$(cgroup_dir box pids)/cgroup.procs; fi
        [ "$top_pids" = "$(sort -n "$procs")" ]
        [ "$(dk top box -o pid,comm | head -1 | awk '{print $1, $2}')" = "PID COMMAND" ]
        # diff: what the command changed.
        run dk diff box
        echo "$output"
        [[ "$output" == *"A /data/f"* ]]
        [[ "$output" == *"D /bin/vi"* ]]
        [[ "$output" == *"C /bin"* ]]
        # export: the root with the changes, as a tar the host's tar reads.
        dk export box > "$T/box.tar"
        [ "$(tar -xOf "$T/box.tar" data/f)" = hello ]
        ! tar -tf "$T/box.tar" | grep -qx 'bin/vi'
        tar -tf "$T/box.tar" | grep -qx 'bin/sh'
        run dk top nosuch
        [ "$status" -ne 0 ]
        [[ "$output" == *"No such container: nosuch"* ]]
        dk rm -f box >/dev/null
}

@test "docker container, image and volume prune: what is unused goes from the store, what is used stays" {
        dk run -d --name keep busybox sleep 100 >/dev/null
        dk create --name stopped busybox true >/dev/null
        stopped=$(b inspect -f '{{.Id}}' stopped)
        run dk container prune -f
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"$stopped"* ]]
        [ ! -e "$ROOT/containers/$stopped" ]
        [ "$(b ps -aq | wc -l)" = 1 ]
        # image prune: a committed image nobody runs goes with -a only; busybox (used by keep) stays.
        b commit keep snap:1 >/dev/null
        dk image prune -f >/dev/null
        b inspect snap:1 >/dev/null
        run dk image prune -a -f
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"untagged: snap:1"* ]]
        run b inspect snap:1
        [ "$status" -ne 0 ]
        b inspect busybox >/dev/null
        # volume prune -a: an unused named volume goes (its directory too); one in use stays.
        dk volume create spare >/dev/null
        dk run -d --name user -v used:/v busybox sleep 100 >/dev/null
        run dk volume prune -a -f
        echo "$output"
        [[ "$output" == *spare* ]]
        [ ! -e "$ROOT/volumes/spare" ]
        [ -d "$ROOT/volumes/used" ]
        # A filter no prune takes: 400 naming it, nothing removed.
        dk create --name stopped2 busybox true >/dev/null
        run api POST '/v1.50/containers/prune?filters=%7B%22color%22%3A%5B%22red%22%5D%7D'
        echo "$output"
        [ "${lines[-1]}" = 400 ]
        [[ "${lines[0]}" == *"invalid filter 'color'"* ]]
        b inspect stopped2 >/dev/null
        dk rm -f keep user stopped2 >/dev/null
}

@test "docker stats: the cgroup's memory limit, pids and CPU use; the API's stream carries each sample as the next one's precpu" {
        dk run -d --name spin --memory 64m busybox sh -c 'while :; do :; done' >/dev/null
        run dk stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}} {{.CPUPerc}}' spin
        echo "$output"
        [ "$status" -eq 0 ]
        read -r name mem _ limit pids cpu <<< "$output"
        [ "$name" = spin ]
        [ "$limit" = 64MiB ]
        if is_cgroup_v2; then current=$(cgroup_dir spin)/pids.current; else current=$(cgroup_dir spin pids)/pids.current; fi
        [ "$pids" = "$(cat "$current")" ]
        # A busy loop: well above nothing (the CLI's CPU % from cpu_stats and precpu_stats).
        [ "$(echo "${cpu%\%} > 10" | bc)" = 1 ]
        # The stream: an object a second, each with the one before as its precpu_stats.
        curl -sN --max-time 3.5 --unix-socket "$SOCK" 'http://berth/v1.50/containers/spin/stats' > "$T/stream" || true
        [ "$(wc -l < "$T/stream")" -ge 2 ]
        [ "$(sed -n 1p "$T/stream" | jq -c .cpu_stats)" = "$(sed -n 2p "$T/stream" | jq -c .precpu_stats)" ]
        [ "$(sed -n 1p "$T/stream" | jq .memory_stats.limit)" = $((64 << 20)) ]
        dk rm -f spin >/dev/null
        run api GET '/v1.50/containers/spin/stats?stream=false'
        [ "${lines[-1]}" = 404 ]
}

@test "docker run --rm of a command that ends at once, 20 times: each exit code is the command's, never a dead monitor's 255" {
        # The API's wait reads the record while the start is still writing it: a reader must not adopt the run
        # before the start records it with its monitor (the monitor then looked dead: 255).
        for i in $(seq 20); do
                run dk run --rm busybox sh -c 'exit 3'
                [ "$status" -eq 3 ] || { echo "run $i: status $status: $output"; b events --since 0 --until "$(date +%s)" --filter event=die --format '{{.Actor.Attributes.exitCode}}'; false; }
        done
        [ -z "$(b ps -aq)" ]
}

@test "docker exec: output, exit codes, stdin, -u -w -e, -d, a terminal's size, inspect, and 20 at once" {
        dk run -d --name ex busybox sleep 300 >/dev/null
        [ "$(dk exec ex echo hello)" = hello ]
        run dk exec ex sh -c 'echo out; echo err >&2; exit 3'
        [ "$status" -eq 3 ]
        [ "$(dk exec ex sh -c 'echo out; echo err >&2' 2>/dev/null)" = out ]
        [ "$(dk exec ex sh -c 'echo out; echo err >&2' 2>&1 >/dev/null)" = err ]
        [ "$(echo piped | dk exec -i ex cat)" = piped ]
        run -127 dk exec ex nosuch
        [ "$status" -eq 127 ] && [[ $output == *"executable file not found"* ]]
        [ "$(dk exec -u 1000 -w /tmp -e FOO=bar ex sh -c 'id -u; pwd; echo $FOO' | tr '\n' ' ')" = "1000 /tmp bar " ]
        # -d: the process runs in the container's cgroup after the command returned
        dk exec -d ex sleep 123
        cg=$(cgroup_dir ex pids)
        wait_until sh -c "for p in \$(cat $cg/cgroup.procs); do tr '\\0' ' ' < /proc/\$p/cmdline; echo; done | grep -q '^sleep 123'"
        # a terminal: its size from ConsoleSize, docker's bytes (one \r\n per line)
        id=$(api POST /v1.50/containers/ex/exec -H 'Content-Type: application/json' \
                -d '{"Cmd":["sh","-c","tty; stty size"],"Tty":true,"AttachStdout":true,"ConsoleSize":[33,101]}' | head -1 | jq -r .Id)
        [ "$(curl -sS --unix-socket "$SOCK" -H 'Content-Type: application/json' -H 'Connection: Upgrade' -H 'Upgrade: tcp' \
                -d '{"Tty":true}' "http://berth/v1.50/exec/$id/start" --output - | od -An -c | tr -s ' \n' ' ')" = \
           " / d e v / p t s / 0 \\r \\n 3 3 1 0 1 \\r \\n " ]
        run api GET "/v1.50/exec/$id/json"
        [ "$(echo "${lines[0]}" | jq -c '[.ExitCode, .Running, .ContainerID == "'"$(b inspect -f '{{.Id}}' ex)"'", .ProcessConfig.tty]')" = '[0,false,true,true]' ]
        run api POST "/v1.50/exec/$id/start" -H 'Content-Type: application/json' -d '{}'
        [ "${lines[-1]}" = 409 ]
        run api GET /v1.50/exec/nosuch/json
        [ "${lines[-1]}" = 404 ]
        run api POST /v1.50/containers/ex/exec -H 'Content-Type: application/json' -d '{"Cmd":[]}'
        [ "${lines[-1]}" = 400 ]
        run api POST /v1.50/containers/ex/exec -H 'Content-Type: application/json' -d '{"Cmd":["true"],"Tty":"yes"}'
        [ "${lines[-1]}" = 400 ]
        # each exec's output is its own, with 20 at once (none hangs, none gets another's bytes)
        pids=()
        for i in $(seq 20); do
                (out=$(timeout 60 "$DOCKER" -H "unix://$SOCK" exec ex echo "n$i"); [ "$out" = "n$i" ] || echo "exec $i: [$out]") > "$T/exec.$i" &
                pids+=($!)
        done
        wait "${pids[@]}"
        cat "$T"/exec.*
        [ -z "$(cat "$T"/exec.*)" ]
        # events: exec_die with the exit code
        run dk events --since 0 --until "$(date +%s)" --filter event=exec_die --format '{{.Actor.Attributes.exitCode}}'
        [[ $output == *3* ]]
        # a container that is not running: 409, exit 1
        dk create --name idle busybox true >/dev/null
        run dk exec idle true
        [ "$status" -eq 1 ] && [[ $output == *"is not running"* ]]
}

@test "docker volume ls --filter (name, label, dangling, driver) through the API and berth's own: the same volumes" {
        b volume create --label team=a --label tier=db alpha-data >/dev/null
        b volume create --label team=a beta-data >/dev/null
        b volume create gamma >/dev/null
        b run -d --name user -v beta-data:/d busybox sleep 100 >/dev/null
        check() {  # EXPECTED FILTER...
                local want=$1 args=()
                shift
                for f in "$@"; do args+=(--filter "$f"); done
                [ "$(dk volume ls -q "${args[@]}" | sort | tr '\n' ' ')" = "$want" ]
                [ "$(b volume ls -q "${args[@]}" | sort | tr '\n' ' ')" = "$want" ]
        }
        check "alpha-data beta-data " name=data
        check "alpha-data beta-data " label=team=a
        check "alpha-data " label=team=a label=tier
        check "alpha-data gamma " dangling=true
        check "beta-data " dangling=false
        check "alpha-data beta-data gamma " driver=local
        check "beta-data gamma " name=gamma name=beta
        run dk volume ls --filter color=red
        [ "$status" -ne 0 ]
        [[ $output == *"invalid filter 'color'"* ]]
        run b volume ls -f dangling=maybe
        [ "$status" -ne 0 ]
        [[ $output == *"invalid filter 'dangling=maybe'"* ]]
}

@test "prune filters (until, label, label!) through the API and berth's own: what matches goes, the rest stays" {
        old=$(dk create --label team=a busybox true)
        keep=$(dk create --label team=b busybox true)
        plain=$(dk create busybox true)
        # until: only what was created before it; a minute ago is before all three.
        run dk container prune -f --filter until=1m
        [ "$(dk ps -aq | wc -l)" -eq 3 ]
        run dk container prune -f --filter label=team=a
        [[ $output == *"$old"* ]]
        [ "$(dk ps -aq --no-trunc | sort | tr '\n' ' ')" = "$(printf '%s\n' "$keep" "$plain" | sort | tr '\n' ' ')" ]
        run b container prune -f --filter 'label!=team'
        [[ $output == *"$plain"* ]]
        [ "$(b ps -aq --no-trunc)" = "$keep" ]
        run dk container prune -f --filter color=red
        [ "$status" -ne 0 ]
        [[ $output == *"invalid filter 'color'"* ]]
        [ "$(b ps -aq --no-trunc)" = "$keep" ]
        # Volumes: label and label! (no until, as dockerd), -a for named ones.
        b volume create --label tier=db v-db >/dev/null
        b volume create v-plain >/dev/null
        dk volume prune -f -a --filter label=tier=db >/dev/null
        [ "$(b volume ls -q)" = v-plain ]
        run dk volume prune -f --filter until=1m
        [ "$status" -ne 0 ]
        [[ $output == *"invalid filter 'until'"* ]]
        b volume prune -f -a --filter 'label!=tier' >/dev/null
        [ -z "$(b volume ls -q)" ]
}
