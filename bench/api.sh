#!/usr/bin/env bash
# The Docker API service (issue 13), in two hyperfine runs, the docker CLI driving each service:
#   1. `docker run --rm --network none localhost/busybox true` through berth's socket, against `berth run --rm` of the
#      same container (what the service adds) and through `podman system service`.
#      Targets: the service adds <= 2 ms over berth run; <= 0.1x podman's service.
#   2. `docker ps -a` with 100 containers (created, not started: the list is what is measured) on each
#      service. Target: <= 0.2x podman's service.
#
#   bench/api.sh [--runs N]
#
# podman as in engine-run.sh: cgroupfs, runc, events off (this host's limits); both services on sockets of
# their own in a scratch directory, stopped and removed at the end. Results: markdown on stdout and in
# bench/results/.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs=30
while [ $# -gt 0 ]; do
        case $1 in
        --runs) runs=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
        esac
done

docker=$(command -v docker || echo /usr/local/bin/docker)
bench_need hyperfine podman jq
bench_built "$berth" "$docker"
[ -e "$images/busybox.docker.tar" ] || "$top/../shared/images/make-images.sh" "$images" busybox >&2

work=$(mktemp -d /tmp/berth-bench-api.XXXXXX)
podman_cmd=(podman --root "$work/podman" --runroot "$work/podman-run" --cgroup-manager cgroupfs --events-backend none --runtime runc)
berth_cmd=("$berth" --root "$work/berth")
berth_pid= podman_pid=
cleanup() {
        set +e # a clean-up step that finds nothing to do must not stop the ones after it
        [ -n "$berth_pid" ] && kill "$berth_pid" 2>/dev/null && wait "$berth_pid" 2>/dev/null
        [ -n "$podman_pid" ] && kill "$podman_pid" 2>/dev/null && wait "$podman_pid" 2>/dev/null
        "${berth_cmd[@]}" ps -aq --no-trunc 2>/dev/null | xargs -r "${berth_cmd[@]}" rm -f >/dev/null 2>&1
        "${podman_cmd[@]}" rm -af >/dev/null 2>&1
        "${podman_cmd[@]}" system reset -f >/dev/null 2>&1
        findmnt -rn -o TARGET | grep "^$work/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
        for _ in $(seq 100); do pgrep -f -- "$work" >/dev/null || break; sleep 0.1; done
        rm -rf "$work"
}
trap cleanup EXIT

"${berth_cmd[@]}" load -q -i "$images/busybox.docker.tar" >/dev/null
"${podman_cmd[@]}" load -q -i "$images/busybox.docker.tar" >/dev/null
mkdir -p "$work/docker-config"
"${berth_cmd[@]}" system service --time=0 "unix://$work/berth.sock" 2> "$work/berth-service.log" &
berth_pid=$!
"${podman_cmd[@]}" system service --time=0 "unix://$work/podman.sock" 2> "$work/podman-service.log" &
podman_pid=$!
for _ in $(seq 200); do [ -S "$work/berth.sock" ] && [ -S "$work/podman.sock" ] && break; sleep 0.05; done
# podman's containers need limits this host can grant (engine-run.sh); every run gets the same ones.
limits="--ulimit nofile=20000:20000 --ulimit nproc=1000:1000"
dk_berth="$docker --config $work/docker-config -H unix://$work/berth.sock"
dk_podman="$docker --config $work/docker-config -H unix://$work/podman.sock"
# Each answers before the clock starts (the CLI's version negotiation is part of every measured command).
$dk_berth version >/dev/null
$dk_podman version >/dev/null

results=$here/results
mkdir -p "$results"
out=$results/api-$(date -u +%Y%m%dT%H%M%SZ)
hyperfine -N --warmup 3 --runs "$runs" --export-json "$out-run.json" --export-markdown "$out-run.md" \
        -n "berth run --rm" "${berth_cmd[*]} run --rm $limits --network none localhost/busybox true" \
        -n "docker run --rm (berth's service)" "$dk_berth run --rm $limits --network none localhost/busybox true" \
        -n "docker run --rm (podman's service)" "$dk_podman run --rm $limits --network none localhost/busybox true" \
        -n "docker version (berth's service: the CLI's own cost)" "$dk_berth version" >&2

for i in $(seq 100); do
        $dk_berth create --network none --name "c$i" localhost/busybox true >/dev/null
        $dk_podman create --network none --name "c$i" localhost/busybox true >/dev/null
done
hyperfine -N --warmup 3 --runs "$runs" --export-json "$out-ps.json" --export-markdown "$out-ps.md" \
        -n "docker ps -a, 100 containers (berth's service)" "$dk_berth ps -a" \
        -n "docker ps -a, 100 containers (podman's service)" "$dk_podman ps -a" >&2

cat "$out-run.md" "$out-ps.md" > "$out.md"
{
        jq -r '.results | (map(select(.command == "berth run --rm")) | .[0].mean) as $direct |
                (map(select(.command == "docker run --rm (berth'"'"'s service)")) | .[0].mean) as $b |
                (map(select(.command == "docker run --rm (podman'"'"'s service)")) | .[0].mean) as $p |
                (map(select(.command | startswith("docker version"))) | .[0].mean) as $cli |
                "\nrun --rm: berth service/podman service = \($b / $p * 100 | round / 100)x (target <= 0.1); docker run through the service takes \(($b - $direct) * 10000 | round / 10) ms more than berth run, of which the docker CLI itself (docker version: its start, /_ping, /version) takes \($cli * 10000 | round / 10) ms: the service adds \(($b - $direct - $cli) * 10000 | round / 10) ms (target <= 2)"' "$out-run.json"
        jq -r '.results | (.[0].mean / .[1].mean) as $r | "ps -a, 100 containers: berth service/podman service = \($r * 100 | round / 100)x (target <= 0.2)"' "$out-ps.json"
} | tee -a "$out.md"
