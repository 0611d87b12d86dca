# Sourced first by the benchmarks of bench/: where they are (here, top), the build they measure (build,
# berth: BERTH_BUILD or build/), the test images (images: BERTH_IMAGES or ~/.cache/berth-images), and the
# checks every one of them starts with.
here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
top=$(dirname "$here")
build=${BERTH_BUILD:-$top/build}
berth=$build/src/cli/berth/berth
images=${BERTH_IMAGES:-$HOME/.cache/berth-images}

# bench_need TOOL...: each on PATH, else the benchmark stops saying which is missing.
bench_need() {
        local tool
        for tool in "$@"; do
                command -v "$tool" >/dev/null || { echo "$tool missing" >&2; exit 1; }
        done
}

# bench_built FILE...: each built and executable.
bench_built() {
        local f
        for f in "$@"; do
                [ -x "$f" ] || { echo "build first: $f missing" >&2; exit 1; }
        done
}
