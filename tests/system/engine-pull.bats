#!/usr/bin/env bats
# Pull on run: `run` and `create` of a missing image pull it first, as docker does ("Unable to find image 'X'
# locally", then the pull's progress, on stderr), --pull missing|always|never, --platform (from an index; a
# single-platform image of another platform refused), and the images that cannot be pulled (exit 125, one
# error line, nothing left: no container record, no mount, no cgroup, the store as it was). Against the real
# registry of shared/images/registry.sh; the lean `berth` hands these commands to berth-full.
bats_require_minimum_version 1.5.0
load registry-helpers
load engine-helpers

setup_file() {
        ensure_registry_images
        registry_start REG
        registry_push "$REG_PORT" busybox multiarch
        registry_start AUTH --auth
        registry_push "$AUTH_PORT" busybox
}

teardown_file() {
        registries_stop
}

setup() {
        registry_test_setup
        store_fingerprint > "$T/empty"
}

teardown() {
        local id
        for id in $(b ps -aq --no-trunc 2>/dev/null); do
                b rm -f -v "$id" >/dev/null 2>&1 || true
        done
        registry_test_teardown
}

# No container, no mount, no process, no runtime state, and the store as it was before the test.
assert_nothing_made() {
        [ -z "$(b ps -aq)" ] || { echo "containers left: $(b ps -a)"; return 1; }
        [ -z "$(ls -A "$ROOT/containers" 2>/dev/null)" ] || { echo "container dirs left: $(ls "$ROOT/containers")"; return 1; }
        assert_nothing_left ""
        store_fingerprint | diff "$T/empty" -
        assert_store_clean
}

# refused_run MESSAGE ARGS...: `berth run --rm ARGS` fails with 125; stderr's only error line is its last
# and names MESSAGE; nothing is made.
refused_run() {
        local message=$1
        shift
        run --separate-stderr b run --rm "$@"
        echo "stdout: $output"
        echo "stderr: $stderr"
        [ "$status" -eq 125 ]
        [ -z "$output" ]
        [ "$(grep -c '^Error' <<< "$stderr")" -eq 1 ]
        [[ "${stderr_lines[-1]}" == "Error: "*"$message"* ]]
        assert_nothing_made
}

@test "run of a missing image pulls it first: the notice and the progress on stderr, the output alone on stdout" {
        b run --rm --tls-verify=false "$REG/busybox" echo hello > "$T/out" 2> "$T/err"
        cat "$T/err"
        [ "$(cat "$T/out")" = hello ]
        [ "$(head -1 "$T/err")" = "Unable to find image '$REG/busybox:latest' locally" ]
        [ "$(sed -n 2p "$T/err")" = "latest: Pulling from busybox" ]
        grep -q ': Pull complete$' "$T/err"
        grep -qx "Digest: $(layout_manifest busybox latest)" "$T/err"
        [ "$(tail -1 "$T/err")" = "Status: Downloaded newer image for $REG/busybox:latest" ]
        # The image in the store is the registry's (the layout's config digest is its ID).
        [ "$(db_query "SELECT id FROM images")" = "$(layout_config busybox latest)" ]
        assert_store_clean
        # docker's pull event: the reference as Actor.ID, the repository as its name (engine/events.h).
        [ "$(b events --since 0 --until "$(date +%s.%N)" --filter event=pull --format '{{.Actor.ID}} {{.Actor.Attributes.name}}')" = \
          "$REG/busybox:latest $REG/busybox" ]
        # Present now: no pull, nothing on stderr.
        b run --rm "$REG/busybox" echo again > "$T/out" 2> "$T/err"
        [ "$(cat "$T/out")" = again ]
        [ ! -s "$T/err" ]
}

@test "create pulls a missing image too; -q keeps the pull quiet" {
        run --separate-stderr b create -q --tls-verify=false "$REG/busybox" true
        [ "$status" -eq 0 ]
        [ -z "$stderr" ]
        [ "$(b inspect -f '{{.Image}}' "$output")" = "$(layout_config busybox latest)" ]
}

@test "--pull never: a missing image is refused, a present one is used" {
        refused_run "No such image: $REG/busybox" --pull never --tls-verify=false "$REG/busybox" true
        run b create --pull never --tls-verify=false "$REG/busybox" true
        [ "$status" -eq 125 ]
        assert_one_line_naming "No such image: $REG/busybox"
        assert_nothing_made
        b pull -q --tls-verify=false "$REG/busybox" > /dev/null
        [ "$(b run --rm --pull never "$REG/busybox" echo ok)" = ok ]
}

@test "--pull always pulls a present image again (the registry sees its manifest asked for); missing does not" {
        proxy_start "$REG"
        b run --rm --tls-verify=false "$PROXY/busybox" true 2> /dev/null
        [ "$(count_lines "$PROXY_LOG" '^GET /v2/busybox/manifests/')" -eq 1 ]
        b run --rm --tls-verify=false "$PROXY/busybox" true
        [ "$(count_lines "$PROXY_LOG" '^GET /v2/busybox/manifests/')" -eq 1 ]
        run --separate-stderr b run --rm --pull always --tls-verify=false "$PROXY/busybox" echo fresh
        echo "$stderr"
        [ "$status" -eq 0 ]
        [ "$output" = fresh ]
        [ "$(count_lines "$PROXY_LOG" '^GET /v2/busybox/manifests/')" -eq 2 ]
        # Not missing: no notice; the pull says the image is up to date.
        [[ "$stderr" != *"Unable to find image"* ]]
        [ "${stderr_lines[-1]}" = "Status: Image is up to date for $PROXY/busybox:latest" ]
        run b run --rm --pull sometimes "$PROXY/busybox" true
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid pull option: 'sometimes'"* ]]
}

@test "--platform picks the image of an index; a present image of another platform is pulled again or refused" {
        local ix arm amd
        ix=$(layout_manifest multiarch latest)
        arm=$(jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest' "$IMAGES/multiarch/blobs/sha256/${ix#sha256:}")
        amd=$(jq -r '.manifests[] | select(.platform.architecture == "amd64") | .digest' "$IMAGES/multiarch/blobs/sha256/${ix#sha256:}")
        id=$(b create -q --tls-verify=false --platform linux/arm64 "$REG/multiarch" true)
        [ "$(db_query "SELECT manifest_digest FROM images")" = "$arm" ]
        [ "$(b image inspect -f '{{.Architecture}}' "$REG/multiarch")" = arm64 ]
        # The container is made from that image: its marker layer is in the container's root.
        mnt=$(b image mount "$REG/multiarch")
        [ -f "$mnt/etc/berth-arch" ]
        b image unmount "$REG/multiarch"
        [ "$(b inspect -f '{{.Image}}' "$id")" = "$(b image inspect -f '{{.Id}}' "$REG/multiarch")" ]
        # The same platform again: present, no pull.
        run --separate-stderr b create --tls-verify=false --platform linux/arm64/v8 "$REG/multiarch" true
        [ "$status" -eq 0 ]
        [ -z "$stderr" ]
        # Another platform with --pull never: refused, naming both.
        run b create --pull never --platform linux/amd64 "$REG/multiarch" true
        [ "$status" -eq 125 ]
        assert_one_line_naming "does not match the specified platform: wanted linux/amd64, actual: linux/arm64/v8"
        # Without: pulled for that platform (docker's behaviour), and it runs here.
        run --separate-stderr b run --rm --tls-verify=false --platform linux/amd64 "$REG/multiarch" echo amd
        echo "$stderr"
        [ "$status" -eq 0 ]
        [ "$output" = amd ]
        [ "$(db_query "SELECT manifest_digest FROM images WHERE id = '$(b image inspect -f '{{.Id}}' "$REG/multiarch")'")" = "$amd" ]
}

# ---- bad input: exit 125, one error line, nothing made ----------------------------------------------------

@test "an image that cannot be pulled: nothing listening, unauthorized, unknown tag" {
        refused_run "connect: connection refused" --tls-verify=false "127.0.0.1:$(free_port)/busybox" true
        refused_run "no basic auth credentials" --tls-verify=false "$AUTH/busybox" true
        refused_run "unauthorized: authentication required" --tls-verify=false --creds berth:wrong "$AUTH/busybox" true
        refused_run "manifest for $REG/busybox:no-such-tag not found: manifest unknown" --tls-verify=false "$REG/busybox:no-such-tag" true
        run b create --tls-verify=false "$REG/busybox:no-such-tag" true
        [ "$status" -eq 125 ]
        [ "${lines[0]}" = "Unable to find image '$REG/busybox:no-such-tag' locally" ]
        assert_nothing_made
}

@test "a platform that matches nothing, and a single-platform image of another platform" {
        refused_run "no matching manifest for linux/s390x in the manifest list entries" --tls-verify=false --platform linux/s390x "$REG/multiarch" true
        refused_run "does not match the specified platform: wanted linux/arm64, actual: linux/amd64" --tls-verify=false --platform linux/arm64 "$REG/busybox" true
        run b run --rm --platform "" "$REG/busybox" true
        [ "$status" -eq 125 ]
}
