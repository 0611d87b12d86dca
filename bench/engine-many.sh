#!/usr/bin/env bash
# 100 detached `sleep` containers, berth against podman: the time to start them (one after the other), the
# memory they add (the proportional set size of every process per container: the monitor or conmon and the
# container's sleep; and the host's MemAvailable before and after), and the monitor's RSS against conmon's
# (target <= 0.5x).
#
#   bench/engine-many.sh [--count N]
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
count=100
while [ $# -gt 0 ]; do
        case $1 in
        --count) count=$2; shift 2 ;;
        *) echo "usage: $0 [--count N]" >&2; exit 2 ;;
        esac
done

bench_built "$berth"
[ -e "$images/busybox.docker.tar" ] || "$top/../shared/images/make-images.sh" "$images" busybox >&2

work=$(mktemp -d /tmp/berth-bench-many.XXXXXX)
podman_cmd=(podman --root "$work/podman" --runroot "$work/podman-run" --cgroup-manager cgroupfs --events-backend none --runtime runc)
cleanup() {
        set +e # a clean-up step that finds nothing to do must not stop the ones after it
        "$berth" --root "$work/berth" ps -aq --no-trunc 2>/dev/null | xargs -r "$berth" --root "$work/berth" rm -f >/dev/null 2>&1 || true
        "${podman_cmd[@]}" rm -af -t 0 >/dev/null 2>&1 || true
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

mem_available_kb() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }
# Sum of Pss (kB) and of Rss (kB) over pids.
pss_sum() { local p s=0; for p in "$@"; do s=$((s + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0))); done; echo $s; }
rss_of() { local p; for p in "$@"; do awk '/^VmRSS:/ {print $2}' "/proc/$p/status"; done; }

measure() {  # NAME START_COMMAND... ; fills $name.* results
        local name=$1 before after start end
        shift
        sync; echo 1 > /proc/sys/vm/drop_caches 2>/dev/null || true
        before=$(mem_available_kb)
        start=$(date +%s%N)
        for i in $(seq "$count"); do "$@" >/dev/null; done
        end=$(date +%s%N)
        sleep 2
        after=$(mem_available_kb)
        echo "$name $(( (end - start) / 1000000 )) $(( before - after ))"
}

berth_line=$(measure berth "$berth" --root "$work/berth" run -d --network none localhost/busybox sleep 100000)
monitors=$(pgrep -f "berth-monitor.*$work/berth" | tr '\n' ' ')
sleeps_b=$(for m in $monitors; do pgrep -P "$m"; done | tr '\n' ' ')
berth_pss=$(pss_sum $monitors $sleeps_b)
monitor_rss=$(rss_of $monitors | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
"$berth" --root "$work/berth" ps -aq --no-trunc | xargs -r "$berth" --root "$work/berth" rm -f >/dev/null

podman_line=$(measure podman "${podman_cmd[@]}" run -d --network none --ulimit nofile=20000:20000 --ulimit nproc=1000:1000 localhost/busybox sleep 100000)
conmons=$(pgrep -f "conmon.*$work/podman" | tr '\n' ' ')
sleeps_p=$(for m in $conmons; do pgrep -P "$m"; done | tr '\n' ' ')
podman_pss=$(pss_sum $conmons $sleeps_p)
conmon_rss=$(rss_of $conmons | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

results=$here/results
mkdir -p "$results"
out=$results/engine-many-$(date -u +%Y%m%dT%H%M%SZ).md
{
        echo "$count detached sleep containers, started one after the other"
        echo
        echo "| engine | start all (ms) | per container (ms) | PSS of monitors + sleeps (MiB) | MemAvailable drop (MiB) | per-container monitor RSS (kB, median) |"
        echo "| --- | --- | --- | --- | --- | --- |"
        read -r n t m <<< "$berth_line"
        echo "| berth | $t | $((t / count)) | $((berth_pss / 1024)) | $((m / 1024)) | $monitor_rss (berth-monitor) |"
        read -r n t2 m2 <<< "$podman_line"
        echo "| podman | $t2 | $((t2 / count)) | $((podman_pss / 1024)) | $((m2 / 1024)) | $conmon_rss (conmon) |"
        echo
        echo "monitor RSS / conmon RSS = $(awk -v a="$monitor_rss" -v b="$conmon_rss" 'BEGIN {printf "%.2f", a / b}')x (target <= 0.5)"
        echo "start time berth / podman = $(awk -v a="$t" -v b="$t2" 'BEGIN {printf "%.2f", a / b}')x"
} | tee "$out"
