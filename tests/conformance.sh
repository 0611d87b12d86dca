#!/usr/bin/env bash
# Runs the runtime-spec conformance tests (bats tests tagged `conformance`) against berth-runtime, runc and
# crun with the very same bundles, and prints a markdown table: one row per test, one column per runtime.
#
#   tests/conformance.sh [SUITE.bats...]       (default: every tests/system/*.bats with conformance tests)
#
# Debian's crun 1.8 refuses this hybrid cgroup host, so each crun invocation runs through a wrapper in its
# own mount namespace with /sys/fs/cgroup/unified unmounted (a cgroup v1 view). berth-runtime and runc run
# on the host as it is.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
top=$PWD
export BERTH_BUILD=${BERTH_BUILD:-$top/build}
work=$(mktemp -d /tmp/berth-conformance.XXXXXX)
trap 'rm -rf "$work"' EXIT

suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
        mapfile -t suites < <(grep -l 'test_tags=conformance' tests/system/*.bats)
fi

cat > "$work/crun" <<'EOF'
#!/bin/sh
exec unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun "$@"' crun "$@"
EOF
chmod +x "$work/crun"

for rt in berth-runtime runc crun; do
        : > "$work/$rt.tap"
        for suite in "${suites[@]}"; do
                case $rt in
                crun) OCI_RUNTIME=crun RUNTIME_BIN_OVERRIDE=$work/crun bats --tap --filter-tags conformance "$suite" ;;
                *) OCI_RUNTIME=$rt bats --tap --filter-tags conformance "$suite" ;;
                esac >> "$work/$rt.tap" 2>&1
        done
done

# One row per test name, in the order of berth's run.
python3 - "$work" <<'EOF'
import re, sys
work = sys.argv[1]
runtimes = ["berth-runtime", "runc", "crun"]
results = {}
order = []
for rt in runtimes:
    for line in open(f"{work}/{rt}.tap", errors="replace"):
        m = re.match(r"^(ok|not ok) \d+ (.*?)(?: # skip(?: \((.*)\))?)?$", line.rstrip())
        if not m:
            continue
        name = m.group(2).strip()
        if " # skip" in line:
            verdict = "skip"
        else:
            verdict = "pass" if m.group(1) == "ok" else "FAIL"
        if name not in results:
            results[name] = {}
            order.append(name)
        results[name][rt] = verdict
print("| test | berth-runtime | runc 1.1 | crun 1.8 |")
print("| --- | --- | --- | --- |")
totals = {rt: [0, 0] for rt in runtimes}
for name in order:
    row = [results[name].get(rt, "-") for rt in runtimes]
    for rt, v in zip(runtimes, row):
        if v == "pass":
            totals[rt][0] += 1
        elif v == "FAIL":
            totals[rt][1] += 1
    print(f"| {name} | " + " | ".join(row) + " |")
print("| **total passed / failed** | " + " | ".join(f"{totals[rt][0]} / {totals[rt][1]}" for rt in runtimes) + " |")
EOF
