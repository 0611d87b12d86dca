#!/usr/bin/env bash
# The whole test suite, as CI runs it (as root, on a fresh clone, no network but Debian's mirror):
#   1. installs what the build and the tests need (scripts/install-deps.sh)
#   2. builds twice: build/ (release, what the system tests and benchmarks use) and build-asan/
#      (ASan + UBSan, for the unit tests and a sanitizer pass of the runtime's system tests)
#   3. unit tests (cmocka) under ASan/UBSan, then the fuzz harnesses (tests/fuzz) for a short fixed time
#   4. system tests (bats) on this host, then the cgroup v2 suites in a cgroup v2-only VM
# The last line is "N passed, M failed, K skipped"; every skip is listed with its reason.
#   tests/run.sh [--quick] [SUITE.bats...]   --quick: no VM, no sanitizer system pass
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
top=$PWD
# The project's shared tools (test images, the cgroup v2 VM) sit beside the repository on the development
# machines. A clone made elsewhere (CI clones into a scratch directory) finds them beside the repository it
# was cloned from, else at /work/shared. BERTH_SHARED overrides all of these.
find_shared() {
        local origin
        if [ -n "${BERTH_SHARED:-}" ]; then
                echo "$BERTH_SHARED"
                return
        fi
        origin=$(git -C "$top" config --get remote.origin.url 2>/dev/null || true)
        for dir in "$top/../shared" "${origin:+$origin/../shared}" /work/shared; do
                if [ -n "$dir" ] && [ -d "$dir/vm" ] && [ -d "$dir/images" ]; then
                        (cd "$dir" && pwd)
                        return
                fi
        done
        echo "$top/../shared"
}
shared=$(find_shared)
export BERTH_SHARED=$shared
quick=
suites=()
for arg in "$@"; do
        case $arg in
        --quick) quick=1 ;;
        *) suites+=("$arg") ;;
        esac
done

passed=0
failed=0
skipped=0
started=$SECONDS
phase_started=$SECONDS
report() {  # report PASSED FAILED WHAT [SKIPPED]
        local skip=${4:-0}
        passed=$((passed + $1))
        failed=$((failed + $2))
        skipped=$((skipped + skip))
        printf '== %s: %d passed, %d failed, %d skipped (%ds)\n' "$3" "$1" "$2" "$skip" $((SECONDS - phase_started))
        phase_started=$SECONDS
}

# TAP from bats: "ok N name # skip REASON" is a skip (counted apart and printed with its reason), other
# "ok" lines pass, "not ok" lines fail.
count_tap() {  # count_tap FILE WHAT
        local ok notok skip
        skip=$(grep -cE '^ok [0-9]+ .*# skip' "$1" || true)
        ok=$(grep -c '^ok ' "$1" || true)
        notok=$(grep -c '^not ok ' "$1" || true)
        report $((ok - skip)) "$notok" "$2" "$skip"
        grep -E '^ok [0-9]+ .*# skip' "$1" | sed -E 's/^ok [0-9]+ /   skipped: /'
}

scripts/install-deps.sh || { echo "install-deps failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

build() {  # build DIR [meson options...]
        local dir=$1
        shift
        if [ ! -f "$dir/build.ninja" ]; then
                meson setup "$dir" "$@" >/dev/null || return 1
        fi
        ninja -C "$dir" >/dev/null || { ninja -C "$dir" | tail -30; return 1; }
}

if ! build build --buildtype=release; then
        echo "build failed"
        echo "0 passed, 1 failed, 0 skipped"
        exit 1
fi
if ! build build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false; then
        report 0 1 "sanitizer build"
fi

logs=$top/build/test-logs
rm -rf "$logs"
mkdir -p "$logs"

# Static checks of the tree: the layering of docs/architecture.md.
if tests/lint/layers.sh > "$logs/lint-layers.log" 2>&1; then
        report 1 0 "lint: layers"
else
        report 0 1 "lint: layers"
        head -30 "$logs/lint-layers.log"
fi

# Unit tests, under the sanitizers: any ASan/UBSan report fails the test.
if [ -d build-asan ]; then
        export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
        meson test -C build-asan --no-rebuild --print-errorlogs > "$logs/unit.log" 2>&1
        ok=$(grep -cE '^ *[0-9]+/[0-9]+ .* OK ' "$logs/unit.log" || true)
        bad=$(grep -cE '^ *[0-9]+/[0-9]+ .* (FAIL|ERROR|TIMEOUT) ' "$logs/unit.log" || true)
        skip=$(grep -cE '^ *[0-9]+/[0-9]+ .* SKIP ' "$logs/unit.log" || true)
        report "$ok" "$bad" "unit tests (ASan+UBSan)" "$skip"
        [ "$bad" -eq 0 ] || grep -E 'FAIL|ERROR|TIMEOUT' "$logs/unit.log" | head -20
        unset ASAN_OPTIONS UBSAN_OPTIONS
fi

# ---- fuzzing (issue 15, docs/fuzzing.md) ------------------------------------------------------------------
# Each libFuzzer harness of tests/fuzz replays its stored crash reproducers, then fuzzes for a fixed time
# (BERTH_FUZZ_SECONDS, 20 s: about 5 min for the thirteen). One test per harness. Built with clang in build-fuzz/.
# Skipped when suites are named (a developer's run of one suite).
if [ ${#suites[@]} -eq 0 ]; then
        fuzz_seconds=${BERTH_FUZZ_SECONDS:-20}
        scripts/fuzz.sh --time "$fuzz_seconds" > "$logs/fuzz.log" 2>&1
        ok=$(grep -cE '^fuzz [a-z_]+: ok' "$logs/fuzz.log" || true)
        bad=$(grep -cE '^fuzz [a-z_]+: FAILED' "$logs/fuzz.log" || true)
        if [ "$ok" -eq 0 ] && [ "$bad" -eq 0 ]; then
                bad=1  # the build failed: no harness ran
        fi
        report "$ok" "$bad" "fuzzing (libFuzzer, ${fuzz_seconds} s per harness)"
        grep -vE '^fuzz [a-z_]+: ok' "$logs/fuzz.log" | head -30
fi
# ---- end of fuzzing -----------------------------------------------------------------------------------------

# Test images (shared/images): built once, cached in ~/.cache/berth-images.
export BERTH_IMAGES=${BERTH_IMAGES:-$HOME/.cache/berth-images}
if [ -x "$shared/images/make-images.sh" ]; then
        "$shared/images/make-images.sh" "$BERTH_IMAGES" > "$logs/images.log" 2>&1 ||
                echo "warning: make-images.sh failed (see $logs/images.log); image tests will fail"
else
        echo "warning: $shared/images/make-images.sh not found (set BERTH_SHARED); image tests use $BERTH_IMAGES as it is"
fi

if [ ${#suites[@]} -eq 0 ]; then
        mapfile -t suites < <(ls tests/system/*.bats)
fi
phase_started=$SECONDS

export BERTH_BUILD=$top/build
for suite in "${suites[@]}"; do
        name=$(basename "$suite" .bats)
        bats --tap "$suite" > "$logs/$name.tap" 2>&1
        count_tap "$logs/$name.tap" "system: $name"
        grep -A20 '^not ok' "$logs/$name.tap" | head -100
done

if [ -z "$quick" ]; then
        # The runtime's and the engine's main system tests once more with the sanitizer build: memory errors
        # and leaks in the programs themselves (not only in unit-tested parsers) fail CI.
        if [ -x build-asan/src/cli/berth-runtime ]; then
                export ASAN_OPTIONS=abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
                for suite in tests/system/runtime-lifecycle.bats tests/system/runtime-exec.bats \
                        tests/system/engine.bats tests/system/engine-commands.bats tests/system/build.bats; do
                        name=$(basename "$suite" .bats)
                        BERTH_BUILD=$top/build-asan bats --tap "$suite" > "$logs/asan-$name.tap" 2>&1
                        count_tap "$logs/asan-$name.tap" "system (ASan+UBSan): $name"
                        grep -A8 '^not ok' "$logs/asan-$name.tap" | head -40
                done
                unset ASAN_OPTIONS UBSAN_OPTIONS
        fi
        # cgroup v2: the suites that touch cgroups, in a VM whose only hierarchy is cgroup2. Missing the VM
        # is a failure, not a skip: these suites are the only check of the v2 code paths.
        if [ ! -x "$shared/vm/vm-run.sh" ]; then
                echo "== cgroup v2 VM: $shared/vm/vm-run.sh not found (set BERTH_SHARED): not run"
                report 0 1 "cgroup v2 VM"
        else
                while read -r suite; do
                        [ -n "$suite" ] && [ "${suite#\#}" = "$suite" ] || continue
                        name=$(basename "$suite" .bats)
                        # A VM whose kernel died while booting (seen on a loaded host: "IO-APIC + timer doesn't
                        # work" under software emulation) ran nothing: boot it once more. A suite that ran is
                        # never retried.
                        for attempt in 1 2; do
                                "$shared/vm/vm-run.sh" --timeout 1500 --tmpfs /var/lib/berth --env BERTH_BUILD="$top/build" \
                                        --env BERTH_IMAGES="$BERTH_IMAGES" -- bats --tap "$suite" > "$logs/v2-$name.tap" 2>&1
                                grep -q '^1\.\.' "$logs/v2-$name.tap" && break
                                grep -q 'Kernel panic' "$logs/v2-$name.tap" || break
                                echo "== cgroup v2 VM: $name: the VM's kernel panicked while booting (attempt $attempt)"
                        done
                        # A VM that ran no test at all is a failure, not an empty pass.
                        grep -q '^1\.\.' "$logs/v2-$name.tap" || echo "not ok 1 the VM ran no test: $(grep -m1 -E 'vm-run|panic' "$logs/v2-$name.tap")" >> "$logs/v2-$name.tap"
                        count_tap "$logs/v2-$name.tap" "cgroup v2 VM: $name"
                        grep -A8 '^not ok' "$logs/v2-$name.tap" | head -40
                done < tests/system/vm-suites.txt
        fi
fi

echo "total time: $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
