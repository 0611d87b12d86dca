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
