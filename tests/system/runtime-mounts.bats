#!/usr/bin/env bats
# root, mounts, devices, maskedPaths, readonlyPaths, sysctl, rootfsPropagation.

load helpers

setup() {
        setup_scratch
        make_bundle
}

teardown() {
        teardown_scratch
}

# bats test_tags=conformance
@test "the process sees the bundle's rootfs as / (pivot_root) and the host's root is gone" {
        echo inside > "$BUNDLE/rootfs/marker"
        config_args sh -c 'cat /marker; cat /proc/self/mountinfo'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = inside ]
        # No mount of the host's root filesystem stays visible inside.
        ! grep -q " / / .*- ext4" <<< "$output" || grep -q "$BUNDLE" <<< "$output"
        [ -z "$(grep -F " $TEST_DIR" /proc/self/mountinfo)" ]
}

# bats test_tags=conformance
@test "--no-pivot uses chroot and still shows the rootfs as /" {
        echo inside > "$BUNDLE/rootfs/marker"
        config_args cat /marker
        run rt run --no-pivot --bundle "$BUNDLE" "$CID"
        [ "$status" -eq 0 ]
        [ "$output" = inside ]
}

# bats test_tags=conformance
@test "root.readonly makes / read-only" {
        config_set '.root.readonly = true'
        config_args sh -c 'touch /x 2>&1; touch /tmp/y 2>&1; echo rc=$?'
        run_container
        [[ "$output" == *"Read-only file system"* ]]
        config_set '.root.readonly = false'
        config_args sh -c 'touch /x && echo written'
        run_container "$CID-2"
        [ "$output" = written ]
        [ -e "$BUNDLE/rootfs/x" ]
}

# bats test_tags=conformance
@test "proc, sysfs, tmpfs, devpts, mqueue are mounted with their options" {
        config_args cat /proc/self/mountinfo
        run_container
        [ "$status" -eq 0 ]
        grep -E ' /proc rw.* - proc ' <<< "$output"
        grep -E ' /sys ro,nosuid,nodev,noexec.* - sysfs ' <<< "$output"
        grep -E ' /dev rw,nosuid.* - tmpfs .*size=65536k,mode=755' <<< "$output"
        grep -E ' /dev/pts .* - devpts .*mode=620,ptmxmode=666' <<< "$output"
        grep -E ' /dev/shm rw,nosuid,nodev,noexec.* - tmpfs ' <<< "$output"
        grep -E ' /dev/mqueue .* - mqueue ' <<< "$output"
}

# bats test_tags=conformance
@test "a read-only bind mount of a host directory; writes to a rw bind reach the host" {
        mkdir -p "$TEST_DIR/ro" "$TEST_DIR/rw"
        echo from-host > "$TEST_DIR/ro/file"
        config_set ".mounts += [{\"destination\":\"/ro\",\"type\":\"bind\",\"source\":\"$TEST_DIR/ro\",\"options\":[\"bind\",\"ro\"]},
                                {\"destination\":\"/rw\",\"type\":\"bind\",\"source\":\"$TEST_DIR/rw\",\"options\":[\"rbind\",\"rw\"]}]"
        config_args sh -c 'cat /ro/file; touch /ro/new 2>&1; echo written > /rw/new'
        run_container
        [ "${lines[0]}" = from-host ]
        [[ "${lines[1]}" == *"Read-only file system"* ]]
        [ ! -e "$TEST_DIR/ro/new" ]
        [ "$(cat "$TEST_DIR/rw/new")" = written ]
}

# bats test_tags=conformance
@test "a file bind mount, relative source resolved against the bundle" {
        echo bundle-file > "$BUNDLE/data.txt"
        config_set '.mounts += [{"destination":"/etc/data.txt","type":"none","source":"data.txt","options":["bind","ro"]}]'
        config_args cat /etc/data.txt
        run_container
        [ "$status" -eq 0 ]
        [ "$output" = bundle-file ]
}

# bats test_tags=conformance
@test "rbind brings submounts, bind does not; nosuid/nodev/noexec apply" {
        mkdir -p "$TEST_DIR/src/sub"
        mount -t tmpfs sub-tmpfs "$TEST_DIR/src/sub"
        echo in-sub > "$TEST_DIR/src/sub/f"
        config_set ".mounts += [{\"destination\":\"/rb\",\"type\":\"bind\",\"source\":\"$TEST_DIR/src\",\"options\":[\"rbind\",\"noexec\",\"nosuid\",\"nodev\"]},
                                {\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"$TEST_DIR/src\",\"options\":[\"bind\"]}]"
        config_args sh -c 'cat /rb/sub/f; cat /b/sub/f 2>&1 || echo absent; grep " /rb " /proc/self/mountinfo'
        run_container
        umount "$TEST_DIR/src/sub"
        [ "${lines[0]}" = in-sub ]
        [ "${lines[1]}" = absent ] || [[ "${lines[1]}" == *"No such file"* ]]
        [[ "$output" == *" /rb "*nosuid,nodev,noexec* ]]
}

# bats test_tags=conformance
@test "recursive read-only (rro) makes submounts read-only too" {
        mkdir -p "$TEST_DIR/src/sub"
        mount -t tmpfs sub-tmpfs "$TEST_DIR/src/sub"
        config_set ".mounts += [{\"destination\":\"/rb\",\"type\":\"bind\",\"source\":\"$TEST_DIR/src\",\"options\":[\"rbind\",\"rro\"]}]"
        config_args sh -c 'touch /rb/sub/x 2>&1; grep " /rb/sub " /proc/self/mountinfo'
        run_container
        umount "$TEST_DIR/src/sub"
        [[ "$output" == *"Read-only file system"* ]]
        [[ "${lines[1]}" == *" /rb/sub ro"* ]]
}

# bats test_tags=conformance
@test "tmpfs with size and mode; tmpcopyup keeps what was under it" {
        mkdir -p "$BUNDLE/rootfs/seed"
        echo seeded > "$BUNDLE/rootfs/seed/file"
        config_set '.mounts += [{"destination":"/scratch","type":"tmpfs","source":"tmpfs","options":["size=1m","mode=700"]},
                                {"destination":"/seed","type":"tmpfs","source":"tmpfs","options":["tmpcopyup"]}]'
        config_args sh -c 'stat -c %a /scratch; df -k /scratch | tail -1 | awk "{print \$2}"; cat /seed/file; grep " /seed " /proc/self/mountinfo | cut -d" " -f9'
        run_container
        [ "${lines[0]}" = 700 ]
        [ "${lines[1]}" = 1024 ]
        [ "${lines[2]}" = seeded ]
        [ "${lines[3]}" = tmpfs ]
}

# bats test_tags=conformance
@test "mount propagation: rshared bind receives the host's later mounts, rprivate does not" {
        mkdir -p "$TEST_DIR/shared-src" "$TEST_DIR/priv-src"
        mount --bind "$TEST_DIR/shared-src" "$TEST_DIR/shared-src"
        mount --make-shared "$TEST_DIR/shared-src"
        mount --bind "$TEST_DIR/priv-src" "$TEST_DIR/priv-src"
        mount --make-shared "$TEST_DIR/priv-src"
        config_set ".linux.rootfsPropagation = \"rslave\" |
                .mounts += [{\"destination\":\"/shared\",\"type\":\"bind\",\"source\":\"$TEST_DIR/shared-src\",\"options\":[\"rbind\",\"rslave\"]},
                            {\"destination\":\"/priv\",\"type\":\"bind\",\"source\":\"$TEST_DIR/priv-src\",\"options\":[\"rbind\",\"rprivate\"]}]"
        config_args sh -c 'while [ ! -e /shared/late/flag ]; do sleep 0.1; done; ls /priv/late/flag 2>&1 || echo priv-absent; echo done; exec sleep 600'
        rt run --detach --bundle "$BUNDLE" "$CID"
        mkdir -p "$TEST_DIR/t1" "$TEST_DIR/shared-src/late" "$TEST_DIR/priv-src/late"
        mount -t tmpfs late1 "$TEST_DIR/shared-src/late"
        touch "$TEST_DIR/shared-src/late/flag"
        mount -t tmpfs late2 "$TEST_DIR/priv-src/late"
        touch "$TEST_DIR/priv-src/late/flag"
        pid=$(container_pid)
        for _ in $(seq 100); do [ -d "/proc/$pid" ] && grep -q "/shared/late" "/proc/$pid/mountinfo" 2>/dev/null && break; sleep 0.1; done
        grep -q " /shared/late " "/proc/$pid/mountinfo"
        ! grep -q " /priv/late " "/proc/$pid/mountinfo"
        rt delete --force "$CID"
        umount "$TEST_DIR/shared-src/late" "$TEST_DIR/priv-src/late" "$TEST_DIR/shared-src" "$TEST_DIR/priv-src"
}

# bats test_tags=conformance
@test "nothing mounted in the container propagates to the host" {
        config_set '.mounts += [{"destination":"/x","type":"tmpfs","source":"tmpfs"}]'
        config_args sh -c 'mount -t tmpfs inner /tmp && echo mounted'
        config_set '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
        config_set 'del(.linux.seccomp)'
        run_container
        [ "$output" = mounted ]
        assert_no_mounts_of "$BUNDLE"
}

# bats test_tags=conformance
@test "default devices exist with the right numbers; /dev links" {
        config_args sh -c 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done; for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "/dev/null character special file 1:3 666" ]
        [ "${lines[1]}" = "/dev/zero character special file 1:5 666" ]
        [ "${lines[2]}" = "/dev/full character special file 1:7 666" ]
        [ "${lines[3]}" = "/dev/random character special file 1:8 666" ]
        [ "${lines[4]}" = "/dev/urandom character special file 1:9 666" ]
        [ "${lines[5]}" = "/dev/tty character special file 5:0 666" ]
        [ "${lines[6]}" = /proc/self/fd ]
        [ "${lines[7]}" = /proc/self/fd/0 ]
        [ "${lines[8]}" = /proc/self/fd/1 ]
        [ "${lines[9]}" = /proc/self/fd/2 ]
        [ "${lines[10]}" = pts/ptmx ]
}

# bats test_tags=conformance
@test "linux.devices creates nodes with type, numbers, mode and owner" {
        config_set '.linux.devices = [{"path":"/dev/fuse","type":"c","major":10,"minor":229,"fileMode":432,"uid":1000,"gid":1001},
                                      {"path":"/dev/custom/loopy","type":"b","major":7,"minor":200,"fileMode":384},
                                      {"path":"/dev/pipe","type":"p"}]'
        config_set '.linux.resources.devices += [{"allow":true,"type":"c","major":10,"minor":229,"access":"rwm"}]'
        config_args sh -c 'stat -c "%F %t:%T %a %u:%g" /dev/fuse /dev/custom/loopy; stat -c %F /dev/pipe'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "character special file a:e5 660 1000:1001" ]
        [ "${lines[1]}" = "block special file 7:c8 600 0:0" ]
        [ "${lines[2]}" = fifo ]
}

# bats test_tags=conformance
@test "maskedPaths: files read empty, directories are empty" {
        [ -s /proc/timer_list ] && [ -n "$(ls /sys/firmware)" ]
        config_args sh -c 'wc -c < /proc/timer_list; ls /sys/firmware | wc -l; cat /proc/keys | wc -c'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 0 ]
        [ "${lines[1]}" = 0 ]
        [ "${lines[2]}" = 0 ]
}

# bats test_tags=conformance
@test "readonlyPaths: /proc/sys cannot be written" {
        config_set '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
        config_args sh -c 'echo 1 > /proc/sys/kernel/domainname 2>&1; grep " /proc/sys " /proc/self/mountinfo'
        run_container
        [[ "${lines[0]}" == *"Read-only file system"* ]]
        [[ "${lines[1]}" == *" /proc/sys ro,"* ]]
}

# bats test_tags=conformance
@test "linux.sysctl is written in the container's namespaces" {
        config_set '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789"}'
        config_args sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax'
        host_forward=$(cat /proc/sys/net/ipv4/ip_forward)
        host_shmmax=$(cat /proc/sys/kernel/shmmax)
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 1 ]
        [ "${lines[1]}" = 123456789 ]
        [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_forward" ]
        [ "$(cat /proc/sys/kernel/shmmax)" = "$host_shmmax" ]
}

# bats test_tags=conformance
@test "a sysctl outside the container's namespaces is refused" {
        config_set '.linux.sysctl = {"vm.swappiness": "10"}'
        run_container
        [ "$status" -ne 0 ]
        assert_no_state
}

# bats test_tags=conformance
@test "the cgroup filesystem is mounted read-only at /sys/fs/cgroup" {
        config_args sh -c 'ls /sys/fs/cgroup; grep /sys/fs/cgroup /proc/self/mountinfo | head -1'
        run_container
        [ "$status" -eq 0 ]
        [ -n "$(grep -E '^(memory|cgroup.controllers)$' <<< "$output")" ]
        [[ "$output" == *" ro,"* ]]
}

# bats test_tags=conformance
@test "idmap: in a user namespace, a bind mount shows the host's files with the container's ids" {
        mkdir -p "$TEST_DIR/data"
        echo host-owned > "$TEST_DIR/data/file"
        chown 0:0 "$TEST_DIR/data/file"
        chmod 755 "$TEST_DIR"
        chown -R 100000:100000 "$BUNDLE/rootfs"
        config_set '.linux.namespaces += [{"type":"user"}] |
                .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}] |
                .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}]'
        config_set ".mounts += [{\"destination\":\"/idmapped\",\"type\":\"bind\",\"source\":\"$TEST_DIR/data\",\"options\":[\"bind\",\"idmap\"]},
                                {\"destination\":\"/plain\",\"type\":\"bind\",\"source\":\"$TEST_DIR/data\",\"options\":[\"bind\"]}]"
        config_args sh -c 'stat -c %u:%g /idmapped/file /plain/file; echo new > /idmapped/new'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 0:0 ]
        [ "${lines[1]}" = 65534:65534 ]
        # The container's root wrote through the idmapped mount: on disk, the file is root's.
        [ "$(stat -c %u:%g "$TEST_DIR/data/new")" = 0:0 ]
}

# bats test_tags=conformance
@test "idmap: a mount's own uidMappings/gidMappings, without a user namespace" {
        mkdir -p "$TEST_DIR/data"
        touch "$TEST_DIR/data/file"
        chown 0:0 "$TEST_DIR/data/file"
        config_set ".mounts += [{\"destination\":\"/idmapped\",\"type\":\"bind\",\"source\":\"$TEST_DIR/data\",\"options\":[\"bind\"],
                                 \"uidMappings\":[{\"containerID\":0,\"hostID\":1234,\"size\":1}],
                                 \"gidMappings\":[{\"containerID\":0,\"hostID\":4321,\"size\":1}]}]"
        config_args stat -c %u:%g /idmapped/file
        run_container
        [ "$status" -eq 0 ]
        [ "$output" = 1234:4321 ]
}

@test "idmap on a mount that is not a bind mount is refused" {
        berth_only
        config_set '.mounts += [{"destination":"/t","type":"tmpfs","source":"tmpfs","options":["idmap"]}]'
        run rt run --bundle "$BUNDLE" "$CID"
        [ "$status" -ne 0 ]
        assert_one_line_naming "only bind mounts can be idmapped"
        assert_no_state
}

# bats test_tags=conformance
@test "rootfsPropagation: shared, slave, private and unbindable are each applied to the container's /" {
        config_args awk '$5 == "/" {print}' /proc/self/mountinfo
        for p in shared slave private unbindable; do
                config_set ".linux.rootfsPropagation = \"$p\""
                run rt run --bundle "$BUNDLE" "$CID-$p"
                echo "$p: $output"
                [ "$status" -eq 0 ]
                case $p in
                shared) [[ "$output" == *" shared:"* ]] ;;
                unbindable) [[ "$output" == *" unbindable "* ]] ;;
                private) [[ "$output" != *" shared:"* && "$output" != *unbindable* ]] ;;
                esac
        done
}

# bats test_tags=conformance
@test "a mount destination that is a dangling symlink is created at its target inside the rootfs" {
        echo "nameserver 192.0.2.53" > "$TEST_DIR/resolv.conf"
        # An image whose /etc/resolv.conf points to a file that does not exist (yet), in a directory that
        # does not exist either, on the host as in the rootfs.
        ln -sf "/run/berth-dangling-$$/resolv.conf" "$BUNDLE/rootfs/etc/resolv.conf"
        config_set ".mounts += [{\"destination\":\"/etc/resolv.conf\",\"type\":\"bind\",\"source\":\"$TEST_DIR/resolv.conf\",\"options\":[\"bind\",\"ro\"]}]"
        config_args cat /etc/resolv.conf
        run_container
        [ "$status" -eq 0 ]
        [ "$output" = "nameserver 192.0.2.53" ]
        [ -f "$BUNDLE/rootfs/run/berth-dangling-$$/resolv.conf" ]
        [ -L "$BUNDLE/rootfs/etc/resolv.conf" ]
        [ ! -e "/run/berth-dangling-$$" ]
}

# bats test_tags=conformance
@test "user namespace: a bind source under a directory the container's root cannot traverse still mounts" {
        mkdir -p "$TEST_DIR/locked/data"
        echo reached > "$TEST_DIR/locked/data/file"
        chmod 000 "$TEST_DIR/locked"
        chmod 755 "$TEST_DIR"
        chown -R 100000:100000 "$BUNDLE/rootfs"
        config_set '.linux.namespaces += [{"type":"user"}] |
                .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}] |
                .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}]'
        config_set ".mounts += [{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$TEST_DIR/locked/data\",\"options\":[\"rbind\",\"ro\"]}]"
        config_args sh -c 'cat /data/file; cat /proc/self/uid_map'
        run_container
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = reached ]
        [ "$(echo ${lines[1]})" = "0 100000 65536" ]
}
