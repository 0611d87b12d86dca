#!/usr/bin/env bats
# The Docker Engine API's file, terminal and disk-usage endpoints (docs/api.md): docker cp (HEAD, GET and PUT
# /containers/ID/archive), container resize and system df, driven by the real docker CLI and by curl. What arrives is
# checked where it lands: in the container (through berth exec) and on the host.
bats_require_minimum_version 1.5.0
load api-helpers

setup() {
        api_setup
}

teardown() {
        [ -S "$T/tmux.sock" ] && tmux -S "$T/tmux.sock" kill-server 2>/dev/null
        api_teardown
}

# The X-Docker-Container-Path-Stat header of a HEAD request, decoded.
path_stat() {
        curl -sS -I --unix-socket "$SOCK" "http://berth/v1.50/containers/$1/archive?path=$2" |
                tr -d '\r' | sed -n 's/^X-Docker-Container-Path-Stat: //p' | base64 -d
}

@test "docker cp out of a container: a file, a directory, a symlink's stat, a tar on stdout, a stopped container" {
        id=$(dk run -d busybox sh -c 'mkdir -p /data/sub; printf "in\n" > /data/sub/f; chown 1000:1000 /data/sub/f; chmod 4751 /data/sub/f; ln -s sub/f /data/link; touch /ready; sleep 100')
        wait_until b exec "$id" test -e /ready
        dk cp "$id:/data/sub/f" "$T/f"
        [ "$(cat "$T/f")" = in ]
        dk cp "$id:/data" "$T/data"
        [ "$(cat "$T/data/sub/f")" = in ]
        [ "$(readlink "$T/data/link")" = sub/f ]
        # The stat docker's CLI reads: Go's FileMode (setuid is 1<<23), the link's target as an absolute path.
        run path_stat "$id" /data/sub/f
        echo "$output"
        [[ $output == *'"name":"f"'* && $output == *'"size":3'* && $output == *"\"mode\":$(((1 << 23) + 0751))"* ]]
        run path_stat "$id" /data/link
        [[ $output == *'"linkTarget":"/data/sub/f"'* && $output == *"\"mode\":$(((1 << 27) + 0777))"* ]]
        run path_stat "$id" /data
        [[ $output == *"\"mode\":$(((1 << 31) + 0755))"* ]]
        # cp to "-": the tar as GNU tar reads it, owners as they are in the container.
        dk cp "$id:/data/sub" - | tar -tvf - > "$T/list"
        grep -q '1000/1000 .* sub/f$' "$T/list"
        # A stopped container's root is mounted for the copy and unmounted after.
        dk stop -t 1 "$id"
        rm -rf "$T/f"
        dk cp "$id:/data/sub/f" "$T/f"
        [ "$(cat "$T/f")" = in ]
        ! grep -q "$ROOT/snapshots/$id/merged" /proc/self/mountinfo
}

@test "docker cp into a container: a file, a directory, -a keeps owners, without it root owns them; a tar from stdin" {
        id=$(dk run -d busybox sleep 100)
        mkdir -p "$T/src/dir/deeper"
        head -c 300000 /dev/urandom > "$T/src/dir/blob"
        printf 'hello\n' > "$T/src/dir/deeper/h"
        chown -R 1234:4321 "$T/src/dir"
        dk cp "$T/src/dir" "$id:/tmp/"
        [ "$(b exec "$id" sha256sum /tmp/dir/blob | cut -d' ' -f1)" = "$(sha256sum "$T/src/dir/blob" | cut -d' ' -f1)" ]
        [ "$(b exec "$id" cat /tmp/dir/deeper/h)" = hello ]
        [ "$(b exec "$id" stat -c %u:%g /tmp/dir/deeper/h)" = 0:0 ]
        dk cp -a "$T/src/dir/deeper/h" "$id:/tmp/h-archive"
        [ "$(b exec "$id" stat -c %u:%g /tmp/h-archive)" = 1234:4321 ]
        # A file copied onto a new name in an existing directory.
        dk cp "$T/src/dir/deeper/h" "$id:/etc/renamed"
        [ "$(b exec "$id" cat /etc/renamed)" = hello ]
        # A tar on stdin is extracted as it is.
        tar -C "$T/src" -cf - dir/deeper | dk cp - "$id:/root"
        [ "$(b exec "$id" cat /root/dir/deeper/h)" = hello ]
}

@test "archive errors: a missing path 404, a missing container 404, no path 400, a tar that leaves its directory 400 with nothing written" {
        id=$(dk run -d busybox sleep 100)
        run api HEAD "/containers/$id/archive?path=/nonexistent" -I
        [[ $output == *" 404 "* ]]
        run api GET "/containers/$id/archive?path=/nonexistent"
        [ "${lines[-1]}" = 404 ]
        [[ $output == *"Could not find the file /nonexistent"* ]]
        run api GET "/containers/nosuch/archive?path=/etc"
        [ "${lines[-1]}" = 404 ]
        run api GET "/containers/$id/archive"
        [ "${lines[-1]}" = 400 ]
        run -1 dk cp "$id:/nonexistent" "$T/x"
        [[ $output == *"Could not find the file /nonexistent"* ]]
        [ ! -e "$T/x" ]
        # An archive whose second member climbs out of the destination: refused whole, the first not written.
        python3 - "$T/evil.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for name in ("first", "../../etc/evil"):
        data = b"x\n"
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
EOF
        run api PUT "/containers/$id/archive?path=/tmp" -H 'Content-Type: application/x-tar' --data-binary "@$T/evil.tar"
        echo "$output"
        [ "${lines[-1]}" = 400 ]
        run b exec "$id" ls /tmp /etc/evil
        [[ $output != *first* ]]
        [[ $output == *"/etc/evil"*"No such file"* ]]
        # Extraction into a file: docker's 400.
        tar -C "$T" -cf "$T/ok.tar" evil.tar
        run api PUT "/containers/$id/archive?path=/etc/passwd" --data-binary "@$T/ok.tar"
        [ "${lines[-1]}" = 400 ]
        [[ $output == *"not a directory"* ]]
        # A client that goes away mid-upload leaves nothing behind in the store's tmp.
        ( head -c 50000000 /dev/zero | curl -sS --unix-socket "$SOCK" -X PUT -T - --max-time 1 \
                "http://berth/v1.50/containers/$id/archive?path=/tmp" ) || true
        wait_until sh -c "[ -z \"\$(ls -A $ROOT/tmp)\" ]"
        run dk exec "$id" echo still-serving
        [ "$output" = still-serving ]
}

@test "docker container resize and a run -t's size: the terminal's size as stty reads it; a stopped container 409" {
        id=$(dk run -d -t busybox sh -c 'sleep 100')
        run api POST "/containers/$id/resize?h=33&w=111"
        [ "${lines[-1]}" = 200 ]
        wait_until sh -c "[ \"\$($BERTH_BIN --root $ROOT exec $id stty -F /proc/1/fd/0 size)\" = '33 111' ]"
        run api POST "/containers/$id/resize?h=x&w=1"
        [ "${lines[-1]}" = 400 ]
        run api POST "/containers/$id/resize?h=70000&w=1"
        [ "${lines[-1]}" = 400 ]
        dk stop -t 1 "$id"
        run api POST "/containers/$id/resize?h=10&w=10"
        [ "${lines[-1]}" = 409 ]
        run api POST "/containers/nosuch/resize?h=10&w=10"
        [ "${lines[-1]}" = 404 ]
}

@test "system df: the CLI and docker system df through the API agree with each other and with the bytes on disk" {
        b volume create dfvol >/dev/null
        b run --network none -v dfvol:/data busybox sh -c 'head -c 100000 /dev/zero > /data/z; head -c 50000 /dev/zero > /big'
        exited=$(b ps -lq --no-trunc)
        b run -d --network none busybox sleep 100 >/dev/null
        # An intermediate image the build cache alone keeps once the build's result is removed: its layer
        # (/a, 30000 bytes) is the cache's.
        mkdir -p "$T/ctx"
        printf 'FROM busybox\nRUN head -c 30000 /dev/zero > /a\nRUN echo b > /b\n' > "$T/ctx/Dockerfile"
        b build -q -t dfbuilt "$T/ctx" >/dev/null
        b rmi dfbuilt >/dev/null
        b system df --format '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}' > "$T/cli"
        dk system df --format '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}' > "$T/api"
        cat "$T/cli" "$T/api"
        diff "$T/cli" "$T/api"
        grep -qx 'Containers|2|1|50kB' "$T/cli"
        grep -qx 'Local Volumes|1|1|100kB' "$T/cli"
        grep -qx 'Build Cache|1|0|30kB' "$T/cli"
        # The API's numbers are the files' bytes as the kernel reports them.
        run api GET /system/df
        df=${lines[0]}
        volume_bytes=$(find "$ROOT/volumes/dfvol/_data" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
        [ "$(echo "$df" | jq '.Volumes[0].UsageData.Size')" = "$volume_bytes" ]
        [ "$(echo "$df" | jq '.Volumes[0].UsageData.RefCount')" = 1 ]
        upper=$(b inspect -f '{{.GraphDriver.Data.UpperDir}}' "$exited")
        upper_bytes=$(find "$upper" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
        [ "$(echo "$df" | jq --arg id "$exited" '.Containers[] | select(.Id == $id) | .SizeRw')" = "$upper_bytes" ]
        [ "$(echo "$df" | jq '[.BuildCache[] | select(.Type == "regular")] | length')" = 1 ]
        [ "$(echo "$df" | jq '.BuildCache[0].Size')" = 30000 ]
        [ "$(echo "$df" | jq '[.Images[] | .Containers] | add')" = 2 ]
}

# tm ARGS...: tmux on the test's own server (its socket in the scratch directory, no config read).
tm() {
        tmux -S "$T/tmux.sock" -f /dev/null "$@"
}

pane_has() {
        tm capture-pane -p -t "$1" | grep -q -- "$2"
}

@test "docker run -it and exec -it on a real terminal (tmux): input, output, the window's size, exit codes" {
        command -v tmux >/dev/null || skip "tmux is not installed"
        dkcmd="DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$T/docker-config $DOCKER"
        tm new-session -d -s run -x 132 -y 43 "$dkcmd run -it --name itc busybox sh; echo run-exited-\$?; sleep 30"
        tm set-option -t run status off
        wait_until sh -c "[ \"\$($BERTH_BIN --root $ROOT inspect -f '{{.State.Status}}' itc 2>/dev/null)\" = running ]"
        size=$(tm display-message -p -t run '#{pane_height} #{pane_width}')
        # Arithmetic the shell in the container does: what appears proves the keys went in and the output out.
        tm send-keys -t run 'echo marker-$((40 + 2)); stty size' Enter
        wait_until pane_has run marker-42
        wait_until pane_has run "^$size\$"
        # exec -it beside it, in a second window.
        tm new-window -d -t run -n ex "$dkcmd exec -it itc sh -c 'read line; echo exec-got-\$line; exit 7'; echo exec-exited-\$?; sleep 30"
        wait_until sh -c "$BERTH_BIN --root $ROOT top itc | grep -q 'exit 7'"
        tm send-keys -t run:ex 'hello-there' Enter
        wait_until pane_has run:ex exec-got-hello-there
        wait_until pane_has run:ex exec-exited-7
        tm send-keys -t run 'exit 5' Enter
        wait_until pane_has run run-exited-5
        [ "$(b inspect -f '{{.State.ExitCode}}' itc)" = 5 ]
        tm kill-server
}
