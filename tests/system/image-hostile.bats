#!/usr/bin/env bats
# Every hostile case of shared/images: refused (exit 125, one line naming the entry, the store unchanged)
# or confined to the layer, and the host untouched (canary.sh).
load image-helpers

CANARY=$SHARED_IMAGES/canary.sh

setup() {
        image_setup
        "$CANARY" setup
}

teardown() {
        "$CANARY" clean || true
        image_teardown
}

# hostile CASE EXPECT: EXPECT is refused, loads, or either (refused, or loaded with the entry confined).
hostile() {
        local case=$1 expect=$2 archive before after
        archive=$(oci_archive "hostile/$case")
        b images >/dev/null # creates the store, so that "unchanged" compares two real states
        before=$(store_fingerprint)
        run b load -i "$archive"
        echo "load $case: status $status: $output"
        local load_status=$status load_output=$output
        after=$(store_fingerprint)
        case $expect in
        refused) [ "$status" -eq 125 ] ;;
        loads) [ "$status" -eq 0 ] ;;
        esac
        if [ "$status" -ne 0 ]; then
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 1 ]
                [[ "${lines[0]}" == Error:* ]]
                [ "$before" = "$after" ]
                run b system check
                [ "$status" -eq 0 ]
        fi
        "$CANARY" check "$ROOT/tmp/unpack"
        # Nothing named berth-escape-* anywhere in the store outside a layer's own tree.
        ! find "$ROOT" -name 'berth-escape-*' -not -path "$ROOT/layers/*/diff/*" | grep .
        ! find "$ROOT/layers" -mindepth 2 -maxdepth 2 -name 'berth-escape-*' | grep .
        status=$load_status output=$load_output
}

@test "hostile dotdot: refused" { hostile dotdot refused; [[ "$output" == *berth-escape-dotdot* ]]; }
@test "hostile dotdot-deep: refused" { hostile dotdot-deep refused; }
@test "hostile absolute: confined to the layer root" {
        hostile absolute loads
        ls "$ROOT"/layers/*/diff/tmp/berth-escape-absolute
}
@test "hostile symlink-abs: confined" { hostile symlink-abs either; }
@test "hostile symlink-rel: confined" { hostile symlink-rel either; }
@test "hostile symlink-chain: confined" { hostile symlink-chain either; }
@test "hostile symlink-overwrite: the link is replaced, never written through" {
        hostile symlink-overwrite loads
        [ -f "$(echo "$ROOT"/layers/*/diff/victim)" ]
        [ ! -L "$(echo "$ROOT"/layers/*/diff/victim)" ]
}
@test "hostile symlink-dir-chmod: no chmod/chown of the host dir" { hostile symlink-dir-chmod either; }
@test "hostile hardlink-abs: refused" { hostile hardlink-abs refused; [[ "$output" == *hl* ]]; }
@test "hostile hardlink-rel: refused" { hostile hardlink-rel refused; }
@test "hostile hardlink-via-symlink: refused" { hostile hardlink-via-symlink refused; }
@test "hostile hardlink-overwrite: refused" { hostile hardlink-overwrite refused; }
@test "hostile whiteout-dotdot: refused" { hostile whiteout-dotdot refused; }
@test "hostile whiteout-via-symlink: confined" { hostile whiteout-via-symlink either; }
@test "hostile opaque-via-symlink: confined" { hostile opaque-via-symlink either; }
@test "hostile symlink-loop: refused, no hang" { hostile symlink-loop refused; }
@test "hostile symlink-layered: confined" {
        hostile symlink-layered either
        if [ "$status" -eq 0 ]; then
                mnt=$(b image mount "$(b images -q)")
                [ -f "$mnt/s/berth-escape-layered" ] || [ -f "$mnt/tmp/berth-escape-layered" ]
                b image unmount "$(b images -q)"
        fi
}
@test "hostile whiteout-layered: confined" { hostile whiteout-layered either; }
@test "hostile hardlink-layered: refused" { hostile hardlink-layered refused; }
@test "hostile devices: not created outside a nodev store" {
        hostile devices loads
        ! find "$ROOT/layers" -type c -o -type b | grep berth-
}
@test "hostile devices: created as root in a nodev store" {
        mkdir "$T/nodev"
        mount -t tmpfs -o nodev,size=64m berth-test "$T/nodev"
        ROOT=$T/nodev/root
        b load -q -i "$(oci_archive hostile/devices)"
        [ -c "$(echo "$ROOT"/layers/*/diff/dev/berth-mem)" ]
        b info | grep -q 'created (nodev store)'
}
@test "hostile overlay-whiteout-device: refused" { hostile overlay-whiteout-device refused; [[ "$output" == *etc/passwd* ]]; }
@test "hostile sparse-huge: written sparse on a 64 MiB tmpfs" {
        mkdir "$T/small"
        mount -t tmpfs -o size=64m berth-test "$T/small"
        ROOT=$T/small/root
        hostile sparse-huge loads
        f=$(find "$ROOT/layers" -name sparse-8g)
        [ "$(stat -c %s "$f")" -eq 8589934592 ]
        [ "$(du -k "$f" | cut -f1)" -lt 1024 ]
}
@test "hostile size-lie: refused, no partial layer" {
        mkdir "$T/small"
        mount -t tmpfs -o size=64m berth-test "$T/small"
        ROOT=$T/small/root
        hostile size-lie refused
        [ -z "$(ls "$ROOT/layers")" ]
        [ -z "$(ls "$ROOT/tmp")" ]
}
@test "hostile long-path: a 4.8 KB path (over PATH_MAX) unpacks, one component at a time; a 256-byte name is a clear error" {
        mkdir "$T/small"
        mount -t tmpfs -o size=64m berth-test "$T/small"
        ROOT=$T/small/root
        hostile long-path loads
        # The leaf, 40 directories down, as the kernel shows it (find walks by fd: no path limit).
        mnt=$(b image mount "$(b images -q | head -1)")
        [ "$(find "$mnt" -name leaf -type f | wc -l)" -eq 1 ]
        [ "$(find "$mnt" -type d | wc -l)" -eq 41 ]
        b image unmount "$(b images -q | head -1)"
        # docker's limit stays the kernel's: a name over NAME_MAX (255 bytes) is refused with one line.
        mkdir -p "$T/fs/d"
        python3 -c 'import sys; open(sys.argv[1] + "/d/" + "n" * 200, "w").write("x")' "$T/fs"
        tar -C "$T/fs" -cf "$T/long.tar" --transform "s|n\{200\}|$(printf 'n%.0s' $(seq 300))|" .
        run b import "$T/long.tar" toolong:1
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"File name too long"* ]]
        # Removal walks the deep tree too.
        b rmi -f "$(b images -q | head -1)" >/dev/null
        [ -z "$(b images -q)" ]
        b system check
}
@test "hostile dup-entries: the later entry wins" {
        hostile dup-entries loads
        d=$(echo "$ROOT"/layers/*/diff)
        [ -f "$d/y" ] && [ -d "$d/z" ] && [ -f "$d/z/inner" ]
}
@test "hostile runtime cases load (their escapes are the runtime's to stop)" {
        for c in etc-symlinks mount-symlinks workdir-symlink volume-symlink; do
                hostile "$c" loads
        done
}
@test "hostile bad-digest: refused" { hostile bad-digest refused; [[ "$output" == *digest* ]]; }
@test "hostile diffid-mismatch: refused" { hostile diffid-mismatch refused; [[ "$output" == *"diff id mismatch"* ]]; }
@test "hostile truncated-gzip: refused, no layer left" { hostile truncated-gzip refused; [[ "$output" == *gzip* ]]; }
@test "hostile size-mismatch: refused" { hostile size-mismatch refused; [[ "$output" == *size* ]]; }
