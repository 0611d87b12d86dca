#!/usr/bin/env bats
# Bad input from the user or the registry: one clear line on stderr, exit status 1 for a pull or push that
# fails (docker's; 125 for bad flags and a missing argument), the store unchanged. Manifests the registry
# would not accept are served by the fault proxy in front of it.
load registry-helpers

setup_file() {
        ensure_registry_images
        registry_start REG
        registry_push "$REG_PORT" busybox multilayer
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
teardown() { registry_test_teardown; }

# refused MESSAGE ARGS...: berth pull -q ARGS fails with one line naming MESSAGE and leaves the store as it was.
refused() {
        local message=$1
        shift
        run b pull -q "$@"
        echo "$output"
        [ "$status" -eq 1 ]
        assert_one_line_naming "$message"
        store_fingerprint | diff "$T/empty" -
        assert_store_clean
}

# A manifest of the registry's busybox, edited by a jq program, served by the proxy under every tag.
serve_manifest() {  # JQ-PROGRAM CONTENT-TYPE
        local m
        m=$(layout_manifest busybox latest)
        jq -c "$1" "$IMAGES/busybox/blobs/sha256/${m#sha256:}" > "$T/manifest.json"
        proxy_start "$REG" "manifest:$T/manifest.json:$2"
}

@test "unknown host" {
        refused "dial tcp: lookup berth-no-such-host.invalid: no such host" berth-no-such-host.invalid/app
}

@test "nothing listening" {
        refused "connect: connection refused" --tls-verify=false "127.0.0.1:$(free_port)/app"
}

@test "401: credentials needed and none given" {
        refused "no basic auth credentials" --tls-verify=false "$AUTH/busybox"
        refused "unauthorized: authentication required" --tls-verify=false --creds berth:wrong "$AUTH/busybox"
}

@test "404: unknown tag, unknown repository" {
        refused "manifest for $REG/busybox:no-such-tag not found: manifest unknown" --tls-verify=false "$REG/busybox:no-such-tag"
        refused "not found" --tls-verify=false "$REG/no/such/repo"
}

@test "malformed manifest" {
        printf '{"schemaVersion": 2, "config": ' > "$T/bad.json"
        proxy_start "$REG" "manifest:$T/bad.json:application/vnd.oci.image.manifest.v1+json"
        refused "invalid JSON" --tls-verify=false "$PROXY/busybox"
}

@test "a manifest missing its config, or with a negative size" {
        serve_manifest 'del(.config)' application/vnd.oci.image.manifest.v1+json
        refused "config" --tls-verify=false "$PROXY/busybox"
        serve_manifest '.layers[0].size = -1' application/vnd.oci.image.manifest.v1+json
        refused "size: must not be negative" --tls-verify=false "$PROXY/busybox"
}

@test "unsupported media types: schema 1, an artifact's config, an unknown layer type, a mismatch" {
        printf '{"schemaVersion": 1, "name": "busybox", "tag": "latest", "fsLayers": [], "history": []}' > "$T/s1.json"
        proxy_start "$REG" "manifest:$T/s1.json:application/vnd.docker.distribution.manifest.v1+prettyjws"
        refused "unsupported manifest media type application/vnd.docker.distribution.manifest.v1+prettyjws" --tls-verify=false "$PROXY/busybox"
        serve_manifest '.config.mediaType = "application/vnd.cncf.helm.config.v1+json"' application/vnd.oci.image.manifest.v1+json
        refused "unsupported image configuration media type application/vnd.cncf.helm.config.v1+json" --tls-verify=false "$PROXY/busybox"
        serve_manifest '.layers[0].mediaType = "application/x-berth-unknown"' application/vnd.oci.image.manifest.v1+json
        refused "unknown media type application/x-berth-unknown" --tls-verify=false "$PROXY/busybox"
        serve_manifest '.' application/vnd.docker.distribution.manifest.list.v2+json
        refused "manifest media type mismatch" --tls-verify=false "$PROXY/busybox"
        serve_manifest '.' text/html
        refused "unsupported manifest media type text/html" --tls-verify=false "$PROXY/busybox"
}

@test "a manifest that points to blobs of the wrong size (larger, smaller)" {
        serve_manifest '.layers[0].size += 1000' application/vnd.oci.image.manifest.v1+json
        refused "size mismatch" --tls-verify=false "$PROXY/busybox"
        serve_manifest '.layers[0].size -= 1000' application/vnd.oci.image.manifest.v1+json
        refused "size mismatch" --tls-verify=false "$PROXY/busybox"
        serve_manifest '.config.size += 1' application/vnd.oci.image.manifest.v1+json
        refused "size mismatch" --tls-verify=false "$PROXY/busybox"
}

@test "a manifest naming a blob the registry does not have" {
        serve_manifest '.layers[0].digest = "sha256:" + ("0" * 64)' application/vnd.oci.image.manifest.v1+json
        refused "blob unknown" --tls-verify=false "$PROXY/busybox"
}

@test "bad references and flags" {
        refused "invalid reference format: repository name (library/BusyBox) must be lowercase" BusyBox
        refused "invalid reference format" "$REG/busybox:bad tag"
        refused "tag can't be used with --all-tags/-a" -a "$REG/busybox:latest"
        refused "unknown operating system or architecture" --platform linux/amd64/v2/extra "$REG/busybox"
        run b pull
        [ "$status" -eq 125 ]
        [[ "$output" == *'"berth pull" requires exactly 1 argument.'* ]]
        run b pull --tls-verify=maybe "$REG/busybox"
        [ "$status" -eq 125 ]
        [[ "$output" == *'invalid argument "maybe" for "--tls-verify" flag'* ]]
        run b push -q "$REG/not-here"
        [ "$status" -eq 1 ]
        assert_one_line_naming "An image does not exist locally with the tag: $REG/not-here:latest"
}
