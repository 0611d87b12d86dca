#!/usr/bin/env bats
# SIGKILL during load, at random points: the store is never corrupt (system check verifies every blob and
# record) and a retried load succeeds.
load image-helpers

setup() { image_setup; }
teardown() { image_teardown; }

kill_load_loop() {  # ARCHIVE ROUNDS
        local archive=$1 rounds=$2 i pid delay killed=0
        for ((i = 0; i < rounds; i++)); do
                delay=$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", (r % 60) / 1000 }')
                # The binary itself in the background (not the b function, whose subshell would take the kill).
                "$BERTH_BIN" --root "$ROOT" load -q -i "$archive" >/dev/null 2>&1 &
                pid=$!
                sleep "$delay"
                kill -KILL "$pid" 2>/dev/null && killed=$((killed + 1))
                wait "$pid" 2>/dev/null || true
                run b system check
                echo "round $i (kill after ${delay}s): $output"
                [ "$status" -eq 0 ]
                # An interrupted load leaves no image half-made: either the image is complete or absent.
                run b images -q
                [ "$status" -eq 0 ]
                # A load that finished before its kill: start the next round from an empty store again.
                if [ -n "$output" ]; then
                        b image prune -a -f >/dev/null
                        [ -z "$(ls "$ROOT/layers")" ]
                fi
        done
        echo "killed $killed of $rounds loads while running"
        [ "$killed" -gt 0 ]
        run b load -i "$archive"
        [ "$status" -eq 0 ]
        run b system check
        [ "$status" -eq 0 ]
        # The retried image is whole: its tree can be mounted and read.
        for id in $(b images -q | sort -u); do
                mnt=$(b image mount "$id")
                [ -x "$mnt/bin/busybox" ] || [ -e "$mnt/etc" ]
                b image unmount "$id"
        done
        # Every layer on disk is one a record lists, and no temporary work is left (its killer is gone).
        [ -z "$(ls "$ROOT/tmp")" ]
}

@test "SIGKILL during load of a 4-layer image, 25 rounds" {
        kill_load_loop "$(oci_archive multilayer)" 25
}

@test "SIGKILL during load of busybox (gzip, zstd and tar layers), 25 rounds, then rmi and reload" {
        kill_load_loop "$(oci_archive busybox)" 25
        b rmi -f "$(b images -q | head -1)"
        run b system check
        [ "$status" -eq 0 ]
        [ -z "$(ls "$ROOT/layers")" ]
}

@test "concurrent commands: loads of shared layers, tags, listings and removals at once" {
        local bb ml pids=() i
        bb=$(oci_archive busybox)
        ml=$(oci_archive multilayer)
        for i in 1 2 3; do
                "$BERTH_BIN" --root "$ROOT" load -q -i "$ml" &
                pids+=($!)
                "$BERTH_BIN" --root "$ROOT" load -q -i "$IMAGES/busybox.docker.tar" &
                pids+=($!)
                "$BERTH_BIN" --root "$ROOT" load -q -i "$bb" &
                pids+=($!)
                "$BERTH_BIN" --root "$ROOT" images >/dev/null &
                pids+=($!)
        done
        for pid in "${pids[@]}"; do
                wait "$pid"
        done
        run b system check
        [ "$status" -eq 0 ]
        # multilayer shares busybox's layer: 4 layer directories in all, each once.
        [ "$(ls "$ROOT/layers" | wc -l)" -eq 4 ]
        # Tags and removals racing with loads: every command succeeds or fails cleanly, the store stays whole.
        pids=()
        for i in 1 2 3 4; do
                ( "$BERTH_BIN" --root "$ROOT" tag localhost/busybox "t$i" && "$BERTH_BIN" --root "$ROOT" rmi "t$i" ) >/dev/null &
                pids+=($!)
                "$BERTH_BIN" --root "$ROOT" load -q -i "$ml" &
                pids+=($!)
        done
        "$BERTH_BIN" --root "$ROOT" image prune -f >/dev/null &
        pids+=($!)
        for pid in "${pids[@]}"; do
                wait "$pid"
        done
        run b system check
        [ "$status" -eq 0 ]
        # The t1..t4 tags are gone; the prune ran before or after the last loads, so multilayer is there or not.
        run b images --format '{{.Repository}}:{{.Tag}}'
        [[ "$output" == *"localhost/busybox:latest"* ]]
        ! grep -q '^t[0-9]' <<< "$output"
}
