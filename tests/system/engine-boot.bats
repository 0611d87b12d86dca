#!/usr/bin/env bats
# berth system boot: after a reboot (simulated: every monitor and container process killed, the containers'
# root filesystems unmounted), the containers with --restart always, or unless-stopped and not stopped by
# the user, run again; the others stay exited.

load engine-helpers

setup() {
        engine_setup
}

teardown() {
        engine_teardown
}

# What a reboot does to a store: every process of every container and every monitor gone, no mounts left.
simulate_reboot() {
        local id pid mon
        for id in $(b ps -q --no-trunc); do
                pid=$(b inspect -f '{{.State.Pid}}' "$id")
                mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
                kill -9 "$mon" "$pid"
        done
        for id in $(b ps -q --no-trunc); do
                wait_until [ ! -d "/proc/$(b inspect -f '{{.State.Pid}}' "$id")" ]
        done
        findmnt -rn -o TARGET | grep "^$T/" | sort -r | while read -r m; do umount -l "$m"; done
}

running_pid() {  # CONTAINER: its init's pid when it runs, checked in /proc
        local pid
        pid=$(b inspect -f '{{.State.Pid}}' "$1")
        [ "$pid" -gt 0 ] && [ "$(cat "/proc/$pid/comm")" = sleep ] && echo "$pid"
}

@test "system boot starts always and unless-stopped containers, not stopped unless-stopped, no or on-failure ones" {
        for p in always:al unless-stopped:us unless-stopped:stopped no:never on-failure:onfail always:stopped_always; do
                b run -d --name "${p#*:}" --restart "${p%%:*}" busybox sleep 1000 >/dev/null
        done
        b stop -t 0 stopped stopped_always
        old_al=$(running_pid al)
        simulate_reboot
        # Before boot: all of them exited (the record folded with what the kernel shows).
        [ -z "$(b ps -q)" ]
        run b system boot
        [ "$status" -eq 0 ]
        # docker: always comes back even after a stop by the user; unless-stopped only if not stopped.
        [ "$(echo "$output" | sort | xargs)" = "al stopped_always us" ]
        new_al=$(running_pid al)
        [ -n "$new_al" ] && [ "$new_al" != "$old_al" ]
        running_pid us
        running_pid stopped_always
        for c in stopped never onfail; do
                [ "$(container_state "$c")" = exited ]
        done
        # The restarted containers work: exec, logs, stop.
        [ "$(b exec al cat /proc/1/comm)" = sleep ]
        b stop -t 0 al
        # A second boot on a running system changes nothing but what is down and wanted (al: always).
        run b system boot
        [ "$output" = al ]
        [ "$(b ps -q | wc -l)" -eq 3 ]
}

@test "system boot: events, and a container that cannot start is reported while the others start" {
        b run -d --name good --restart always busybox sleep 1000
        b run -d --name bad --restart always busybox sleep 1000
        simulate_reboot
        # Its layer gone: the root filesystem cannot be mounted.
        rm -rf "$ROOT/snapshots/$(b inspect -f '{{.Id}}' bad)"
        run b system boot
        [ "$status" -eq 1 ]
        [[ "$output" == *"good"* ]]
        [[ "$output" == *"Error: start bad"* ]]
        running_pid good
        run b events --since 0 --until "$(date +%s.%N)" --filter container=good --format '{{.Action}}'
        [ "$output" = "$(printf 'create\nstart\ndie\nstart')" ]
}

@test "contrib/berth-boot.service runs berth system boot once at boot" {
        unit=$BERTH_ROOT_DIR/contrib/berth-boot.service
        grep -qx 'ExecStart=/usr/local/bin/berth system boot' "$unit"
        grep -qx 'Type=oneshot' "$unit"
        if command -v systemd-analyze >/dev/null; then
                run systemd-analyze verify "$unit"
                [[ "$output" != *"Unknown"* ]]
        fi
}
