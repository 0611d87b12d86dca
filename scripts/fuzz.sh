#!/usr/bin/env bash
# The libFuzzer harnesses of tests/fuzz (docs/fuzzing.md): builds them with clang in build-fuzz/ (ASan +
# UBSan + libFuzzer's coverage; the gcc builds are not touched), replays every stored reproducer
# (tests/fuzz/regressions/HARNESS/*) and fuzzes each harness for a fixed time.
#   scripts/fuzz.sh [--time SECONDS] [--keep-going] [--build-only] [--replay-only] [HARNESS...]
# --keep-going (long runs): libFuzzer's fork mode, which records every crash, hang and OOM and goes on.
# Per harness it prints one line, "fuzz HARNESS: ok|FAILED ...", with libFuzzer's figures; the exit status is
# the number of failed harnesses (capped at 100). New corpus entries go to build-fuzz/corpus/HARNESS (kept
# between runs), crashes to build-fuzz/artifacts/. Limits: 1 s per input, 512 MB of memory, leaks fail.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
top=$PWD
seconds=20
build_only=
replay_only=
keep_going=()
harnesses=()
while [ $# -gt 0 ]; do
        case $1 in
        --time) seconds=$2; shift ;;
        --build-only) build_only=1 ;;
        --keep-going) keep_going=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1) ;;
        --replay-only) replay_only=1 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) harnesses+=("$1") ;;
        esac
        shift
done
all=(spec seccomp resources manifest unpack copy_tar registry reference run_flags format changes dockerfile api)
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")

dir=$top/build-fuzz
if [ ! -f "$dir/build.ninja" ]; then
        CC=clang meson setup "$dir" --buildtype=debugoptimized -Dfuzzing=true -Db_sanitize=address,undefined \
                -Db_lundef=false -Dunit_tests=disabled >/dev/null || { echo "fuzz: meson setup failed (is clang installed?)"; exit 100; }
fi
targets=()
for h in "${harnesses[@]}"; do targets+=("tests/fuzz/fuzz_$h"); done
if ! ninja -C "$dir" "${targets[@]}" >/dev/null; then
        ninja -C "$dir" "${targets[@]}" | tail -30
        echo "fuzz: build failed"
        exit 100
fi
[ -z "$build_only" ] || exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# Leaks inside dependencies that berth cannot fix, each with its reproducer (tests/fuzz/lsan.supp).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/fuzz/lsan.supp:print_suppressions=0}
mkdir -p "$dir/artifacts" "$dir/logs"
failed=0
for h in "${harnesses[@]}"; do
        exe=$dir/tests/fuzz/fuzz_$h
        log=$dir/logs/$h.log
        dict=()
        case $h in
        spec|seccomp|resources|manifest|registry|format|api) dict=(-dict="$top/tests/fuzz/json.dict") ;;
        changes|dockerfile) dict=(-dict="$top/tests/fuzz/dockerfile.dict") ;;
        esac
        maxlen=16384
        limits=(-timeout=1 -rss_limit_mb=512 -malloc_limit_mb=512 -max_len=$maxlen)
        # fuzz_unpack and fuzz_copy_tar cap file sizes themselves (RLIMIT_FSIZE): a write past it is an error, not a crash.
        case $h in unpack|copy_tar) limits+=(-handle_xfsz=0) ;; esac
        # Every stored reproducer, once: a regression fails the harness.
        repro=()
        if [ -d "$top/tests/fuzz/regressions/$h" ]; then
                mapfile -t repro < <(find "$top/tests/fuzz/regressions/$h" -type f | sort)
        fi
        if [ ${#repro[@]} -gt 0 ] && ! "$exe" "${limits[@]}" "${repro[@]}" > "$log.replay" 2>&1; then
                echo "fuzz $h: FAILED: a stored reproducer fails again (see $log.replay)"
                grep -m5 -E 'ERROR|SUMMARY|Running:' "$log.replay" | sed 's/^/   /'
                failed=$((failed + 1))
                continue
        fi
        if [ -n "$replay_only" ]; then
                echo "fuzz $h: ok (${#repro[@]} reproducers)"
                continue
        fi
        mkdir -p "$dir/corpus/$h"
        # timeout(1) as a last resort: libFuzzer's timeout handler allocates, and deadlocks when the alarm
        # lands inside the sanitizer's allocator (seen once on a machine under heavy load).
        if timeout -k 10 $((seconds + 300)) "$exe" "${limits[@]}" "${dict[@]}" "${keep_going[@]}" -max_total_time="$seconds" -print_final_stats=1 \
                -artifact_prefix="$dir/artifacts/$h-" "$dir/corpus/$h" "$top/tests/fuzz/corpus/$h" > "$log" 2>&1; then
                last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
                execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
                [ -n "$execs" ] || execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
                cov=$(sed -nE 's/.* cov: ([0-9]+) ft: ([0-9]+).*/cov \1 ft \2/p' <<<"$last")
                found=$(sed -nE 's/.*oom\/timeout\/crash: ([0-9]+\/[0-9]+\/[0-9]+).*/, oom\/timeout\/crash \1/p' <<<"$last")
                echo "fuzz $h: ok (${#repro[@]} reproducers, ${seconds}s, ${execs:-?} execs, ${cov:-no coverage figures}$found)"
        elif grep -q 'ERROR: libFuzzer: timeout after' "$log" &&
                artifact=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -1) && [ -f "$artifact" ] &&
                "$exe" "${limits[@]}" -runs=3 "$artifact" > "$log.recheck" 2>&1; then
                # A shared machine under load can stretch one run past the limit: a hang is an input that is
                # slow again, alone. This one was not (log and input kept).
                echo "fuzz $h: ok (a timeout under load did not reproduce alone: $artifact)"
        else
                echo "fuzz $h: FAILED (log: $log)"
                grep -m8 -E 'ERROR|SUMMARY|Test unit written|Slowest unit|==[0-9]+==' "$log" | sed 's/^/   /'
                failed=$((failed + 1))
        fi
done
exit $((failed > 100 ? 100 : failed))
