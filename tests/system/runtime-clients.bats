#!/usr/bin/env bats
# Real clients driving berth-runtime in runc's place: podman (--runtime) and containerd (ctr --runc-binary,
# through containerd's own io.containerd.runc.v2 shim). Each test starts what it needs in its own temporary
# root and removes it, mounts included.

load helpers

setup_file() {
        export BERTH_IMAGES=${BERTH_IMAGES:-$HOME/.cache/berth-images}
        [ -f "$BERTH_IMAGES/busybox.docker.tar" ] || "${BERTH_SHARED:-$BERTH_ROOT_DIR/../shared}/images/make-images.sh" "$BERTH_IMAGES" busybox >&2
}

setup() {
        setup_scratch
        IMAGE_TAR=$BERTH_IMAGES/busybox.docker.tar
}

teardown() {
        if [ -n "${CONTAINERD_PID:-}" ]; then
                ctr --address "$TEST_DIR/containerd.sock" task kill -s KILL c1 >/dev/null 2>&1 || true
                kill "$CONTAINERD_PID" 2>/dev/null
                wait "$CONTAINERD_PID" 2>/dev/null || true
                pkill -f "containerd-shim.*$TEST_DIR" 2>/dev/null || true
        fi
        if [ -n "${PODMAN:-}" ]; then
                $PODMAN rm -af -t 0 >/dev/null 2>&1 || true
                $PODMAN system reset -f >/dev/null 2>&1 || true
        fi
        teardown_scratch
}

# podman needs limits this host can grant: its default nofile (1048576) is above our hard limit and the
# runtime rightly refuses it. No network: nothing leaves the host.
podman_setup() {
        PODMAN="podman --root $TEST_DIR/storage --runroot $TEST_DIR/run --cgroup-manager cgroupfs --events-backend none --runtime $RUNTIME_BIN"
        PODMAN_RUN_FLAGS="--network none --ulimit nofile=20000:20000 --ulimit nproc=1000:1000"
        $PODMAN load -i "$IMAGE_TAR" >/dev/null
}

containerd_setup() {
        cat > "$TEST_DIR/containerd.toml" <<EOF
version = 2
root = "$TEST_DIR/containerd-root"
state = "$TEST_DIR/containerd-state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$TEST_DIR/containerd.sock"
[ttrpc]
  address = "$TEST_DIR/containerd.sock.ttrpc"
[debug]
  address = "$TEST_DIR/containerd-debug.sock"
EOF
        containerd --config "$TEST_DIR/containerd.toml" > "$TEST_DIR/containerd.log" 2>&1 &
        CONTAINERD_PID=$!
        for _ in $(seq 100); do [ -S "$TEST_DIR/containerd.sock" ] && break; sleep 0.05; done
        CTR="ctr --address $TEST_DIR/containerd.sock"
        $CTR images import "$IMAGE_TAR" >/dev/null
}

@test "podman --runtime berth-runtime run --rm" {
        podman_setup
        run $PODMAN run --rm $PODMAN_RUN_FLAGS localhost/busybox:latest sh -c 'echo $$; readlink /proc/self/ns/pid; id -u'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 1 ]
        [ "${lines[1]}" != "$(readlink /proc/self/ns/pid)" ]
        [ "${lines[2]}" = 0 ]
        [ -z "$($PODMAN ps -aq)" ]
}

@test "podman -d, ps, exec, stop, rm" {
        podman_setup
        $PODMAN run -d --name box $PODMAN_RUN_FLAGS localhost/busybox:latest sleep 1000
        run $PODMAN ps --format '{{.Names}} {{.Status}}'
        [[ "$output" == "box Up"* ]]
        run $PODMAN exec box sh -c 'echo exec-ok; cat /proc/1/cmdline | tr "\0" " "'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = exec-ok ]
        [ "${lines[1]}" = "sleep 1000 " ]
        run $PODMAN exec box sh -c 'exit 3'
        [ "$status" -eq 3 ]
        $PODMAN stop -t 1 box
        $PODMAN rm box
        [ -z "$($PODMAN ps -aq)" ]
}

@test "podman run -it: an interactive shell on a terminal" {
        command -v script >/dev/null || skip "script(1) missing"
        podman_setup
        run bash -c "printf 'echo \"inside: \$(tty)\"; exit 5\n' | script -qec '$PODMAN run --rm -it $PODMAN_RUN_FLAGS localhost/busybox:latest sh' /dev/null"
        [[ "$output" == *"inside: /dev/pts/"* ]]
        [ "$status" -eq 5 ]
}

@test "podman exec -it" {
        command -v script >/dev/null || skip "script(1) missing"
        podman_setup
        $PODMAN run -d --name box $PODMAN_RUN_FLAGS localhost/busybox:latest sleep 1000
        run script -qec "$PODMAN exec -it box sh -c 'tty; echo tty-ok'" /dev/null
        [ "$status" -eq 0 ]
        [[ "$output" == *"/dev/pts/"*tty-ok* ]]
}

@test "containerd: ctr run --runc-binary berth-runtime" {
        containerd_setup
        run $CTR run --rm --runc-binary "$RUNTIME_BIN" localhost/busybox:latest c1 sh -c 'echo from-containerd; echo $$'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = from-containerd ]
        [ "${lines[1]}" = 1 ]
        [ -z "$($CTR task ls -q)" ]
}

@test "containerd: detached task, exec, ps, kill, delete" {
        containerd_setup
        $CTR run -d --runc-binary "$RUNTIME_BIN" localhost/busybox:latest c1 sleep 1000
        run $CTR task ls
        [[ "$output" == *"c1"*RUNNING* ]]
        run $CTR task exec --exec-id e1 c1 sh -c 'echo exec-ok'
        [ "$status" -eq 0 ]
        [ "$output" = exec-ok ]
        run $CTR task ps c1
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -ge 2 ]
        $CTR task kill -s KILL c1
        for _ in $(seq 50); do $CTR task ls | grep -q STOPPED && break; sleep 0.1; done
        $CTR task delete c1
        $CTR container delete c1
        [ -z "$($CTR task ls -q)" ]
}
