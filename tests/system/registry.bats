#!/usr/bin/env bats
# berth pull / push against the real CNCF registry (docker-registry 2.8 via shared/images/registry.sh) on
# 127.0.0.1: what skopeo pushed is pulled (OCI and Docker schema 2, indexes, debian), what berth pushes is
# read back by skopeo and podman, cross-repository mounts, chunked uploads, registries.conf.
load registry-helpers

setup_file() {
        ensure_registry_images
        registry_start REG                      # plain HTTP, no auth
        registry_push "$REG_PORT" busybox multilayer multiarch debian
        registry_start DST                      # an empty one, for pushes
}

teardown_file() {
        registries_stop
}

setup() { registry_test_setup; }
teardown() { registry_test_teardown; }

@test "pull busybox: docker's output, the blobs verify, the image is the layout's" {
        run b pull --tls-verify=false "$REG/busybox"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "Using default tag: latest" ]
        [ "${lines[1]}" = "latest: Pulling from busybox" ]
        [[ "$output" == *": Pull complete"* ]]
        [ "${lines[-3]}" = "Digest: $(layout_manifest busybox latest)" ]
        [ "${lines[-2]}" = "Status: Downloaded newer image for $REG/busybox:latest" ]
        [ "${lines[-1]}" = "$REG/busybox:latest" ]
        # The store holds the layout's manifest, config and layer, bytes verified by sha256sum.
        local m c
        m=$(layout_manifest busybox latest)
        c=$(layout_config busybox latest)
        cmp "$ROOT/blobs/sha256/${m#sha256:}" "$IMAGES/busybox/blobs/sha256/${m#sha256:}"
        cmp "$ROOT/blobs/sha256/${c#sha256:}" "$IMAGES/busybox/blobs/sha256/${c#sha256:}"
        assert_blobs_verify
        [ "$(b images -q --no-trunc "$REG/busybox")" = "$c" ]
        mnt=$(b image mount "$REG/busybox")
        [ -x "$mnt/bin/busybox" ]
        [ "$(readlink "$mnt/bin/sh")" = busybox ]
        b image unmount "$REG/busybox"
        assert_store_clean
}

@test "pull multilayer (OCI and Docker schema 2): the tree equals umoci's unpack" {
        [ "$(skopeo inspect --raw --tls-verify=false "docker://$REG/multilayer:docker" | jq -r .mediaType)" = application/vnd.docker.distribution.manifest.v2+json ]
        for tag in docker latest; do
                run b pull -q --tls-verify=false "$REG/multilayer:$tag"
                [ "$status" -eq 0 ]
                [ "$output" = "$REG/multilayer:$tag" ]
                mnt=$(b image mount "$REG/multilayer:$tag")
                tree_listing "$mnt" > "$T/ours.tree"
                b image unmount "$REG/multilayer:$tag"
                diff -u "$IMAGES/multilayer.tree" "$T/ours.tree"
        done
        # One image (same config), recorded with the manifest pulled first: the schema 2 one.
        [ "$(db_query "SELECT manifest_media_type FROM images")" = application/vnd.docker.distribution.manifest.v2+json ]
        assert_store_clean
}

@test "pull debian: 47 MB layer, unpacked whole" {
        run b pull --tls-verify=false "$REG/debian"
        [ "$status" -eq 0 ]
        mnt=$(b image mount "$REG/debian")
        [ -f "$mnt/etc/debian_version" ]
        [ -x "$mnt/usr/bin/bash" ]
        [ "$(find "$mnt" -xdev | wc -l)" -gt 5000 ]
        b image unmount "$REG/debian"
        assert_store_clean
}

@test "multi-platform index: amd64 by default, --platform arm64/v8 picks its manifest, attestations skipped" {
        local ix amd arm
        ix=$(layout_manifest multiarch latest)
        amd=$(jq -r '.manifests[] | select(.platform.architecture == "amd64") | .digest' "$IMAGES/multiarch/blobs/sha256/${ix#sha256:}")
        arm=$(jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest' "$IMAGES/multiarch/blobs/sha256/${ix#sha256:}")
        run b pull --tls-verify=false "$REG/multiarch"
        [ "$status" -eq 0 ]
        # docker prints the digest the tag resolved to: the index's
        [[ "$output" == *"Digest: $ix"* ]]
        [ -f "$ROOT/blobs/sha256/${amd#sha256:}" ]
        [ ! -e "$ROOT/blobs/sha256/${arm#sha256:}" ]
        [ "$(db_query "SELECT manifest_digest FROM images")" = "$amd" ]

        run b pull --tls-verify=false --platform linux/arm64/v8 "$REG/multiarch"
        [ "$status" -eq 0 ]
        [ -f "$ROOT/blobs/sha256/${arm#sha256:}" ]
        mnt=$(b image mount "$REG/multiarch")
        [ -f "$mnt/etc/berth-arch" ]
        b image unmount "$REG/multiarch"
        # arm64 without a variant means v8
        run b pull -q --tls-verify=false --platform linux/arm64 "$REG/multiarch"
        [ "$status" -eq 0 ]
        # Nothing of the attestation manifest was fetched.
        local att
        att=$(jq -r '.manifests[] | select(.platform.architecture == "unknown") | .digest' "$IMAGES/multiarch/blobs/sha256/${ix#sha256:}")
        [ ! -e "$ROOT/blobs/sha256/${att#sha256:}" ]
        run b pull -q --tls-verify=false --platform linux/s390x "$REG/multiarch"
        [ "$status" -eq 1 ]
        assert_one_line_naming "no matching manifest for linux/s390x in the manifest list entries"
        assert_store_clean
}

@test "pull by the digest of an index: the image is found again by that reference" {
        local ix amd id
        ix=$(layout_manifest multiarch latest)
        amd=$(jq -r '.manifests[] | select(.platform.architecture == "amd64") | .digest' "$IMAGES/multiarch/blobs/sha256/${ix#sha256:}")
        run b pull -q --tls-verify=false "$REG/multiarch@$ix"
        [ "$status" -eq 0 ]
        # The image's own manifest is the platform's; the index digest still names it, as with docker.
        id=$(b inspect --format '{{.Id}}' "$REG/multiarch@$ix")
        [ -n "$id" ]
        [ "$(b inspect --format '{{.Id}}' "$REG/multiarch@$amd" 2>/dev/null || echo "$id")" = "$id" ]
        run b inspect "$REG/multiarch@sha256:$(printf '%064d' 0)"
        [ "$status" -ne 0 ]
}

@test "--platform on a single-platform image of another platform: refused before its layers" {
        run b pull -q --tls-verify=false --platform linux/arm64 "$REG/busybox"
        [ "$status" -eq 1 ]
        assert_one_line_naming "does not match the specified platform: wanted linux/arm64, actual: linux/amd64"
        [ -z "$(ls "$ROOT/layers")" ]
        [ -z "$(ls "$ROOT/blobs/sha256")" ]
}

@test "pull by digest, pull -a (every tag: gzip, zstd, tar, docker)" {
        local m
        m=$(layout_manifest busybox zstd)
        run b pull --tls-verify=false "$REG/busybox@$m"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "$m: Pulling from busybox" ]
        [ "${lines[-1]}" = "$REG/busybox@$m" ]
        [ -f "$ROOT/blobs/sha256/${m#sha256:}" ]

        run b pull -a --tls-verify=false "$REG/busybox"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = "$REG/busybox" ]
        for tag in docker latest tar zstd; do
                [[ "$output" == *"$tag: Pulling from busybox"* ]]
                b inspect "$REG/busybox:$tag" > /dev/null
        done
        run b pull -a --tls-verify=false "$REG/busybox:latest"
        [ "$status" -eq 1 ]
        assert_one_line_naming "tag can't be used with --all-tags/-a"
        assert_store_clean
}

@test "a second pull fetches nothing: Already exists, Image is up to date, blobs untouched" {
        b pull -q --tls-verify=false "$REG/multilayer" > /dev/null
        ls -i "$ROOT"/blobs/sha256 > "$T/before"
        proxy_start "$REG"
        run b pull --tls-verify=false "$PROXY/multilayer"
        [ "$status" -eq 0 ]
        wait_log_lines "$PROXY_LOG" '/manifests/' 1
        [ "$(count_lines "$PROXY_LOG" '/manifests/')" -eq 1 ]
        # other name, same blobs: nothing downloaded
        [ "$(count_lines "$PROXY_LOG" '/blobs/')" -eq 0 ]
        [[ "$output" == *"Already exists"* ]]
        run b pull --tls-verify=false "$REG/multilayer"
        [[ "$output" == *"Status: Image is up to date for $REG/multilayer:latest"* ]]
        ls -i "$ROOT"/blobs/sha256 | grep -v "$(layout_manifest multilayer latest | cut -c8-)" > "$T/after" || true
        grep -v "$(layout_manifest multilayer latest | cut -c8-)" "$T/before" | diff - "$T/after"
}

@test "layers are fetched concurrently, at most 3 at a time (what the registry sees)" {
        # 6 layers of 10 KiB served at 4 kB/s: each takes 2.5 s, so the downloads overlap for sure.
        many_layers_archive 6 "$T/many.tar"
        b load -q -i "$T/many.tar" > /dev/null
        b tag localhost/many:6 "$DST/many:6"
        b push -q --tls-verify=false "$DST/many:6"
        b rmi localhost/many:6 "$DST/many:6" > /dev/null
        proxy_start "$DST" slow:4000
        run b pull --tls-verify=false "$PROXY/many:6"
        echo "$output"
        [ "$status" -eq 0 ]
        wait_log_lines "$PROXY_LOG" '^GET /v2/many/blobs/' 7
        cat "$PROXY_LOG"
        local max
        max=$(grep -o 'inflight=[0-9]*' "$PROXY_LOG" | cut -d= -f2 | sort -n | tail -1)
        [ "$max" -eq 3 ]
        [ "$(count_lines "$PROXY_LOG" '^GET /v2/many/blobs/')" -eq 7 ]
        # the layers beyond the first three waited for a slot
        [ "$(grep -c ': Waiting$' <<< "$output")" -eq 3 ]
        assert_store_clean
}

@test "push to an empty registry, read back by skopeo and podman (same digests, same tree)" {
        b pull -q --tls-verify=false "$REG/multilayer" > /dev/null
        b tag "$REG/multilayer" "$DST/pushed/ml:v1"
        run b push --tls-verify=false "$DST/pushed/ml:v1"
        echo "$output"
        [ "$status" -eq 0 ]
        local m
        m=$(layout_manifest multilayer latest)
        [ "${lines[0]}" = "The push refers to repository [$DST/pushed/ml]" ]
        [ "$(grep -c ': Pushed$' <<< "$output")" -eq 4 ]
        [ "${lines[-1]}" = "v1: digest: $m size: $(stat -c %s "$IMAGES/multilayer/blobs/sha256/${m#sha256:}")" ]
        # skopeo: the registry holds the same manifest, and the copy verifies every blob
        skopeo copy -q --src-tls-verify=false "docker://$DST/pushed/ml:v1" "oci:$T/oci:v1"
        [ "$(jq -r '.manifests[0].digest' "$T/oci/index.json")" = "$m" ]
        # podman (its own temporary storage): same image ID, same files
        local pm=(env -u DOCKER_CONFIG podman --root "$T/podman" --runroot "$T/podman-run" --storage-driver vfs)
        "${pm[@]}" pull -q --tls-verify=false "$DST/pushed/ml:v1"
        [ "sha256:$("${pm[@]}" image inspect --format '{{.Id}}' "$DST/pushed/ml:v1")" = "$(b inspect -f '{{.Id}}' "$DST/pushed/ml:v1")" ]
        mnt=$("${pm[@]}" image mount "$DST/pushed/ml:v1")
        tree_listing "$mnt" > "$T/podman.tree"
        "${pm[@]}" image unmount -a > /dev/null
        diff -u "$IMAGES/multilayer.tree" "$T/podman.tree"
        "${pm[@]}" rmi -a -f > /dev/null
}

@test "push sends layers in parallel, 3 at a time, each on its own connection; the registry has every blob" {
        many_layers_archive 6 "$T/many.tar"
        b load -q -i "$T/many.tar" > /dev/null
        # Each upload's closing PUT is held 1 s by the proxy: sequential uploads would never overlap.
        proxy_start "$DST" holdput:1
        b tag localhost/many:6 "$PROXY/par/many:6"
        start=$(date +%s%N)
        run b push --tls-verify=false "$PROXY/par/many:6"
        echo "$output"
        [ "$status" -eq 0 ]
        pushed=$(awk '/: digest: / {print $3}' <<< "$output")
        wait_log_lines "$PROXY_LOG" '^PUT /v2/par/many/manifests/' 1
        cat "$PROXY_LOG"
        [ "$(grep -c ': Pushed$' <<< "$output")" -eq 6 ]
        max=$(grep -o 'uploads=[0-9]*' "$PROXY_LOG" | cut -d= -f2 | sort -n | tail -1)
        [ "$max" -eq 3 ]
        # 7 held PUTs (6 layers, then the config): ~3 s, not 7.
        [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 6000 ]
        # The registry has the manifest and every blob it names (skopeo fetches them all).
        [ "$(skopeo inspect --tls-verify=false "docker://$DST/par/many:6" | jq -r .Digest)" = "$pushed" ]
        skopeo copy -q --src-tls-verify=false "docker://$DST/par/many:6" "dir:$T/copy"
        [ "$(ls "$T/copy" | grep -c '^[0-9a-f]\{64\}$')" -eq 7 ]
        # A failing upload fails the push (one line, exit 1), the other threads stop taking layers.
        b tag localhost/many:6 "$PROXY/par/other:6"
        proxy_start "$DST" 'status:500:1:^PUT /v2/par/other/blobs/uploads/'
        run b push -q --tls-verify=false "$PROXY/par/other:6"
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 1 ]
}

@test "push debian with chunked uploads (PATCH chunks then PUT), pulled back by skopeo" {
        b pull -q --tls-verify=false "$REG/debian" > /dev/null
        proxy_start "$DST"
        b tag "$REG/debian" "$PROXY/chunked/debian"
        BERTH_PUSH_CHUNK_SIZE=$((8 * 1024 * 1024)) run b push --tls-verify=false "$PROXY/chunked/debian"
        echo "$output"
        [ "$status" -eq 0 ]
        wait_log_lines "$PROXY_LOG" '^PUT /v2/chunked/debian/manifests/' 1
        cat "$PROXY_LOG"
        # 47 MB in 8 MiB chunks: 6 PATCH requests, then the closing PUT
        [ "$(count_lines "$PROXY_LOG" '^PATCH /v2/chunked/debian/blobs/uploads/.* 202')" -eq 6 ]
        [ "$(count_lines "$PROXY_LOG" '^PUT /v2/chunked/debian/blobs/uploads/.* 201')" -ge 1 ]
        skopeo copy -q --src-tls-verify=false "docker://$DST/chunked/debian:latest" "oci:$T/oci:d"
        [ "$(jq -r '.manifests[0].digest' "$T/oci/index.json")" = "$(layout_manifest debian latest)" ]
        # the small config went in one PUT (monolithic): no PATCH for it
        [ "$(count_lines "$PROXY_LOG" '^PATCH')" -eq 6 ]
}

@test "cross-repository mount: a second repository of the registry gets the blobs mounted, not uploaded" {
        b pull -q --tls-verify=false "$REG/multilayer" > /dev/null
        proxy_start "$DST"
        b tag "$REG/multilayer" "$PROXY/team-a/app"
        b tag "$REG/multilayer" "$PROXY/team-b/app"
        b push -q --tls-verify=false "$PROXY/team-a/app"
        wait_log_lines "$PROXY_LOG" '^PUT /v2/team-a/app/manifests/' 1
        local seen
        seen=$(wc -l < "$PROXY_LOG")
        run b push --tls-verify=false "$PROXY/team-b/app"
        echo "$output"
        wait_log_lines "$PROXY_LOG" '^PUT /v2/team-b/app/manifests/' 1
        tail -n +"$((seen + 1))" "$PROXY_LOG" > "$T/second.log"
        cat "$T/second.log"
        [ "$status" -eq 0 ]
        # berth remembered that the blobs are in team-a (recorded at the first push)
        [ "$(grep -c 'Mounted from team-a/app' <<< "$output")" -eq 4 ]
        [ "$(count_lines "$T/second.log" '^POST /v2/team-b/app/blobs/uploads/ 201')" -eq 5 ]
        [ "$(count_lines "$T/second.log" '^(PATCH|PUT) /v2/team-b/app/blobs/')" -eq 0 ]
        # the registry really has them in team-b
        skopeo inspect --tls-verify=false "docker://$DST/team-b/app" > /dev/null
        # and the source is in the store's own table
        [ "$(db_query "SELECT count(*) FROM registry_blob_sources WHERE repository = 'team-a/app'")" -ge 5 ]
}

@test "push -a pushes every local tag; pushing what is not there fails with docker's message" {
        b pull -q --tls-verify=false "$REG/busybox" > /dev/null
        b tag "$REG/busybox" "$DST/all/bb:one"
        b tag "$REG/busybox" "$DST/all/bb:two"
        run b push -a --tls-verify=false "$DST/all/bb"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"one: digest: "* ]]
        [[ "$output" == *"two: digest: "* ]]
        [ "$(skopeo list-tags --tls-verify=false "docker://$DST/all/bb" | jq -r '.Tags | sort | join(",")')" = "one,two" ]
        # docker's push event per tag, written by the engine: the reference as ID, the repository as name.
        run b events --since 0 --until "$(date +%s.%N)" --filter event=push --format '{{.Actor.ID}} {{.Actor.Attributes.name}}'
        [ "$(sort <<< "$output")" = "$(printf '%s:one %s\n%s:two %s' "$DST/all/bb" "$DST/all/bb" "$DST/all/bb" "$DST/all/bb")" ]
        run b push -q --tls-verify=false "$DST/all/bb:three"
        [ "$status" -eq 1 ]
        assert_one_line_naming "An image does not exist locally with the tag: $DST/all/bb:three"
}

@test "registries.conf: unqualified-search registries and insecure registries" {
        # Without configuration a plain-HTTP registry is refused (TLS is required)
        run b pull -q "$REG/busybox"
        [ "$status" -eq 1 ]
        assert_one_line_naming "http: server gave HTTP response to HTTPS client"
        printf 'unqualified-search-registries = ["127.0.0.1:1", "%s"]\n[[registry]]\nlocation = "%s"\ninsecure = true\n' \
                "$REG" "$REG" > "$BERTH_REGISTRIES_CONF"
        run b pull busybox
        echo "$output"
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = "$REG/busybox:latest" ]
        # the store root's registries.conf when BERTH_REGISTRIES_CONF is not set
        unset BERTH_REGISTRIES_CONF
        printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$REG" > "$ROOT/registries.conf"
        run b pull -q "$REG/multilayer"
        [ "$status" -eq 0 ]
        # a name found nowhere: every registry's reason, on one line
        export BERTH_REGISTRIES_CONF=$T/registries.conf
        run b pull -q nosuch-image
        [ "$status" -eq 1 ]
        assert_one_line_naming "not found in the unqualified-search registries"
        [[ "$output" == *"127.0.0.1:1: "*"connection refused"* ]]
        [[ "$output" == *"$REG: manifest for $REG/nosuch-image:latest not found"* ]]
}

@test "registries.conf mirrors and aliases: a pull tries each mirror in order, a mirror that is down is said and skipped, the name stays the registry's" {
        # The registry itself (127.0.0.1:9, nothing there) is only reached through its mirrors.
        printf '[[registry]]\nlocation = "127.0.0.1:9"\n[[registry.mirror]]\nlocation = "127.0.0.1:1"\n[[registry.mirror]]\nlocation = "%s"\ninsecure = true\n' \
                "$REG" > "$BERTH_REGISTRIES_CONF"
        run b pull --tls-verify=false 127.0.0.1:9/busybox
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"mirror 127.0.0.1:1: "*"trying $REG"* ]]
        [ "${lines[-1]}" = "127.0.0.1:9/busybox:latest" ]
        [ "$(b images -q --no-trunc 127.0.0.1:9/busybox)" = "$(layout_config busybox latest)" ]
        [ -z "$(b images -q "$REG/busybox")" ]
        run b events --since 0 --until "$(date +%s.%N)" --filter event=pull --format '{{.Actor.ID}}'
        [ "$output" = "127.0.0.1:9/busybox:latest" ]
        # Every mirror and the registry down: the registry's own error, exit 1.
        printf '[[registry]]\nlocation = "127.0.0.1:9"\n[[registry.mirror]]\nlocation = "127.0.0.1:1"\n' > "$BERTH_REGISTRIES_CONF"
        run b pull -q --tls-verify=false 127.0.0.1:9/multilayer
        [ "$status" -eq 1 ]
        [[ "${lines[-1]}" == "Error: "*"127.0.0.1:9"* ]]
        # [aliases]: a short name stands for its fully qualified name, tag or digest kept.
        printf '[aliases]\n"bb" = "%s/busybox"\n[[registry]]\nlocation = "%s"\ninsecure = true\n' "$REG" "$REG" > "$BERTH_REGISTRIES_CONF"
        run b pull bb:latest
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = "$REG/busybox:latest" ]
        printf '[aliases]\n"bb" = "busybox"\n' > "$BERTH_REGISTRIES_CONF"
        run b pull -q bb
        [ "$status" -eq 1 ]
        assert_one_line_naming "alias bb: busybox is not a fully qualified name"
        # A mirror without a location is refused, not skipped.
        printf '[[registry]]\nlocation = "127.0.0.1:9"\n[[registry.mirror]]\ninsecure = true\n' > "$BERTH_REGISTRIES_CONF"
        run b pull -q --tls-verify=false 127.0.0.1:9/busybox
        [ "$status" -eq 1 ]
        assert_one_line_naming "a [[registry.mirror]] of 127.0.0.1:9 has no location"
}

@test "output without a terminal has docker's plain lines; on a terminal the layer lines are redrawn" {
        run b pull --tls-verify=false "$REG/multilayer"
        [ "$status" -eq 0 ]
        # no byte counts and no escape sequences in a log
        ! grep -q $'\x1b' <<< "$output"
        ! grep -q 'Downloading' <<< "$output"
        ! grep -q 'Extracting' <<< "$output"
        [ "$(grep -c ': Pulling fs layer$' <<< "$output")" -eq 4 ]
        b rmi "$REG/multilayer" > /dev/null
        script -qfec "$BERTH_BIN --root $ROOT pull --tls-verify=false $REG/multilayer" "$T/tty.log" > /dev/null
        # cursor up, clear line: docker's jsonmessage redraw
        grep -q $'\x1b\[[0-9]*A\x1b\[2K' "$T/tty.log"
        grep -q 'Pull complete' "$T/tty.log"
        # docker's "Extracting" with the layer's bytes read so far and its size, as the layers unpack.
        grep -qE 'Extracting .*[0-9.]+[kMG]?B/[0-9.]+[kMG]?B' "$T/tty.log"
}
