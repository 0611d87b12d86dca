#!/usr/bin/env bats
# The Docker Engine API on tcp:// (docs/api.md): only with --tlsverify and client certificates, driven by the
# docker CLI with its own --tlsverify. A CA, the service's certificate (127.0.0.1) and a client's are made
# here with openssl; a second CA's client is refused, as is a client without a certificate, and a tcp://
# service without --tlsverify does not start. Traffic stays on 127.0.0.1.
bats_require_minimum_version 1.5.0
load api-helpers

# make_ca DIR NAME, make_cert DIR CA NAME KIND (server: SAN IP 127.0.0.1; client: clientAuth).
make_ca() {
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" -keyout "$1/$2-key.pem" -out "$1/$2.pem" 2>/dev/null
}
make_cert() {
        local dir=$1 ca=$2 name=$3 kind=$4 ext
        openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$dir/$name-key.pem" -out "$dir/$name.csr" 2>/dev/null
        if [ "$kind" = server ]; then
                ext="subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth"
        else
                ext="extendedKeyUsage=clientAuth"
        fi
        printf '%s\n' "$ext" > "$dir/$name.ext"
        openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.pem" -CAkey "$dir/$ca-key.pem" -CAcreateserial -days 2 \
                -extfile "$dir/$name.ext" -out "$dir/$name.pem" 2>/dev/null
}

free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

setup() {
        command -v openssl >/dev/null || skip "openssl is not installed"
        api_setup
        api_stop
        C=$T/certs
        mkdir -p "$C"
        make_ca "$C" ca
        make_cert "$C" ca server server
        make_cert "$C" ca client client
        make_ca "$C" other-ca
        make_cert "$C" other-ca stranger client
        PORT=$(free_port)
        "$BERTH_BIN" --root "$ROOT" system service --time=0 --tlsverify --tlscacert "$C/ca.pem" --tlscert "$C/server.pem" \
                --tlskey "$C/server-key.pem" "tcp://127.0.0.1:$PORT" 2> "$T/service.log" &
        API_PID=$!
        wait_until sh -c "ss -ltn | grep -q '127.0.0.1:$PORT '"
}

teardown() {
        api_teardown
}

# dkt CERT ARGS...: the docker CLI over TLS with the client certificate CERT.
dkt() {
        local cert=$1
        shift
        DOCKER_CONFIG=$T/docker-config "$DOCKER" -H "tcp://127.0.0.1:$PORT" --tlsverify --tlscacert "$C/ca.pem" \
                --tlscert "$C/$cert.pem" --tlskey "$C/$cert-key.pem" "$@"
}

@test "tcp:// with --tlsverify: the docker CLI with a client certificate runs, attaches and execs; others are refused" {
        [ "$(dkt client version --format '{{.Server.APIVersion}}')" = 1.50 ]
        # A hijacked attach over TLS: run --rm's output and exit code.
        run dkt client run --rm --network none busybox sh -c 'echo over-tls; exit 3'
        [ "$status" -eq 3 ]
        [ "$output" = over-tls ]
        id=$(dkt client run -d --network none busybox sleep 100)
        [ "$(dkt client exec "$id" echo exec-over-tls)" = exec-over-tls ]
        [ "$(b inspect -f '{{.State.Status}}' "$id")" = running ]
        # A certificate from another CA, and no certificate at all: nothing is served.
        run dkt stranger ps
        echo "stranger: $output"
        [ "$status" -ne 0 ]
        [[ $output == *"a client certificate signed by the service's CA is required"* ]]
        run curl -sS --cacert "$C/ca.pem" "https://127.0.0.1:$PORT/v1.50/containers/json"
        echo "no certificate: $output"
        [[ $output != *'"Id"'* ]]
        [[ $output == *"a client certificate signed by the service's CA is required"* ]]
        # Plain HTTP on the TLS port: no answer in the clear.
        run curl -sS --max-time 5 "http://127.0.0.1:$PORT/_ping"
        [[ $output != OK ]]
}

@test "tcp:// without --tlsverify, or without one of the files: refused with one line, exit 125, nothing listening" {
        api_stop
        port=$(free_port)
        run "$BERTH_BIN" --root "$ROOT" system service --time=0 "tcp://127.0.0.1:$port"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ $output == *"needs --tlsverify"* ]]
        run "$BERTH_BIN" --root "$ROOT" system service --time=0 --tlsverify --tlscacert "$C/ca.pem" --tlscert "$C/server.pem" "tcp://127.0.0.1:$port"
        [ "$status" -eq 125 ]
        [[ $output == *"--tlskey is missing"* ]]
        ! ss -ltn | grep -q "127.0.0.1:$port "
}
