#!/usr/bin/env bash
# What seccomp costs a container start: Docker's default profile (as `berth-runtime spec` writes it) compiled
# by libseccomp vs taken from the compiled-filter cache, in-process (tests/helpers/seccomp-driver: parse +
# prepare, N times), then end to end (`berth-runtime run` of /bin/true: cache cold, cache warm, no seccomp).
#
#   bench/seccomp-compile.sh [-n N] [--runs R]      N driver iterations (1000), R hyperfine runs (100)
#
# Results: a markdown report on stdout and in bench/results/seccomp-compile-<time>.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
iterations=1000
runs=100
while [ $# -gt 0 ]; do
        case $1 in
        -n) iterations=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        *) echo "usage: $0 [-n N] [--runs R]" >&2; exit 2 ;;
        esac
done

build=${BERTH_BUILD:-$top/build}
driver=$build/tests/unit/seccomp-driver
berth=$build/src/cli/berth-runtime
for f in "$driver" "$berth"; do
        [ -x "$f" ] || { echo "build first: $f missing" >&2; exit 1; }
done
for tool in hyperfine jq busybox; do
        command -v "$tool" >/dev/null || { echo "$tool missing: run scripts/install-deps.sh" >&2; exit 1; }
done

work=$(mktemp -d /tmp/berth-seccomp-bench.XXXXXX)
cleanup() {
        set +e # a clean-up step that finds nothing to do must not stop the ones after it
        local id
        for id in $(ls "$work/state" 2>/dev/null); do
                "$berth" --root "$work/state" delete -f "$id" >/dev/null 2>&1 || true
        done
        rm -rf "$work"
}
trap cleanup EXIT

# In-process: parse + prepare, without and with the cache.
"$driver" default > "$work/default.json"
driver_out=$("$driver" bench -n "$iterations" --cache "$work/cache" "$work/default.json")

# End to end: a busybox bundle with berth-runtime's default spec (Docker's profile), and the same without
# linux.seccomp.
for b in seccomp noseccomp; do
        mkdir -p "$work/$b/rootfs/bin"
        cp "$(command -v busybox)" "$work/$b/rootfs/bin/busybox"
        ln -s busybox "$work/$b/rootfs/bin/true"
        "$berth" spec --bundle "$work/$b"
done
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$work/seccomp/config.json" > "$work/c.json"
mv "$work/c.json" "$work/seccomp/config.json"
jq 'del(.linux.seccomp)' "$work/seccomp/config.json" > "$work/noseccomp/config.json"
mkdir -p "$work/state"
run="$berth --root $work/state run --bundle"
# berth-runtime keeps the cache under its state root; removing it before each run makes every start compile.
hyperfine -N -w 5 -r "$runs" --export-json "$work/hf.json" \
        --prepare "find $work/state -type f -regextype egrep -regex '.*/[0-9a-f]{64}' -delete" \
        -n "cache cold (compile every start)" "$run $work/seccomp c" \
        >/dev/null
hyperfine -N -w 5 -r "$runs" --export-json "$work/hf2.json" \
        -n "cache warm" "$run $work/seccomp c" \
        -n "no seccomp" "$run $work/noseccomp c" \
        >/dev/null

row() {  # row HYPERFINE_JSON
        jq -r '.results[] | "| \(.command) | \(.mean * 1000 | . * 100 | round / 100) ms | \(.stddev * 1000 | . * 100 | round / 100) ms | \(.min * 1000 | . * 100 | round / 100) ms |"' "$1"
}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
report=$top/bench/results/seccomp-compile-$stamp.md
mkdir -p "$top/bench/results"
{
        echo "# seccomp: compile vs cache ($stamp, $(uname -r), $(nproc) CPUs)"
        echo
        echo "Docker's default profile as \`berth-runtime spec\` writes it; libseccomp $(pkg-config --modversion libseccomp 2>/dev/null || echo '?')."
        echo
        echo "In-process, parse + prepare ($iterations iterations each):"
        echo
        echo '```'
        echo "$driver_out"
        echo '```'
        echo
        echo "End to end, \`berth-runtime run\` of /bin/true ($runs runs each):"
        echo
        echo "| variant | mean | σ | min |"
        echo "| --- | --- | --- | --- |"
        row "$work/hf.json"
        row "$work/hf2.json"
} | tee "$report"
