# Helpers for the Docker Engine API's tests (tests/system/api*.bats): each test gets the engine's store
# (engine-helpers: busybox loaded) and a `berth system service` of its own on a socket in the test's scratch
# directory, driven by the real docker CLI (DOCKER_HOST) and by curl for what the CLI never sends. Teardown
# stops the service, then removes the containers and the scratch directory.
load engine-helpers

DOCKER=${DOCKER:-$(command -v docker || echo /usr/local/bin/docker)}

# api_start [ARGS...]: the service on $T/docker.sock (--time 0 unless ARGS say otherwise); API_PID is its pid.
api_start() {
        SOCK=$T/docker.sock
        "$BERTH_BIN" --root "$ROOT" system service "${@:---time=0}" "unix://$SOCK" 2> "$T/service.log" &
        API_PID=$!
        local i
        for i in $(seq 100); do
                [ -S "$SOCK" ] && return 0
                kill -0 "$API_PID" 2>/dev/null || break
                sleep 0.05
        done
        cat "$T/service.log"
        return 1
}

api_stop() {
        [ -n "${API_PID:-}" ] || return 0
        kill -TERM "$API_PID" 2>/dev/null || true
        wait "$API_PID" 2>/dev/null || true
        API_PID=
}

api_exited() {
        ! kill -0 "$API_PID" 2>/dev/null
}

api_setup() {
        [ -x "$DOCKER" ] || skip "the docker CLI is not installed"
        engine_setup
        mkdir -p "$T/docker-config"
        api_start
}

api_teardown() {
        api_stop
        engine_teardown
}

# dk ARGS...: the docker CLI against the service.
dk() {
        DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$T/docker-config "$DOCKER" "$@"
}

# api METHOD PATH [curl args...]: one request; prints the body, then the status code on a line of its own.
api() {
        local method=$1 path=$2
        shift 2
        curl -sS --unix-socket "$SOCK" -X "$method" -w '\n%{http_code}\n' "$@" "http://berth$path"
}
