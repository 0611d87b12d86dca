#!/usr/bin/env bats
# exec, attach, logs -f, cp, diff, commit and volume commands.

load engine-helpers

setup() {
        engine_setup
}

teardown() {
        engine_teardown
}

@test "exec runs in the container's namespaces with docker's flags; its exit codes" {
        id=$(b run -d -e FROMRUN=1 busybox sleep 100)
        run b exec "$id" sh -c 'echo $FROMRUN; ps -o pid,comm | grep -c .; cat /proc/1/comm'
        [ "${lines[0]}" = 1 ]
        [ "${lines[2]}" = sleep ]
        # The container's pid namespace: sleep, sh, ps (plus the header) and nothing of the host.
        [ "${lines[1]}" -le 5 ]
        run b exec -u nobody -w /tmp -e X=2 "$id" sh -c 'echo $X $(pwd) $(id -u)'
        [ "$output" = "2 /tmp 65534" ]
        run b exec "$id" sh -c 'exit 9'
        [ "$status" -eq 9 ]
        run b exec "$id" no-such-command
        [ "$status" -eq 127 ]
        run b exec "$id" /etc/passwd
        [ "$status" -eq 126 ]
        run sh -c "echo piped | '$BERTH_BIN' --root '$ROOT' exec -i $id cat"
        [ "$output" = piped ]
        b exec -d "$id" sh -c 'echo detached > /tmp/d'
        wait_until b exec "$id" test -e /tmp/d
        run b exec --privileged "$id" grep CapEff /proc/self/status
        [ "$(echo "$output" | awk '{print $2}')" = "$(grep CapBnd /proc/self/status | awk '{print $2}')" ]
        b stop -t 1 "$id"
        run b exec "$id" true
        [ "$status" -ne 0 ]
        [[ "$output" == *"is not running"* ]]
}

@test "exec -t gets a terminal" {
        id=$(b run -d busybox sleep 100)
        run script -qec "'$BERTH_BIN' --root '$ROOT' exec -t $id tty" /dev/null
        [[ "$output" == /dev/pts/* ]]
}

@test "attach receives the output and the exit code; run -t has a terminal" {
        id=$(b run -d busybox sh -c 'sleep 1; echo late; exit 4')
        run b attach "$id"
        [ "$status" -eq 4 ]
        [ "$output" = late ]
        run script -qec "'$BERTH_BIN' --root '$ROOT' run --rm -t busybox tty" /dev/null
        [[ "$output" == /dev/pts/0* ]]
}

# Drives `berth ARGS... -- SEND EXPECT...` on a pty: writes each SEND (backslash escapes allowed) and waits
# for its EXPECT in the output, then for the command's exit, and prints its exit code.
pty_drive() {
        python3 - "$BERTH_BIN" "$ROOT" "$@" <<'EOF'
import os, pty, select, sys, time
berth, root, args = sys.argv[1], sys.argv[2], sys.argv[3:]
split = args.index('--')
command, steps = args[:split], args[split + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(berth, [berth, '--root', root] + command)
out = b''
def read_more(deadline):
    global out
    r, _, _ = select.select([fd], [], [], max(0, deadline - time.time()))
    if not r:
        return False
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        return False
    out += chunk
    return bool(chunk)
for i in range(0, len(steps), 2):
    send, expect = steps[i].encode().decode('unicode_escape').encode('latin-1'), steps[i + 1].encode()
    if send:
        os.write(fd, send)
    deadline = time.time() + 20
    while expect not in out:
        if not read_more(deadline):
            sys.exit('no %r in %r' % (expect, out))
deadline = time.time() + 20
while read_more(deadline):
    pass
for _ in range(100):
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.1)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    sys.exit('still running after its output ended: %r' % out)
print(os.waitstatus_to_exitcode(status))
EOF
}

@test "run -it: ctrl-p ctrl-q detaches and the container goes on; attach reconnects; the exit code is kept" {
        run pty_drive run -it --name dk busybox sh -- 'echo hel""lo-$((6*7))\n' hello-42 '\x10\x11' ''
        echo "$output"
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = 0 ]
        [ "$(b inspect -f '{{.State.Status}}' dk)" = running ]
        run pty_drive attach dk -- 'echo ag""ain; exit 3\n' again
        echo "$output"
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = 3 ]
        wait_until sh -c "[ \"\$('$BERTH_BIN' --root '$ROOT' inspect -f '{{.State.Status}}' dk)\" = exited ]"
        [ "$(b inspect -f '{{.State.ExitCode}}' dk)" = 3 ]
        b rm dk
}

@test "logs -f follows until the container exits" {
        id=$(b run -d busybox sh -c 'for i in 1 2 3; do echo $i; sleep 0.3; done')
        run timeout 20 "$BERTH_BIN" --root "$ROOT" logs -f "$id"
        [ "$status" -eq 0 ]
        [ "$output" = "1
2
3" ]
}

@test "cp both ways, archive mode keeps owners, paths stay inside the container" {
        id=$(b run -d busybox sh -c 'mkdir -p /data/sub; echo in > /data/sub/f; chown 1000:1000 /data/sub/f; ln -s /etc/shadow-of-host /data/link; sleep 100')
        wait_until b exec "$id" test -e /data/sub/f
        b cp "$id:/data" "$T/out"
        [ "$(cat "$T/out/sub/f")" = in ]
        [ "$(stat -c %u "$T/out/sub/f")" = 0 ]
        [ "$(readlink "$T/out/link")" = /etc/shadow-of-host ]
        b cp -a "$id:/data/sub/f" "$T/f-archive"
        [ "$(stat -c %u:%g "$T/f-archive")" = 1000:1000 ]
        mkdir "$T/src" && echo host > "$T/src/h"
        b cp "$T/src" "$id:/data/"
        [ "$(b exec "$id" cat /data/src/h)" = host ]
        b cp "$T/src/." "$id:/newdir"
        [ "$(b exec "$id" cat /newdir/h)" = host ]
        # A symlink in the container pointing at a host path is resolved inside the container.
        b exec "$id" ln -s /tmp /data/escape
        b cp "$T/src/h" "$id:/data/escape/"
        [ ! -e /tmp/h ] || [ "$(cat /tmp/h)" != host ]
        [ "$(b exec "$id" cat /tmp/h)" = host ]
        # A stopped container too.
        b stop -t 1 "$id"
        b cp "$id:/data/sub/f" "$T/after-stop"
        [ "$(cat "$T/after-stop")" = in ]
        ! grep -q "$ROOT/snapshots/$id/merged" /proc/self/mountinfo
}

@test "cp CONTAINER:PATH - writes a tar of PATH; cp [-a] - CONTAINER:DIR extracts one (the bytes that arrive)" {
        id=$(b run -d busybox sh -c 'mkdir -p /data/sub; printf "in\\n" > /data/sub/f; chown 1000:1000 /data/sub/f; ln -s sub/f /data/link; sleep 100')
        wait_until b exec "$id" test -e /data/link
        b cp "$id:/data" - > "$T/out.tar"
        # The tar as GNU tar reads it: the base name first, owners and the symlink as they are.
        tar -tvf "$T/out.tar" | awk '{print $1, $2, $6, $7, $8}' | sort > "$T/list"
        cat "$T/list"
        grep -qx 'drwxr-xr-x 0/0 data/  ' "$T/list"
        grep -qx -- '-rw-r--r-- 1000/1000 data/sub/f  ' "$T/list"
        grep -qx 'lrwxrwxrwx 0/0 data/link -> sub/f' "$T/list"
        [ "$(tar -xOf "$T/out.tar" data/sub/f)" = in ]
        # One file: a tar holding it under its own name.
        b cp "$id:/data/sub/f" - | tar -tf - > "$T/one"
        [ "$(cat "$T/one")" = f ]
        # Into the container: a tar made by GNU tar, checked byte for byte inside.
        mkdir -p "$T/src/dir/deeper"
        head -c 300000 /dev/urandom > "$T/src/dir/blob"
        printf 'hello\n' > "$T/src/dir/deeper/h"
        ln -s blob "$T/src/dir/blob-link"
        chown 1234:4321 "$T/src/dir/deeper/h"
        tar -C "$T/src" -cf - dir | b cp - "$id:/tmp"
        [ "$(b exec "$id" sha256sum /tmp/dir/blob | cut -d' ' -f1)" = "$(sha256sum "$T/src/dir/blob" | cut -d' ' -f1)" ]
        [ "$(b exec "$id" cat /tmp/dir/deeper/h)" = hello ]
        # Owners: the container's root without -a, as docker's cp; the tar's with -a.
        [ "$(b exec "$id" stat -c %u:%g /tmp/dir/deeper/h)" = 0:0 ]
        tar -C "$T/src" -cf - dir | b cp -a - "$id:/root"
        [ "$(b exec "$id" stat -c %u:%g /root/dir/deeper/h)" = 1234:4321 ]
        [ "$(b exec "$id" readlink /tmp/dir/blob-link)" = blob ]
        # A stopped container too, and nothing stays mounted.
        b stop -t 1 "$id"
        printf 'late\n' > "$T/late"
        tar -C "$T" -cf - late | b cp - "$id:/"
        [ "$(b cp "$id:/late" - | tar -xOf - late)" = late ]
        ! grep -q "$ROOT/snapshots/$id/merged" /proc/self/mountinfo
}

@test "cp - with a bad tar: truncated, escaping PATH, not a directory: 125, one line, nothing written" {
        id=$(b create busybox true)
        mkdir -p "$T/src/d"
        head -c 100000 /dev/urandom > "$T/src/d/big"
        printf 'x\n' > "$T/src/d/small"
        tar -C "$T/src" -cf "$T/good.tar" d
        head -c 60000 "$T/good.tar" > "$T/trunc.tar"
        python3 - "$T" <<'PY'
import io, sys, tarfile
def make(path, *entries):
    with tarfile.open(path, "w") as t:
        for name, kind, target in entries:
            i = tarfile.TarInfo(name)
            if kind == "file":
                i.size = 2
                t.addfile(i, io.BytesIO(b"x\n"))
            else:
                i.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
                i.linkname = target
                t.addfile(i)
make(sys.argv[1] + "/dotdot.tar", ("ok", "file", None), ("a/../../escaped", "file", None))
make(sys.argv[1] + "/symlink.tar", ("ok", "file", None), ("up", "sym", "../../.."))
make(sys.argv[1] + "/hardlink.tar", ("ok", "file", None), ("hl", "hard", "../../etc/passwd"))
PY
        b cp "$id:/root" - > "$T/before.tar"
        for bad in trunc dotdot symlink hardlink; do
                run b cp - "$id:/root" < "$T/$bad.tar"
                echo "$bad: $output"
                [ "$status" -eq 125 ]
                [ "$(printf '%s\n' "$output" | grep -c .)" -eq 1 ]
                [[ "$output" == "Error: "* ]]
        done
        [[ "$(b cp - "$id:/root" < "$T/trunc.tar" 2>&1)" == *"Truncated tar archive"* ]]
        [[ "$(b cp - "$id:/root" < "$T/dotdot.tar" 2>&1)" == *"leads out of /root"* ]]
        # Nothing of any of them arrived, nothing outside either.
        b cp "$id:/root" - > "$T/after.tar"
        [ "$(tar -tvf "$T/before.tar")" = "$(tar -tvf "$T/after.tar")" ]
        [ ! -e "$ROOT/snapshots/$id/escaped" ] && [ ! -e "$ROOT/snapshots/escaped" ]
        run b cp - "$id:/etc/passwd" < "$T/good.tar"
        [ "$status" -eq 125 ]
        assert_one_line_naming "extraction point is not a directory: /etc/passwd"
        run b cp - "$id:/no/such/dir" < "$T/good.tar"
        [ "$status" -eq 125 ]
        assert_one_line_naming "Could not find the file /no/such/dir in container"
        run b cp "$id:/no/such/file" -
        [ "$status" -eq 125 ]
        assert_one_line_naming "Could not find the file /no/such/file in container"
        ! grep -q "$ROOT/snapshots/$id/merged" /proc/self/mountinfo
        [ -z "$(ls -A "$ROOT/tmp" 2>/dev/null)" ]
}

@test "--help groups commands as docker: Management Commands, then Commands, each once; every one listed exists" {
        run b --help
        [ "$status" -eq 0 ]
        echo "$output"
        mgmt=$(sed -n '/^Management Commands:$/,/^$/p' <<< "$output" | awk 'NF && !/:$/ {print $1}')
        cmds=$(sed -n '/^Commands:$/,/^$/p' <<< "$output" | awk 'NF && !/:$/ {print $1}')
        [ "$(echo $mgmt)" = "container image system volume" ]
        # One word each, no aliases ("image ls" lives under image), nothing listed twice.
        ! grep -q ' ' <<< "$cmds"
        [ "$(sort <<< "$cmds" | uniq -d)" = "" ]
        for c in run ps pull cp images logs; do grep -qx "$c" <<< "$cmds"; done
        for g in $mgmt; do
                run b "$g" --help
                [ "$status" -eq 0 ]
                subs=$(sed -n '/^Commands:$/,/^$/p' <<< "$output" | awk 'NF && !/:$/ {print $1}')
                [ -n "$subs" ]
                [ "$(sort <<< "$subs" | uniq -d)" = "" ]
                for sub in $subs; do
                        run b "$g" "$sub" --help
                        [[ "$output" != *"is not a berth command"* ]] || { echo "$g $sub: $output"; return 1; }
                done
        done
        run b image --help
        grep -qx '  ls          List images' <<< "$output"
        ! grep -q '^  list ' <<< "$output"
        run b image nonsense
        [ "$status" -eq 125 ]
        [[ "$output" == *"'image nonsense' is not a berth command"* ]]
}

@test "diff lists A/C/D; commit makes an image with the container's layer and config" {
        id=$(b run -d busybox sh -c 'echo new > /added; rm /bin/vi; echo x >> /etc/group; sleep 100')
        wait_until b exec "$id" test -e /added
        run b diff "$id"
        [ "$output" = "A /added
C /bin
D /bin/vi
C /etc
C /etc/group" ]
        run b commit -m "my change" -c 'CMD ["cat", "/added"]' "$id" committed:v1
        [ "$status" -eq 0 ]
        [[ "$output" == sha256:* ]]
        [ "$(b run --rm committed:v1)" = new ]
        run b run --rm committed:v1 sh -c 'test -e /bin/vi || echo gone'
        [ "$output" = gone ]
        [ "$(b history --format '{{.Comment}}' committed:v1 | head -1)" = "my change" ]
        [ "$(b inspect committed:v1 | jq '.[0].RootFS.Layers | length')" = 2 ]
}

@test "volume create, ls, inspect, rm (refused while in use), prune; rm -v removes anonymous volumes" {
        run b volume create data1
        [ "$output" = data1 ]
        run b volume ls
        [ "${lines[0]}" = "DRIVER    VOLUME NAME" ]
        [ "${lines[1]}" = "local     data1" ]
        [ "$(b volume inspect data1 | jq -r '.[0].Mountpoint')" = "$ROOT/volumes/data1/_data" ]
        id=$(b create -v data1:/d -v /anon busybox true)
        run b volume rm data1
        [ "$status" -eq 1 ]
        [[ "$output" == *"volume is in use"* ]]
        [ "$(b volume ls -q | wc -l)" = 2 ]
        b rm -v "$id"
        [ "$(b volume ls -q)" = data1 ]
        b volume rm data1
        b volume create keepme
        b create -v /anon2 busybox true >/dev/null
        b container prune -f
        run b volume prune -f
        [ "$status" -eq 0 ]
        [ "$(b volume ls -q)" = keepme ]
}

@test "a new volume gets the image's content at its mount point (docker's copy-up), once" {
        run b run --rm -v etcvol:/etc busybox sh -c 'grep -c . /etc/group > /dev/null && echo populated; echo mine > /etc/group'
        [ "$output" = populated ]
        [ "$(b run --rm -v etcvol:/etc busybox cat /etc/group)" = mine ]
        [ -f "$ROOT/volumes/etcvol/_data/passwd" ]
        run b run --rm -v empty:/etc:nocopy busybox ls /etc
        [ -z "$(ls "$ROOT/volumes/empty/_data")" ] || [ "$(ls "$ROOT/volumes/empty/_data")" = "$(echo)" ]
}

@test "cp - with a sparse member (8 GiB, 4 KiB of data) writes it sparse, as pull and load do (found by fuzz_copy_tar)" {
        sparse=$IMAGES/hostile/tars/sparse-huge.1.tar
        [ -f "$sparse" ] || skip "no $sparse (make-images.sh)"
        id=$(b create busybox true)
        b cp - "$id:/tmp" < "$sparse"
        # What the container's writable layer holds: the full size, a few blocks on disk, the data at the end.
        f=$(find "$ROOT" -name sparse-8g -type f | head -1)
        [ -n "$f" ]
        [ "$(stat -c %s "$f")" -eq 8589934592 ]
        [ "$(stat -c %b "$f")" -lt 1024 ]
        [ "$(tail -c 4096 "$f" | tr -d E | wc -c)" -eq 0 ]
        [ "$(head -c 4096 "$f" | tr -d '\0' | wc -c)" -eq 0 ]
}
