#!/usr/bin/env bash
# From a fresh Debian/Ubuntu machine to a running container, in one command (as root):
#   installs the build dependencies, builds berth, makes an OCI bundle from busybox-static, and runs it
#   with berth-runtime, printing what the container sees next to what the host sees.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (containers need it): sudo $0" >&2; exit 1; }

scripts/install-deps.sh --build
command -v busybox >/dev/null && ldd "$(command -v busybox)" >/dev/null 2>&1 && {
        # A dynamic busybox cannot run in a bare rootfs: Debian's busybox-static replaces it.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
}
command -v busybox >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
command -v jq >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null

[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build src/cli/berth-runtime >/dev/null || { ninja -C build src/cli/berth-runtime | tail -20; exit 1; }
runtime=$PWD/build/src/cli/berth-runtime

bundle=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'rm -rf "$bundle"' EXIT
mkdir -p "$bundle/rootfs/bin"
cp "$(command -v busybox)" "$bundle/rootfs/bin/busybox"
for applet in sh echo hostname readlink cat id ps; do ln -s busybox "$bundle/rootfs/bin/$applet"; done
"$runtime" spec --bundle "$bundle"
# The demo's process: print what the container sees.
script='echo "inside:  my pid is $$, hostname $(hostname), $(id)"
for n in pid uts mnt net ipc cgroup; do echo "inside:  $n namespace $(readlink /proc/self/ns/$n)"; done
ps'
jq --arg s "$script" '.process.terminal = false | .process.args = ["sh", "-c", $s] | .hostname = "berth-demo"' \
        "$bundle/config.json" > "$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"

echo "host:    my pid is $$, hostname $(hostname)"
for n in pid uts mnt net ipc cgroup; do echo "host:    $n namespace $(readlink /proc/self/ns/$n)"; done
echo "--- berth-runtime run (the same bundle works with runc and crun) ---"
"$runtime" --root /run/berth-runtime run --bundle "$bundle" "berth-demo-$$"
