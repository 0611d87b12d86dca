# Helpers for the registry bats tests (tests/system/registry*.bats): a real registry (CNCF distribution via
# shared/images/registry.sh) on a free port of 127.0.0.1 per test file, fault-injecting proxies and token
# servers per test, each test with its own store, auth file and registries.conf. Everything a test starts is
# stopped in teardown; the registries in teardown_file (registry.sh stop also deletes their storage).
load image-helpers

REGISTRY_SH=${REGISTRY_SH:-$SHARED_IMAGES/registry.sh}
FAULT_PROXY=$BERTH_ROOT_DIR/tests/helpers/registry-fault-proxy.py
TOKEN_SERVER=$BERTH_ROOT_DIR/tests/helpers/registry-token-server.py

# A TCP port nobody listens on (the kernel's choice); with "pair", PORT+1 is free too (registry.sh --token
# puts its token server there).
free_port() {
        python3 - "${1:-}" <<'PY'
import socket, sys
pair = sys.argv[1] == "pair"
for _ in range(200):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    if not pair:
        print(p); break
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", p + 1)); print(p); break
    except OSError:
        pass
    finally:
        t.close(); s.close()
PY
}

# The images the tests pull (built once into the cache: a rerun takes < 1 s; debian's first build 40-70 s).
ensure_registry_images() {
        local need=
        for i in busybox multilayer multiarch debian; do
                [ -f "$IMAGES/$i/index.json" ] || need=1
        done
        [ -f "$IMAGES/multilayer.tree" ] || need=1
        [ -z "$need" ] || "$SHARED_IMAGES/make-images.sh" "$IMAGES" busybox multilayer multiarch debian >&2
}

# registry_start VAR [registry.sh options...]: starts a registry on a free port and sets VAR_PORT, VAR (host:port),
# VAR_DIR (its storage), and for --tls VAR_CERT_DIR. Retries when the port was taken in between.
registry_start() {
        local var=$1 port out i pair=
        shift
        [[ " $* " == *" --token "* ]] && pair=pair
        for i in 1 2 3 4 5; do
                port=$(free_port $pair)
                if out=$("$REGISTRY_SH" start "$port" "$@" 2>&1); then
                        eval "export ${var}_PORT=$port ${var}=127.0.0.1:$port ${var}_DIR=/tmp/berth-registry-$port"
                        eval "$(printf '%s\n' "$out" | grep '^REGISTRY_CERT_DIR=' | sed "s/^REGISTRY_/export ${var}_/")"
                        echo "$port" >> "${BATS_FILE_TMPDIR:-/tmp}/registries"
                        return 0
                fi
        done
        echo "registry.sh start failed: $out" >&2
        return 1
}

# registry_push PORT NAME...: the test images into a registry (digests preserved; NAME:docker too).
registry_push() {
        local port=$1
        shift
        "$REGISTRY_SH" push "$port" "$IMAGES" "$@" > /dev/null
}

# Stops every registry this file started (teardown_file).
registries_stop() {
        local f=${BATS_FILE_TMPDIR:-/tmp}/registries port
        [ -f "$f" ] || return 0
        while read -r port; do
                "$REGISTRY_SH" stop "$port" 2>/dev/null || true
        done < "$f"
        rm -f "$f"
}

registry_test_setup() {
        image_setup
        # The store exists from the start: "unchanged" compares with an empty store, not with no store.
        b images > /dev/null
        mkdir -p "$T/docker"
        # Isolation: credentials in the test's own file, no registries.conf but the test's own.
        export DOCKER_CONFIG=$T/docker
        unset REGISTRY_AUTH_FILE
        export BERTH_REGISTRIES_CONF=$T/registries.conf
        : > "$BERTH_REGISTRIES_CONF"
        PIDS=$T/pids
        : > "$PIDS"
}

registry_test_teardown() {
        local pid
        if [ -n "${PIDS:-}" ] && [ -f "$PIDS" ]; then
                while read -r pid; do
                        kill "$pid" 2>/dev/null || true
                        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
                        kill -9 "$pid" 2>/dev/null || true
                done < "$PIDS"
        fi
        image_teardown
}

# proxy_start UPSTREAM_HOST:PORT [FAULT|--OPTION=VALUE...]: a fault-injecting proxy; sets PROXY (host:port)
# and PROXY_LOG.
proxy_start() {
        local upstream=$1 args=() f i
        shift
        for f in "$@"; do
                case $f in
                --*) args+=("$f") ;;
                *) args+=(--fault "$f") ;;
                esac
        done
        PROXY_LOG=$T/proxy-$RANDOM.log
        local portfile=$PROXY_LOG.port
        python3 "$FAULT_PROXY" --upstream "$upstream" --port-file "$portfile" --log "$PROXY_LOG" "${args[@]}" \
                > "$PROXY_LOG.err" 2>&1 &
        echo $! >> "$PIDS"
        for i in $(seq 100); do
                [ -s "$portfile" ] && break
                sleep 0.05
        done
        [ -s "$portfile" ] || { cat "$PROXY_LOG.err" >&2; return 1; }
        PROXY=127.0.0.1:$(cat "$portfile")
        : >> "$PROXY_LOG"
}

# layout_manifest NAME TAG / layout_config NAME TAG: digests from the OCI layouts (never hard-coded).
layout_config() {  # NAME TAG
        local m
        m=$(layout_manifest "$1" "$2")
        jq -r .config.digest "$IMAGES/$1/blobs/sha256/${m#sha256:}"
}

# Every blob under the store has the digest it is named after (checked with sha256sum, not berth).
assert_blobs_verify() {
        local f
        for f in "$ROOT"/blobs/sha256/*; do
                [ -e "$f" ] || continue
                [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || { echo "blob $f is corrupt"; return 1; }
        done
}

# Nothing half-done left in the store: no temporary entries, no unreferenced blob or layer, check passes.
assert_store_clean() {
        run b system check
        echo "$output"
        [ "$status" -eq 0 ]
        [ -z "$(ls -A "$ROOT/tmp" 2>/dev/null)" ] || { echo "left in tmp: $(ls -A "$ROOT/tmp")"; return 1; }
        assert_blobs_verify
}

# db_query SQL: rows of the store's database, '|'-separated (python's sqlite3: the sqlite3 command is not a
# dependency).
db_query() {
        python3 - "$ROOT/berth.db" "$1" <<'PY'
import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]):
    print("|".join(str(c) for c in row))
PY
}

# The lines of a log matching a pattern.
count_lines() {  # FILE PATTERN
        grep -cE "$2" "$1" || true
}

# The proxy logs a request when it has sent the last byte, a moment after the client has it: wait for N lines.
wait_log_lines() {  # FILE PATTERN N
        local i
        for i in $(seq 100); do
                [ "$(count_lines "$1" "$2")" -ge "$3" ] && return 0
                sleep 0.05
        done
        return 0
}

# token_registry_start [TOKEN-SERVER OPTIONS...]: a registry of the test's own whose token service is
# tests/helpers/registry-token-server.py (user berth, password $TOKEN_PASSWORD); sets TOKREG (host:port) and
# TOKEN_LOG. Both processes are stopped in teardown, their files are under $T.
TOKEN_PASSWORD=T0ken-s3cret-pw
token_registry_start() {
        local d=$T/tokreg port i
        mkdir -p "$d/data"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/token.key" -out "$d/token.crt" -days 2 \
                -subj /CN=berth-test-issuer 2>/dev/null
        TOKEN_LOG=$d/token.log
        python3 "$TOKEN_SERVER" --port-file "$d/token.port" --log "$TOKEN_LOG" --key "$d/token.key" --cert "$d/token.crt" \
                --service berth-test --issuer berth-test-issuer --user berth --password "$TOKEN_PASSWORD" "$@" \
                > "$d/token.err" 2>&1 &
        echo $! >> "$PIDS"
        for i in $(seq 100); do [ -s "$d/token.port" ] && break; sleep 0.05; done
        [ -s "$d/token.port" ] || { cat "$d/token.err" >&2; return 1; }
        : >> "$TOKEN_LOG"
        for i in 1 2 3 4 5; do
                port=$(free_port)
                cat > "$d/config.yml" <<YML
version: 0.1
log: {level: warn, formatter: text}
storage: {filesystem: {rootdirectory: $d/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port, secret: berth-test}
auth: {token: {realm: "http://127.0.0.1:$(cat "$d/token.port")/token", service: berth-test, issuer: berth-test-issuer, rootcertbundle: $d/token.crt}}
YML
                docker-registry serve "$d/config.yml" > "$d/registry.log" 2>&1 &
                echo $! >> "$PIDS"
                for _ in $(seq 100); do
                        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" = 401 ] && { TOKREG=127.0.0.1:$port; return 0; }
                        kill -0 "$(tail -1 "$PIDS")" 2>/dev/null || break
                        sleep 0.05
                done
        done
        cat "$d/registry.log" >&2
        return 1
}

# mtls_registry_start: a registry of the test's own that requires a client certificate (TLS with
# http.tls.clientcas). Sets MTLS (host:port) and MTLS_CERTS, a certificates directory holding the CA
# (ca.crt) and a client pair (client.cert, client.key) signed by it. Stopped in teardown.
mtls_registry_start() {
        local d=$T/mtls port i
        mkdir -p "$d/data" "$d/certs"
        (
                cd "$d"
                openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=berth-mtls-ca
                openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1
                printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
                openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.crt
                openssl req -newkey rsa:2048 -nodes -keyout certs/client.key -out client.csr -subj /CN=berth-client
                printf 'extendedKeyUsage=clientAuth\n' > client.ext
                openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile client.ext -out certs/client.cert
                cp ca.crt certs/ca.crt
        ) > "$d/openssl.log" 2>&1 || { cat "$d/openssl.log" >&2; return 1; }
        MTLS_CERTS=$d/certs
        for i in 1 2 3 4 5; do
                port=$(free_port)
                cat > "$d/config.yml" <<YML
version: 0.1
log: {level: warn, formatter: text}
storage: {filesystem: {rootdirectory: $d/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port, secret: berth-test, tls: {certificate: $d/server.crt, key: $d/server.key, clientcas: [$d/ca.crt]}}
YML
                docker-registry serve "$d/config.yml" > "$d/registry.log" 2>&1 &
                echo $! >> "$PIDS"
                for _ in $(seq 100); do
                        [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$d/ca.crt" --cert "$d/certs/client.cert" \
                                --key "$d/certs/client.key" "https://127.0.0.1:$port/v2/")" = 200 ] && { MTLS=127.0.0.1:$port; return 0; }
                        kill -0 "$(tail -1 "$PIDS")" 2>/dev/null || break
                        sleep 0.05
                done
        done
        cat "$d/registry.log" >&2
        return 1
}
