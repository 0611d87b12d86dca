#!/usr/bin/env bats
# The Docker Engine API's images (docs/api.md), driven by the real docker CLI: pull from the local registry of
# shared/images (docker's JSON progress, which the CLI renders), run of a missing image (create's 404, the
# CLI's pull, create again), images, inspect, tag, rmi; the records as berth's own CLI shows them.
bats_require_minimum_version 1.5.0
load registry-helpers
load api-helpers

setup_file() {
        ensure_registry_images
        registry_start REG
        registry_push "$REG_PORT" busybox
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
        local id
        api_stop
        for id in $(b ps -aq --no-trunc 2>/dev/null); do
                b rm -f -v "$id" >/dev/null 2>&1 || true
        done
        registry_test_teardown
}

@test "docker pull: docker's progress, the registry's image in the store, a pull event" {
        run dk pull "$REG/busybox"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "Using default tag: latest" ]
        [[ "$output" == *"latest: Pulling from busybox"* ]]
        [[ "$output" == *"Digest: $(layout_manifest busybox latest)"* ]]
        [[ "$output" == *"Status: Downloaded newer image for $REG/busybox:latest"* ]]
        [ "$(db_query "SELECT id FROM images")" = "$(layout_config busybox latest)" ]
        [ "$(b images --format '{{.Repository}}:{{.Tag}}')" = "$REG/busybox:latest" ]
        [ "$(b events --since 0 --until "$(date +%s.%N)" --filter event=pull --format '{{.Actor.ID}}')" = "$REG/busybox:latest" ]
        assert_store_clean
        # An image that is not there: docker's error, the store unchanged.
        run dk pull "$REG/nosuch:1"
        [ "$status" -ne 0 ]
        [ "$(db_query "SELECT count(*) FROM images")" = 1 ]
}

@test "docker run of a missing image: create answers 404, the CLI pulls through the API and runs it" {
        run --separate-stderr dk run --rm "$REG/busybox" echo pulled
        echo "$stderr"
        [ "$status" -eq 0 ]
        [ "$output" = pulled ]
        [[ "$stderr" == "Unable to find image '$REG/busybox:latest' locally"* ]]
        [ -z "$(b ps -aq)" ]
        [ "$(db_query "SELECT count(*) FROM images")" = 1 ]
}

@test "docker images, image inspect, tag, rmi: the store's records" {
        dk pull -q "$REG/busybox" >/dev/null
        id=$(layout_config busybox latest)
        [ "$(dk images --format '{{.Repository}} {{.Tag}}')" = "$REG/busybox latest" ]
        [ "$(dk images -q --no-trunc)" = "$id" ]
        [ "$(dk image inspect -f '{{.Id}} {{index .RepoTags 0}}' "$REG/busybox")" = "$id $REG/busybox:latest" ]
        diff <(api GET "/v1.50/images/$REG/busybox/json" | head -1 | jq -S .) <(b image inspect "$REG/busybox" | jq -S '.[0]')
        dk tag "$REG/busybox" mine/box:v1
        [ "$(b images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" = "$REG/busybox:latest mine/box:v1 " ]
        run dk rmi mine/box:v1
        [ "$status" -eq 0 ]
        [ "$output" = "Untagged: mine/box:v1" ]
        run api GET /v1.50/images/nosuch/json
        [ "${lines[-1]}" = 404 ]
        [ "$(jq -r .message <<< "${lines[0]}")" = "No such image: nosuch" ] || [[ "$(jq -r .message <<< "${lines[0]}")" == "No such image: "* ]]
        # In use by a container: refused with 409; then removed with the container gone.
        dk create --name user "$REG/busybox" true >/dev/null
        run dk rmi "$REG/busybox"
        [ "$status" -ne 0 ]
        dk rm user
        run dk rmi "$REG/busybox"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Deleted: $id"* ]]
        [ "$(db_query "SELECT count(*) FROM images")" = 0 ]
}

@test "docker history: the config's entries newest first with their layers' sizes, as berth history shows them" {
        b load -q -i "$IMAGES/multilayer.docker.tar" >/dev/null
        fmt='{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}'
        dk history --no-trunc --format "$fmt" localhost/multilayer > "$T/api"
        b history --no-trunc --format "$fmt" localhost/multilayer > "$T/cli"
        diff "$T/api" "$T/cli"
        # The sizes are the layers' unpacked bytes in the store, in the config's order of non-empty entries.
        run api GET /images/localhost/multilayer/history
        [ "$(echo "${lines[0]}" | jq '[.[].Size] | add')" = "$(b image inspect -f '{{.Size}}' localhost/multilayer)" ]
        [ "$(echo "${lines[0]}" | jq -r '.[0].Tags[0]')" = localhost/multilayer:latest ]
        [ "$(echo "${lines[0]}" | jq -r '.[1].Id')" = "<missing>" ]
        [ "$(echo "${lines[0]}" | jq -r '.[0].Created | type')" = number ]
        run api GET /images/nosuch/history
        [ "${lines[-1]}" = 404 ]
}

@test "docker save and docker load through the API: a round trip keeps the image ID; several names; a bad archive refused, nothing left" {
        b load -q -i "$IMAGES/multilayer.docker.tar" >/dev/null
        b load -q -i "$IMAGES/busybox.docker.tar" >/dev/null
        id=$(b image inspect -f '{{.Id}}' localhost/multilayer)
        dk save -o "$T/ml.tar" localhost/multilayer
        # The archive as tar reads it: docker's manifest.json naming the image's config.
        [ "$(tar -xOf "$T/ml.tar" manifest.json | jq -r '.[0].RepoTags[0]')" = localhost/multilayer:latest ]
        dk rmi localhost/multilayer >/dev/null
        run dk load -i "$T/ml.tar"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: localhost/multilayer:latest" ]
        [ "$(b image inspect -f '{{.Id}}' localhost/multilayer)" = "$id" ]
        b system check >/dev/null
        # Two names: one archive holding both.
        dk save localhost/busybox localhost/multilayer > "$T/two.tar"
        [ "$(tar -xOf "$T/two.tar" manifest.json | jq length)" = 2 ]
        # A missing name is a 404 before any of the stream; a truncated archive is refused with one line.
        run dk save nosuch
        [ "$status" -ne 0 ]
        [[ $output == *"No such image: nosuch"* ]]
        head -c 100000 "$T/ml.tar" > "$T/cut.tar"
        run dk load -i "$T/cut.tar"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"the request body: Truncated"* ]]
        [ -z "$(ls -A "$ROOT/tmp")" ]
        [ "$(b images -q | wc -l)" = 2 ]
}

@test "docker commit through the API: the container's layer and the changes in a new image, the message as its comment" {
        b load -q -i "$IMAGES/busybox.docker.tar" >/dev/null
        id=$(dk run -d --network none localhost/busybox sh -c 'echo hello > /greeting; sleep 100')
        wait_until b exec "$id" test -e /greeting
        run dk commit -m "my message" -a me -c 'ENV X=1' -c 'CMD ["cat", "/greeting"]' "$id" committed:v1
        [ "$status" -eq 0 ]
        [[ $output == sha256:* ]]
        [ "$(b image inspect -f '{{.Id}}' committed:v1)" = "$output" ]
        [ "$(dk run --rm --network none committed:v1)" = hello ]
        [ "$(b image inspect -f '{{.Author}}|{{.Comment}}' committed:v1)" = "me|my message" ]
        [[ "$(b image inspect -f '{{json .Config.Env}}' committed:v1)" == *'"X=1"'* ]]
        # The committed layer holds the file, as tar reads it from a save.
        b save committed:v1 | tar -xOf - manifest.json | jq -r '.[0].Layers[-1]' > "$T/layer"
        b save committed:v1 | tar -xOf - "$(cat "$T/layer")" | tar -tzf - 2>/dev/null | grep -qx greeting ||
                b save committed:v1 | tar -xOf - "$(cat "$T/layer")" | tar -tf - | grep -qx greeting
        run dk commit nosuch x
        [ "$status" -ne 0 ]
        [[ $output == *"No such container: nosuch"* ]]
        run api POST "/commit?container=$id&repo=x" -H 'Content-Type: application/json' -d '{"Cmd": ["true"]}'
        [ "${lines[-1]}" = 400 ]
        [ "$(b images -q x | wc -l)" = 0 ]
}

@test "a client that vanishes mid-pull: the store stays whole (complete image or none), nothing left in tmp, the service serves on" {
        # The client reads the first progress line and goes.
        curl -sS -N --unix-socket "$SOCK" -X POST "http://berth/v1.50/images/create?fromImage=$REG/busybox&tag=latest" | head -n 1 > "$T/first" || true
        [ -s "$T/first" ]
        # What the pull left: the whole image or nothing, and a store that checks.
        wait_until sh -c "[ -z \"\$(ls -A $ROOT/tmp)\" ]"
        sleep 1
        b system check
        if b image inspect "$REG/busybox" >/dev/null 2>&1; then
                [ "$(b run --rm --network none "$REG/busybox" echo whole)" = whole ]
        fi
        [ "$(dk version --format '{{.Server.APIVersion}}')" = 1.50 ]
        dk pull "$REG/busybox" >/dev/null
        [ "$(b run --rm --network none "$REG/busybox" echo whole)" = whole ]
}
