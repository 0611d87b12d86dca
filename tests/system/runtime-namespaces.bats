#!/usr/bin/env bats
# linux.namespaces (runtime-spec config-linux.md "Namespaces"), uid/gid mappings, time offsets.

load helpers

setup() {
        setup_scratch
        make_bundle
}

teardown() {
        [ -n "${HOLDER_PID:-}" ] && kill "$HOLDER_PID" 2>/dev/null
        teardown_scratch
}

ns_of() {  # ns_of PID TYPE
        readlink "/proc/$1/ns/$2"
}

# holder TYPE...: a process in new namespaces of these types, for tests that join namespaces by path.
holder() {
        local flags=() t
        for t in "$@"; do flags+=("--$t"); done
        unshare "${flags[@]}" sleep 1000 &
        HOLDER_PID=$!
        for _ in $(seq 100); do
                [ "$(ns_of $HOLDER_PID "${1#--}" 2>/dev/null)" != "$(ns_of $$ "${1#--}")" ] && return 0
                sleep 0.02
        done
        return 1
}

# bats test_tags=conformance
@test "the container's namespaces differ from the host's" {
        config_set '.linux.namespaces = [{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}]'
        config_args sh -c 'for n in pid net ipc uts mnt cgroup; do readlink /proc/self/ns/$n; done'
        run_container
        [ "$status" -eq 0 ]
        for n in pid net ipc uts mnt cgroup; do
                host=$(readlink /proc/self/ns/$n)
                inside=$(grep "^$n:" <<< "$output")
                [ -n "$inside" ]
                [ "$inside" != "$host" ]
        done
}

# bats test_tags=conformance
@test "a namespace not listed is shared with the runtime's" {
        config_set '.linux.namespaces = [{"type":"pid"},{"type":"mount"}] | del(.hostname)'
        config_args readlink /proc/self/ns/net
        run_container
        [ "$status" -eq 0 ]
        [ "$output" = "$(readlink /proc/self/ns/net)" ]
}

# bats test_tags=conformance
@test "hostname and domainname are set in the container's UTS namespace" {
        config_set '.hostname = "inside-box" | .domainname = "example.test"'
        config_args sh -c 'hostname; cat /proc/sys/kernel/domainname'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = inside-box ]
        [ "${lines[1]}" = example.test ]
        [ "$(hostname)" != inside-box ]
}

# bats test_tags=conformance
@test "a namespace with a path is joined" {
        holder net uts
        config_set ".linux.namespaces |= map(if .type == \"network\" then .path = \"/proc/$HOLDER_PID/ns/net\" else . end)"
        config_args readlink /proc/self/ns/net
        run_container
        [ "$status" -eq 0 ]
        [ "$output" = "$(ns_of $HOLDER_PID net)" ]
}

# bats test_tags=conformance
@test "a path of the wrong namespace type is refused" {
        holder uts
        config_set ".linux.namespaces |= map(if .type == \"network\" then .path = \"/proc/$HOLDER_PID/ns/uts\" else . end)"
        run_container
        [ "$status" -ne 0 ]
        assert_no_state
}

# bats test_tags=conformance
@test "a user namespace maps ids as linux.uidMappings/gidMappings say" {
        config_set '.linux.namespaces += [{"type":"user"}] |
                .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}] |
                .linux.gidMappings = [{"containerID":0,"hostID":200000,"size":65536}]'
        chown -R 100000:200000 "$BUNDLE/rootfs"
        chmod 755 "$TEST_DIR" # the container's root (host uid 100000) must reach its rootfs
        config_args sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /tmp/owned'
        run_container
        [ "$status" -eq 0 ]
        [ "$(echo ${lines[0]})" = "0 100000 65536" ]
        [ "$(echo ${lines[1]})" = "0 200000 65536" ]
        [ "${lines[2]}" = 0 ]
        [ "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/owned")" = 100000:200000 ]
}

# bats test_tags=conformance
@test "a user namespace combined with a joined network namespace" {
        holder net
        config_set ".linux.namespaces |= map(if .type == \"network\" then .path = \"/proc/$HOLDER_PID/ns/net\" else . end) |
                .linux.namespaces += [{\"type\":\"user\"}] |
                .linux.uidMappings = [{\"containerID\":0,\"hostID\":100000,\"size\":65536}] |
                .linux.gidMappings = [{\"containerID\":0,\"hostID\":100000,\"size\":65536}]"
        chown -R 100000:100000 "$BUNDLE/rootfs"
        chmod 755 "$TEST_DIR"
        config_args sh -c 'readlink /proc/self/ns/net; echo $$; cat /proc/self/uid_map'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "$(ns_of $HOLDER_PID net)" ]
        [ "${lines[1]}" = 1 ]
        [ "$(echo ${lines[2]})" = "0 100000 65536" ]
}

# bats test_tags=conformance
@test "a time namespace gets linux.timeOffsets" {
        config_set '.linux.namespaces += [{"type":"time"}] |
                .linux.timeOffsets = {"monotonic":{"secs":86400,"nanosecs":0},"boottime":{"secs":172800,"nanosecs":0}}'
        config_args sh -c 'readlink /proc/self/ns/time; cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime; echo $$'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" != "$(readlink /proc/self/ns/time)" ]
        [[ "$output" == *"monotonic"*"86400"* ]]
        [[ "$output" == *"boottime"*"172800"* ]]
        host_uptime=$(cut -d. -f1 /proc/uptime)
        [ "${lines[3]}" -ge $((host_uptime + 172800 - 5)) ]
        [ "${lines[4]}" = 1 ]
}

# bats test_tags=conformance
@test "a cgroup namespace shows the container's cgroup as its root" {
        config_set '.linux.namespaces = [{"type":"pid"},{"type":"mount"},{"type":"cgroup"}] | del(.hostname)'
        config_args cat /proc/self/cgroup
        run_container
        [ "$status" -eq 0 ]
        # Every hierarchy the container was put in reads as its namespace's root.
        while read -r line; do
                case $line in *:/) ;; *) echo "not root: $line"; false ;; esac
        done <<< "$output"
}

# bats test_tags=conformance
@test "without a mount namespace the container shares the runtime's, chrooted into its rootfs" {
        echo inside > "$BUNDLE/rootfs/marker"
        # Nothing that would mount: without a mount namespace of its own it would land on the host.
        config_set '.linux.namespaces |= map(select(.type != "mount")) | .mounts = [] |
                .linux.maskedPaths = [] | .linux.readonlyPaths = [] | del(.linux.rootfsPropagation)'
        config_args sh -c 'cat /marker > /tmp/seen; exec sleep 1000'
        rt run --detach --bundle "$BUNDLE" "$CID"
        pid=$(container_pid)
        [ "$(ns_of $pid mnt)" = "$(ns_of $$ mnt)" ]
        [ "$(readlink /proc/$pid/root)" = "$BUNDLE/rootfs" ]
        for _ in $(seq 50); do [ -s "$BUNDLE/rootfs/tmp/seen" ] && break; sleep 0.1; done
        [ "$(cat "$BUNDLE/rootfs/tmp/seen")" = inside ]
        # exec lands in the same root.
        run rt exec "$CID" cat /marker
        [ "$status" -eq 0 ]
        [ "$output" = inside ]
        assert_no_mounts_of "$BUNDLE"
}

# bats test_tags=conformance
@test "a mount namespace given by path is joined, and the rootfs is set up in it" {
        echo inside > "$BUNDLE/rootfs/marker"
        unshare --mount --propagation private sleep 1000 &
        HOLDER_PID=$!
        for _ in $(seq 100); do
                [ "$(ns_of $HOLDER_PID mnt 2>/dev/null)" != "$(ns_of $$ mnt)" ] && break
                sleep 0.02
        done
        config_set ".linux.namespaces |= map(if .type == \"mount\" then .path = \"/proc/$HOLDER_PID/ns/mnt\" else . end)"
        config_args sh -c 'readlink /proc/self/ns/mnt; cat /marker'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "$(ns_of $HOLDER_PID mnt)" ]
        [ "${lines[1]}" = inside ]
        # What the container mounted stayed in the joined namespace.
        assert_no_mounts_of "$BUNDLE"
}
