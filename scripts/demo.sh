#!/usr/bin/env bash
# From a fresh Debian/Ubuntu machine to running containers, in one command, as root (no sudo needed):
#   installs the build dependencies, builds berth, makes a busybox image offline (Debian's busybox-static,
#   imported with `berth import`), runs it with --memory and --cpus and prints what the container sees
#   next to what the host sees, then shows `ps`, `logs` and `images`. Everything lives in a store of its own
#   under /tmp, removed at the end.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run it as root (containers need it): $0" >&2; exit 1; }

scripts/install-deps.sh --build
export DEBIAN_FRONTEND=noninteractive
apt_install() {
        apt-get install -y -qq "$@" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq "$@" >/dev/null; }
}
# A dynamic busybox cannot run in an image of its own: Debian's busybox-static replaces it.
if ! command -v busybox >/dev/null || ldd "$(command -v busybox)" >/dev/null 2>&1; then
        apt_install busybox-static
fi

[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build >/dev/null || { ninja -C build | tail -20; exit 1; }
berth_bin=$PWD/build/src/cli/berth/berth

work=$(mktemp -d /tmp/berth-demo.XXXXXX)
berth() { "$berth_bin" --root "$work/root" "$@"; }
# The containers join docker's default bridge: berth0 and berth's nftables table are made in the machine's
# network namespace with the first run, and outlive a store as docker0 outlives dockerd. The demo's store is
# thrown away, so it deletes them again when it made them (and leaves them when they were there before).
made_bridge=1
ip link show berth0 >/dev/null 2>&1 && made_bridge=
made_table=1
nft list table ip berth >/dev/null 2>&1 && made_table=
cleanup() {
        set +e
        berth ps -aq 2>/dev/null | xargs -r "$berth_bin" --root "$work/root" rm -f >/dev/null 2>&1
        findmnt -rn -o TARGET | grep "^$work/" | sort -r | while read -r m; do umount -l "$m"; done
        rm -rf "$work"
        [ -z "$made_bridge" ] || ip link del berth0 2>/dev/null
        [ -z "$made_table" ] || nft delete table ip berth 2>/dev/null
}
trap cleanup EXIT

# The image, offline: busybox-static and its applets, /etc/passwd and /etc/group, imported as a tar.
rootfs=$work/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root"
cp "$(command -v busybox)" "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
        [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
chmod 1777 "$rootfs/tmp"
echo "--- berth import: a busybox image from busybox-static, no network ---"
tar -C "$rootfs" -c . | berth import -c 'CMD ["sh"]' - demo/busybox:latest

# What the container sees: its PID, hostname, namespaces, and the limits the kernel holds for it.
script='echo "inside:  my pid is $$, hostname $(hostname), $(id)"
for n in pid uts mnt net ipc cgroup; do echo "inside:  $n namespace $(readlink /proc/self/ns/$n)"; done
if [ -f /sys/fs/cgroup/memory.max ]; then
        echo "inside:  memory limit $(cat /sys/fs/cgroup/memory.max) bytes, cpu.max $(cat /sys/fs/cgroup/cpu.max)"
else
        echo "inside:  memory limit $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes) bytes, cpu quota $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)/$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us) us"
fi
echo "inside:  processes:"; ps -o pid,user,comm'
echo "host:    my pid is $$, hostname $(hostname)"
for n in pid uts mnt net ipc cgroup; do echo "host:    $n namespace $(readlink /proc/self/ns/$n)"; done
echo "--- berth run --rm --memory 64m --cpus 0.5 --hostname berth-demo demo/busybox ---"
berth run --rm --memory 64m --cpus 0.5 --hostname berth-demo demo/busybox sh -c "$script"

echo "--- berth run -d, then ps, logs, images ---"
berth run -d --name demo-logger demo/busybox sh -c 'echo "hello from the container"; echo "its log is json-file, as docker keeps it"; sleep 60' >/dev/null
for _ in $(seq 50); do [ -n "$(berth logs demo-logger 2>/dev/null)" ] && break; sleep 0.1; done
echo "\$ berth ps"
berth ps
echo "\$ berth logs demo-logger"
berth logs demo-logger
echo "\$ berth images"
berth images
berth rm -f demo-logger >/dev/null

# The seeds' workflow: build a small web image offline (FROM the imported busybox, COPY a page, CMD httpd),
# run it with a published port, fetch the page through 127.0.0.1 (docs/build.md, docs/networking.md).
echo "--- berth build -t demo/web (FROM demo/busybox, COPY a page, CMD httpd) ---"
web=$work/web
mkdir -p "$web/site"
echo "<h1>hello from a berth-built image</h1>" > "$web/site/index.html"
cat > "$web/Dockerfile" <<'DOCKERFILE'
FROM demo/busybox
WORKDIR /www
COPY site/ ./
EXPOSE 80
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
DOCKERFILE
berth build -t demo/web "$web"
echo "--- berth run -d -p 127.0.0.1:18080:80 demo/web, then fetch the page ---"
berth run -d --name demo-web -p 127.0.0.1:18080:80 demo/web >/dev/null
page=
for _ in $(seq 50); do
        page=$(wget -q -O - http://127.0.0.1:18080/ 2>/dev/null || "$rootfs/bin/busybox" wget -q -O - http://127.0.0.1:18080/ 2>/dev/null) && break
        sleep 0.1
done
echo "\$ wget -q -O - http://127.0.0.1:18080/"
echo "$page"
berth port demo-web
berth rm -f demo-web >/dev/null
[ -n "$page" ] || { echo "demo: the page did not come back" >&2; exit 1; }
