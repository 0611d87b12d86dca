#!/usr/bin/env bash
# berth build against buildah (podman build), in one hyperfine run per case, on the same Dockerfile and
# context: a two-stage build of 20 instructions over busybox (RUNs that write files, COPY of a 200-file
# source tree, ENV/LABEL/WORKDIR/EXPOSE, COPY --from into a second stage).
#   cold:    both with --no-cache                      target (issue 12): <= 0.5x buildah
#   rebuild: nothing changed, both with their cache    target: <= 0.1x buildah and < 100 ms
#   change:  one source file changed before each run   target: <= 0.5x buildah
# Not the issue's workload (a C program compiled by gcc in a debian stage): this machine's test images have
# no compiler; the steps here are what a build spends besides the compiler. podman as in engine-run.sh
# (cgroupfs, runc: crun refuses this hybrid host).
#   bench/build.sh [--runs N]
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs=10
while [ $# -gt 0 ]; do
        case $1 in
        --runs) runs=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
        esac
done
bench_need hyperfine podman jq
[ -e "$images/busybox.docker.tar" ] || "$top/../shared/images/make-images.sh" "$images" busybox >&2

work=$(mktemp -d /tmp/berth-bench-build.XXXXXX)
podman_cmd=(podman --root "$work/podman" --runroot "$work/podman-run" --cgroup-manager cgroupfs --events-backend none --runtime runc)
cleanup() {
        set +e
        "$berth" --root "$work/berth" ps -aq --no-trunc 2>/dev/null | xargs -r "$berth" --root "$work/berth" rm -f >/dev/null 2>&1
        "${podman_cmd[@]}" system reset -f >/dev/null 2>&1
        findmnt -rn -o TARGET | grep "^$work/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
        for _ in $(seq 100); do pgrep -f -- "$work" >/dev/null || break; sleep 0.1; done
        rm -rf "$work"
}
trap cleanup EXIT

"$berth" --root "$work/berth" load -q -i "$images/busybox.docker.tar" >/dev/null
"${podman_cmd[@]}" load -q -i "$images/busybox.docker.tar" >/dev/null
ctx=$work/ctx
mkdir -p "$ctx/src"
for i in $(seq 200); do head -c $((i * 37)) /dev/urandom | base64 > "$ctx/src/file$i.txt"; done
cat > "$ctx/Dockerfile" <<'EOF'
FROM localhost/busybox AS build
ENV APP=/app MODE=release
WORKDIR /app
LABEL stage=build
RUN mkdir -p out && for i in $(seq 50); do echo "generated $i" > out/gen$i; done
COPY src/ /app/src/
RUN cat /app/src/* | wc -c > /app/out/size && find /app/src -type f | wc -l > /app/out/count
RUN tar -cf /app/out/src.tar -C /app src
ARG VERSION=1.0
RUN echo "$VERSION" > /app/out/version

FROM localhost/busybox
ENV APP=/app
WORKDIR /app
COPY --from=build /app/out/ /app/
RUN ls /app > /app/listing
EXPOSE 8080
USER 1000
LABEL org.example.version=1.0
CMD ["cat", "/app/listing"]
EOF
B="$berth --root $work/berth build -q -t bench/app $ctx"
P="${podman_cmd[*]} build -q --network none -t bench/app $ctx"
results=$here/results
mkdir -p "$results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
ratio() {  # FILE
        jq -r '.results | "berth \(.[0].mean * 1000 | round) ms, buildah \(.[1].mean * 1000 | round) ms: \(.[0].mean / .[1].mean * 100 | round / 100)x"' "$1"
}
for case in cold rebuild change; do
        out=$results/build-$case-$stamp
        case $case in
        cold) hyperfine -N --warmup 1 --runs "$runs" --export-json "$out.json" --export-markdown "$out.md" \
                -n "berth build --no-cache" "$B --no-cache" -n "podman build --no-cache" "$P --no-cache" >&2 ;;
        rebuild) $B >/dev/null; $P >/dev/null
                hyperfine -N --warmup 2 --runs "$runs" --export-json "$out.json" --export-markdown "$out.md" \
                -n "berth build (cached)" "$B" -n "podman build (cached)" "$P" >&2 ;;
        change) hyperfine --warmup 1 --runs "$runs" --export-json "$out.json" --export-markdown "$out.md" \
                --prepare "head -c 100 /dev/urandom | base64 > $ctx/src/file7.txt" \
                -n "berth build (one file changed)" "$B" -n "podman build (one file changed)" "$P" >&2 ;;
        esac
        echo "$case: $(ratio "$out.json")" | tee -a "$results/build-$stamp.txt"
done
