#!/usr/bin/env bash
# The container's /proc (docs/proc.md, issue 14), three measurements, each against its anchor in the same run:
#   1. reads of /proc/meminfo inside a container (--memory 256m): berth's view vs the host's kernel file
#      (target <= 3x) vs lxcfs's file bound the same way (Debian's lxcfs, target: berth's rate >= lxcfs's);
#      a static reader (open, read to EOF, close) loops --reads times (default 10,000) and says ns per read.
#   2. --containers containers (default 50) reading /proc/meminfo in a loop for --seconds (default 10):
#      the CPU time of the serving side (every berth-procview process / the lxcfs process), target <= 0.5x
#      lxcfs's.
#   3. `berth run --rm --network none busybox true` with and without the view, --runs times each (default
#      30), interleaved, medians: target <= 1 ms more.
#
#   bench/proc.sh [--reads N] [--containers N] [--seconds S] [--runs N] [--skip-lxcfs]
#
# Results: a markdown table on stdout. Long on a small machine: 50 containers busy-reading want many cores.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
reads=10000 containers=50 seconds=10 runs=30 lxcfs=1
while [ $# -gt 0 ]; do
        case $1 in
        --reads) reads=$2; shift 2 ;;
        --containers) containers=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --skip-lxcfs) lxcfs=; shift ;;
        *) echo "usage: $0 [--reads N] [--containers N] [--seconds S] [--runs N] [--skip-lxcfs]" >&2; exit 2 ;;
        esac
done

bench_need gcc bc
if [ -n "$lxcfs" ] && ! command -v lxcfs >/dev/null; then
        echo "lxcfs missing (apt-get install lxcfs, or --skip-lxcfs)" >&2
        exit 1
fi
[ -e /dev/fuse ] || { echo "no /dev/fuse: nothing to measure" >&2; exit 1; }
bench_built "$berth"
[ -e "$images/busybox.docker.tar" ] || "$top/../shared/images/make-images.sh" "$images" busybox >&2

work=$(mktemp -d /tmp/berth-bench-proc.XXXXXX)
lxcfs_pid=
b() { "$berth" --root "$work/berth" "$@"; }
cleanup() {
        set +e
        b ps -aq --no-trunc 2>/dev/null | xargs -r "$berth" --root "$work/berth" rm -f >/dev/null 2>&1
        [ -n "$lxcfs_pid" ] && kill "$lxcfs_pid" 2>/dev/null && wait "$lxcfs_pid" 2>/dev/null
        findmnt -rn -o TARGET | grep "^$work/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
        rm -rf "$work"
}
trap cleanup EXIT

# The reader: static, so that it runs in the busybox image.
cat > "$work/reader.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
        static char buf[65536];
        long n = atol(argv[2]);
        struct timespec a, z;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < n; i++) {
                int fd = open(argv[1], O_RDONLY);
                if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0) { perror(argv[1]); return 1; }
                while (read(fd, buf, sizeof(buf)) > 0)
                        ;
                close(fd);
        }
        clock_gettime(CLOCK_MONOTONIC, &z);
        printf("%.0f\n", ((z.tv_sec - a.tv_sec) * 1e9 + (z.tv_nsec - a.tv_nsec)) / n);
        return 0;
}
C
gcc -O2 -static -o "$work/reader" "$work/reader.c"
b load -q -i "$images/busybox.docker.tar" >/dev/null
if [ -n "$lxcfs" ]; then
        mkdir -p "$work/lxcfs"
        lxcfs "$work/lxcfs" >/dev/null 2>&1 &
        lxcfs_pid=$!
        for _ in $(seq 50); do [ -e "$work/lxcfs/proc/meminfo" ] && break; sleep 0.1; done
fi

# ---- 1. reads ----
view=$(b run -d --memory 256m -v "$work/reader:/reader:ro" localhost/busybox sleep 1000)
host_ns=$("$work/reader" /proc/meminfo "$reads")
view_ns=$(b exec "$view" /reader /proc/meminfo "$reads")
lxcfs_ns=-
if [ -n "$lxcfs" ]; then
        lx=$(b run -d --memory 256m --proc-view=false -v "$work/reader:/reader:ro" \
                -v "$work/lxcfs/proc/meminfo:/proc/meminfo:ro" localhost/busybox sleep 1000)
        lxcfs_ns=$(b exec "$lx" /reader /proc/meminfo "$reads")
        b rm -f "$lx" >/dev/null
fi
b rm -f "$view" >/dev/null

# ---- 2. many readers: the serving side's CPU ----
cpu_of() {  # clock ticks (utime + stime) of the given pids
        local t=0 pid
        for pid in "$@"; do
                [ -r "/proc/$pid/stat" ] && t=$((t + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
        done
        echo "$t"
}
loop='while :; do cat /proc/meminfo > /dev/null; done'
many() {  # many EXTRA_RUN_ARGS...: CPU ticks of the serving side over $seconds
        local ids=() i pids before after
        for i in $(seq "$containers"); do
                ids+=("$(b run -d --memory 256m "$@" localhost/busybox sh -c "$loop")")
        done
        # The store's berth-procview: its supervisor and worker (whichever is which after a restart).
        if [ "${1:-}" = --proc-view=false ]; then pids=$lxcfs_pid; else pids=$(pgrep -f -- "berth-procview .* $work/" | tr '\n' ' '); fi
        # shellcheck disable=SC2086
        before=$(cpu_of $pids)
        sleep "$seconds"
        # shellcheck disable=SC2086
        after=$(cpu_of $pids)
        b rm -f "${ids[@]}" >/dev/null
        echo $(((after - before) * 1000 / $(getconf CLK_TCK)))
}
view_cpu=$(many)
lxcfs_cpu=-
[ -n "$lxcfs" ] && lxcfs_cpu=$(many --proc-view=false -v "$work/lxcfs/proc/meminfo:/proc/meminfo:ro")

# ---- 3. run --rm ----
# Interleaved (with the view, without, with, ...), medians: on a shared machine a block of runs of one command
# meets another load than the next block (hyperfine runs blocks). Wall time, and the CPU time (user + system)
# of berth and what it waits for, which the machine's load changes less.
run_times() {  # FILE COMMAND...: appends "wall_ms cpu_ms"
        local out=$1 t
        shift
        t=$( { TIMEFORMAT='%3R %3U %3S'; time "$@" > /dev/null 2>&1; } 2>&1)
        awk '{printf "%.3f %.3f\n", $1 * 1000, ($2 + $3) * 1000}' <<< "$t" >> "$out"
}
median_of() {  # FILE COLUMN
        awk -v c="$2" '{print $c}' "$1" | sort -n |
                awk '{a[NR] = $1} END {printf "%.2f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
for _ in 1 2 3 4 5; do
        b run --rm --network none localhost/busybox true
        b run --rm --network none --proc-view=false localhost/busybox true
done > /dev/null
: > "$work/with"
: > "$work/without"
for _ in $(seq "$runs"); do
        run_times "$work/with" b run --rm --network none localhost/busybox true
        run_times "$work/without" b run --rm --network none --proc-view=false localhost/busybox true
done
with=$(median_of "$work/with" 1)
without=$(median_of "$work/without" 1)
with_cpu=$(median_of "$work/with" 2)
without_cpu=$(median_of "$work/without" 2)

ratio() { [ "$2" = - ] && echo - || echo "scale=2; $1 / $2" | bc; }
echo "| measurement | berth's view | anchor | ratio | target |"
echo "| --- | --- | --- | --- | --- |"
echo "| $reads reads of /proc/meminfo (ns per read) | $view_ns | host $host_ns, lxcfs $lxcfs_ns | $(ratio "$view_ns" "$host_ns")x host, $(ratio "$view_ns" "$lxcfs_ns")x lxcfs | <= 3x host, <= 1x lxcfs |"
echo "| $containers containers reading for $seconds s: serving CPU (ms) | $view_cpu | lxcfs $lxcfs_cpu | $(ratio "$view_cpu" "$lxcfs_cpu")x | <= 0.5x |"
printf '| run --rm --network none busybox true (ms, median of %s interleaved) | %.2f | %.2f without the view | %+.2f ms | <= +1 ms |\n' "$runs" "$with" "$without" "$(echo "$with - $without" | bc)"
printf '| the same: CPU time of berth and what it waits for (ms, median) | %.2f | %.2f without the view | %+.2f ms | |\n' "$with_cpu" "$without_cpu" "$(echo "$with_cpu - $without_cpu" | bc)"
