#!/usr/bin/env bats
# Authentication and TLS against the real registry: htpasswd basic auth, the bearer token flow (registry.sh's
# token server and one written for these tests: OAuth2 POST-only), login/logout and the credential files
# (docker's config.json, podman's auth.json), TLS with a private CA (--cert-dir), --tls-verify=false.
load registry-helpers

AUTH_PASSWORD=S3cret-basic-pw
TOK_PASSWORD=T0k-s3cret-pw

setup_file() {
        ensure_registry_images
        registry_start AUTH --auth "berth:$AUTH_PASSWORD"
        registry_push "$AUTH_PORT" busybox multilayer
        registry_start TOK --token "berth:$TOK_PASSWORD"
        registry_push "$TOK_PORT" busybox multilayer
        registry_start TLS --tls
        registry_push "$TLS_PORT" busybox
}

teardown_file() {
        registries_stop
}

setup() { registry_test_setup; }
teardown() { registry_test_teardown; }

# No secret ever appears in what berth prints.
assert_no_secret() {
        ! grep -qF -e "$AUTH_PASSWORD" -e "$TOK_PASSWORD" -e "$TOKEN_PASSWORD" <<< "$output" || { echo "a password was printed"; return 1; }
}

@test "basic auth: anonymous pull refused with one line, store unchanged" {
        store_fingerprint > "$T/before"
        run b pull -q --tls-verify=false "$AUTH/busybox"
        [ "$status" -eq 1 ]
        assert_one_line_naming "no basic auth credentials"
        store_fingerprint | diff "$T/before" -
}

# fake_helper NAME SCRIPT-BODY: a docker-credential-NAME on the test's PATH; what it is asked goes to $T/NAME.log.
fake_helper() {
        mkdir -p "$T/bin"
        printf '#!/bin/sh\nread -r server\necho "$1 $server" >> %s/%s.log\n%s\n' "$T" "$1" "$2" > "$T/bin/docker-credential-$1"
        chmod +x "$T/bin/docker-credential-$1"
}

@test "credential helpers: credsStore and credHelpers (docker-credential-* get); missing, failing, empty ones" {
        export PATH=$T/bin:$PATH
        fake_helper good "printf '{\"ServerURL\":\"%s\",\"Username\":\"berth\",\"Secret\":\"$AUTH_PASSWORD\"}' \"\$server\""
        fake_helper none "echo 'credentials not found in native keychain'; exit 1"
        fake_helper broken "echo 'keychain locked' ; exit 3"
        # credsStore: every registry's credentials from the helper (the auths entry is only a marker).
        printf '{"auths":{"%s":{}},"credsStore":"good"}' "$AUTH" > "$DOCKER_CONFIG/config.json"
        run b pull -q --tls-verify=false "$AUTH/busybox"
        [ "$status" -eq 0 ]
        assert_no_secret
        grep -qx "get $AUTH" "$T/good.log"
        # credHelpers wins for its registry over credsStore.
        printf '{"credsStore":"none","credHelpers":{"%s":"good"}}' "$AUTH" > "$DOCKER_CONFIG/config.json"
        : > "$T/good.log"
        run b pull -q --tls-verify=false "$AUTH/multilayer"
        [ "$status" -eq 0 ]
        grep -qx "get $AUTH" "$T/good.log"
        [ ! -e "$T/none.log" ]
        # Nothing stored for the registry: an anonymous pull, refused by the registry.
        printf '{"credsStore":"none"}' > "$DOCKER_CONFIG/config.json"
        run b pull -q --tls-verify=false "$AUTH/busybox:nope"
        [ "$status" -eq 1 ]
        assert_one_line_naming "no basic auth credentials"
        # A helper that fails, or is not there: one line naming it, nothing fetched.
        printf '{"credHelpers":{"%s":"broken"}}' "$AUTH" > "$DOCKER_CONFIG/config.json"
        run b pull -q --tls-verify=false "$AUTH/busybox:nope"
        [ "$status" -eq 1 ]
        assert_one_line_naming "credential helper docker-credential-broken get $AUTH failed (exit status 3): keychain locked"
        printf '{"credsStore":"missing"}' > "$DOCKER_CONFIG/config.json"
        run b pull -q --tls-verify=false "$AUTH/busybox:nope"
        [ "$status" -eq 1 ]
        assert_one_line_naming "credential helper docker-credential-missing"
        [[ "$output" == *"No such file or directory"* ]]
}

@test "credential helpers: login stores into credsStore's helper (the file keeps an empty entry), logout erases" {
        export PATH=$T/bin:$PATH
        mkdir -p "$T/bin"
        cat > "$T/bin/docker-credential-keeper" <<EOF
#!/bin/sh
case "\$1" in
store) cat > "$T/keeper.json" ;;
get) read -r server; if [ -s "$T/keeper.json" ]; then cat "$T/keeper.json"; else echo 'credentials not found in native keychain'; exit 1; fi ;;
erase) read -r server; echo "\$server" > "$T/erased"; rm -f "$T/keeper.json" ;;
esac
EOF
        chmod +x "$T/bin/docker-credential-keeper"
        printf '{"credsStore":"keeper"}' > "$DOCKER_CONFIG/config.json"
        run b login --tls-verify=false -u berth --password-stdin "$AUTH" <<< "$AUTH_PASSWORD"
        [ "$status" -eq 0 ]
        assert_no_secret
        jq -e --arg s "$AUTH" --arg p "$AUTH_PASSWORD" '.ServerURL == $s and .Username == "berth" and .Secret == $p' "$T/keeper.json"
        # The file: an empty entry, no secret, the helper kept.
        jq -e --arg s "$AUTH" '.auths[$s] == {} and .credsStore == "keeper"' "$DOCKER_CONFIG/config.json"
        ! grep -qF "$AUTH_PASSWORD" "$DOCKER_CONFIG/config.json"
        run b pull -q --tls-verify=false "$AUTH/busybox"
        [ "$status" -eq 0 ]
        run b logout "$AUTH"
        [ "$status" -eq 0 ]
        [ "$(cat "$T/erased")" = "$AUTH" ]
        [ ! -e "$T/keeper.json" ]
        jq -e --arg s "$AUTH" '.auths | has($s) | not' "$DOCKER_CONFIG/config.json"
}

@test "basic auth: a wrong password fails login and writes nothing; a right one is saved 0600 and used" {
        run b login --tls-verify=false -u berth -p wrong-pw "$AUTH"
        [ "$status" -eq 125 ]
        [[ "$output" == *"unauthorized"* ]]
        [ ! -e "$DOCKER_CONFIG/config.json" ]
        run b login --tls-verify=false -u berth --password-stdin "$AUTH" <<< "$AUTH_PASSWORD"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Login Succeeded"* ]]
        assert_no_secret
        [ "$(stat -c %a "$DOCKER_CONFIG/config.json")" = 600 ]
        [ "$(jq -r --arg r "$AUTH" '.auths[$r].auth' "$DOCKER_CONFIG/config.json" | base64 -d)" = "berth:$AUTH_PASSWORD" ]
        run b pull --tls-verify=false "$AUTH/multilayer"
        [ "$status" -eq 0 ]
        assert_no_secret
        b tag "$AUTH/multilayer" "$AUTH/pushed/ml"
        run b push --tls-verify=false "$AUTH/pushed/ml"
        [ "$status" -eq 0 ]
        assert_no_secret
        # podman reads back what berth pushed (its own storage, its own credentials flag)
        local pm=(env -u DOCKER_CONFIG podman --root "$T/podman" --runroot "$T/podman-run" --storage-driver vfs)
        "${pm[@]}" pull -q --tls-verify=false --creds "berth:$AUTH_PASSWORD" "$AUTH/pushed/ml"
        [ "sha256:$("${pm[@]}" image inspect --format '{{.Id}}' "$AUTH/pushed/ml")" = "$(b inspect -f '{{.Id}}' "$AUTH/pushed/ml")" ]
        "${pm[@]}" rmi -a -f > /dev/null
        run b logout "$AUTH"
        [ "$output" = "Removing login credentials for $AUTH" ]
        [ "$(jq -r --arg r "$AUTH" '.auths[$r] // "gone"' "$DOCKER_CONFIG/config.json")" = gone ]
        run b logout "$AUTH"
        [ "$output" = "Not logged in to $AUTH" ]
        run b pull -q --tls-verify=false "$AUTH/busybox"
        [ "$status" -eq 1 ]
}

@test "credential files: podman's auth.json (--authfile, REGISTRY_AUTH_FILE) both ways, --creds" {
        local pm=(env -u DOCKER_CONFIG podman --root "$T/podman" --runroot "$T/podman-run" --storage-driver vfs)
        # podman writes, berth reads
        "${pm[@]}" login --tls-verify=false --authfile "$T/podman-auth.json" -u berth -p "$AUTH_PASSWORD" "$AUTH" > /dev/null
        run b pull -q --tls-verify=false --authfile "$T/podman-auth.json" "$AUTH/busybox"
        [ "$status" -eq 0 ]
        b rmi "$AUTH/busybox" > /dev/null
        REGISTRY_AUTH_FILE=$T/podman-auth.json run b pull -q --tls-verify=false "$AUTH/busybox"
        [ "$status" -eq 0 ]
        # berth writes, podman reads
        REGISTRY_AUTH_FILE=$T/berth-auth.json run b login --tls-verify=false -u berth --password-stdin "$AUTH" <<< "$AUTH_PASSWORD"
        [ "$status" -eq 0 ]
        [ "$(stat -c %a "$T/berth-auth.json")" = 600 ]
        [ ! -e "$DOCKER_CONFIG/config.json" ]
        "${pm[@]}" pull -q --tls-verify=false --authfile "$T/berth-auth.json" "$AUTH/multilayer" > /dev/null
        "${pm[@]}" rmi -a -f > /dev/null
        # --creds
        b rmi "$AUTH/busybox" > /dev/null
        run b pull -q --tls-verify=false --creds "berth:$AUTH_PASSWORD" "$AUTH/busybox"
        [ "$status" -eq 0 ]
        run b pull -q --tls-verify=false --creds "berth:nope" "$AUTH/multilayer"
        [ "$status" -eq 1 ]
        assert_one_line_naming "unauthorized"
        # a malformed file is an error that does not quote it
        printf '{"auths": {"%s": {"auth": "%s"' "$AUTH" "$AUTH_PASSWORD" > "$T/bad.json"
        run b pull -q --tls-verify=false --authfile "$T/bad.json" "$AUTH/busybox"
        [ "$status" -eq 1 ]
        assert_one_line_naming "invalid JSON"
        assert_no_secret
}

@test "bearer tokens: anonymous pull, anonymous push refused, login saves the refresh token and push uses it" {
        run b pull -q --tls-verify=false "$TOK/busybox"
        [ "$status" -eq 0 ]
        grep -q "token for '(anonymous)' scopes \['repository:busybox:pull'\]" "$TOK_DIR/token.log"
        b tag "$TOK/busybox" "$TOK/mine/bb"
        run b push -q --tls-verify=false "$TOK/mine/bb"
        [ "$status" -eq 1 ]
        assert_one_line_naming "unauthorized"
        run b login --tls-verify=false -u berth --password-stdin "$TOK" <<< "$TOK_PASSWORD"
        [ "$status" -eq 0 ]
        # docker's identity token: the refresh token is saved, not the password
        [ "$(jq -r --arg r "$TOK" '.auths[$r].identitytoken' "$DOCKER_CONFIG/config.json")" = berth-refresh-token-berth ]
        [ "$(jq -r --arg r "$TOK" '.auths[$r].auth' "$DOCKER_CONFIG/config.json" | base64 -d)" = "berth:" ]
        ! grep -qF "$TOK_PASSWORD" "$DOCKER_CONFIG/config.json"
        local before
        before=$(grep -c '"POST /token' "$TOK_DIR/token.log" || true)
        run b push --tls-verify=false "$TOK/mine/bb"
        echo "$output"
        [ "$status" -eq 0 ]
        assert_no_secret
        # OAuth2 POST with the refresh token
        [ "$(grep -c '"POST /token' "$TOK_DIR/token.log")" -gt "$before" ]
        skopeo inspect --tls-verify=false --creds "berth:$TOK_PASSWORD" "docker://$TOK/mine/bb" > /dev/null
}

@test "bearer tokens are cached per scope: one token for a whole pull" {
        local before after
        before=$(grep -c "scopes \['repository:multilayer:pull'\]" "$TOK_DIR/token.log" || true)
        run b pull -q --tls-verify=false "$TOK/multilayer"
        [ "$status" -eq 0 ]
        after=$(grep -c "scopes \['repository:multilayer:pull'\]" "$TOK_DIR/token.log")
        # manifest + config + 4 layers, one token
        [ "$((after - before))" -eq 1 ]
}

@test "a token server that only speaks OAuth2 POST: password grant with --creds, refusal of a bad password" {
        token_registry_start --post-only
        b load -q -i "$IMAGES/busybox.docker.tar" > /dev/null
        b tag localhost/busybox:latest "$TOKREG/app:1"
        run b push --tls-verify=false --creds "berth:$TOKEN_PASSWORD" "$TOKREG/app:1"
        echo "$output"
        cat "$TOKEN_LOG"
        [ "$status" -eq 0 ]
        assert_no_secret
        grep -q '^GET 405 ' "$TOKEN_LOG"
        grep -q '^POST 200 who=berth grant=password scopes=repository:app:pull,push' "$TOKEN_LOG"
        b rmi -f "$TOKREG/app:1" > /dev/null
        run b pull -q --tls-verify=false --creds "berth:wrong" "$TOKREG/app:1"
        [ "$status" -eq 1 ]
        assert_one_line_naming "incorrect username or password"
        run b pull -q --tls-verify=false --creds "berth:$TOKEN_PASSWORD" "$TOKREG/app:1"
        [ "$status" -eq 0 ]
        [ "$output" = "$TOKREG/app:1" ]
}

@test "redirects to blob storage are followed; the registry's credentials are not sent there" {
        # the proxy's storage side reaches the registry with credentials of its own (a pre-signed URL)
        proxy_start "$AUTH" redirect "--storage-auth=berth:$AUTH_PASSWORD"
        local px=$PROXY
        run b pull -q --tls-verify=false --creds "berth:$AUTH_PASSWORD" "$px/multilayer"
        [ "$status" -eq 0 ]
        wait_log_lines "$PROXY_LOG" 'storage=yes' 5
        cat "$PROXY_LOG"
        # the registry got credentials, the storage host never did
        [ "$(count_lines "$PROXY_LOG" '^GET /v2/multilayer/blobs/.* 307 auth=yes')" -eq 5 ]
        [ "$(count_lines "$PROXY_LOG" '^GET /_storage/.* auth=no .*storage=yes')" -eq 5 ]
        [ "$(count_lines "$PROXY_LOG" '^GET /_storage/.* auth=yes')" -eq 0 ]
        assert_store_clean
}

@test "TLS: a private CA is refused by default, trusted with --cert-dir; --tls-verify=false; insecure in registries.conf" {
        run b pull -q "$TLS/busybox"
        [ "$status" -eq 1 ]
        assert_one_line_naming "failed to verify certificate"
        run b pull -q --cert-dir "$TLS_CERT_DIR" "$TLS/busybox"
        [ "$status" -eq 0 ]
        # the certificate names 127.0.0.1 and localhost
        run b pull -q --cert-dir "$TLS_CERT_DIR" "localhost:$TLS_PORT/busybox"
        [ "$status" -eq 0 ]
        b rmi "$TLS/busybox" "localhost:$TLS_PORT/busybox" > /dev/null
        run b pull -q --tls-verify=false "$TLS/busybox"
        [ "$status" -eq 0 ]
        b rmi "$TLS/busybox" > /dev/null
        printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$TLS" > "$BERTH_REGISTRIES_CONF"
        run b pull -q "$TLS/busybox"
        [ "$status" -eq 0 ]
        # --tls-verify=true overrides the configuration
        b rmi "$TLS/busybox" > /dev/null
        run b pull -q --tls-verify=true "$TLS/busybox"
        [ "$status" -eq 1 ]
        # a certificates directory with a client certificate but no key
        mkdir "$T/certs"
        cp "$TLS_CERT_DIR/ca.crt" "$T/certs/"
        cp "$TLS_CERT_DIR/ca.crt" "$T/certs/client.cert"
        run b pull -q --cert-dir "$T/certs" "$TLS/busybox"
        [ "$status" -eq 1 ]
        assert_one_line_naming "missing key client.key for client certificate client.cert"
}

@test "login to a TLS registry with --cert-dir; logout --all" {
        run b login --cert-dir "$TLS_CERT_DIR" -u anyone --password-stdin "$TLS" <<< "whatever-pw"
        [ "$status" -eq 0 ]
        run b login --tls-verify=false -u berth --password-stdin "$AUTH" <<< "$AUTH_PASSWORD"
        [ "$status" -eq 0 ]
        [ "$(jq -r '.auths | keys | length' "$DOCKER_CONFIG/config.json")" -eq 2 ]
        run b logout --all
        [ "$status" -eq 0 ]
        [ "$(jq -r '.auths | keys | length' "$DOCKER_CONFIG/config.json")" -eq 0 ]
        run b login -u berth --password-stdin "$AUTH" < /dev/null
        [ "$status" -eq 125 ]
        run b login "$AUTH" < /dev/null
        [ "$status" -eq 125 ]
        assert_one_line_naming "Cannot perform an interactive login from a non TTY device"
}

@test "TLS client certificates: NAME.cert + NAME.key of the certificates directory are presented" {
        mtls_registry_start
        b load -q -i "$IMAGES/busybox.docker.tar" > /dev/null
        b tag localhost/busybox:latest "$MTLS/app:1"
        # the CA alone: the registry refuses the handshake
        mkdir "$T/ca-only"
        cp "$MTLS_CERTS/ca.crt" "$T/ca-only/"
        run b push -q --cert-dir "$T/ca-only" "$MTLS/app:1"
        echo "$output"
        [ "$status" -eq 1 ]
        assert_one_line_naming "Get \"https://$MTLS/v2/\": tls: "
        [[ "$output" == *"bad certificate"* ]]
        run b push -q --cert-dir "$MTLS_CERTS" "$MTLS/app:1"
        [ "$status" -eq 0 ]
        b rmi localhost/busybox:latest "$MTLS/app:1" > /dev/null
        run b pull -q --cert-dir "$MTLS_CERTS" "$MTLS/app:1"
        [ "$status" -eq 0 ]
        [ "$output" = "$MTLS/app:1" ]
        assert_store_clean
}
