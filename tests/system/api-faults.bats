#!/usr/bin/env bats
# The Docker Engine API under bad clients (docs/api.md): 200 requests at once, a chunked body that never ends,
# a 1 GB body announced, clients that vanish in the middle of a hijacked attach. Each gets docker's status or
# a closed connection; the service goes on serving, and what it held for the client (threads, the
# container's state) is as before: read from the kernel (/proc/PID/task) and the store.
bats_require_minimum_version 1.5.0
load api-helpers

setup() {
        api_setup
}

teardown() {
        api_teardown
}

threads() {
        ls "/proc/$API_PID/task" | wc -l
}

@test "200 requests at once: every one answered 200, none lost" {
        for i in $(seq 200); do
                case $((i % 4)) in
                0) path=/v1.50/containers/json?all=1 ;;
                1) path=/v1.50/images/json ;;
                2) path=/_ping ;;
                3) path=/v1.50/info ;;
                esac
                curl -sS --unix-socket "$SOCK" -o /dev/null -w '%{http_code}\n' "http://berth$path" &
        done > "$T/codes"
        lines_are() { [ "$(wc -l < "$1")" -eq "$2" ]; }
        wait_until lines_are "$T/codes" 200
        [ "$(sort | uniq -c < "$T/codes" | awk '{print $2 ":" $1}')" = "200:200" ]
        # Every connection's thread is gone once they are answered.
        wait_until sh -c "[ \$(ls /proc/$API_PID/task | wc -l) -le 3 ]"
}

@test "a chunked body that never ends is cut at 16 MiB with 413; a 1 GB body announced is refused before it is read" {
        before=$(threads)
        run timeout 120 python3 - "$SOCK" <<'EOF2'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"POST /v1.50/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
sent = 0
# A send that blocks for 20 s: the service has stopped reading (as good as closing, for this client).
s.settimeout(20)
try:
    while sent < 200 * 1024 * 1024:  # far past the bound: the service must stop us first
        s.sendall(chunk)
        sent += 65536
except (BrokenPipeError, ConnectionResetError, socket.timeout):
    pass
s.settimeout(10)
reply = b""
try:
    while True:
        data = s.recv(65536)
        if not data:
            break
        reply += data
except (ConnectionResetError, socket.timeout):
    pass
print("sent %d MiB" % (sent // (1024 * 1024)))
print(reply.split(b"\r\n")[0].decode() if reply else "no reply")
EOF2
        echo "$output"
        [ "$status" -eq 0 ]
        [[ ${lines[0]} =~ ^sent\ ([0-9]+)\ MiB$ ]]
        [ "${BASH_REMATCH[1]}" -lt 200 ]
        [[ ${lines[1]} == "HTTP/1.1 413"* || ${lines[1]} == "no reply" ]]
        # 1 GB announced: 413 at once, nothing of it read.
        run timeout 20 python3 - "$SOCK" <<'EOF2'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"POST /v1.50/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n{")
s.settimeout(10)
print(s.recv(65536).split(b"\r\n")[0].decode())
EOF2
        [[ $output == "HTTP/1.1 413"* ]]
        [ -z "$(b ps -aq)" ]
        wait_until sh -c "[ \$(ls /proc/$API_PID/task | wc -l) -le $before ]"
        [ "$(dk version --format '{{.Server.APIVersion}}')" = 1.50 ]
}

@test "clients that vanish mid-attach: the container runs on, the session's thread ends, a new attach works" {
        id=$(dk run -d busybox sh -c 'while :; do echo tick; sleep 0.1; done')
        before=$(threads)
        for i in 1 2 3 4 5; do
                timeout 20 python3 - "$SOCK" "$id" <<'EOF2'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"POST /v1.50/containers/%s/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n" % sys.argv[2].encode())
got = b""
while b"tick" not in got:
    got += s.recv(4096)
# gone without a word: no half-close, no request end
s.close()
EOF2
        done
        wait_until sh -c "[ \$(ls /proc/$API_PID/task | wc -l) -le $before ]"
        [ "$(b inspect -f '{{.State.Status}}' "$id")" = running ]
        # The monitor dropped the vanished clients: a new attach is served the container's output.
        timeout 10 sh -c "DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$T/docker-config '$DOCKER' attach --no-stdin '$id' | head -n 2" > "$T/again" || true
        [ "$(head -n 1 "$T/again")" = tick ]
        [ "$(dk inspect -f '{{.State.Running}}' "$id")" = true ]
}

@test "the CLI and the API at once on one store: 20 containers each way, none lost, each record the same both ways" {
        for i in $(seq 20); do
                b run -d --name "cli$i" busybox sleep 100 > /dev/null &
                dk run -d --name "api$i" busybox sleep 100 > /dev/null &
        done
        wait_until sh -c "[ \$($BERTH_BIN --root $ROOT ps -q | wc -l) -eq 40 ]"
        # Every container is running as the kernel sees it (its init alive) and listed alike by both.
        for id in $(b ps -q --no-trunc); do
                pid=$(b inspect -f '{{.State.Pid}}' "$id")
                [ -d "/proc/$pid" ]
        done
        b ps --no-trunc --format '{{.ID}} {{.Names}} {{.Image}} {{.State}}' | sort > "$T/cli"
        dk ps --no-trunc --format '{{.ID}} {{.Names}} {{.Image}} {{.State}}' | sort > "$T/api"
        diff "$T/cli" "$T/api"
        [ "$(cut -d' ' -f2 "$T/cli" | sort -u | wc -l)" -eq 40 ]
        # And removed both ways at once.
        for i in $(seq 20); do
                b rm -f "api$i" > /dev/null &
                dk rm -f "cli$i" > /dev/null &
        done
        wait_until sh -c "[ -z \"\$($BERTH_BIN --root $ROOT ps -aq)\" ]"
        [ -z "$(dk ps -aq)" ]
}
