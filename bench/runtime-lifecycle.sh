#!/usr/bin/env bash
# Container create + start + delete of /bin/true, berth-runtime vs crun vs runc in one hyperfine run, with
# `unshare -fpimnu true` as the floor (the namespaces alone, no runtime at all), and peak RSS.
#
#   bench/runtime-lifecycle.sh [--runs N] [--variant default|seccomp-limits]
#
# default:         runc's default spec (what `runc spec` writes: namespaces, mounts, masked paths, a device
#                  cgroup; no seccomp), process /bin/true, no terminal.
# seccomp-limits:  the same plus Docker's default seccomp profile and a memory (256 MiB) + pids (128) limit.
#
# Debian's crun 1.8 refuses this hybrid cgroup host, so every runtime runs inside one `unshare -m` where
# /sys/fs/cgroup/unified is unmounted (a cgroup v1 view): all three in the same environment. berth and runc
# are also measured on the host as it is (hybrid), where crun cannot run.
# Results: a markdown table on stdout and in bench/results/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
runs=200
variant=default
while [ $# -gt 0 ]; do
        case $1 in
        --runs) runs=$2; shift 2 ;;
        --variant) variant=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--variant default|seccomp-limits]" >&2; exit 2 ;;
        esac
done

berth=${BERTH_RUNTIME_BIN:-$top/build/src/cli/berth-runtime}
[ -x "$berth" ] || { echo "build first: $berth missing" >&2; exit 1; }
for tool in hyperfine crun runc jq busybox; do
        command -v "$tool" >/dev/null || { echo "$tool missing: run scripts/install-deps.sh" >&2; exit 1; }
done

work=$(mktemp -d /tmp/berth-bench.XXXXXX)
cleanup() {
        set +e # a clean-up step that finds nothing to do must not stop the ones after it
        for rt in berth crun runc; do
                for id in $(ls "$work/state-$rt" 2>/dev/null); do
                        case $rt in berth) "$berth" --root "$work/state-$rt" delete -f "$id" ;; *) "$rt" --root "$work/state-$rt" delete -f "$id" ;; esac >/dev/null 2>&1 || true
                done
        done
        rm -rf "$work"
}
trap cleanup EXIT

# The bundle: a static busybox rootfs, the same config.json for every runtime.
bundle=$work/bundle
mkdir -p "$bundle/rootfs/bin"
cp "$(command -v busybox)" "$bundle/rootfs/bin/busybox"
ln -s busybox "$bundle/rootfs/bin/true"
ln -s busybox "$bundle/rootfs/bin/sh"
(cd "$bundle" && runc spec)
filter='.process.terminal = false | .process.args = ["/bin/true"]'
if [ "$variant" = seccomp-limits ]; then
        # Docker's default profile as berth-runtime spec writes it.
        mkdir "$work/spec" && "$berth" spec --bundle "$work/spec"
        jq --slurpfile s "$work/spec/config.json" \
                "$filter | .linux.seccomp = \$s[0].linux.seccomp | .linux.resources.memory = {\"limit\": 268435456} | .linux.resources.pids = {\"limit\": 128}" \
                "$bundle/config.json" > "$bundle/c.json"
else
        jq "$filter" "$bundle/config.json" > "$bundle/c.json"
fi
mv "$bundle/c.json" "$bundle/config.json"

# One lifecycle per invocation: create, start, delete -f (the process may still be running when delete
# comes: -f covers both cases, for every runtime alike).
cat > "$work/cycle.sh" <<'EOF'
#!/bin/sh
rt=$1 root=$2 bundle=$3 id=c$$
"$rt" --root "$root" create --bundle "$bundle" "$id" && "$rt" --root "$root" start "$id" && exec "$rt" --root "$root" delete -f "$id"
EOF
chmod +x "$work/cycle.sh"
mkdir -p "$work/state-berth" "$work/state-crun" "$work/state-runc"

results=$here/results
mkdir -p "$results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=$results/runtime-lifecycle-$variant-$stamp

inner=$(cat <<EOF
set -e
umount /sys/fs/cgroup/unified
hyperfine -N --warmup 20 --runs $runs --export-json $out-v1view.json \
  -n berth-runtime "$work/cycle.sh $berth $work/state-berth $bundle" \
  -n crun "$work/cycle.sh crun $work/state-crun $bundle" \
  -n runc "$work/cycle.sh runc $work/state-runc $bundle" \
  -n "floor: unshare -fpimnu true" "unshare -fpimnu true" >&2
EOF
)
unshare -m sh -c "$inner"
hyperfine -N --warmup 20 --runs "$runs" --export-json "$out-hybrid.json" \
        -n berth-runtime "$work/cycle.sh $berth $work/state-berth $bundle" \
        -n runc "$work/cycle.sh runc $work/state-runc $bundle" >&2

# Peak RSS: the largest of the create, start and delete processes of one lifecycle (GNU time's %M). The
# container's own process is not the runtime's and is not counted.
cat > "$work/rss.sh" <<'EOF'
#!/bin/bash
rt=$1 root=$2 bundle=$3 id=rss$$ max=0
for phase in create start delete; do
        case $phase in
        create) set -- create --bundle "$bundle" "$id" ;;
        start) set -- start "$id" ;;
        delete) set -- delete -f "$id" ;;
        esac
        /usr/bin/time -f %M -o "$root/.rss" "$rt" --root "$root" "$@" >/dev/null 2>&1
        kb=$(tail -1 "$root/.rss")
        [ "$kb" -gt "$max" ] && max=$kb
done
echo "$max"
EOF
chmod +x "$work/rss.sh"
rss_berth=$(unshare -m sh -c "umount /sys/fs/cgroup/unified; $work/rss.sh $berth $work/state-berth $bundle")
rss_crun=$(unshare -m sh -c "umount /sys/fs/cgroup/unified; $work/rss.sh crun $work/state-crun $bundle")
rss_runc=$("$work/rss.sh" runc "$work/state-runc" "$bundle")

mean() { jq -r ".results[] | select(.command == \"$2\") | .mean * 1000" "$1"; }
sd() { jq -r ".results[] | select(.command == \"$2\") | .stddev * 1000" "$1"; }
v1=$out-v1view.json
hy=$out-hybrid.json
b=$(mean "$v1" berth-runtime); c=$(mean "$v1" crun); r=$(mean "$v1" runc); f=$(mean "$v1" "floor: unshare -fpimnu true")
bh=$(mean "$hy" berth-runtime); rh=$(mean "$hy" runc)
{
        echo "### create + start + delete of /bin/true ($variant spec), $runs runs, $(date -u +%F)"
        echo
        echo "| runtime | mean (v1 view) | ± sd | vs crun | mean (hybrid host) | peak RSS |"
        echo "| --- | --- | --- | --- | --- | --- |"
        printf '| berth-runtime | %.2f ms | %.2f | %.2fx | %.2f ms | %s KiB |\n' "$b" "$(sd "$v1" berth-runtime)" "$(echo "$b / $c" | bc -l)" "$bh" "$rss_berth"
        printf '| crun %s | %.2f ms | %.2f | 1.00x | (refuses hybrid) | %s KiB |\n' "$(crun --version | head -1 | awk '{print $3}')" "$c" "$(sd "$v1" crun)" "$rss_crun"
        printf '| runc %s | %.2f ms | %.2f | %.2fx | %.2f ms | %s KiB |\n' "$(runc --version | head -1 | awk '{print $3}')" "$r" "$(sd "$v1" runc)" "$(echo "$r / $c" | bc -l)" "$rh" "$rss_runc"
        printf '| floor: unshare -fpimnu true | %.2f ms | %.2f | %.2fx | | |\n' "$f" "$(sd "$v1" "floor: unshare -fpimnu true")" "$(echo "$f / $c" | bc -l)"
} | tee "$out.md"
