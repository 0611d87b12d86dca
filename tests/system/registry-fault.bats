#!/usr/bin/env bats
# Faults between berth and the registry, made by tests/helpers/registry-fault-proxy.py in front of the real
# registry: connections cut mid-blob (resumed with Range, or started over), 500s (retried, then a clear
# error), a corrupted byte (refused, nothing stored), a slow registry (progress moves; Ctrl-C and SIGKILL
# leave the store clean).
load registry-helpers

setup_file() {
        ensure_registry_images
        registry_start REG
        registry_push "$REG_PORT" busybox multilayer debian
}

teardown_file() {
        registries_stop
}

setup() {
        registry_test_setup
        store_fingerprint > "$T/empty"
}
teardown() { registry_test_teardown; }

# Bytes received on the TCP connections to a local port (tcp_info, from ss).
received_from() {  # PORT
        ss -tinH "dport = :$1" | grep -o 'bytes_received:[0-9]*' | awk -F: '{ n += $2 } END { print n + 0 }'
}

layer_of() {  # NAME TAG INDEX: the layer digest from the layout
        local m
        m=$(layout_manifest "$1" "$2")
        jq -r ".layers[$3].digest" "$IMAGES/$1/blobs/sha256/${m#sha256:}"
}

@test "a connection cut mid-blob is resumed with a Range request from where it broke" {
        proxy_start "$REG" cut:2
        run b pull --tls-verify=false "$PROXY/debian"
        echo "$output"
        [ "$status" -eq 0 ]
        local layer
        layer=$(layer_of debian latest 0)
        wait_log_lines "$PROXY_LOG" ' 206 ' 2
        cat "$PROXY_LOG"
        # the cut answer, then a 206 for the rest, asked from exactly the byte where the first one broke
        sent=$(grep -F "$layer" "$PROXY_LOG" | grep -o 'fault=cut sent=[0-9]*' | cut -d= -f3)
        [ -n "$sent" ]
        grep -F "$layer" "$PROXY_LOG" | grep -q " 206 range=bytes=$sent- "
        [[ "$output" == *"Retrying in"* ]]
        cmp "$ROOT/blobs/sha256/${layer#sha256:}" "$IMAGES/debian/blobs/sha256/${layer#sha256:}"
        assert_store_clean
}

@test "a cut with a registry that ignores Range: the blob starts over and still verifies" {
        proxy_start "$REG" cut:1 norange
        run b pull -q --tls-verify=false "$PROXY/busybox"
        [ "$status" -eq 0 ]
        wait_log_lines "$PROXY_LOG" 'blobs/' 3
        cat "$PROXY_LOG"
        # berth asked for the rest, the registry answered with the whole blob
        grep -q ' 200 range=bytes=[0-9]*- ' "$PROXY_LOG"
        assert_store_clean
        [ "$(b images -q --no-trunc)" = "$(layout_config busybox latest)" ]
}

@test "500 answers are retried with backoff, then the pull succeeds" {
        proxy_start "$REG" status:500:3
        run b pull --tls-verify=false "$PROXY/multilayer"
        echo "$output"
        [ "$status" -eq 0 ]
        cat "$PROXY_LOG"
        [ "$(count_lines "$PROXY_LOG" 'fault=status')" -eq 3 ]
        assert_store_clean
}

@test "500 answers without end: a clear error after 5 attempts, the store unchanged" {
        proxy_start "$REG" status:500:0
        run b pull -q --tls-verify=false "$PROXY/busybox"
        [ "$status" -eq 1 ]
        assert_one_line_naming "download failed after 5 attempts: received unexpected HTTP status: 500 Internal Server Error"
        store_fingerprint | diff "$T/empty" -
        assert_store_clean
        # the manifest too
        proxy_start "$REG" 'status:500:0:^GET /v2/.*/manifests/'
        run b pull -q --tls-verify=false "$PROXY/busybox"
        [ "$status" -eq 1 ]
        assert_one_line_naming "received unexpected HTTP status: 500 Internal Server Error"
        [ "$(count_lines "$PROXY_LOG" 'manifests/.*fault=status')" -eq 5 ]
        store_fingerprint | diff "$T/empty" -
}

@test "a corrupted byte: the digest does not match, the layer is refused and nothing is stored" {
        proxy_start "$REG" corrupt
        run b pull -q --tls-verify=false "$PROXY/multilayer"
        [ "$status" -eq 1 ]
        assert_one_line_naming "filesystem layer verification failed for digest sha256:"
        store_fingerprint | diff "$T/empty" -
        [ -z "$(ls "$ROOT/blobs/sha256")" ]
        assert_store_clean
        # the same pull without the fault works (nothing bad was kept to trip it)
        run b pull -q --tls-verify=false "$REG/multilayer"
        [ "$status" -eq 0 ]
}

@test "a slow registry: the progress keeps moving on a terminal; Ctrl-C leaves the store as it was" {
        proxy_start "$REG" slow:300000
        local pid i first second
        script -qfec "$BERTH_BIN --root $ROOT pull --tls-verify=false $PROXY/debian" "$T/tty.log" > /dev/null &
        echo $! >> "$PIDS"
        local scriptpid=$!
        for i in $(seq 100); do
                pid=$(pgrep -f -- "^$BERTH_BIN --root $ROOT pull" | head -1)
                [ -n "$pid" ] && break
                sleep 0.05
        done
        [ -n "$pid" ]
        # the byte count of the layer line grows between two looks
        sleep 2
        first=$(grep -ao 'Downloading[^/]*/' "$T/tty.log" | tail -1)
        sleep 1.5
        second=$(grep -ao 'Downloading[^/]*/' "$T/tty.log" | tail -1)
        echo "first: $first second: $second"
        [ -n "$first" ]
        [ "$first" != "$second" ]
        # what the kernel counts on berth's connections to the registry grows too
        local r1 r2
        r1=$(received_from "${PROXY##*:}")
        sleep 0.5
        r2=$(received_from "${PROXY##*:}")
        echo "bytes received: $r1 then $r2"
        [ "$r2" -gt "$r1" ]
        kill -INT "$pid"
        local rc=0
        wait "$scriptpid" || rc=$?
        # berth died of SIGINT, as an interrupted docker pull does (script passes its status on)
        [ "$rc" -eq 130 ]
        ! kill -0 "$pid" 2>/dev/null
        store_fingerprint | diff "$T/empty" -
        assert_store_clean
        [ -z "$(ls "$ROOT/layers")" ]
}

@test "SIGKILL in the middle of a pull: no partial blob or layer is visible, a retried pull succeeds" {
        proxy_start "$REG" slow:500000
        "$BERTH_BIN" --root "$ROOT" pull -q --tls-verify=false "$PROXY/multilayer" > /dev/null 2>&1 &
        local pid=$!
        echo "$pid" >> "$PIDS"
        sleep 1.5
        kill -KILL "$pid"
        wait "$pid" || true
        # Whatever was linked is complete (verified), nothing half-written has a name.
        assert_blobs_verify
        [ -z "$(ls "$ROOT/layers")" ]
        run b system check
        [ "$status" -eq 0 ]
        run b pull -q --tls-verify=false "$REG/multilayer"
        [ "$status" -eq 0 ]
        assert_store_clean
}
