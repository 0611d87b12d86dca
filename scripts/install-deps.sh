#!/usr/bin/env bash
# Installs every build and test dependency of berth from Debian's packages.
# Idempotent: a package is installed only when the command or file it provides is missing, so a second run
# does nothing and takes well under a second. Needs root (apt-get) when something is missing.
#
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --build  only what the build needs
set -euo pipefail

want_tests=1
[ "${1:-}" = --build ] && want_tests=

missing=()
need_cmd() {  # COMMAND PACKAGE
        command -v "$1" >/dev/null 2>&1 || missing+=("$2")
}
need_file() {  # FILE PACKAGE (libraries and headers have no command to look for)
        [ -e "$1" ] || missing+=("$2")
}
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
inc=/usr/include
lib=/usr/lib/$multiarch

# Build: compiler, meson + ninja, and the libraries berth links (see README "Dependencies").
need_cmd gcc gcc
need_cmd meson meson
need_cmd ninja ninja-build
need_cmd pkg-config pkg-config
need_file "$inc/seccomp.h" libseccomp-dev
need_file "$inc/sys/capability.h" libcap-dev
need_file "$inc/jansson.h" libjansson-dev
need_file "$inc/archive.h" libarchive-dev
need_file "$inc/$multiarch/curl/curl.h" libcurl4-openssl-dev
need_file "$inc/sqlite3.h" libsqlite3-dev
need_file "$inc/libmnl/libmnl.h" libmnl-dev
need_file "$lib/libnftables.so.1" libnftables1  # berth's nftables table (dlopen'ed; src/network/firewall.c)
need_file "$inc/zstd.h" libzstd-dev
need_file "$inc/nettle/sha2.h" nettle-dev       # SHA-256: blobs, layers, the seccomp filter cache
need_file "$inc/isa-l/igzip_lib.h" libisal-dev # gzip layers: igzip inflates ~5x faster than zlib (src/image/stream.c)
need_file "$inc/fuse3/fuse_lowlevel.h" libfuse3-dev # berth-procview: the container's /proc (docs/proc.md)
need_file "$inc/microhttpd.h" libmicrohttpd-dev  # berth-api: the Docker Engine API's HTTP (docs/api.md)
need_file "$inc/gnutls/gnutls.h" libgnutls28-dev # berth-api: tcp:// client certificates verified (src/api/tls.c)

if [ -n "$want_tests" ]; then
        # Unit and system tests.
        need_file "$inc/cmocka.h" libcmocka-dev
        need_cmd openssl openssl  # api-tls.bats: the CA and the certificates of tcp:// with --tlsverify
        need_cmd tmux tmux        # api-files.bats: docker run -it and exec -it on a real terminal
        need_cmd bats bats
        need_cmd jq jq
        need_cmd ip iproute2
        need_cmd unshare util-linux
        need_cmd nsenter util-linux
        need_cmd nft nftables          # network.bats reads berth's table as the kernel has it
        need_file "$inc/nftables/libnftables.h" libnftables-dev  # the API firewall.c dlopens (reference)
        need_cmd setfattr attr
        need_cmd setcap libcap2-bin
        need_cmd python3 python3
        need_cmd strace strace
        need_cmd fusermount3 fuse3      # /dev/fuse's rules and fusermount3 (engine-proc.bats)
        need_file /bin/busybox busybox-static
        need_file "$lib/libasan.so.8" libgcc-12-dev
        # The fuzz harnesses (tests/fuzz, scripts/fuzz.sh): libFuzzer comes with clang's runtime libraries.
        need_cmd clang clang
        compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null ||
                missing+=(libclang-rt-14-dev)
        # The anchors berth is compared with, and the real clients that drive it.
        need_cmd runc runc
        need_cmd crun crun
        need_cmd podman podman
        need_cmd skopeo skopeo
        need_cmd umoci umoci
        need_cmd containerd containerd
        need_cmd hyperfine hyperfine
        need_cmd lxcfs lxcfs            # bench/proc.sh's anchor (started there on a directory of its own)
        need_cmd bc bc
        need_file /usr/bin/time time
        need_cmd docker-registry docker-registry
        need_file /usr/lib/cni/bridge containernetworking-plugins
        need_cmd slirp4netns slirp4netns
        need_cmd zstd zstd
        need_cmd xz xz-utils            # image.bats: xz layers and tarballs (docker load/import take them)
        need_cmd bzip2 bzip2            # image.bats: bzip2 layers and tarballs
        need_cmd debootstrap debootstrap
        # The API's tests (tests/system/api.bats): curl for raw requests, systemd-socket-activate for
        # LISTEN_FDS. The docker CLI they drive is the machine's (api.bats skips without one: Debian 12's
        # docker.io would also install and start dockerd).
        need_cmd curl curl
        need_cmd systemd-socket-activate systemd
        # Real clients of the API beside the docker CLI (network.bats): docker-compose (Debian's 1.29, which
        # speaks the API through docker-py) and the Docker SDK for Python itself.
        need_cmd docker-compose docker-compose
        need_file /usr/lib/python3/dist-packages/docker/__init__.py python3-docker
fi

if [ ${#missing[@]} -eq 0 ]; then
        exit 0
fi
# busybox-static conflicts with Debian's dynamic busybox; the tests need the static one in bundles.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" != 0 ]; then
        echo "install-deps: missing packages and not root: run as root, or: apt-get install -y ${missing[*]}" >&2
        exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
