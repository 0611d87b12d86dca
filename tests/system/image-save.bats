#!/usr/bin/env bats
# save: what berth writes is read back by skopeo, podman and berth itself.
load image-helpers

setup() { image_setup; }
teardown() {
        [ -z "${PODMAN_ROOT:-}" ] || podman --root "$PODMAN_ROOT" --runroot "$PODMAN_RUNROOT" rmi -a -f >/dev/null 2>&1 || true
        image_teardown
}

podman_t() {
        PODMAN_ROOT=$T/podman-root PODMAN_RUNROOT=$T/podman-runroot
        podman --root "$PODMAN_ROOT" --runroot "$PODMAN_RUNROOT" --storage-driver vfs "$@"
}

@test "save docker-archive: skopeo inspects it, same config digest and layers" {
        b load -q -i "$IMAGES/multilayer.docker.tar"
        b save -o "$T/ml.tar" localhost/multilayer
        run skopeo inspect "docker-archive:$T/ml.tar"
        [ "$status" -eq 0 ]
        echo "$output" | jq -e '.Layers | length == 4'
        id=$(b images -q --no-trunc)
        run skopeo inspect --config "docker-archive:$T/ml.tar"
        echo "$output" | jq -e '.config.WorkingDir == "/data"'
        tar -tf "$T/ml.tar" | grep -qx manifest.json
        tar -xOf "$T/ml.tar" manifest.json | jq -e '.[0].RepoTags == ["localhost/multilayer:latest"]'
        [ "$(tar -xOf "$T/ml.tar" manifest.json | jq -r '.[0].Config' | sed 's|blobs/sha256/|sha256:|')" = "$id" ]
}

@test "save oci-archive: skopeo inspects it" {
        b load -q -i "$IMAGES/busybox.docker.tar"
        b save --format oci-archive -o "$T/bb.tar" localhost/busybox
        run skopeo inspect "oci-archive:$T/bb.tar"
        [ "$status" -eq 0 ]
        echo "$output" | jq -e '.Layers | length == 1'
        ! tar -tf "$T/bb.tar" | grep -qx manifest.json
}

@test "save: podman loads both formats, the image keeps its ID" {
        b load -q -i "$IMAGES/multilayer.docker.tar"
        id=$(b images -q --no-trunc)
        b save -o "$T/d.tar" localhost/multilayer
        b save --format oci-archive -o "$T/o.tar" localhost/multilayer
        run podman_t load -i "$T/d.tar"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(podman_t image inspect --format '{{.Id}}' localhost/multilayer:latest)" = "${id#sha256:}" ]
        podman_t rmi -a -f >/dev/null
        run podman_t load -i "$T/o.tar"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(podman_t images -q --no-trunc | sort -u)" = "$id" ]
}

@test "save several images; berth loads its own archive back into a fresh store" {
        b load -q -i "$IMAGES/busybox.docker.tar"
        b load -q -i "$IMAGES/multilayer.docker.tar"
        b save -o "$T/both.tar" localhost/busybox localhost/multilayer
        before=$(b images --format '{{.ID}} {{.Repository}}:{{.Tag}}' | sort)
        ROOT=$T/root2
        run b load -i "$T/both.tar"
        [ "$status" -eq 0 ]
        [ "$(b images --format '{{.ID}} {{.Repository}}:{{.Tag}}' | sort)" = "$before" ]
        b system check
}

@test "save refuses a terminal and an unknown image; a failed save leaves no file" {
        b load -q -i "$IMAGES/busybox.docker.tar"
        run b save -o "$T/x.tar" localhost/busybox nosuch
        [ "$status" -eq 125 ]
        [ ! -e "$T/x.tar" ]
        run b save --format bogus -o "$T/x.tar" localhost/busybox
        [ "$status" -eq 125 ]
}

@test "load: archives written by podman save (docker-archive with symlinked layer.tar, oci-archive)" {
        podman_t load -q -i "$IMAGES/multilayer.docker.tar"
        podman_t save -q --format docker-archive -o "$T/pd.tar" localhost/multilayer:latest
        podman_t save -q --format oci-archive -o "$T/po.tar" localhost/multilayer:latest
        run b load -i "$T/pd.tar"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: localhost/multilayer:latest" ]
        # podman's <id>/layer.tar members are symlinks to ../<hash>.tar: point the manifest at them.
        mkdir "$T/x" && tar -C "$T/x" -xf "$T/pd.tar"
        (cd "$T/x" && python3 -c '
import json, os
m = json.load(open("manifest.json"))
links = {os.readlink(d + "/layer.tar").split("/")[-1]: d + "/layer.tar" for d in os.listdir(".") if os.path.isdir(d)}
m[0]["Layers"] = [links[l] for l in m[0]["Layers"]]
json.dump(m, open("manifest.json", "w"))')
        tar -C "$T/x" -cf "$T/linked.tar" .
        ROOT=$T/root2
        run b load -i "$T/linked.tar"
        [ "$status" -eq 0 ]
        ROOT=$T/root3
        run b load -i "$T/po.tar"
        [ "$status" -eq 0 ]
        mnt=$(b image mount localhost/multilayer)
        [ "$(cat "$mnt/data/phoenix")" = phoenix-3 ]
        b image unmount localhost/multilayer
        b system check
}
