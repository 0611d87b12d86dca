#!/usr/bin/env bash
# `berth run --rm busybox true` on the default bridge against berth's own `--network none` and podman's
# default (bridge) network, in one hyperfine run, inside a network namespace of the script's own (its
# berth0, podman's bridge and both firewalls go with it). Then CYCLES `run --rm -p` cycles and what they
# left: veths on berth0, nft map elements, leases. Targets (issue 11): <= 0.1x podman, <= 3 ms more than
# --network none; nothing left.
#
#   bench/network.sh [--runs N] [--cycles N]     (defaults: 30 runs, 1000 cycles)
#
# podman as in bench/engine-run.sh (cgroupfs, runc, events off, ulimits this host can grant). Results: a
# markdown table on stdout and in bench/results/.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs=30
cycles=1000
while [ $# -gt 0 ]; do
        case $1 in
        --runs) runs=$2; shift 2 ;;
        --cycles) cycles=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--cycles N]" >&2; exit 2 ;;
        esac
done

bench_need hyperfine podman jq nft ip nsenter
bench_built "$berth"
[ -e "$images/busybox.docker.tar" ] || "$top/../shared/images/make-images.sh" "$images" busybox >&2

work=$(mktemp -d /tmp/berth-bench-network.XXXXXX)
ns=berth-bench-$$
ip netns add "$ns"
ip -n "$ns" link set lo up
in_ns=(nsenter --net="/run/netns/$ns")
podman_cmd=(podman --root "$work/podman" --runroot "$work/podman-run" --cgroup-manager cgroupfs --events-backend none --runtime runc)
cleanup() {
        set +e
        "${in_ns[@]}" "$berth" --root "$work/berth" ps -aq --no-trunc 2>/dev/null |
                xargs -r "${in_ns[@]}" "$berth" --root "$work/berth" rm -f >/dev/null 2>&1
        "${in_ns[@]}" "${podman_cmd[@]}" rm -af >/dev/null 2>&1
        "${in_ns[@]}" "${podman_cmd[@]}" system reset -f >/dev/null 2>&1
        findmnt -rn -o TARGET | grep "^$work/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
        for _ in $(seq 100); do pgrep -f -- "$work" >/dev/null || break; sleep 0.1; done
        ip netns del "$ns"
        rm -rf "$work"
}
trap cleanup EXIT

b() { "${in_ns[@]}" "$berth" --root "$work/berth" "$@"; }
b load -q -i "$images/busybox.docker.tar" >/dev/null
"${podman_cmd[@]}" load -q -i "$images/busybox.docker.tar" >/dev/null
b run --rm localhost/busybox true # berth0 and the table exist before the timing, as on a used host
"${in_ns[@]}" "${podman_cmd[@]}" run --rm --ulimit nofile=20000:20000 --ulimit nproc=1000:1000 localhost/busybox true

results=$here/results
mkdir -p "$results"
out=$results/network-$(date -u +%Y%m%dT%H%M%SZ)
hyperfine -N --warmup 3 --runs "$runs" --export-json "$out.json" --export-markdown "$out.md" \
        -n "berth run --rm (bridge)" "${in_ns[*]} $berth --root $work/berth run --rm localhost/busybox true" \
        -n "berth run --rm --network none" "${in_ns[*]} $berth --root $work/berth run --rm --network none localhost/busybox true" \
        -n "podman run --rm (bridge)" "${in_ns[*]} ${podman_cmd[*]} run --rm --ulimit nofile=20000:20000 --ulimit nproc=1000:1000 localhost/busybox true" >&2
cat "$out.md"
jq -r '.results | (map(select(.command == "berth run --rm (bridge)")) | .[0].mean) as $b |
        (map(select(.command == "berth run --rm --network none")) | .[0].mean) as $n |
        (map(select(.command == "podman run --rm (bridge)")) | .[0].mean) as $p |
        "\nbridge/podman = \($b / $p * 100 | round / 100)x (target <= 0.1), bridge - none = \(($b - $n) * 100000 | round / 100) ms (target <= 3)"' \
        "$out.json" | tee -a "$out.md"

# Leaks: CYCLES run --rm -p, then what is left.
start=$(date +%s.%N)
for _ in $(seq "$cycles"); do
        b run --rm -p 18080:80 localhost/busybox true
done
end=$(date +%s.%N)
veths=$(ip -n "$ns" -o link show master berth0 2>/dev/null | grep -c . || true)
elements=$( (ip netns exec "$ns" nft list map ip berth ports_any | grep -o ' : [0-9]' || true) | wc -l)
leases=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from network_leases").fetchone()[0])' \
        "$work/berth/berth.db")
printf '\n%s cycles of run --rm -p 18080:80: %.1f ms each; left behind: %s veths, %s map elements, %s leased addresses\n' \
        "$cycles" "$(echo "($end - $start) * 1000 / $cycles" | bc -l)" "$veths" "$elements" "$leases" | tee -a "$out.md"
