#!/usr/bin/env bash
# Pull of the debian test image (one 47 MB gzip layer, 115 MB tar, 6.6k files) from a local registry
# (docker-registry 2.8 on 127.0.0.1, plain HTTP): berth pull (download + verify + unpack) vs podman pull
# (download + unpack into its overlay storage) vs skopeo copy to an OCI layout (download only), in one
# hyperfine run. Goal (issue 5): berth >= 1.5x faster than podman pull.
#
#   bench/registry-pull.sh [RUNS]     (root; BERTH_BUILD=build dir, BERTH_IMAGES=image cache)
#
# Before every timed run (hyperfine --prepare, not timed): each tool's output removed, the filesystem synced,
# page/dentry/inode caches dropped, then the registry's storage read back into the page cache: every tool
# starts from a warm registry and clean metadata (see bench/image-load.sh for why the drop matters).
# Results: stdout and bench/results/registry-pull-TIMESTAMP.md.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
BUILD=${BERTH_BUILD:-build}
BERTH=$(realpath "$BUILD/src/cli/berth/berth")
IMAGES=${BERTH_IMAGES:-$HOME/.cache/berth-images}
SHARED=${SHARED_IMAGES:-../shared/images}
[ -d "$SHARED" ] || SHARED=/work/shared/images
for tool in hyperfine podman skopeo jq python3; do
        command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x "$BERTH" ] || { echo "bench: build berth first ($BERTH)" >&2; exit 1; }
[ -e "$IMAGES/debian/index.json" ] || "$SHARED/make-images.sh" "$IMAGES" debian >&2

W=$(mktemp -d /tmp/berth-bench-pull.XXXXXX)
PORT=
cleanup() {
        set +e # a clean-up step that finds nothing to do must not stop the ones after it
        podman --root "$W/podman" --runroot "$W/podman-run" rmi -a -f >/dev/null 2>&1 || true
        [ -z "$PORT" ] || "$SHARED/registry.sh" stop "$PORT" >/dev/null 2>&1 || true
        rm -rf "$W"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$SHARED/registry.sh" start "$PORT" >/dev/null
"$SHARED/registry.sh" push "$PORT" "$IMAGES" debian >/dev/null
R=127.0.0.1:$PORT
DATA=/tmp/berth-registry-$PORT/data

prepare="rm -rf $W/berth $W/skopeo; podman --root $W/podman --runroot $W/podman-run rmi -a -f >/dev/null 2>&1 || true; rm -rf $W/podman $W/podman-run; sync; echo 3 > /proc/sys/vm/drop_caches; find $DATA -type f -exec cat {} + > /dev/null"
hyperfine --style basic -w 1 -r "$RUNS" --prepare "$prepare" --export-json "$W/pull.json" \
        -n berth "$BERTH --root $W/berth pull -q --tls-verify=false $R/debian" \
        -n podman "podman --root $W/podman --runroot $W/podman-run pull -q --tls-verify=false $R/debian" \
        -n skopeo "skopeo copy -q --src-tls-verify=false docker://$R/debian oci:$W/skopeo:latest" >&2

mean() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .mean' "$1"; }
sd() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .stddev' "$1"; }
b=$(mean "$W/pull.json" berth) p=$(mean "$W/pull.json" podman) s=$(mean "$W/pull.json" skopeo)
bs=$(sd "$W/pull.json" berth) ps=$(sd "$W/pull.json" podman) ss=$(sd "$W/pull.json" skopeo)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p bench/results
out=bench/results/registry-pull-$stamp.md
{
        echo "# registry pull, debian (47 MB gzip layer), $stamp"
        echo
        echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end, $RUNS runs, caches dropped before each"
        echo
        awk -v b="$b" -v p="$p" -v s="$s" -v bs="$bs" -v ps="$ps" -v ss="$ss" 'BEGIN {
                printf "| tool | mean | stddev |\n| --- | --- | --- |\n"
                printf "| berth pull (download + unpack) | %.3f s | %.3f s |\n", b, bs
                printf "| podman pull (download + unpack) | %.3f s | %.3f s |\n", p, ps
                printf "| skopeo copy to oci: (download only) | %.3f s | %.3f s |\n", s, ss
                printf "\nberth vs podman pull: %.2fx (goal >= 1.5x): %s\n", p / b, (p / b >= 1.5 ? "PASS" : "FAIL")
        }'
} | tee "$out"
awk -v b="$b" -v p="$p" 'BEGIN { exit (p / b >= 1.5 ? 0 : 1) }'
