#!/usr/bin/env bats
# berth build (docs/build.md): what the images hold (their files as the image's mount shows them, their config
# and history as inspect shows them), what the steps' containers saw (the kernel's view from inside a RUN),
# and the same Dockerfile built by buildah (podman build, on a store of the test's own) side by side.
bats_require_minimum_version 1.5.0
load helpers
load engine-helpers

setup() {
        engine_setup
        CTX=$T/ctx
        mkdir -p "$CTX/sub"
}

teardown() {
        if [ -n "${T:-}" ] && [ -d "$T/proot" ]; then
                findmnt -rn -o TARGET | grep "^$T/p" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        fi
        engine_teardown
}

# buildah, through podman build, on a store under the test's directory (runc: crun refuses hybrid hosts).
peer() {
        podman --root "$T/proot" --runroot "$T/prun" --storage-driver vfs --runtime runc "$@"
}

peer_skip_reason() {
        command -v podman >/dev/null || { echo "needs podman (buildah inside) as the peer"; return; }
        command -v runc >/dev/null || { echo "needs runc for podman build"; return; }
}

# Every path under DIR: type, mode, owner, size and content digest or link target (no times).
tree_listing() {
        (cd "$1" && find . -mindepth 1 -printf '%P %y %m %U:%G %s %l\n' | sort | while read -r p y m o s l; do
                if [ "$y" = f ]; then echo "$p $y $m $o $s $(sha256sum "$p" | cut -c1-16)"; else echo "$p $y $m $o ${l:-}"; fi
        done)
}

# The config fields docker and buildah both write, normalised: Env as a sorted set, buildah's own label out.
config_of() {  # berth|peer IMAGE
        local json
        if [ "$1" = berth ]; then json=$(b inspect -f '{{json .Config}}' "$2"); else json=$(peer inspect -f '{{json .Config}}' "$2"); fi
        echo "$json" | python3 -c '
import json, sys
c = json.load(sys.stdin) or {}
labels = {k: v for k, v in (c.get("Labels") or {}).items() if k != "io.buildah.version"}
out = {k: c.get(k) or None for k in ("Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes", "StopSignal")}
out["Env"] = sorted(c.get("Env") or [])
out["Labels"] = labels or None
print(json.dumps(out, sort_keys=True))'
}

write_multistage() {
        echo hello > "$CTX/hello.txt"
        echo a > "$CTX/sub/a"
        mkdir -p "$CTX/sub/deep"
        echo b > "$CTX/sub/deep/b"
        chmod 0751 "$CTX/sub/deep"
        chmod 0640 "$CTX/sub/a"
        ln -s hello.txt "$CTX/link"
        ln -s ../hello.txt "$CTX/sub/rel-link"
        cat > "$CTX/Dockerfile" <<'EOF'
# syntax=docker/dockerfile:1
ARG BASE=localhost/busybox
FROM $BASE AS base
ARG GREETING=hi
ENV GREETING="$GREETING there" \
    PATH=/usr/bin:/bin
WORKDIR /app
COPY hello.txt sub ./
COPY --chown=1000:1000 --chmod=0700 link ./owned
RUN echo "$GREETING" > /app/out && mkdir -p /app/made && touch /app/made/file
LABEL org.test=yes "with space"=v
EXPOSE 8080 53/udp
VOLUME /data
USER 1000:1000
STOPSIGNAL SIGINT
CMD ["cat", "/app/out"]

FROM scratch AS final
COPY --from=base /app /srv
COPY --chmod=0600 link /srv/linked
ENTRYPOINT ["/srv/out"]
EOF
}

@test "a multi-stage Dockerfile: the same files and config as buildah's (podman build), both stages" {
        local why
        why=$(peer_skip_reason)
        [ -z "$why" ] || skip "$why"
        write_multistage
        run b build -t berth/final --build-arg GREETING=hello "$CTX"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"STEP 1/"*"FROM \$BASE AS base"* ]]
        b build -q --target base -t berth/base --build-arg GREETING=hello "$CTX" >/dev/null
        peer load -q -i "$IMAGES/busybox.docker.tar" >/dev/null
        peer build -q --network none -t peer/final --build-arg GREETING=hello "$CTX" >/dev/null
        peer build -q --network none --target base -t peer/base --build-arg GREETING=hello "$CTX" >/dev/null
        for img in final base; do
                bm=$(b image mount "berth/$img")
                pm=$(peer image mount "peer/$img")
                tree_listing "$bm" > "$T/berth-$img.txt"
                tree_listing "$pm" > "$T/peer-$img.txt"
                b image umount "berth/$img" >/dev/null
                peer image umount "peer/$img" >/dev/null
                if [ "$img" = base ]; then
                        # The base stage's busybox tree is the same image in both: compare what the build added.
                        grep -E '^(app|data)(/| )' "$T/berth-$img.txt" > "$T/b" || true
                        grep -E '^(app|data)(/| )' "$T/peer-$img.txt" > "$T/p" || true
                else
                        cp "$T/berth-$img.txt" "$T/b"
                        cp "$T/peer-$img.txt" "$T/p"
                fi
                diff -u "$T/p" "$T/b"
                [ -s "$T/b" ]
                config_of berth "berth/$img" > "$T/bc"
                config_of peer "peer/$img" > "$T/pc"
                diff -u "$T/pc" "$T/bc"
        done
        grep -q '^srv/owned f 700 1000:1000 6 ' "$T/berth-final.txt"
        grep -q '^srv/linked f 600 0:0 6 ' "$T/berth-final.txt"
        # Layers: one per RUN/COPY, in both.
        [ "$(b history -q --no-trunc berth/base | wc -l)" -eq "$(peer history -q --no-trunc peer/base | wc -l)" ]
}

@test "history as docker writes it: BuildKit's created_by, the build args a RUN saw, empty layers" {
        printf 'FROM busybox\nARG V=1\nENV A=b\nRUN echo $V > /v\nCOPY f /f\nCMD ["sh", "-c", "cat /v"]\n' > "$CTX/Dockerfile"
        echo f > "$CTX/f"
        b build -q -t h --build-arg V=7 "$CTX" >/dev/null
        run b history --no-trunc --format '{{.CreatedBy}}|{{.Size}}' h
        echo "$output"
        [ "${lines[0]}" = 'CMD ["sh" "-c" "cat /v"]|0B' ]
        [ "${lines[1]}" = 'COPY f /f # buildkit|2B' ]
        [[ "${lines[2]}" == 'RUN |1 V=7 /bin/sh -c echo $V > /v # buildkit|'* ]]
        [ "${lines[3]}" = 'ENV A=b|0B' ]
        [ "${lines[4]}" = 'ARG V=1|0B' ]
        [ "$(b run --rm h)" = 7 ]
}

@test "a RUN runs in a real container: the image's USER and WORKDIR, docker's seccomp filter, --network none" {
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
WORKDIR /w/x
RUN chown 1000 /w/x
USER 1000
RUN (id -u; pwd; grep ^Seccomp: /proc/self/status; ls /sys/class/net) > /w/x/seen
EOF
        b build -q -t seen --network none "$CTX" >/dev/null
        run b run --rm seen cat /w/x/seen
        echo "$output"
        [ "${lines[0]}" = 1000 ]
        [ "${lines[1]}" = /w/x ]
        [[ "${lines[2]}" =~ ^Seccomp:[[:space:]]+2$ ]]
        [ "${lines[3]}" = lo ]
        [ "${#lines[@]}" -eq 4 ]
}

@test "a failing RUN: its output, exit code and file:line; no container or mount left, the steps before it cached" {
        printf 'FROM busybox\nCOPY f /f\nRUN echo about-to-fail; exit 3\nRUN echo never\n' > "$CTX/Dockerfile"
        echo f > "$CTX/f"
        images_before=$(b images -aq --no-trunc | sort -u)
        run b build -t failing "$CTX"
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *about-to-fail* ]]
        [[ "$output" != *never* ]]
        [[ "$output" == *'ERROR: Dockerfile:3:1: RUN: process "/bin/sh -c echo about-to-fail; exit 3" did not complete successfully: exit code: 3'* ]]
        [ -z "$(b ps -aq)" ]
        [ -z "$(findmnt -rn -o TARGET | grep "^$ROOT/" || true)" ]
        # The COPY's layer stays as the cache's (images -a), as docker keeps it; nothing else.
        [ "$(b images -q --no-trunc | sort -u)" = "$images_before" ]
        b builder prune -f >/dev/null
        [ "$(b images -aq --no-trunc | sort -u)" = "$images_before" ]
}

@test "bad input: outside the context, a symlink leading out, an unknown instruction, a missing target, too many sources, what is not supported yet" {
        echo secret > "$T/outside"
        ln -s "$T/outside" "$CTX/abs-escape"
        ln -s ../outside "$CTX/rel-escape"
        echo a > "$CTX/a"
        echo b > "$CTX/b"
        tar -czf "$CTX/a.tar.gz" -C "$CTX" a
        for df in 'COPY ../outside /x' 'COPY abs-escape /x' 'COPY rel-escape /x' 'COPY a b /single' 'RUNN true' \
                  'COPY --from=nostage2 /x /y' 'ADD http://127.0.0.1:1/x /x' 'RUN --mount=type=ssh true' \
                  'ADD --checksum=sha256:00 a /x' 'ADD --chown=1:1 a.tar.gz /x'; do
                printf 'FROM busybox\n%s\n' "$df" > "$CTX/Dockerfile"
                run b build "$CTX"
                echo "$df: $output"
                [ "$status" -ne 0 ]
                [[ "$output" == *'ERROR: Dockerfile:2:1: '* ]]
        done
        printf 'FROM busybox\nCOPY ../outside /x\n' > "$CTX/Dockerfile"
        run b build "$CTX"
        [[ "$output" == *"forbidden path outside the build context: ../outside"* ]]
        printf 'FROM busybox\nCOPY rel-escape /x\n' > "$CTX/Dockerfile"
        run b build "$CTX"
        [[ "$output" == *"forbidden path outside the build context: rel-escape"* ]]
        printf 'FROM busybox\n  RUNN true\n' > "$CTX/Dockerfile"
        run b build "$CTX"
        [[ "$output" == *"ERROR: Dockerfile:2:3: unknown instruction: RUNN"* ]]
        printf 'FROM busybox AS one\nRUN true\n' > "$CTX/Dockerfile"
        run b build --target two "$CTX"
        [ "$status" -eq 1 ]
        [[ "$output" == *'target stage "two" could not be found'* ]]
        [ -z "$(b ps -aq)" ]
        [ "$(b images -q | wc -l)" -eq 2 ] # busybox's two names, nothing else
        [ -z "$(findmnt -rn -o TARGET | grep "^$ROOT/" || true)" ]
}

@test ".dockerignore: excluded paths are not sent, a ! exception is; FILE.dockerignore beside -f wins" {
        mkdir -p "$CTX/docs" "$CTX/build"
        echo 1 > "$CTX/keep.md"
        echo 2 > "$CTX/drop.md"
        echo 3 > "$CTX/docs/inner.md"
        echo 4 > "$CTX/build/out.o"
        echo 5 > "$CTX/main.c"
        printf '*.md\n!keep.md\nbuild\n' > "$CTX/.dockerignore"
        printf 'FROM busybox\nCOPY . /ctx/\n' > "$CTX/Dockerfile"
        b build -q -t ign "$CTX" >/dev/null
        run b run --rm ign find /ctx -type f
        echo "$output"
        [ "$(echo "$output" | sort | tr '\n' ' ')" = "/ctx/.dockerignore /ctx/Dockerfile /ctx/docs/inner.md /ctx/keep.md /ctx/main.c " ]
        printf 'FROM busybox\nCOPY drop.md /x\n' > "$CTX/Dockerfile"
        run b build "$CTX"
        [ "$status" -eq 1 ]
        [[ "$output" == *"drop.md: excluded by .dockerignore"* ]]
        printf 'FROM busybox\nCOPY . /ctx/\n' > "$CTX/other.Dockerfile"
        printf 'main.c\n' > "$CTX/other.Dockerfile.dockerignore"
        b build -q -t ign2 -f "$CTX/other.Dockerfile" "$CTX" >/dev/null
        run b run --rm ign2 ls /ctx
        [[ "$output" != *main.c* ]]
        [[ "$output" == *drop.md* ]]
}

@test "-q prints the ID, --iidfile, several -t, --label, --build-arg from the environment; image build" {
        printf 'FROM busybox\nARG FROM_ENV\nRUN echo "$FROM_ENV" > /e\n' > "$CTX/Dockerfile"
        id=$(FROM_ENV=environ b build -q -t one -t two:2 --label l1=v1 --iidfile "$T/iid" --build-arg FROM_ENV "$CTX")
        [[ "$id" =~ ^sha256:[0-9a-f]{64}$ ]]
        [ "$(cat "$T/iid")" = "$id" ]
        [ "$(b inspect -f '{{.Id}}' one)" = "$id" ]
        [ "$(b inspect -f '{{.Id}}' two:2)" = "$id" ]
        [ "$(b inspect -f '{{json .Config.Labels}}' one)" = '{"l1":"v1"}' ]
        [ "$(b run --rm one cat /e)" = environ ]
        run b image build -q "$CTX"
        [ "$status" -eq 0 ]
}

@test "RUN <<EOF: the heredoc is the script the shell runs (buildah 1.28 here has no heredocs to compare)" {
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
ENV WHO=heredoc
RUN <<SCRIPT
set -e
echo "from a $WHO" > /h
echo second line >> /h
SCRIPT
EOF
        b build -q -t hd "$CTX" >/dev/null
        run b run --rm hd cat /h
        [ "${lines[0]}" = "from a heredoc" ]
        [ "${lines[1]}" = "second line" ]
}

# The steps that ran in a build's output (each RUN prints ran-NAME), in order.
ran_steps() {
        echo "$1" | grep -o '^ran-[a-z]*' | tr '\n' ' '
}

@test "the cache: a rebuild runs nothing, same image; a file's content, mode or owner, or a used build arg, reruns from its step; --no-cache; builder prune" {
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
RUN echo ran-first
COPY f /f
RUN echo ran-copy
ARG V=1
RUN echo ran-arg $V
CMD ["cat", "/f"]
EOF
        echo one > "$CTX/f"
        run b build -t cached "$CTX"
        [ "$(ran_steps "$output")" = "ran-first ran-copy ran-arg " ]
        first=$(b inspect -f '{{.Id}}' cached)
        run b build -t cached "$CTX"
        echo "$output"
        [ "$(ran_steps "$output")" = "" ]
        [ "$(echo "$output" | grep -c 'Using cache')" -eq 4 ]
        [ "$(b inspect -f '{{.Id}}' cached)" = "$first" ]
        chmod 0600 "$CTX/f"
        run b build -t cached "$CTX"
        [ "$(ran_steps "$output")" = "ran-copy ran-arg " ]
        chown 1234:1234 "$CTX/f"
        run b build -t cached "$CTX"
        [ "$(ran_steps "$output")" = "ran-copy ran-arg " ]
        echo two > "$CTX/f"
        run b build -t cached "$CTX"
        [ "$(ran_steps "$output")" = "ran-copy ran-arg " ]
        [ "$(b run --rm cached)" = two ]
        # A file .dockerignore excludes is not part of any key.
        echo ignored > "$CTX/ignored.txt"
        echo ignored.txt > "$CTX/.dockerignore"
        printf 'FROM busybox\nCOPY . /ctx/\nRUN echo ran-all\n' > "$CTX/Dockerfile.ctx"
        run b build -f "$CTX/Dockerfile.ctx" "$CTX"
        [ "$(ran_steps "$output")" = "ran-all " ]
        echo changed > "$CTX/ignored.txt"
        run b build -f "$CTX/Dockerfile.ctx" "$CTX"
        [ "$(ran_steps "$output")" = "" ]
        # A build arg counts from where it is declared, and one the Dockerfile does not declare not at all.
        run b build -t cached --build-arg UNDECLARED=x "$CTX"
        [ "$(ran_steps "$output")" = "" ]
        run b build -t cached --build-arg V=2 "$CTX"
        echo "$output"
        [ "$(ran_steps "$output")" = "ran-arg " ]
        run b build -t cached --build-arg V=2 --no-cache "$CTX"
        echo "$output"
        [ "$(ran_steps "$output")" = "ran-first ran-copy ran-arg " ]
        # The cache's intermediate images: shown by images -a only; builder prune removes them.
        [ "$(b images -aq | wc -l)" -gt "$(b images -q | wc -l)" ]
        run b builder prune -f
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(b images -aq | sort -u)" = "$(b images -q | sort -u)" ]
        [ -z "$(ls "$ROOT"/build-cache/keys 2>/dev/null)" ]
        run b build -t cached --build-arg V=2 "$CTX"
        [ "$(ran_steps "$output")" = "ran-first ran-copy ran-arg " ]
}

@test "ADD extracts a local archive; a context as a tar file, a tar on stdin, a Dockerfile on stdin" {
        mkdir -p "$CTX/d"
        echo in-tar > "$CTX/d/file"
        chmod 0751 "$CTX/d"
        tar -czf "$CTX/arch.tar.gz" -C "$CTX" d
        printf 'FROM busybox\nADD arch.tar.gz /x/\nCOPY d/file /plain\n' > "$CTX/Dockerfile"
        b build -q -t added "$CTX" >/dev/null
        [ "$(b run --rm added cat /x/d/file)" = in-tar ]
        [ "$(b run --rm added stat -c %a /x/d)" = 751 ]
        [ "$(b run --rm added cat /plain)" = in-tar ]
        tar -cf "$T/ctx.tar" -C "$CTX" .
        b build -q -t fromtar "$T/ctx.tar" >/dev/null
        [ "$(b run --rm fromtar cat /x/d/file)" = in-tar ]
        b build -q -t fromstdin - < "$T/ctx.tar" >/dev/null
        [ "$(b run --rm fromstdin cat /plain)" = in-tar ]
        printf 'FROM busybox\nRUN echo from-stdin > /s\n' | b build -q -t dfstdin - >/dev/null
        [ "$(b run --rm dfstdin cat /s)" = from-stdin ]
        # The extracted contexts are gone from the store's tmp.
        [ -z "$(ls "$ROOT/tmp" 2>/dev/null)" ]
        # A tar that leaves its directory is refused whole, as cp - refuses it.
        python3 -c 'import tarfile, io, sys
t = tarfile.open(sys.argv[1], "w")
i = tarfile.TarInfo("../escape"); d = b"x"; i.size = len(d); t.addfile(i, io.BytesIO(d)); t.close()' "$T/evil.tar"
        run b build "$T/evil.tar"
        [ "$status" -eq 1 ]
        [ ! -e "$ROOT/tmp/escape" ] && [ ! -e "$T/escape" ]
        [ -z "$(ls "$ROOT/tmp" 2>/dev/null)" ]
}

@test "a build SIGKILLed during a RUN: the next build removes its step container (and stops its RUN)" {
        printf 'FROM busybox\nCOPY f /f\nRUN echo started; sleep 300\n' > "$CTX/Dockerfile"
        echo f > "$CTX/f"
        b build "$CTX" > "$T/out" 2>&1 &
        wait_until grep -q started "$T/out"
        # The berth that runs the build (berth-full, or berth itself): killed as a SIGKILL would.
        pkill -9 -f -- "--root $ROOT build" || true
        wait "$!" || true
        [ -n "$(b ps -aq)" ]
        pid=$(b inspect -f '{{.State.Pid}}' "$(b ps -q | head -1)")
        [ -d "/proc/$pid" ]
        printf 'FROM busybox\nRUN true\n' > "$CTX/Dockerfile"
        b build -q "$CTX" >/dev/null
        [ -z "$(b ps -aq)" ]
        wait_until sh -c "[ ! -d /proc/$pid ]"
        [ -z "$(findmnt -rn -o TARGET | grep "^$ROOT/" | grep -v "^$ROOT/procview" || true)" ]
}

@test "RUN --mount: bind (read-only, from the context), cache (kept across builds), tmpfs, secret (never in a layer); --network=host" {
        mkdir -p "$CTX/sub"
        echo from-context > "$CTX/sub/a"
        echo s3cr3t > "$T/token"
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
RUN --mount=type=bind,source=sub,target=/mnt cat /mnt/a > /bound && (touch /mnt/x 2>/dev/null && echo writable || echo read-only) >> /bound
RUN --mount=type=cache,target=/cache echo run >> /cache/log && wc -l < /cache/log > /count
RUN --mount=type=tmpfs,target=/t grep -c " /t tmpfs " /proc/mounts > /tmpfs
RUN --mount=type=secret,id=tok cat /run/secrets/tok > /seen
RUN --network=host ls /sys/class/net | wc -l > /nics
EOF
        b build -q -t mounts --secret id=tok,src="$T/token" "$CTX" >/dev/null
        run b run --rm mounts sh -c 'cat /bound /count /tmpfs /seen /nics; ls -a /mnt /cache /t /run/secrets 2>&1 | grep -v "^\.*$"'
        echo "$output"
        [ "${lines[0]}" = from-context ]
        [ "${lines[1]}" = read-only ]
        [ "${lines[2]}" = 1 ]
        [ "${lines[3]}" = 1 ]
        [ "${lines[4]}" = s3cr3t ]
        [ "${lines[5]}" = "$(ls /sys/class/net | wc -l)" ]
        # The mount points hold nothing in the image: no context file, no cache content, no secret.
        [[ "$output" != *"/mnt/a"* ]] && [[ "$output" != *log* ]] && [[ "$output" != *tok* ]]
        ! grep -rqs s3cr3t "$ROOT/layers" "$ROOT/blobs" 2>/dev/null
        # The cache mount outlives the build: a build without the layer cache appends to the same file.
        b build -q -t mounts --no-cache --secret id=tok,src="$T/token" "$CTX" >/dev/null
        [ "$(b run --rm mounts cat /count)" = 2 ]
        # The secret's content does not count for the cache; a change in the bound directory reruns the step.
        echo other > "$T/token"
        b build -q -t mounts --secret id=tok,src="$T/token" "$CTX" >/dev/null
        [ "$(b run --rm mounts cat /seen)" = s3cr3t ]
        echo changed > "$CTX/sub/a"
        b build -q -t mounts --secret id=tok,src="$T/token" "$CTX" >/dev/null
        [ "$(b run --rm mounts cat /bound | head -1)" = changed ]
        # A required secret that is not given.
        printf 'FROM busybox\nRUN --mount=type=secret,id=none,required true\n' > "$CTX/Dockerfile"
        run b build "$CTX"
        [ "$status" -eq 1 ]
        [[ "$output" == *"secret none: not provided"* ]]
        b builder prune -f >/dev/null
        [ ! -e "$ROOT/build-cache/mounts" ]
}

@test "COPY <<EOF, --exclude, --parents, --link; ONBUILD triggers of the base run first; \${VAR/pattern/replacement}" {
        mkdir -p "$CTX/src/a/b" "$CTX/docs"
        echo keep > "$CTX/src/a/b/keep.c"
        echo drop > "$CTX/src/a/b/drop.txt"
        echo doc > "$CTX/docs/x.md"
        cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox
ENV WHO=heredoc
COPY <<END /etc/greeting
hello "$WHO"
END
COPY --chmod=0700 <<'RAW' <<two /h/
raw $WHO
RAW
second
two
COPY --exclude=**/*.txt src/ /ex/
COPY --parents src/a/b/keep.c docs/ /par/
COPY --link docs/x.md /linked.md
ARG P=/usr/local/bin:/usr/bin
ENV Q=${P//bin/sbin}
ONBUILD RUN echo triggered > /onbuild
ONBUILD ENV CHILD=yes
EOF
        b build -q -t parent "$CTX" >/dev/null
        run b run --rm parent sh -c 'cat /etc/greeting /h/RAW /h/two; stat -c %a /h/RAW; find /ex /par -type f | sort; cat /linked.md; echo $Q; ls /onbuild 2>&1 | wc -l'
        echo "$output"
        [ "${lines[0]}" = 'hello "heredoc"' ]
        [ "${lines[1]}" = 'raw $WHO' ]
        [ "${lines[2]}" = second ]
        [ "${lines[3]}" = 700 ]
        [ "${lines[4]}" = /ex/a/b/keep.c ]
        [ "${lines[5]}" = /par/docs/x.md ]
        [ "${lines[6]}" = /par/src/a/b/keep.c ]
        [ "${lines[7]}" = doc ]
        [ "${lines[8]}" = /usr/local/sbin:/usr/sbin ]
        [ "${lines[9]}" = 1 ] # the error line of ls: the triggers did not run in the parent
        b inspect -f '{{json .Config}}' parent | python3 -c 'import json,sys; assert json.load(sys.stdin)["OnBuild"] == ["RUN echo triggered > /onbuild", "ENV CHILD=yes"]'
        printf 'FROM parent\nRUN echo child >> /onbuild\n' > "$CTX/Dockerfile"
        b build -q -t child "$CTX" >/dev/null
        run b run --rm child sh -c 'cat /onbuild; echo $CHILD'
        [ "${lines[0]}" = triggered ]
        [ "${lines[1]}" = child ]
        [ "${lines[2]}" = yes ]
        # Triggers are not passed on to grandchildren.
        b inspect -f '{{json .Config}}' child | python3 -c 'import json,sys; assert not json.load(sys.stdin).get("OnBuild")'
}

@test "ADD of a URL (a server on 127.0.0.1): the file, 0600, --checksum checked, a changed content reruns the step" {
        mkdir -p "$T/www"
        echo served-1 > "$T/www/file.txt"
        port=$((20000 + RANDOM % 20000))
        python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$port" > "$T/http.log" 2>&1 &
        echo $! > "$T/http.pid"
        wait_until bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null
        sum=$(sha256sum "$T/www/file.txt" | cut -d' ' -f1)
        printf 'FROM busybox\nADD http://127.0.0.1:%s/file.txt /dl/\nADD --checksum=sha256:%s http://127.0.0.1:%s/file.txt /checked\nRUN echo ran-after\n' \
                "$port" "$sum" "$port" > "$CTX/Dockerfile"
        run b build -t dl "$CTX"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(b run --rm dl cat /dl/file.txt)" = served-1 ]
        [ "$(b run --rm dl stat -c %a /dl/file.txt)" = 600 ]
        [ "$(b run --rm dl cat /checked)" = served-1 ]
        run b build -t dl "$CTX"
        [ "$(ran_steps "$output")" = "" ]
        echo served-2 > "$T/www/file.txt"
        run b build -t dl "$CTX"
        echo "$output"
        # The second ADD's --checksum no longer matches what the server sends.
        [ "$status" -eq 1 ]
        [[ "$output" == *"is not --checksum=sha256:$sum"* ]]
        printf 'FROM busybox\nADD http://127.0.0.1:%s/file.txt /dl/\nRUN echo ran-after\n' "$port" > "$CTX/Dockerfile"
        run b build -t dl "$CTX"
        [ "$(ran_steps "$output")" = "ran-after " ]
        [ "$(b run --rm dl cat /dl/file.txt)" = served-2 ]
        printf 'FROM busybox\nADD http://127.0.0.1:%s/missing /x\n' "$port" > "$CTX/Dockerfile"
        run b build "$CTX"
        [ "$status" -eq 1 ]
        [[ "$output" == *"the server answered 404"* ]]
        printf 'FROM busybox\nCOPY http://127.0.0.1:%s/file.txt /x\n' "$port" > "$CTX/Dockerfile"
        run b build "$CTX"
        [[ "$output" == *"source can't be a URL for COPY"* ]]
        kill "$(cat "$T/http.pid")"
}

@test "a 100,000-file context and a 1 GB file: copied and hashed as streams (berth's peak memory stays small)" {
        mkdir -p "$CTX/many"
        python3 -c 'import os, sys
d = sys.argv[1]
for i in range(100):
    sub = os.path.join(d, "d%03d" % i); os.mkdir(sub)
    for j in range(1000):
        with open(os.path.join(sub, "f%04d" % j), "w") as f: f.write("%d-%d\n" % (i, j))' "$CTX/many"
        # 1 GiB of data: written, not sparse (the copy reads and writes every byte).
        head -c $((1 << 30)) /dev/zero | tr '\0' 'x' > "$CTX/big"
        printf 'FROM busybox\nCOPY many /many\nCOPY big /big\nRUN find /many -type f | wc -l > /count && wc -c < /big > /size\n' > "$CTX/Dockerfile"
        /usr/bin/time -f '%M' -o "$T/rss" "$BERTH_BIN" --root "$ROOT" build -q -t large "$CTX" >/dev/null
        echo "peak RSS: $(cat "$T/rss") KiB"
        # The bound is the release build's (tests/run.sh's first pass): under AddressSanitizer the RSS is
        # the sanitizer's (256 MB of quarantine for freed memory, shadow memory), not berth's.
        if ldd "$BERTH_BIN" | grep -q libasan; then
                echo "# peak RSS not bounded: $BERTH_BIN is the ASan build" >&3
        else
                [ "$(tail -1 "$T/rss")" -lt 204800 ]
        fi
        [ "$(b run --rm large cat /count)" = 100000 ]
        [ "$(b run --rm large cat /size)" = $((1 << 30)) ]
        # The rebuild hashes the whole context again (the cache's key) and runs nothing.
        run b build -t large "$CTX"
        [ "$(echo "$output" | grep -c 'Using cache')" -eq 3 ]
        b rmi large >/dev/null
        b builder prune -f >/dev/null
}
