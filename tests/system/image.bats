#!/usr/bin/env bats
# The image store: load, the unpacked trees (checked against umoci's), commands and their formats.
load image-helpers

setup() { image_setup; }
teardown() { image_teardown; }

@test "load: docker-archive names the image as docker save did" {
        run b load -i "$IMAGES/busybox.docker.tar"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: localhost/busybox:latest" ]
        run b images --format '{{.Repository}}:{{.Tag}}'
        [ "$output" = "localhost/busybox:latest" ]
}

@test "load: oci-archive with gzip, zstd and plain tar layers gives one image (one config)" {
        local a
        a=$(oci_archive busybox)
        run b load -i "$a"
        [ "$status" -eq 0 ]
        [[ "$output" == "Loaded image ID: sha256:"* ]]
        # The three tags share a config: the three manifests give one image ID with three layer blobs.
        [ "$(b images -q | sort -u | wc -l)" -eq 1 ]
        [ "$(ls "$ROOT/blobs/sha256" | wc -l)" -ge 7 ]
}

@test "load from stdin, gzip'd archive" {
        gzip -c "$IMAGES/busybox.docker.tar" > "$T/bb.tar.gz"
        run b load < "$T/bb.tar.gz"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: localhost/busybox:latest" ]
}

@test "multilayer: the overlay mount equals umoci's unpack (multilayer.tree)" {
        b load -q -i "$IMAGES/multilayer.docker.tar"
        mnt=$(b image mount localhost/multilayer)
        # The kernel's view: overlayfs mounted there.
        [ "$(findmnt -n -o FSTYPE --target "$mnt")" = overlay ]
        tree_listing "$mnt" > "$T/ours.tree"
        diff -u "$IMAGES/multilayer.tree" "$T/ours.tree"
        b image unmount localhost/multilayer
        ! findmnt "$mnt"
}

# The stored manifest of an image (its layers' media types).
stored_manifest() {  # IMAGE
        local d
        d=$(b images --digests --format '{{.Digest}}' "$1" | head -1)
        cat "$ROOT/blobs/sha256/${d#sha256:}"
}

@test "load and import take xz and bzip2 layers (docker's): kept as the plain tar they hold, the same tree" {
        mkdir "$T/x" && tar -C "$T/x" -xf "$IMAGES/multilayer.docker.tar"
        mapfile -t layers < <(jq -r '.[0].Layers[]' "$T/x/manifest.json")
        f1=$(readlink -f "$T/x/${layers[0]}") && f2=$(readlink -f "$T/x/${layers[1]}")
        xz -T1 -c "$f1" > "$T/l1" && mv "$T/l1" "$f1"
        bzip2 -c "$f2" > "$T/l2" && mv "$T/l2" "$f2"
        [ "$(head -c 6 "$f1" | od -An -c | tr -d ' ')" = '3757zXZ\0' ]
        tar -C "$T/x" -cf "$T/xz.tar" .
        b load -q -i "$T/xz.tar"
        mnt=$(b image mount localhost/multilayer)
        tree_listing "$mnt" > "$T/ours.tree"
        b image unmount localhost/multilayer
        diff -u "$IMAGES/multilayer.tree" "$T/ours.tree"
        # No OCI media type names xz or bzip2: the manifest references the plain tars (digest = diff id).
        stored_manifest localhost/multilayer > "$T/m.json"
        [ "$(jq -r '.layers[0:2][].mediaType' "$T/m.json" | sort -u)" = application/vnd.oci.image.layer.v1.tar ]
        [ "$(jq -r '.layers[0:2][].digest' "$T/m.json")" = "$(b inspect -f '{{json .RootFS.Layers}}' localhost/multilayer | jq -r '.[0:2][]')" ]
        b system check >/dev/null
        # A truncated xz layer: one line naming it, nothing loaded.
        head -c 2000 "$f1" > "$T/cut" && mv "$T/cut" "$f1"
        b rmi localhost/multilayer >/dev/null
        tar -C "$T/x" -cf "$T/cut.tar" .
        run b load -q -i "$T/cut.tar"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"xz: "* ]]
        [ -z "$(b images -q)" ]
        # import: a root filesystem as tar.xz and tar.bz2.
        mkdir -p "$T/fs/etc" && echo hello > "$T/fs/etc/greeting"
        tar -C "$T/fs" -cJf "$T/fs.txz" .
        tar -C "$T/fs" -cjf "$T/fs.tbz" .
        b import "$T/fs.txz" imp:xz >/dev/null
        b import "$T/fs.tbz" imp:bz >/dev/null
        for i in imp:xz imp:bz; do
                mnt=$(b image mount "$i")
                [ "$(cat "$mnt/etc/greeting")" = hello ]
                b image unmount "$i"
                [ "$(stored_manifest "$i" | jq -r '.layers[0].mediaType')" = application/vnd.oci.image.layer.v1.tar ]
        done
        # The same tar: one image ID.
        [ "$(b inspect -f '{{json .RootFS}}' imp:xz)" = "$(b inspect -f '{{json .RootFS}}' imp:bz)" ]
}

@test "multilayer: contents and xattrs equal a fresh umoci unpack" {
        b load -q -i "$IMAGES/multilayer.docker.tar"
        umoci unpack --image "$IMAGES/multilayer:latest" "$T/umoci" >/dev/null
        mnt=$(b image mount localhost/multilayer)
        # Every regular file: same bytes. Every entry: same xattrs (user.* and security.capability).
        (cd "$T/umoci/rootfs" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) > "$T/umoci.sums"
        (cd "$mnt" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) > "$T/ours.sums"
        diff -u "$T/umoci.sums" "$T/ours.sums"
        (cd "$T/umoci/rootfs" && getfattr -R -h -d -m '^(user|security)\.' . 2>/dev/null) > "$T/umoci.xattrs"
        (cd "$mnt" && getfattr -R -h -d -m '^(user|security)\.' . 2>/dev/null) > "$T/ours.xattrs"
        diff -u "$T/umoci.xattrs" "$T/ours.xattrs"
        grep -q 'security.capability' "$T/ours.xattrs"
        [ "$(getfattr --only-values -n user.berth.test "$mnt/data/with-xattr")" = yes ]
        [ "$(stat -c %i "$mnt/data/hard-a")" = "$(stat -c %i "$mnt/data/hard-b")" ]
        b image unmount localhost/multilayer
}

@test "multilayer: the copy driver gives the same tree" {
        "$BERTH_BIN" --root "$ROOT" --storage-driver copy load -q -i "$IMAGES/multilayer.docker.tar"
        mnt=$(b image mount localhost/multilayer)
        tree_listing "$mnt" > "$T/ours.tree"
        diff -u "$IMAGES/multilayer.tree" "$T/ours.tree"
        getcap "$mnt/usr/bin/with-cap" | grep -q cap_net_raw
        b info | grep -q 'Snapshotter: copy'
        b image unmount localhost/multilayer
}

@test "layers are unpacked once and shared; a second load is a no-op" {
        b load -q -i "$IMAGES/busybox.docker.tar"
        b load -q -i "$IMAGES/multilayer.docker.tar"
        # multilayer's first layer is busybox's: one directory for it.
        [ "$(ls "$ROOT/layers" | wc -l)" -eq 4 ]
        a=$(oci_archive multilayer)
        b load -q -i "$a"
        # The second load touches nothing: every layer directory and blob keeps its inode and mtime.
        (cd "$ROOT" && find layers blobs -maxdepth 2 -printf '%i %T@ %p\n' | sort) > "$T/before"
        b load -q -i "$a"
        (cd "$ROOT" && find layers blobs -maxdepth 2 -printf '%i %T@ %p\n' | sort) > "$T/after"
        diff -u "$T/before" "$T/after"
        # (how fast that is: bench/image-load.sh)
}

@test "images: columns, -q, --digests, --no-trunc, json, filters" {
        b load -q -i "$IMAGES/busybox.docker.tar"
        b load -q -i "$IMAGES/multilayer.docker.tar"
        run b images
        [ "${lines[0]}" = "REPOSITORY             TAG       IMAGE ID       CREATED       SIZE" ]
        [ "${#lines[@]}" -eq 3 ]
        run b images -q --no-trunc
        [[ "${lines[0]}" == sha256:* ]]
        run b images --digests
        [[ "${lines[0]}" == *DIGEST* ]]
        run b images --format json
        echo "$output" | jq -s -e 'map(select(.Repository == "localhost/busybox")) | .[0].Tag == "latest"'
        run b images --filter reference='localhost/multi*' --format '{{.Repository}}'
        [ "$output" = localhost/multilayer ]
        run b images --filter label=org.opencontainers.image.title --format '{{.Repository}}'
        echo "$output"
        [ "$output" = localhost/multilayer ]
        run b images --filter dangling=true -q
        [ -z "$output" ]
        run b images --filter before=localhost/multilayer --format '{{.Repository}}'
        [ "$status" -eq 0 ]
        run b images --filter bogus=1
        [ "$status" -eq 125 ]
}

@test "inspect: docker's fields, Config from the image" {
        b load -q -i "$IMAGES/multilayer.docker.tar"
        run b inspect localhost/multilayer
        [ "$status" -eq 0 ]
        echo "$output" | jq -e '.[0].RepoTags == ["localhost/multilayer:latest"]'
        echo "$output" | jq -e '.[0].Config.WorkingDir == "/data" and .[0].Config.User == "0:0"'
        echo "$output" | jq -e '.[0].RootFS.Layers | length == 4'
        echo "$output" | jq -e '.[0].Os == "linux" and .[0].Architecture == "amd64" and (.[0].Id | startswith("sha256:"))'
        run b image inspect --format '{{.Config.WorkingDir}}' localhost/multilayer
        [ "$output" = /data ]
        run b inspect nosuchimage
        [ "$status" -eq 125 ]
        [[ "$output" == *"No such image: nosuchimage"* ]]
}

@test "history: entries newest first, empty layers 0B, json" {
        b load -q -i "$IMAGES/multilayer.docker.tar"
        run b history localhost/multilayer
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == IMAGE*CREATED*"CREATED BY"*SIZE*COMMENT ]]
        n=$(b inspect localhost/multilayer | jq length)
        [ "$n" -eq 1 ]
        run b history --format json localhost/multilayer
        echo "$output" | head -1 | jq -e '.ID != "<missing>"'
        run b history --no-trunc -q localhost/multilayer
        [[ "${lines[0]}" == sha256:* ]]
}

@test "tag, rmi: a name untags, the last name deletes, layers and blobs go with it" {
        b load -q -i "$IMAGES/busybox.docker.tar"
        b tag localhost/busybox:latest mybox:1
        run b images --format '{{.Repository}}:{{.Tag}}'
        [[ "$output" == *"mybox:1"* ]]
        run b rmi mybox:1
        [ "$output" = "Untagged: mybox:1" ]
        run b rmi localhost/busybox
        [ "$status" -eq 0 ]
        [[ "$output" == *"Deleted: sha256:"* ]]
        [ -z "$(ls "$ROOT/layers")" ]
        [ -z "$(ls "$ROOT/blobs/sha256")" ]
        run b rmi localhost/busybox
        [ "$status" -eq 125 ]
}

@test "rmi refuses an image a container uses (containers table) and a mounted image" {
        b load -q -i "$IMAGES/busybox.docker.tar"
        id=$(b images -q --no-trunc)
        python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("INSERT INTO containers VALUES(?,?,?,0)", ("c1", sys.argv[2], "x")); c.commit()' "$ROOT/berth.db" "$id"
        run b rmi -f localhost/busybox
        [ "$status" -eq 125 ]
        [[ "$output" == *"container"* ]]
        python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM containers"); c.commit()' "$ROOT/berth.db"
        b image mount localhost/busybox
        run b rmi localhost/busybox
        [ "$status" -eq 125 ]
        b image unmount localhost/busybox
        b rmi localhost/busybox
}

@test "image prune removes dangling images, -a the unused ones" {
        b load -q -i "$IMAGES/busybox.docker.tar"
        b load -q -i "$(oci_archive multilayer)"
        run b image prune -f
        [ "$status" -eq 0 ]
        [[ "$output" == *"deleted: sha256:"* ]]
        [ "$(b images -q | wc -l)" -eq 1 ]
        run b image prune -a -f
        [ "$(b images -q | wc -l)" -eq 0 ]
        [[ "$output" == *"Total reclaimed space"* ]]
}

# The host's architecture in Go's names, as docker reports it.
host_arch() {
        case $(uname -m) in
        x86_64) echo amd64 ;;
        aarch64) echo arm64 ;;
        armv*) echo arm ;;
        i?86) echo 386 ;;
        *) uname -m ;;
        esac
}

# The multiarch layout under $T/layout with its inner index rewritten by the jq FILTER; the archive path.
multiarch_with() {  # FILTER OUT
        local ix inner new
        rm -rf "$T/layout"
        cp -a "$IMAGES/multiarch" "$T/layout"
        chmod -R u+w "$T/layout"
        ix=$(jq -r '.manifests[0].digest' "$T/layout/index.json")
        inner=$T/layout/blobs/sha256/${ix#sha256:}
        jq -c --arg a "$(host_arch)" "$1" "$inner" > "$T/ix.json"
        new=$(sha256sum "$T/ix.json" | cut -d' ' -f1)
        mv "$T/ix.json" "$T/layout/blobs/sha256/$new"
        jq -c --arg d "sha256:$new" --argjson s "$(stat -c %s "$T/layout/blobs/sha256/$new")" \
                '.manifests[0].digest = $d | .manifests[0].size = $s' "$T/layout/index.json" > "$T/i.json"
        mv "$T/i.json" "$T/layout/index.json"
        tar -C "$T/layout" -cf "$2" .
}

@test "load of a multi-platform index takes the host's platform, wherever it is listed; none for it is refused" {
        local ix want id
        ix=$(jq -r '.manifests[0].digest' "$IMAGES/multiarch/index.json")
        want=$(jq -r --arg a "$(host_arch)" '.manifests[] | select(.platform.architecture == $a) | .digest' \
                "$IMAGES/multiarch/blobs/sha256/${ix#sha256:}")
        [ -n "$want" ] || skip "the multiarch test image has no manifest for $(host_arch)"
        # The host's entry last, after the foreign one and the attestation.
        multiarch_with '.manifests |= (map(select(.platform.architecture != $a)) + map(select(.platform.architecture == $a)))' "$T/a.tar"
        run b load -i "$T/a.tar"
        [ "$status" -eq 0 ]
        id=${output##*: }
        # The image is the host's manifest's config, and the config says the host's platform.
        [ "$id" = "$(jq -r .config.digest "$IMAGES/multiarch/blobs/sha256/${want#sha256:}")" ]
        [ "$(b inspect --format '{{.Os}}/{{.Architecture}}' "$id")" = "linux/$(host_arch)" ]
        # Without an entry for the host: refused, naming the host's platform; nothing new is stored.
        multiarch_with '.manifests |= map(select(.platform.architecture != $a))' "$T/b.tar"
        run b load -i "$T/b.tar"
        [ "$status" -ne 0 ]
        assert_one_line_naming "has no manifest for linux/$(host_arch)"
        [ "$(b images -q | wc -l)" -eq 1 ]
}

@test "load --platform: that platform's image of a multi-platform archive; one of another platform refused" {
        local ix arm
        ix=$(jq -r '.manifests[0].digest' "$IMAGES/multiarch/index.json")
        arm=$(jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest' "$IMAGES/multiarch/blobs/sha256/${ix#sha256:}")
        run b load --platform linux/arm64 -i "$(oci_archive multiarch)"
        [ "$status" -eq 0 ]
        id=${output##*: }
        [ "$id" = "$(jq -r .config.digest "$IMAGES/multiarch/blobs/sha256/${arm#sha256:}")" ]
        [ "$(b inspect --format '{{.Os}}/{{.Architecture}}/{{.Variant}}' "$id")" = linux/arm64/v8 ]
        [ "$(b images -q | wc -l)" -eq 1 ]
        # None for the platform asked for: refused, nothing stored.
        run b load --platform linux/s390x -i "$(oci_archive multiarch)"
        [ "$status" -eq 125 ]
        assert_one_line_naming "has no manifest for linux/s390x"
        # A single-platform archive of another platform (busybox is the host's).
        other=arm64; [ "$(host_arch)" = arm64 ] && other=amd64
        run b load --platform "linux/$other" -i "$IMAGES/busybox.docker.tar"
        [ "$status" -eq 125 ]
        assert_one_line_naming "not the requested platform linux/$other"
        [ "$(b images -q | wc -l)" -eq 1 ]
        run b load --platform "linux/$(host_arch)" -i "$IMAGES/busybox.docker.tar"
        [ "$status" -eq 0 ]
        [ "$(b images -q | wc -l)" -eq 2 ]
        run b load --platform 'linux/a/b/c' -i "$IMAGES/busybox.docker.tar"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
}

@test "import with --change: config and the unpacked tree" {
        mkdir -p "$T/fs/etc" && echo hello > "$T/fs/etc/greeting"
        tar -C "$T/fs" -czf "$T/fs.tgz" .
        run b import -c 'CMD ["/bin/sh"]' -c 'ENV A=1 B="two words"' -c 'WORKDIR /w' -c 'ENTRYPOINT /init' \
                -c 'USER 1000' -c 'EXPOSE 80 53/udp' -c 'LABEL a=b' -c 'VOLUME /v' -m 'imported' "$T/fs.tgz" imp:1
        [ "$status" -eq 0 ]
        [[ "$output" == sha256:* ]]
        c=$(b inspect --format '{{json .Config}}' imp:1)
        echo "$c" | jq -e '.Cmd == ["/bin/sh"] and .Entrypoint == ["/bin/sh","-c","/init"] and .WorkingDir == "/w" and .User == "1000"'
        echo "$c" | jq -e '.Env == ["A=1","B=two words"] and .Labels.a == "b" and (.ExposedPorts | has("80/tcp") and has("53/udp")) and (.Volumes | has("/v"))'
        mnt=$(b image mount imp:1)
        [ "$(cat "$mnt/etc/greeting")" = hello ]
        b image unmount imp:1
        run b import -c 'BOGUS x' "$T/fs.tgz"
        [ "$status" -eq 125 ]
        # The host's platform, or --platform's.
        [ "$(b inspect --format '{{.Os}}/{{.Architecture}}' imp:1)" = "linux/$(host_arch)" ]
        b import --platform linux/arm64 "$T/fs.tgz" imp:arm
        [ "$(b inspect --format '{{.Os}}/{{.Architecture}}' imp:arm)" = linux/arm64 ]
        run b import --platform 'linux/a/b/c' "$T/fs.tgz" imp:bad
        [ "$status" -eq 125 ]
}

@test "system df, info, system check" {
        b load -q -i "$IMAGES/busybox.docker.tar"
        run b system df
        [[ "${lines[1]}" == Images* ]]
        run b info
        [[ "$output" == *"Storage Driver: overlay2"* ]]
        [[ "$output" == *"Supports lowerdir+: true"* ]]
        run b system check
        [ "$status" -eq 0 ]
        # A corrupted blob is found.
        f=$(ls -S "$ROOT/blobs/sha256" | head -1)
        printf 'X' | dd of="$ROOT/blobs/sha256/$f" bs=1 seek=100 conv=notrunc 2>/dev/null
        run b system check
        [ "$status" -eq 125 ]
        [[ "$output" == *"is corrupt"* ]]
}

@test "reference parsing: docker's names" {
        b load -q -i "$IMAGES/busybox.docker.tar"
        b tag localhost/busybox docker.io/library/bb:x
        run b images --format '{{.Repository}}:{{.Tag}}' bb:x
        [ "$output" = "bb:x" ]
        run b tag localhost/busybox 'Bad/Name'
        [ "$status" -eq 125 ]
        [[ "$output" == *"must be lowercase"* ]]
        run b tag localhost/busybox 'bad name'
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
}

@test "many layers: 150 mount through lowerdir+ and through mount(2)'s one page; 300 through lowerdir+" {
        many_layers_archive 150 "$T/150.tar"
        b load -q -i "$T/150.tar"
        mnt=$(b image mount localhost/many:150)
        [ "$(cat "$mnt/top")" = 149 ]
        [ "$(ls "$mnt/l" | wc -l)" -eq 150 ]
        b image unmount localhost/many:150
        mnt=$(BERTH_OVERLAY_MOUNT=legacy b image mount localhost/many:150)
        [ "$(cat "$mnt/top")" = 149 ]
        [ "$(findmnt -n -o FSTYPE --target "$mnt")" = overlay ]
        b image unmount localhost/many:150
        many_layers_archive 300 "$T/300.tar"
        b load -q -i "$T/300.tar"
        mnt=$(b image mount localhost/many:300)
        [ "$(cat "$mnt/top")" = 299 ]
        [ "$(ls "$mnt/l" | wc -l)" -eq 300 ]
        b image unmount localhost/many:300
        # Past one page, the old mount(2) path says so instead of failing obscurely.
        run env BERTH_OVERLAY_MOUNT=legacy "$BERTH_BIN" --root "$ROOT" image mount localhost/many:300
        [ "$status" -eq 125 ]
        [[ "$output" == *"too many layers"* ]]
        # The failed mount left nothing that would keep the image from being removed.
        b rmi localhost/many:300
}

@test "image mount is read-only, nosuid and nodev" {
        b load -q -i "$IMAGES/multilayer.docker.tar"
        mnt=$(b image mount localhost/multilayer)
        opts=$(findmnt -n -o OPTIONS --target "$mnt")
        [[ ",$opts," == *,ro,* ]] && [[ ",$opts," == *,nosuid,* ]] && [[ ",$opts," == *,nodev,* ]]
        ! touch "$mnt/new-file"
        b image unmount localhost/multilayer
}
