#!/usr/bin/env bats
# The Docker Engine API's registry calls (docs/api.md) against the real registry of shared/images with basic
# auth, driven by the docker CLI: docker login (POST /auth: verified, nothing kept by the service), docker
# push and pull with the CLI's credentials (X-Registry-Auth), and their refusals. What arrived is checked in
# the registry by berth's own pull into an empty store.
bats_require_minimum_version 1.5.0
load registry-helpers
load api-helpers

AUTH_PASSWORD=S3cret-api-pw

setup_file() {
        ensure_registry_images
        registry_start AUTH --auth "berth:$AUTH_PASSWORD"
}

teardown_file() {
        registries_stop
}

setup() {
        [ -x "$DOCKER" ] || skip "the docker CLI is not installed"
        registry_test_setup
        mkdir -p "$T/docker-config"
        api_start
}

teardown() {
        api_stop
        registry_test_teardown
}

@test "docker login, push and pull through the API with basic auth: X-Registry-Auth carries the CLI's credentials" {
        b load -q -i "$IMAGES/multilayer.docker.tar" >/dev/null
        dk tag localhost/multilayer "$AUTH/api/multilayer:v1"
        # Without credentials the registry refuses the push; the error is the stream's last message.
        run dk push "$AUTH/api/multilayer:v1"
        [ "$status" -ne 0 ]
        [[ $output == *"no basic auth credentials"* || $output == *"unauthorized"* || $output == *"401"* ]]
        # A wrong password: refused, nothing saved by the CLI.
        run dk login -u berth -p wrong-pw "$AUTH"
        [ "$status" -ne 0 ]
        [ ! -s "$T/docker-config/config.json" ] || ! grep -q "$AUTH" "$T/docker-config/config.json"
        run dk login -u berth -p "$AUTH_PASSWORD" "$AUTH"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"Login Succeeded"* ]]
        # The CLI keeps the credentials; the service keeps none (no auth file of its own, nothing in tmp).
        grep -q "$AUTH" "$T/docker-config/config.json"
        [ ! -e "$T/docker/config.json" ]
        [ -z "$(ls -A "$ROOT/tmp")" ]
        run dk push "$AUTH/api/multilayer:v1"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"v1: digest: sha256:"*" size: "* ]]
        # What arrived, pulled by berth itself with the same credentials into an empty store.
        mkdir -p "$T/other"
        run "$BERTH_BIN" --root "$T/other" pull -q --tls-verify=false --creds "berth:$AUTH_PASSWORD" "$AUTH/api/multilayer:v1"
        [ "$status" -eq 0 ]
        [ "$("$BERTH_BIN" --root "$T/other" image inspect -f '{{.Id}}' "$AUTH/api/multilayer:v1")" = \
          "$(b image inspect -f '{{.Id}}' localhost/multilayer)" ]
        rm -rf "$T/other"
        # docker pull through the API with the CLI's credentials.
        dk rmi "$AUTH/api/multilayer:v1" >/dev/null
        run dk pull "$AUTH/api/multilayer:v1"
        [ "$status" -eq 0 ]
        b image inspect "$AUTH/api/multilayer:v1" >/dev/null
        # A name the store lacks: 404 before any of the stream.
        run dk push "$AUTH/api/nosuch:v1"
        [ "$status" -ne 0 ]
        [[ $output == *"No such image"* ]]
}

@test "X-Registry-Auth that is not base64url JSON, and identity tokens: 400 with the reason" {
        run api POST "/images/create?fromImage=$AUTH/api/x&tag=v1" -H "X-Registry-Auth: %%%not-base64"
        [ "${lines[-1]}" = 400 ]
        [[ $output == *"invalid X-Registry-Auth header"* ]]
        token=$(printf '{"identitytoken":"abc"}' | base64 -w0 | tr '+/' '-_')
        run api POST "/images/create?fromImage=$AUTH/api/x&tag=v1" -H "X-Registry-Auth: $token"
        [ "${lines[-1]}" = 400 ]
        [[ $output == *"identity tokens"* ]]
}
