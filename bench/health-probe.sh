#!/usr/bin/env bash
# What one health probe costs: a container with `--health-interval 1s` for N probes; the CPU time of every
# probe process (the monitor's reaped children: `berth container healthcheck` and the process it execs into
# the container, read from the monitor's cutime+cstime in /proc/PID/stat), per probe; the monitor's RSS with
# and without a health check; and the wall time of one probe (Start..End in State.Health.Log).
# podman is measured the same way when it is installed (its probe is `podman healthcheck run`, started by
# a systemd timer or, here, by hand).
#
#   bench/health-probe.sh [--probes N]
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
probes=10
while [ $# -gt 0 ]; do
        case $1 in
        --probes) probes=$2; shift 2 ;;
        *) echo "usage: $0 [--probes N]" >&2; exit 2 ;;
        esac
done
bench_built "$berth"
[ -e "$images/busybox.docker.tar" ] || "$top/../shared/images/make-images.sh" "$images" busybox >&2
work=$(mktemp -d /tmp/berth-bench-health.XXXXXX)
b() { "$berth" --root "$work/root" "$@"; }
p=(podman --root "$work/podman" --runroot "$work/podman-run" --cgroup-manager cgroupfs --events-backend none --runtime runc)
cleanup() {
        set +e
        b ps -aq --no-trunc 2>/dev/null | xargs -r "$berth" --root "$work/root" rm -f >/dev/null 2>&1
        if command -v podman >/dev/null; then
                "${p[@]}" rm -af -t 0 >/dev/null 2>&1
                "${p[@]}" system reset -f >/dev/null 2>&1
        fi
        findmnt -rn -o TARGET | grep "^$work/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
        for _ in $(seq 100); do pgrep -f -- "$work" >/dev/null || break; sleep 0.1; done
        rm -rf "$work"
}
trap cleanup EXIT
"$build/src/cli/berth/berth-full" --root "$work/root" load -q -i "$images/busybox.docker.tar" >/dev/null
b tag localhost/busybox busybox

ticks=$(getconf CLK_TCK)
children_cpu_ms() {  # PID: cutime + cstime of PID, in ms
        awk -v t="$ticks" '{ sub(/.*\) /, ""); print ($14 + $15) * 1000 / t }' "/proc/$1/stat"
}
monitor_of() {
        ps -o ppid= -p "$(b inspect -f '{{.State.Pid}}' "$1")" | tr -d ' '
}

b run -d --name plain busybox sleep 1000 >/dev/null
b run -d --name checked --health-cmd 'echo x >> /tmp/probes' --health-interval 1s busybox sleep 1000 >/dev/null
mon=$(monitor_of checked)
before=$(children_cpu_ms "$mon")
n0=$(b exec checked sh -c 'cat /tmp/probes 2>/dev/null | wc -l')
sleep "$probes"
after=$(children_cpu_ms "$mon")
n1=$(b exec checked sh -c 'wc -l < /tmp/probes')
count=$((n1 - n0))
echo "berth: $count probes, CPU of the probe processes $(awk -v a="$before" -v b="$after" -v n="$count" 'BEGIN { printf "%.1f ms per probe", (b - a) / n }')"
echo "berth: wall time of one probe (State.Health.Log, ms):" \
        "$(b inspect -f '{{json .State.Health.Log}}' checked | jq -r '.[] | "\(.Start) \(.End)"' |
           while read -r s e; do echo $(( ($(date -d "$e" +%s%N) - $(date -d "$s" +%s%N)) / 1000000 )); done | xargs)"
echo "berth: monitor RSS without / with a health check: $(grep VmRSS "/proc/$(monitor_of plain)/status" | awk '{print $2}') kB /" \
        "$(grep VmRSS "/proc/$mon/status" | awk '{print $2}') kB"
echo "berth: the container's own cgroup CPU is charged only for the probe command it runs (exec joins its cgroup)"

if command -v podman >/dev/null; then
        "${p[@]}" load -q -i "$images/busybox.docker.tar" >/dev/null 2>&1 || true
        "${p[@]}" run -d --network none --ulimit nofile=20000:20000 --ulimit nproc=1000:1000 --name checked --health-cmd 'echo x >> /tmp/probes' --health-interval 0 localhost/busybox sleep 1000 >/dev/null
        start=$(awk '{print $14 + $15 + $16 + $17}' /proc/self/stat)
        t0=$(date +%s%N)
        for _ in $(seq "$probes"); do "${p[@]}" healthcheck run checked >/dev/null || true; done
        t1=$(date +%s%N)
        echo "podman: $probes probes by 'podman healthcheck run' (what its systemd timer starts): $(( (t1 - t0) / probes / 1000000 )) ms wall each"
        /usr/bin/time -f "podman: one probe: %U s user + %S s system, max RSS %M kB" "${p[@]}" healthcheck run checked >/dev/null || true
fi
