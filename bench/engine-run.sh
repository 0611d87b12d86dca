#!/usr/bin/env bash
# `berth run --rm --network none busybox true` against podman (the same image loaded in both) and against
# the floor: `berth-runtime run` of an equivalent bundle (the config.json berth generates for that
# container, its rootfs copied out), in one hyperfine run. Targets (issue 10): <= 0.1x podman, <= 2x the floor.
#
#   bench/engine-run.sh [--runs N]
#
# podman needs limits this host can grant (see tests/system/runtime-clients.bats): cgroupfs, nofile and
# nproc ulimits, and runc as its runtime (Debian's crun 1.8 refuses this hybrid cgroup host); also
# its events are off. Results: a markdown table on stdout and in bench/results/.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs=30
while [ $# -gt 0 ]; do
        case $1 in
        --runs) runs=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
        esac
done

runtime=$build/src/cli/berth-runtime
bench_need hyperfine podman jq
bench_built "$berth"
[ -e "$images/busybox.docker.tar" ] || "$top/../shared/images/make-images.sh" "$images" busybox >&2

work=$(mktemp -d /tmp/berth-bench-engine.XXXXXX)
podman_cmd=(podman --root "$work/podman" --runroot "$work/podman-run" --cgroup-manager cgroupfs --events-backend none --runtime runc)
cleanup() {
        set +e # a clean-up step that finds nothing to do must not stop the ones after it
        "$berth" --root "$work/berth" ps -aq --no-trunc 2>/dev/null | xargs -r "$berth" --root "$work/berth" rm -f >/dev/null 2>&1 || true
        "${podman_cmd[@]}" rm -af >/dev/null 2>&1 || true
        "$runtime" --root "$work/floor-state" delete -f floor >/dev/null 2>&1 || true
        # podman's own teardown unmounts its storage (its overlay dir is a mount of its own).
        "${podman_cmd[@]}" system reset -f >/dev/null 2>&1 || true
        findmnt -rn -o TARGET | grep "^$work/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        # conmon's exit commands (podman container cleanup) may still be running and recreate podman's
        # storage directories: wait for every process that names the work dir (10 s at most).
        for _ in $(seq 100); do pgrep -f -- "$work" >/dev/null || break; sleep 0.1; done
        rm -rf "$work"
}
trap cleanup EXIT

"$berth" --root "$work/berth" load -q -i "$images/busybox.docker.tar" >/dev/null
"${podman_cmd[@]}" load -q -i "$images/busybox.docker.tar" >/dev/null

# The floor's bundle: what berth runs, without berth around it.
ref=$("$berth" --root "$work/berth" run -d --network none localhost/busybox sleep 1000)
bundle=$work/floor
mkdir -p "$bundle/rootfs"
cp -a "$work/berth/snapshots/$ref/merged/." "$bundle/rootfs/"
cp "$work/berth/containers/$ref/"{hosts,hostname,resolv.conf} "$bundle/"
jq --arg b "$bundle" '.root.path = "rootfs" | .process.args = ["true"] | .process.terminal = false |
        .mounts |= map(if (.destination | test("^/etc/(hosts|hostname|resolv.conf)$")) then .source = ($b + "/" + (.destination | ltrimstr("/etc/"))) else . end)' \
        "$work/berth/containers/$ref/config.json" > "$bundle/config.json"
"$berth" --root "$work/berth" rm -f "$ref" >/dev/null

results=$here/results
mkdir -p "$results"
out=$results/engine-run-$(date -u +%Y%m%dT%H%M%SZ)
hyperfine -N --warmup 3 --runs "$runs" --export-json "$out.json" --export-markdown "$out.md" \
        -n "berth run --rm" "$berth --root $work/berth run --rm --network none localhost/busybox true" \
        -n "podman run --rm" "${podman_cmd[*]} run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=1000:1000 localhost/busybox true" \
        -n "berth-runtime run (floor)" "$runtime --root $work/floor-state run --bundle $bundle floor" >&2
cat "$out.md"
jq -r '.results | (map(select(.command == "berth run --rm")) | .[0].mean) as $b |
        (map(select(.command == "podman run --rm")) | .[0].mean) as $p |
        (map(select(.command == "berth-runtime run (floor)")) | .[0].mean) as $f |
        "\nberth/podman = \($b / $p * 100 | round / 100)x (target <= 0.1), berth/floor = \($b / $f * 100 | round / 100)x (target <= 2)"' "$out.json" | tee -a "$out.md"
