#!/usr/bin/env bats
# Health checks: the image's HEALTHCHECK and --health-*, probed by the container's monitor through exec into
# the container; ps's "(healthy)", inspect's State.Health (the last 5 results, FailingStreak), health_status
# events, ps --filter health=; a probe that hangs (killed at its timeout) or floods its output (capped at
# 4096 bytes); --no-healthcheck; bad flags refused.

load engine-helpers

setup() {
        engine_setup
}

teardown() {
        engine_teardown
}

health() {  # CONTAINER: State.Health.Status
        b inspect -f '{{.State.Health.Status}}' "$1"
}

health_is() {  # CONTAINER STATUS
        [ "$(health "$1")" = "$2" ]
}

log_entries_at_least() {  # CONTAINER N
        [ "$(b inspect -f '{{json .State.Health.Log}}' "$1" | jq length)" -ge "$2" ]
}

# An image like busybox with a HEALTHCHECK in its config (docker-archive: the config edited, renamed).
load_image_with_healthcheck() {
        local d=$T/hcimg
        mkdir -p "$d"
        tar -C "$d" -xf "$IMAGES/busybox.docker.tar"
        local cfg
        cfg=$(jq -r '.[0].Config' "$d/manifest.json")
        jq -c '.config.Healthcheck = {"Test":["CMD-SHELL","cat /etc/hostname; test ! -e /tmp/sick"],"Interval":1000000000,"Retries":2}' \
                "$d/$cfg" > "$d/hc.json"
        rm -f "$d/$cfg" "$d/repositories"
        jq -c '.[0].Config = "hc.json" | .[0].RepoTags = ["localhost/hc:latest"]' "$d/manifest.json" > "$d/m"
        mv "$d/m" "$d/manifest.json"
        tar -C "$d" -cf "$T/hc.tar" .
        "${BERTH_BIN}-full" --root "$ROOT" load -q -i "$T/hc.tar" >/dev/null
}

@test "--health-cmd: starting, unhealthy after --health-retries failures, healthy again; ps, inspect, events, filters" {
        b run -d --name web --health-cmd 'cat /proc/1/comm; test -e /tmp/ok' --health-interval 1s --health-retries 2 busybox sleep 100
        [[ "$(b ps --format '{{.Status}}' --filter name=web)" == *"(health: starting)" ]]
        [ "$(health web)" = starting ]
        wait_until health_is web unhealthy
        [ "$(b inspect -f '{{.State.Health.FailingStreak}}' web)" -ge 2 ]
        [[ "$(b ps --format '{{.Status}}' --filter name=web)" =~ ^Up\ .*\ \(unhealthy\)$ ]]
        # The probe ran in the container: its PID 1 is the container's sleep, and its output is kept.
        [ "$(b inspect -f '{{json .State.Health.Log}}' web | jq -r '.[0].Output')" = "sleep" ]
        [ "$(b inspect -f '{{json .State.Health.Log}}' web | jq -r '.[0].ExitCode')" = 1 ]
        b exec web touch /tmp/ok
        wait_until health_is web healthy
        [ "$(b inspect -f '{{.State.Health.FailingStreak}}' web)" = 0 ]
        [[ "$(b ps --format '{{.Status}}' --filter name=web)" =~ ^Up\ .*\ \(healthy\)$ ]]
        # At most the last 5 results.
        wait_until log_entries_at_least web 5
        sleep 1.5
        [ "$(b inspect -f '{{json .State.Health.Log}}' web | jq length)" -eq 5 ]
        # Events: each change of status, docker's "health_status: STATUS".
        run b events --since 0 --until "$(date +%s.%N)" --filter event=health_status --format '{{.Action}}'
        [ "$output" = "$(printf 'health_status: unhealthy\nhealth_status: healthy')" ]
        # ps --filter health=
        b run -d --name plain busybox sleep 100
        [ "$(b ps --filter health=healthy --format '{{.Names}}')" = web ]
        [ "$(b ps --filter health=none --format '{{.Names}}')" = plain ]
        [ -z "$(b ps --filter health=unhealthy -q)" ]
        run b ps --filter health=sick
        [ "$status" -eq 125 ]
        # No State.Health without a health check.
        [ "$(b inspect -f '{{json .State}}' plain | jq 'has("Health")')" = false ]
}

@test "the image's HEALTHCHECK is used, --health-* override parts of it, --no-healthcheck turns it off" {
        load_image_with_healthcheck
        b run -d --name img localhost/hc sleep 100
        wait_until health_is img healthy
        [ "$(b inspect -f '{{json .State.Health.Log}}' img | jq -r '.[0].Output')" = "$(b inspect -f '{{.Config.Hostname}}' img)" ]
        b exec img touch /tmp/sick
        wait_until health_is img unhealthy
        # A retries of our own, the image's test and interval kept.
        b run -d --name more --health-retries 7 localhost/hc sleep 100
        [ "$(b inspect -f '{{json .Config.Healthcheck}}' more | jq -c '[.Test[1], .Interval, .Retries]')" = \
          '["cat /etc/hostname; test ! -e /tmp/sick",1000000000,7]' ]
        b run -d --name off --no-healthcheck localhost/hc sleep 100
        [ "$(b inspect -f '{{json .Config.Healthcheck.Test}}' off)" = '["NONE"]' ]
        [ "$(b inspect -f '{{json .State}}' off | jq 'has("Health")')" = false ]
        [[ "$(b ps --format '{{.Status}}' --filter name=off)" != *"health"* ]]
        # No probe process for it: the monitor has no child besides the container's init.
        mon=$(ps -o ppid= -p "$(b inspect -f '{{.State.Pid}}' off)" | tr -d ' ')
        sleep 1.5
        [ "$(pgrep -P "$mon" | wc -l)" -eq 1 ]
}

@test "a probe that hangs is killed at --health-timeout; one that floods is capped at 4096 bytes" {
        b run -d --name hang --health-cmd 'sleep 30' --health-timeout 1s --health-interval 1s --health-retries 1 busybox sleep 100
        wait_until health_is hang unhealthy
        [ "$(b inspect -f '{{json .State.Health.Log}}' hang | jq -r '.[0].Output')" = "Health check exceeded timeout (1s)" ]
        [ "$(b inspect -f '{{json .State.Health.Log}}' hang | jq -r '.[0].ExitCode')" = -1 ]
        # The hung probe's process is gone from the container (at most the one of the probe now running).
        [ "$(pgrep -f 'sleep 30' | wc -l)" -le 1 ]
        b run -d --name flood --health-cmd 'yes | head -c 1000000' --health-interval 1s busybox sleep 100
        wait_until health_is flood healthy
        [ "$(b inspect -f '{{json .State.Health.Log}}' flood | jq -r '.[0].Output | length')" -eq 4096 ]
}

@test "failures within --health-start-period do not count; probes every --health-start-interval then" {
        b run -d --name slow --health-cmd false --health-interval 30s --health-start-period 3s --health-start-interval 1s \
                --health-retries 1 busybox sleep 100
        wait_until log_entries_at_least slow 2
        # Failing, but still starting: the start period forgives.
        [ "$(health slow)" = starting ]
        [ "$(b inspect -f '{{.State.Health.FailingStreak}}' slow)" = 0 ]
        wait_until health_is slow unhealthy
}

@test "a restart starts over (starting); a stopped container is probed no more" {
        b run -d --name rr --health-cmd true --health-interval 1s busybox sleep 100
        wait_until health_is rr healthy
        b restart -t 0 rr
        [ "$(health rr)" = starting ]
        wait_until health_is rr healthy
        b stop -t 0 rr
        n=$(b inspect -f '{{json .State.Health.Log}}' rr | jq length)
        sleep 2
        [ "$(b inspect -f '{{json .State.Health.Log}}' rr | jq length)" -eq "$n" ]
        [ -z "$(pgrep -f "container healthcheck $(b inspect -f '{{.Id}}' rr)")" ]
}

@test "bad health flags: one line each, exit 125, nothing created" {
        run b run --no-healthcheck --health-cmd true busybox true
        [ "$status" -eq 125 ]
        [ "$output" = "Error: --no-healthcheck conflicts with --health-* options" ]
        run b run --health-interval -1s busybox true
        [ "$status" -eq 125 ]
        [ "$output" = "Error: --health-interval cannot be negative" ]
        run b run --health-timeout soon busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *'invalid duration "soon"'* ]]
        run b run --health-retries -2 busybox true
        [ "$status" -eq 125 ]
        run b run --health-cmd true --health-interval 500us busybox true
        [ "$status" -eq 125 ]
        [ "$output" = "Error: Interval in Healthcheck cannot be less than 1ms" ]
        [ -z "$(b ps -aq)" ]
}
