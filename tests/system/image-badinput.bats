#!/usr/bin/env bats
# Bad input: one clear line, exit code 125, the store unchanged.
load image-helpers

setup() {
        image_setup
        b images >/dev/null
        BEFORE=$(store_fingerprint)
}
teardown() { image_teardown; }

# refused ARCHIVE PATTERN: the load fails with one line matching PATTERN and changes nothing.
refused() {
        run b load -i "$1"
        echo "status $status: $output"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == Error:* ]]
        [[ "$output" == *$2* ]]
        [ "$(store_fingerprint)" = "$BEFORE" ]
        run b system check
        [ "$status" -eq 0 ]
}

# A copy of an OCI layout we can break.
layout_copy() {
        cp -a "$IMAGES/$1" "$T/layout"
        chmod -R u+w "$T/layout"
}

# Rewrites the manifest of tag latest with jq FILTER and points index.json at the new blob.
rewrite_manifest() {
        local old new size
        old=$(jq -r '.manifests[0].digest' "$T/layout/index.json" | cut -d: -f2)
        jq -c "$1" "$T/layout/blobs/sha256/$old" > "$T/m.json"
        new=$(sha256sum "$T/m.json" | cut -d' ' -f1)
        size=$(stat -c %s "$T/m.json")
        mv "$T/m.json" "$T/layout/blobs/sha256/$new"
        jq -c --arg d "sha256:$new" --argjson s "$size" '.manifests = [.manifests[0] | .digest = $d | .size = $s]' \
                "$T/layout/index.json" > "$T/i.json"
        mv "$T/i.json" "$T/layout/index.json"
}

@test "truncated archive" {
        head -c 1000000 "$IMAGES/busybox.docker.tar" > "$T/trunc.tar"
        refused "$T/trunc.tar" "runcated tar archive"
}

@test "wrong digest: a blob whose content does not match its name" {
        layout_copy multilayer
        f=$(ls -S "$T/layout/blobs/sha256" | head -1)
        printf 'Z' | dd of="$T/layout/blobs/sha256/$f" bs=1 seek=5000 conv=notrunc 2>/dev/null
        tar -C "$T/layout" -cf "$T/a.tar" .
        refused "$T/a.tar" "digest mismatch"
}

@test "missing blob" {
        layout_copy multilayer
        f=$(ls -S "$T/layout/blobs/sha256" | head -1)
        rm "$T/layout/blobs/sha256/$f"
        tar -C "$T/layout" -cf "$T/a.tar" .
        refused "$T/a.tar" "missing blob"
}

@test "malformed JSON: index.json and manifest.json" {
        layout_copy busybox
        printf '{"schemaVersion": 2, "manifests": [' > "$T/layout/index.json"
        tar -C "$T/layout" -cf "$T/a.tar" .
        refused "$T/a.tar" "invalid JSON"
        mkdir "$T/d" && tar -C "$T/d" -xf "$IMAGES/busybox.docker.tar"
        echo '[{"Config": 3}]' > "$T/d/manifest.json"
        tar -C "$T/d" -cf "$T/b.tar" .
        refused "$T/b.tar" "Config"
}

@test "unknown media type" {
        layout_copy multilayer
        rewrite_manifest '.layers[1].mediaType = "application/x-berth-unknown"'
        tar -C "$T/layout" -cf "$T/a.tar" .
        refused "$T/a.tar" "unknown media type application/x-berth-unknown"
}

@test "a name with bad characters" {
        mkdir "$T/d" && tar -C "$T/d" -xf "$IMAGES/busybox.docker.tar"
        jq -c '.[0].RepoTags = ["Bad Name!:latest"]' "$T/d/manifest.json" > "$T/m" && mv "$T/m" "$T/d/manifest.json"
        tar -C "$T/d" -cf "$T/a.tar" .
        refused "$T/a.tar" "invalid reference format"
}

@test "not an image archive, empty input" {
        tar -C "$SHARED_IMAGES" -cf "$T/a.tar" README.md
        refused "$T/a.tar" "not an image archive"
        : > "$T/empty"
        refused "$T/empty" "$T/empty"
}

@test "bad flags and arguments exit 125" {
        run b images --bogus
        [ "$status" -eq 125 ]
        run b load -i /nonexistent/x.tar
        [ "$status" -eq 125 ]
        [ "$output" = "Error: open /nonexistent/x.tar: No such file or directory" ]
        run b frobnicate
        [ "$status" -eq 125 ]
        run b rmi nosuch
        [ "$status" -eq 125 ]
        [ "$output" = "Error: No such image: nosuch" ]
}
