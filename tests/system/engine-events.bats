#!/usr/bin/env bats
# berth events: the event journal (ROOT/events.log, engine/events.h) written by the engine's operations and
# the monitor's exit command, with docker's names and attributes; --filter, --since, --until, --format;
# following live; bounded by rotation; safe against concurrent writers; a torn line skipped.

load engine-helpers

setup() {
        engine_setup
}

teardown() {
        [ -n "${FOLLOWER:-}" ] && kill "$FOLLOWER" 2>/dev/null
        engine_teardown
}

state_is() {  # CONTAINER STATUS
        [ "$(container_state "$1")" = "$2" ]
}

# The policy's restarts are over: two restarts, and the third run's die in the journal (between a restart's
# back-off and its start the record already says exited).
restarts_done() {
        [ "$(b inspect -f '{{.RestartCount}} {{.State.Status}}' "$1")" = "2 exited" ] &&
                [ "$(journal --filter container="$1" --filter event=die | wc -l)" -eq 3 ]
}

lines_in() {  # FILE N
        [ "$(wc -l < "$1")" -eq "$2" ]
}

# The journal so far (nothing followed): "ACTION NAME" per container event, or a template.
journal() {  # [--format F] [ARGS...]
        b events --since 0 --until "$(date +%s.%N)" "$@"
}

@test "a container's life in the journal: docker's actions in order, with image, name, labels, exitCode, signal" {
        run b run --name life -l tier=web busybox sh -c 'exit 3'
        [ "$status" -eq 3 ]
        b run -d --name longer busybox sleep 100
        b pause longer
        b unpause longer
        b kill -s USR1 longer
        b stop -t 1 longer
        b rename longer renamed
        b rm life renamed
        run journal --filter type=container --format '{{.Action}} {{.Actor.Attributes.name}}'
        [ "$status" -eq 0 ]
        expected="create life
start life
die life
create longer
start longer
pause longer
unpause longer
kill longer
kill longer
kill longer
die longer
stop longer
rename renamed
destroy life
destroy renamed"
        [ "$output" = "$expected" ]
        # The attributes docker gives: image, name, the labels; die's exitCode, kill's signal, rename's oldName.
        run journal --filter event=die --format '{{.Actor.Attributes.exitCode}} {{.Actor.Attributes.image}} {{.Actor.Attributes.tier}}' \
                --filter container=life
        [ "$output" = "3 busybox web" ]
        run journal --filter event=kill --format '{{.Actor.Attributes.signal}}'
        [ "$output" = "$(printf '10\n15\n9')" ]
        run journal --filter event=rename --format '{{.Actor.Attributes.oldName}}'
        [ "$output" = longer ]
        # docker's message: Type, Action, Actor.ID (the full id), status/id/from, scope, time and timeNano.
        journal --filter event=create --format json | head -1 > "$T/ev"
        jq -e '.Type == "container" and .status == "create" and (.id | length) == 64 and .id == .Actor.ID and
               .from == "busybox" and .scope == "local" and (.timeNano / 1000000000 | floor) == .time' "$T/ev"
}

@test "die is recorded once per exit: the monitor's exit command and any refreshing command race for it" {
        id=$(b run -d busybox sh -c 'sleep 0.3; exit 7')
        for i in $(seq 20); do b ps -a >/dev/null & done
        wait
        b wait "$id"
        run journal --filter event=die --format '{{.Actor.Attributes.exitCode}}'
        [ "$output" = 7 ]
        # A killed monitor: the next command that looks records the exit (255), once.
        id=$(b run -d busybox sleep 100)
        mon=$(b inspect -f '{{.State.Pid}}' "$id")
        kill -9 "$(ps -o ppid= -p "$mon" | tr -d ' ')" "$mon"
        wait_until state_is "$id" exited
        b ps -a >/dev/null
        run journal --filter event=die --filter container="$id" --format '{{.Actor.Attributes.exitCode}}'
        [ "$output" = 255 ]
}

@test "restart policy: each restart is a die and a start" {
        b run -d --name again --restart on-failure:2 busybox sh -c 'exit 1'
        # Readers refresh the record without the container's lock while the monitor restarts it: they
        # must neither fold a restart into a false exit nor record a die twice.
        (for _ in $(seq 60); do b ps -a >/dev/null 2>&1; b inspect again >/dev/null 2>&1; done) &
        readers=$!
        if ! wait_until restarts_done again; then
                wait "$readers"
                b inspect again
                journal --filter container=again
                false
        fi
        wait "$readers"
        run journal --filter container=again --format '{{.Action}}'
        [ "$output" = "$(printf 'create\nstart\ndie\nstart\ndie\nstart\ndie')" ]
}

@test "image events: tag, untag, delete with docker's actors" {
        id=$(b inspect -f '{{.Id}}' busybox)
        b tag busybox mine:1
        b rmi mine:1
        b tag busybox gone:1
        b rmi localhost/busybox busybox gone:1 >/dev/null
        run journal --filter type=image --filter event=tag --filter event=untag --filter event=delete \
                --format '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}'
        # engine_setup's tag first.
        [ "${lines[0]}" = "tag $id busybox:latest" ]
        [ "${lines[1]}" = "tag $id mine:1" ]
        [ "${lines[2]}" = "untag $id $id" ]
        [ "${lines[3]}" = "tag $id gone:1" ]
        [ "${lines[-1]}" = "delete $id $id" ]
        run journal --filter image=mine --filter event=tag --format '{{.Actor.Attributes.name}}'
        [ "$output" = mine:1 ]
}

@test "filters: container by name or id prefix, image, event, label, type; values of one key are alternatives" {
        b run --name one -l a=1 busybox true
        b run --name two -l a=2 -l b busybox true
        id1=$(b inspect -f '{{.Id}}' one)
        [ "$(journal --filter container=one --filter event=start --format '{{.Actor.Attributes.name}}')" = one ]
        [ "$(journal --filter container="${id1:0:12}" --filter event=start --format '{{.Actor.Attributes.name}}')" = one ]
        [ "$(journal --filter container=one --filter container=two --filter event=die --format '{{.Actor.Attributes.name}}' | sort | xargs)" = "one two" ]
        [ "$(journal --filter label=a=2 --filter event=create --format '{{.Actor.Attributes.name}}')" = two ]
        [ "$(journal --filter label=b --filter event=create --format '{{.Actor.Attributes.name}}')" = two ]
        [ "$(journal --filter label=a --filter event=create --format '{{.Actor.Attributes.name}}' | xargs)" = "one two" ]
        [ "$(journal --filter image=busybox --filter event=create --format '{{.Actor.Attributes.name}}' | xargs)" = "one two" ]
        [ -z "$(journal --filter image=other --filter type=container)" ]
        [ -z "$(journal --filter type=volume)" ]
        # The default line: TIME TYPE ACTION ID (attributes sorted).
        run journal --filter container=two --filter event=create
        [[ "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}(Z|[+-][0-9]{2}:[0-9]{2})\ container\ create\ [0-9a-f]{64}\ \(a=2,\ b=,\ image=busybox,\ name=two\)$ ]]
}

@test "bad input: an unknown filter, a bad type, a filter without =, a bad time: one line, exit 125" {
        run b events --filter colour=red
        [ "$status" -eq 125 ]
        [ "$output" = "Error: invalid filter 'colour'" ]
        run b events --filter type=teapot
        [ "$status" -eq 125 ]
        [ "$output" = "Error: invalid filter 'type=teapot'" ]
        run b events --filter container
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        run b events --since yesterday
        [ "$status" -eq 125 ]
        [[ "$output" == *'failed to parse value as time or duration: "yesterday"'* ]]
        # A template that cannot be rendered stops at the first event.
        b run --name tmpl busybox true
        run journal --format '{{.Nope}}'
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
}

@test "--since and --until select by time; --until in the past ends at once, in the future after following" {
        b run --name early busybox true
        sleep 1.1
        mid=$(date +%s.%N)
        b run --name late busybox true
        [ "$(b events --since "$mid" --until "$(date +%s.%N)" --filter event=create --format '{{.Actor.Attributes.name}}')" = late ]
        [ "$(b events --since 0 --until "$mid" --filter event=create --format '{{.Actor.Attributes.name}}')" = early ]
        # Durations count back from now, RFC 3339 works too.
        [ "$(b events --since 1h --until 0s --filter event=create | wc -l)" -eq 2 ]
        [ "$(b events --since "$(date -u -d @"${mid%.*}" +%Y-%m-%dT%H:%M:%SZ)" --until 0s --filter event=create | wc -l)" -ge 1 ]
        # A future --until: follows, then returns by itself.
        start=$(date +%s%N)
        run timeout 10 "$BERTH_BIN" --root "$ROOT" events --until "$(( $(date +%s) + 2 ))"
        [ "$status" -eq 0 ]
        [ $(( ($(date +%s%N) - start) / 1000000 )) -ge 500 ]
}

@test "without --since only new events, followed live as they are written" {
        b run --name before busybox true
        "$BERTH_BIN" --root "$ROOT" events --format '{{.Action}} {{.Actor.Attributes.name}}' > "$T/live" &
        FOLLOWER=$!
        sleep 0.5
        b run --name after busybox sh -c 'exit 4' || true
        wait_until grep -q "die after" "$T/live"
        ! grep -q before "$T/live"
        [ "$(head -1 "$T/live")" = "create after" ]
}

@test "concurrent writers: every line whole, none lost" {
        for w in 1 2 3 4; do
                (for i in $(seq 25); do b tag busybox "w$w:$i"; done) &
        done
        wait
        journal --format json --filter event=tag > "$T/tags"
        # 25 tags from each writer plus engine_setup's one; every line a whole event.
        [ "$(wc -l < "$T/tags")" -eq 101 ]
        [ "$(jq -r '.Actor.Attributes.name' "$T/tags" | sort -u | wc -l)" -eq 101 ]
        [ "$(grep -c . "$ROOT/events.log")" -eq "$(jq -c . "$ROOT/events.log" | wc -l)" ]
}

@test "the journal is bounded: two files of BERTH_EVENTS_MAX_SIZE, the oldest events dropped, a reader across the rotation" {
        export BERTH_EVENTS_MAX_SIZE=4096
        "$BERTH_BIN" --root "$ROOT" events --filter event=tag --format '{{.Actor.Attributes.name}}' > "$T/live" &
        FOLLOWER=$!
        sleep 0.5
        for i in $(seq 60); do b tag busybox "r:$i"; done
        [ -e "$ROOT/events.log.1" ]
        [ ! -e "$ROOT/events.log.2" ]
        [ "$(stat -c %s "$ROOT/events.log")" -le 4096 ]
        [ "$(stat -c %s "$ROOT/events.log.1")" -le 4096 ]
        # The newest are kept, the oldest gone.
        run journal --filter event=tag --format '{{.Actor.Attributes.name}}'
        [ "${lines[-1]}" = r:60 ]
        [[ "$output" != *"busybox:latest"* ]]
        # The follower saw all 60, in order, through each rotation.
        wait_until lines_in "$T/live" 60
        [ "$(cat "$T/live")" = "$(for i in $(seq 60); do echo "r:$i"; done)" ]
        # A follower held up while two rotations happen (stopped here, descheduled on a loaded machine) still
        # reads the file it would have skipped: 20 events of ~300 bytes are more than one file, less than two.
        kill -STOP "$FOLLOWER"
        for i in $(seq 61 80); do b tag busybox "r:$i"; done
        kill -CONT "$FOLLOWER"
        wait_until lines_in "$T/live" 80
        [ "$(cat "$T/live")" = "$(for i in $(seq 80); do echo "r:$i"; done)" ]
}

@test "a corrupt journal: a torn line is skipped with a warning, everything else read, the next write on a new line" {
        b run --name aa busybox true
        printf '{"status":"cre' >> "$ROOT/events.log"
        b run --name bb busybox true
        printf 'garbage\n' >> "$ROOT/events.log"
        b run --name cc busybox true
        run journal --filter event=create --format '{{.Actor.Attributes.name}}'
        [ "$status" -eq 0 ]
        [ "$(echo "$output" | grep -v WARNING | xargs)" = "aa bb cc" ]
        [[ "$output" == *"WARNING: skipped 2 corrupt line(s) of the event journal"* ]]
}

@test "an OOM kill: oom, then die with exitCode 137" {
        run b run --name oom --memory 16m --memory-swap 16m busybox sh -c 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'
        [ "$(b inspect -f '{{.State.OOMKilled}}' oom)" = true ] || skip "no OOM kill seen on this host"
        run journal --filter container=oom --format '{{.Action}} {{.Actor.Attributes.exitCode}}'
        [[ "$output" == *"oom 
die 137"* ]]
}

@test "volume create, destroy and prune, commit, load and import events" {
        b volume create vol1 >/dev/null
        b volume rm vol1 >/dev/null
        run journal --filter type=volume --format '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.driver}}'
        [ "$output" = "$(printf 'create vol1 local\ndestroy vol1 local')" ]
        # prune: a destroy per volume, then docker's prune event with the bytes reclaimed (as prune prints them).
        b volume create pv >/dev/null
        printf 'twelve bytes' > "$ROOT/volumes/pv/_data/f"
        run b volume prune -a -f
        [ "${lines[-1]}" = "Total reclaimed space: 12B" ]
        run journal --filter type=volume --filter event=destroy --filter event=prune --format '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.reclaimed}}'
        [ "$output" = "$(printf 'destroy vol1 \ndestroy pv \nprune  12')" ]
        b run --name src busybox sh -c 'echo x > /x'
        "${BERTH_BIN}-full" --root "$ROOT" commit -m note src committed:1 >/dev/null
        run journal --filter event=commit --format '{{.Actor.Attributes.name}} {{.Actor.Attributes.comment}} {{.Actor.Attributes.imageRef}}'
        [ "$output" = "src note committed:1" ]
        b export src | "${BERTH_BIN}-full" --root "$ROOT" import - imported:1 >/dev/null
        id=$(b inspect -f '{{.Id}}' imported:1)
        [ "$(journal --filter event=import --format '{{.Actor.ID}}')" = "$id" ]
        # engine_setup's load of the busybox archive.
        [ "$(journal --filter event=load --format '{{.Actor.Attributes.name}}')" = localhost/busybox:latest ]
}

@test "volume mount and unmount events: each volume at the container's start (before start) and end (after die)" {
        b volume create data >/dev/null
        id=$(b run -d --name vm -v data:/data -v data2:/ro:ro busybox sh -c 'sleep 0.3')
        b wait vm >/dev/null
        run sh -c "$BERTH_BIN --root $ROOT events --since 0 --until \$(date +%s.%N) --filter type=volume --filter event=mount --format '{{json .Actor}}' |
                jq -r '[.ID, .Attributes.container, .Attributes.destination, .Attributes[\"read/write\"], .Attributes.driver] | join(\" \")'"
        echo "$output"
        [ "$(echo "$output" | sort)" = "$(printf 'data %s /data true local
data2 %s /ro false local' "$id" "$id")" ]
        unmounts() { [ "$(journal --filter type=volume --filter event=unmount | wc -l)" -eq 2 ]; }
        wait_until unmounts
        [ "$(journal --filter type=volume --filter event=unmount --format '{{.Actor.ID}} {{.Actor.Attributes.container}}' | sort)" = \
          "$(printf 'data %s\ndata2 %s' "$id" "$id")" ]
        # docker's order: the mounts before the start, the unmounts after the die.
        journal --format '{{.Type}} {{.Action}}' | grep -E '^(volume (mount|unmount)|container (start|die))' | uniq > "$T/order"
        cat "$T/order"
        [ "$(cat "$T/order")" = "$(printf 'volume mount\ncontainer start\ncontainer die\nvolume unmount')" ]
}

@test "image save and prune events: untag and delete per image, then prune with what it reclaimed" {
        id=$(b inspect -f '{{.Id}}' busybox)
        "${BERTH_BIN}-full" --root "$ROOT" save -o "$T/bb.tar" busybox localhost/busybox
        # One save per image (two names of one image: one event), the image ID as ID and name (docker's).
        [ "$(journal --filter event=save --format '{{.Actor.ID}} {{.Actor.Attributes.name}}')" = "$id $id" ]
        mkdir -p "$T/rootfs" && echo x > "$T/rootfs/x"
        tar -C "$T/rootfs" -cf - . | "${BERTH_BIN}-full" --root "$ROOT" import - prunable:1 >/dev/null
        pid=$(b inspect -f '{{.Id}}' prunable:1)
        b run --name keeps busybox true
        b image prune -a -f >/dev/null
        # busybox has a container: kept; the imported image goes: untag, delete, then prune.
        run journal --filter type=image --filter event=untag --filter event=delete --filter event=prune \
                --format '{{.Action}} {{.Actor.ID}}'
        [ "$output" = "$(printf 'untag %s\ndelete %s\nprune ' "$pid" "$pid")" ]
        reclaimed=$(journal --filter event=prune --format '{{.Actor.Attributes.reclaimed}}')
        [ "$reclaimed" -gt 0 ]
        b inspect busybox >/dev/null
}

@test "container prune: a destroy per container, then docker's prune event with the writable layers' bytes" {
        b run --name p1 busybox sh -c 'head -c 30000 /dev/zero > /blob'
        b create --name p2 busybox true >/dev/null
        b run -d --name keep busybox sleep 100 >/dev/null
        run b container prune -f
        [ "$status" -eq 0 ]
        [[ "${lines[-1]}" =~ ^Total\ reclaimed\ space:\ [0-9.]+kB$ ]]
        run journal --filter type=container --filter event=destroy --filter event=prune --format '{{.Action}} {{.Actor.Attributes.name}}'
        [ "$(sort <<< "$output" | xargs)" = "destroy p1 destroy p2 prune" ]
        [ "$(journal --filter event=prune --filter type=container --format '{{.Actor.Attributes.reclaimed}}')" -ge 30000 ]
        [ "$(container_state keep)" = running ]
}

@test "exec and attach events: exec_create and exec_start with the command, exec_die with exitCode, attach" {
        b run -d --name ex -i busybox sleep 100
        run b exec ex sh -c 'exit 3'
        [ "$status" -eq 3 ]
        b exec -d ex true
        run journal --filter container=ex --filter event=exec_create --filter event=exec_start --filter event=exec_die \
                --format '{{.Action}} {{.Actor.Attributes.exitCode}}'
        [ "$output" = "$(printf 'exec_create: sh -c exit 3 \nexec_start: sh -c exit 3 \nexec_die 3\nexec_create: true \nexec_start: true ')" ]
        [ "$(journal --filter container=ex --filter event=exec_start | wc -l)" -eq 2 ] # docker's prefix match
        # docker's execID: one per exec, the same on its create, start and die.
        run journal --filter container=ex --filter event=exec_create --filter event=exec_start --filter event=exec_die \
                --format '{{.Actor.Attributes.execID}}'
        [[ "${lines[0]}" =~ ^[0-9a-f]{64}$ ]]
        [ "${lines[1]}" = "${lines[0]}" ] && [ "${lines[2]}" = "${lines[0]}" ] && [ "${lines[3]}" != "${lines[0]}" ]
        (printf '\020\021'; sleep 1) | "$BERTH_BIN" --root "$ROOT" attach ex 2>/dev/null || true
        [ "$(journal --filter container=ex --filter event=attach --format '{{.Action}}')" = attach ]
}
