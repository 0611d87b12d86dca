#!/usr/bin/env bash
# Load + unpack of the debian test image (47 MB gzip, 115 MB tar, 6.6k files): berth load vs umoci unpack
# vs podman load, in one hyperfine run, in MB/s of uncompressed layer; then a second load of the same
# image into the same store. Goals (issue 4): berth >= 1.5x the faster of the two; second load < 50 ms.
#
#   bench/image-load.sh [RUNS]     (root; BERTH_BUILD=build dir, BERTH_IMAGES=image cache)
#
# Before every timed run (hyperfine --prepare, not timed) each tool's output is removed, the filesystem
# synced and the page/dentry/inode caches dropped, then the inputs read back into the page cache: every
# tool starts from warm inputs and clean metadata. (Without the drop, ext4 spends most of the next unpack
# skipping "recently deleted" inodes of the previous run, in every tool alike: it measures the benchmark's
# own cleanup, not the unpacker.)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
BUILD=${BERTH_BUILD:-build}
BERTH=$(realpath "$BUILD/src/cli/berth/berth")
IMAGES=${BERTH_IMAGES:-$HOME/.cache/berth-images}
SHARED=${SHARED_IMAGES:-../shared/images}
[ -d "$SHARED" ] || SHARED=/work/shared/images
for tool in hyperfine umoci podman jq; do
        command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x "$BERTH" ] || { echo "bench: build berth first ($BERTH)" >&2; exit 1; }
[ -e "$IMAGES/debian/index.json" ] || "$SHARED/make-images.sh" "$IMAGES" debian >&2

W=$(mktemp -d /tmp/berth-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
tar -C "$IMAGES/debian" -cf "$W/debian.oci.tar" .
manifest=$(jq -r '.manifests[0].digest' "$IMAGES/debian/index.json" | cut -d: -f2)
layer=$(jq -r '.layers[0].digest' "$IMAGES/debian/blobs/sha256/$manifest" | cut -d: -f2)
bytes=$(gzip -dc "$IMAGES/debian/blobs/sha256/$layer" | wc -c)

prepare="rm -rf $W/berth $W/umoci $W/podman $W/podman-run; sync; echo 3 > /proc/sys/vm/drop_caches; cat $W/debian.oci.tar $IMAGES/debian/blobs/sha256/* > /dev/null"
hyperfine --style basic -w 1 -r "$RUNS" --prepare "$prepare" --export-json "$W/load.json" \
        -n berth "$BERTH --root $W/berth load -q -i $W/debian.oci.tar" \
        -n umoci "umoci unpack --image $IMAGES/debian:latest $W/umoci" \
        -n podman "podman --root $W/podman --runroot $W/podman-run load -q -i $W/debian.oci.tar" >&2
podman --root "$W/podman" --runroot "$W/podman-run" rmi -a -f >/dev/null 2>&1 || true

"$BERTH" --root "$W/berth2" load -q -i "$W/debian.oci.tar"
hyperfine -N --style basic -w 3 -r 20 --export-json "$W/second.json" \
        -n "berth second load" "$BERTH --root $W/berth2 load -q -i $W/debian.oci.tar" >&2

mean() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .mean' "$1"; }
b=$(mean "$W/load.json" berth) u=$(mean "$W/load.json" umoci) p=$(mean "$W/load.json" podman)
s=$(mean "$W/second.json" "berth second load")
awk -v b="$b" -v u="$u" -v p="$p" -v s="$s" -v bytes="$bytes" 'BEGIN {
        mb = bytes / 1e6
        printf "debian layer: %.1f MB uncompressed\n", mb
        printf "%-8s %8.3f s %8.1f MB/s\n", "berth", b, mb / b
        printf "%-8s %8.3f s %8.1f MB/s\n", "umoci", u, mb / u
        printf "%-8s %8.3f s %8.1f MB/s\n", "podman", p, mb / p
        best = u < p ? u : p
        ratio = best / b
        printf "berth vs the faster of umoci/podman: %.2fx (goal >= 1.5x): %s\n", ratio, (ratio >= 1.5 ? "PASS" : "FAIL")
        printf "second load of the same image: %.1f ms (goal < 50 ms): %s\n", s * 1000, (s < 0.05 ? "PASS" : "FAIL")
        if (ratio >= 1.5 && s < 0.05) exit 0; else exit 1
}'
