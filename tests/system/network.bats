#!/usr/bin/env bats
# Bridge networking (docs/networking.md), with real traffic only inside network namespaces each test makes:
# berth runs inside a namespace HOST that stands in for the host (its berth0, its nftables table, its
# forwarding), joined by a veth pair to a namespace OUT that stands in for another machine (10.200.0.2).
# Deleting the two namespaces at teardown takes everything berth made with them.
bats_require_minimum_version 1.5.0
load helpers
load engine-helpers
load api-helpers

net_skip_reasons() {
        [ "$(id -u)" -eq 0 ] || { echo "needs root"; return; }
        command -v ip >/dev/null || { echo "needs iproute2"; return; }
        command -v nsenter >/dev/null || { echo "needs nsenter"; return; }
        command -v nft >/dev/null || { echo "needs nft (nftables) to check berth's table"; return; }
        [ -e /usr/lib/x86_64-linux-gnu/libnftables.so.1 ] || ls /usr/lib/*/libnftables.so.1 >/dev/null 2>&1 ||
                { echo "needs libnftables1"; return; }
}

setup() {
        local why
        why=$(net_skip_reasons)
        [ -z "$why" ] || skip "$why"
        unset BERTH_DEFAULT_NETWORK
        HOSTNS=bt-h$$-${BATS_TEST_NUMBER}
        OUTNS=bt-o$$-${BATS_TEST_NUMBER}
        ip netns add "$HOSTNS"
        ip netns add "$OUTNS"
        ip -n "$HOSTNS" link set lo up
        ip -n "$OUTNS" link set lo up
        ip -n "$HOSTNS" link add bt-up type veth peer name bt-out netns "$OUTNS"
        ip -n "$HOSTNS" addr add 10.200.0.1/24 dev bt-up
        ip -n "$OUTNS" addr add 10.200.0.2/24 dev bt-out
        ip -n "$HOSTNS" link set bt-up up
        ip -n "$OUTNS" link set bt-out up
        engine_setup
}

teardown() {
        local id
        if [ -n "${API_PID:-}" ]; then
                kill -TERM "$API_PID" 2>/dev/null || true
                wait "$API_PID" 2>/dev/null || true
        fi
        if [ -n "${HOSTNS:-}" ]; then
                for id in $(b ps -aq --no-trunc 2>/dev/null); do
                        b rm -f -v "$id" >/dev/null 2>&1 || true
                done
        fi
        engine_teardown
        [ -n "${HOSTNS:-}" ] && ip netns del "$HOSTNS" 2>/dev/null
        [ -n "${OUTNS:-}" ] && ip netns del "$OUTNS" 2>/dev/null
        true
}

# berth in the test's "host" namespace (only the network namespace: mounts are the host's).
b() {
        nsenter --net="/run/netns/$HOSTNS" "$BERTH_BIN" --root "$ROOT" "$@"
}

in_host() {
        ip netns exec "$HOSTNS" "$@"
}

in_out() {
        ip netns exec "$OUTNS" "$@"
}

# The veths attached to berth0 in the test's host namespace.
bridge_ports() {
        in_host ip -o link show master berth0 2>/dev/null | grep -c . || true
}

# The Docker API service (docs/api.md) in the test's host namespace, on $T/docker.sock; dk and api
# (api-helpers.bash) drive it with the docker CLI and with curl.
api_in_host() {
        DOCKER=${DOCKER:-$(command -v docker || echo /usr/local/bin/docker)}
        [ -x "$DOCKER" ] || skip "the docker CLI is not installed"
        SOCK=$T/docker.sock
        mkdir -p "$T/docker-config"
        nsenter --net="/run/netns/$HOSTNS" "$BERTH_BIN" --root "$ROOT" system service --time=0 "unix://$SOCK" 2> "$T/service.log" &
        API_PID=$!
        wait_until test -S "$SOCK"
}

ip_of() {
        b inspect -f '{{.NetworkSettings.IPAddress}}' "$1"
}

@test "the default bridge: berth0 with 172.17.0.1/16, the container's eth0, its default route, docker's /etc/hosts" {
        run b run --rm busybox sh -c 'ip -4 -o addr show eth0; ip route; tail -n 1 /etc/hosts; hostname'
        [ "$status" -eq 0 ]
        echo "$output"
        [[ ${lines[0]} == *"inet 172.17.0.2/16"* ]]
        [[ $output == *"default via 172.17.0.1 dev eth0"* ]]
        [ "${lines[3]}" = "$(printf '172.17.0.2\t%s' "${lines[4]}")" ]
        run in_host ip -4 -o addr show berth0
        [[ $output == *"inet 172.17.0.1/16"* ]]
        [ "$(in_host cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
        [ "$(in_host cat /proc/sys/net/ipv4/conf/berth0/route_localnet)" = 1 ]
        # berth's own table, with this network's subnet masqueraded
        run in_host nft list set ip berth subnets
        [[ $output == *"172.17.0.0/16"* ]]
        # nothing left: the veth went with the container
        [ "$(bridge_ports)" -eq 0 ]
}

@test "a subnet that a host route covers is skipped: 172.17.0.0/16 routed elsewhere gives 172.18.0.0/16" {
        in_host ip route add 172.17.0.0/16 via 10.200.0.2
        run b run --rm busybox ip -4 -o addr show eth0
        [ "$status" -eq 0 ]
        [[ $output == *"inet 172.18.0.2/16"* ]]
}

@test "outbound: a server in another namespace is reached, and sees the host's address (masquerade)" {
        mkdir -p "$T/www" && echo hello-from-outside > "$T/www/index.html"
        in_out python3 -m http.server --bind 10.200.0.2 --directory "$T/www" 8000 > "$T/http.log" 2>&1 &
        echo $! > "$T/http.pid"
        wait_until ip netns exec "$OUTNS" bash -c 'exec 3<>/dev/tcp/10.200.0.2/8000' 2>/dev/null
        run b run --rm busybox wget -q -O - http://10.200.0.2:8000/index.html
        kill "$(cat "$T/http.pid")"
        [ "$status" -eq 0 ]
        [ "$output" = hello-from-outside ]
        grep -q '^10.200.0.1 .*GET /index.html' "$T/http.log" || { cat "$T/http.log"; false; }
}

@test "two containers reach each other across berth0" {
        a=$(b run -d busybox sleep 60)
        c=$(b run -d busybox sleep 60)
        run b exec "$c" ping -c 1 -W 2 "$(ip_of "$a")"
        [ "$status" -eq 0 ]
        [ "$(bridge_ports)" -eq 2 ]
}

# "60.3kB" -> 60300 (docker's decimal units, as stats prints them).
decimal_bytes() {
        echo "$1" | awk '{ n = $0 + 0; u = $0; sub(/^[0-9.]+/, "", u);
                m = (u == "kB") ? 1e3 : (u == "MB") ? 1e6 : (u == "GB") ? 1e9 : 1; printf "%d\n", n * m }'
}

# The kernel's byte counters of a process's network namespace, interfaces but lo: "RX TX".
kernel_net_bytes() {
        nsenter --net="/proc/$1/ns/net" cat /proc/net/dev |
                awk -F'[: ]+' 'NR > 2 { sub(/^ +/, ""); split($0, f, /[: ]+/); if (f[1] != "lo") { rx += f[2]; tx += f[10] } }
                               END { printf "%d %d\n", rx, tx }'
}

@test "stats' NET I/O is the container's own traffic as its namespace's counters show it; 0B with --network none" {
        id=$(b run -d busybox sleep 60)
        b exec "$id" ping -c 3 -s 20000 -W 2 172.17.0.1 >/dev/null
        pid=$(b inspect -f '{{.State.Pid}}' "$id")
        read -r krx ktx < <(kernel_net_bytes "$pid")
        echo "kernel: $krx $ktx"
        # Three 20 kB echoes out and three replies back, each more than 60 kB on eth0.
        [ "$krx" -ge 60000 ] && [ "$ktx" -ge 60000 ]
        net=$(b stats --no-stream --format '{{.NetIO}}' "$id")
        echo "stats: $net"
        rx=$(decimal_bytes "${net%% / *}")
        tx=$(decimal_bytes "${net##* / }")
        # Three significant digits, and a packet or two (neighbour discovery) may come between the readings.
        [ $((rx * 100)) -ge $((krx * 98)) ] && [ $((rx * 100)) -le $((krx * 102)) ]
        [ $((tx * 100)) -ge $((ktx * 98)) ] && [ $((tx * 100)) -le $((ktx * 102)) ]
        none=$(b run -d --network none busybox sh -c 'ping -c 2 127.0.0.1 >/dev/null; sleep 60')
        sleep 1.5
        [ "$(b stats --no-stream --format '{{.NetIO}}' "$none")" = "0B / 0B" ]
}

@test "20 parallel run -d: 20 different addresses, 20 ports on berth0; rm releases them all" {
        local i
        for i in $(seq 20); do
                b run -d busybox sleep 120 > "$T/id.$i" 2>"$T/err.$i" &
        done
        wait
        for i in $(seq 20); do
                [ -s "$T/id.$i" ] || { cat "$T/err.$i"; false; }
        done
        for i in $(seq 20); do ip_of "$(cat "$T/id.$i")"; done > "$T/ips"
        [ "$(sort -u "$T/ips" | grep -c '^172\.17\.0\.')" -eq 20 ]
        # and the kernel agrees: each address is on its container's eth0
        for i in 1 7 20; do
                run b exec "$(cat "$T/id.$i")" ip -4 -o addr show eth0
                [[ $output == *"inet $(ip_of "$(cat "$T/id.$i")")/16"* ]]
        done
        [ "$(bridge_ports)" -eq 20 ]
        b rm -f $(cat "$T"/id.*) >/dev/null
        wait_until sh -c "[ \$(ip netns exec $HOSTNS ip -o link show master berth0 | grep -c .) -eq 0 ]"
        # every address is free again: the next container gets the first
        run b run --rm busybox ip -4 -o addr show eth0
        [[ $output == *"inet 172.17.0.2/16"* ]]
}

@test "run --rm, a failed start and a stop leave no veth and release the address" {
        run b run --rm busybox true
        [ "$status" -eq 0 ]
        run -127 b run busybox /no/such/command
        id=$(b run -d busybox sleep 60)
        b stop -t 0 "$id" >/dev/null
        [ "$(b inspect -f '{{.NetworkSettings.IPAddress}}' "$id")" = "" ]
        wait_until sh -c "[ \$(ip netns exec $HOSTNS ip -o link show master berth0 | grep -c .) -eq 0 ]"
        run b run --rm busybox ip -4 -o addr show eth0
        [[ $output == *"inet 172.17.0.2/16"* ]]
}

@test "after SIGKILL of the monitor and the container, the next run reconciles: the address is free again" {
        id=$(b run -d busybox sleep 60)
        [ "$(ip_of "$id")" = 172.17.0.2 ]
        mon=$(pgrep -f "berth-monitor.*$id" | head -1 || true)
        pid=$(b inspect -f '{{.State.Pid}}' "$id")
        [ -n "$mon" ] && kill -9 "$mon"
        kill -9 "$pid"
        wait_until sh -c "[ \$(ip netns exec $HOSTNS ip -o link show master berth0 | grep -c .) -eq 0 ]"
        run b run --rm busybox ip -4 -o addr show eth0
        [[ $output == *"inet 172.17.0.2/16"* ]]
}

@test "--network none, host and container:NAME keep working beside the bridge" {
        run b run --rm --network none busybox ls /sys/class/net
        [ "$output" = lo ]
        run b run --rm --network host busybox ls /sys/class/net
        [[ $output == *bt-up* ]]
        b run -d --name first busybox sleep 60 >/dev/null
        run b run --rm --network container:first busybox ip -4 -o addr show eth0
        [[ $output == *"inet 172.17.0.2/16"* ]]
        [ "$(bridge_ports)" -eq 1 ]
}

@test "inspect shows NetworkSettings as docker does" {
        id=$(b run -d busybox sleep 60)
        run b inspect -f '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.IPPrefixLen}} {{.NetworkSettings.MacAddress}} {{.HostConfig.NetworkMode}}' "$id"
        [ "$output" = "172.17.0.2 172.17.0.1 16 02:42:ac:11:00:02 bridge" ]
        run b inspect -f '{{.NetworkSettings.Networks.bridge.IPAddress}} {{.NetworkSettings.Networks.bridge.Gateway}}' "$id"
        [ "$output" = "172.17.0.2 172.17.0.1" ]
        # the MAC is what the kernel shows inside
        run b exec "$id" cat /sys/class/net/eth0/address
        [ "$output" = 02:42:ac:11:00:02 ]
}

@test "after nft flush ruleset, the next run restores berth's table" {
        b run --rm busybox true
        in_host nft flush ruleset
        run in_host nft list tables
        [ -z "$output" ]
        b run --rm busybox true
        run in_host nft list set ip berth subnets
        [[ $output == *"172.17.0.0/16"* ]]
}

# A busybox httpd serving "$2" in a detached container with the given berth flags; prints its id.
serve() {  # TEXT ARGS...
        local text=$1
        shift
        mkdir -p "$T/www-$text" && echo "$text" > "$T/www-$text/index.html"
        b run -d -v "$T/www-$text:/www:ro" "$@" busybox httpd -f -p 80 -h /www
}

fetch() {  # WHERE URL: WHERE is in_host, in_out or a container id
        local where=$1 url=$2
        case $where in
        in_host | in_out) "$where" wget -q -T 5 -O - "$url" ;;
        *) b exec "$where" timeout 5 wget -q -O - "$url" ;;  # busybox wget -T crashes (SIGSEGV) here
        esac
}

@test "-p 8080:80: reached from another host, from the host via 127.0.0.1 and its own address, and hairpin" {
        id=$(serve published -p 8080:80)
        wait_until fetch in_host http://127.0.0.1:8080/
        run fetch in_out http://10.200.0.1:8080/
        [ "$output" = published ]
        run fetch in_host http://127.0.0.1:8080/
        [ "$output" = published ]
        run fetch in_host http://10.200.0.1:8080/
        [ "$output" = published ]
        # the container through its own published port
        run fetch "$id" http://10.200.0.1:8080/
        [ "$output" = published ]
        # one map element, no process per port
        run in_host nft list map ip berth ports_any
        [[ $output == *"tcp . 8080 : 172.17.0.2 . 80"* ]]
        ! pgrep -f "docker-proxy|berth.*8080" >/dev/null
        # ps, port and inspect say it as docker does
        run b ps --format '{{.Ports}}'
        [ "$output" = "0.0.0.0:8080->80/tcp" ]
        run b port "$id"
        [ "$output" = "80/tcp -> 0.0.0.0:8080" ]
        run b port "$id" 80
        [ "$output" = "0.0.0.0:8080" ]
        run b inspect -f '{{json .NetworkSettings.Ports}}' "$id"
        [ "$output" = '{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]}' ]
        # rm takes the element away
        b rm -f "$id" >/dev/null
        run in_host nft list map ip berth ports_any
        [[ $output != *8080* ]]
        run fetch in_host http://127.0.0.1:8080/
        [ "$status" -ne 0 ]
}

@test "-p IP:PORT:PORT publishes on that address only; -p 5353:53/udp" {
        id=$(serve on-ip -p 10.200.0.1:8081:80)
        wait_until fetch in_out http://10.200.0.1:8081/
        run fetch in_out http://10.200.0.1:8081/
        [ "$output" = on-ip ]
        run fetch in_host http://127.0.0.1:8081/
        [ "$status" -ne 0 ]
        # busybox has no UDP listener: the kernel's map says where datagrams go
        u=$(b run -d -p 5353:53/udp busybox sleep 60)
        run in_host nft list map ip berth ports_any
        [[ $output == *"udp . 5353 : $(ip_of "$u") . 53"* ]]
        run b port "$u"
        [ "$output" = "53/udp -> 0.0.0.0:5353" ]
}

@test "-P publishes the exposed ports to free host ports; port says which" {
        id=$(serve all --expose 80 -P)
        hp=$(b port "$id" 80)
        [[ $hp == 0.0.0.0:* ]]
        wait_until fetch in_out "http://10.200.0.1:${hp#0.0.0.0:}/"
        run fetch in_out "http://10.200.0.1:${hp#0.0.0.0:}/"
        [ "$output" = all ]
}

@test "a host port in use (by another process, by another container) is refused with one line, nothing left" {
        in_host python3 -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 9090)); s.listen(); time.sleep(60)' &
        echo $! > "$T/holder.pid"
        wait_until sh -c "ip netns exec $HOSTNS ss -ltn | grep -q ':9090 '"
        run b run --rm -p 9090:80 busybox true
        kill "$(cat "$T/holder.pid")"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ $output == *"port is already allocated"* ]]
        [ -z "$(b ps -aq)" ]
        serve first -p 9091:80 >/dev/null
        run b run --rm -p 9091:80 busybox true
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ $output == *"Bind for 0.0.0.0:9091 failed: port is already allocated"* ]]
        [ "$(in_host nft list map ip berth ports_any | grep -c 9091)" -eq 1 ]
        [ "$(bridge_ports)" -eq 1 ]
}

@test "malformed --publish is refused with one line, exit 125, nothing made" {
        local spec
        for spec in 80x 0 70000 8080:80/xtp 1.2.3:80:80 8080-8081:80-82 a:b:c:d [::1]:80:80 ""; do
                run b run --rm -p "$spec" busybox true
                [ "$status" -eq 125 ] || { echo "$spec: $status $output"; false; }
                [ "${#lines[@]}" -eq 1 ] || { echo "$spec: $output"; false; }
        done
        run b run --rm --network none -p 80:80 busybox true
        [ "$status" -eq 125 ]
        [[ $output == *"conflicting options: port publishing and the container type network mode"* ]]
        [ -z "$(b ps -aq)" ]
        [ "$(bridge_ports)" -eq 0 ]
}

@test "100 run --rm -p cycles leave no veth, no element and no lease" {
        local i
        for i in $(seq 100); do
                b run --rm -p 8090:80 busybox true || { echo "cycle $i failed"; false; }
        done
        [ "$(bridge_ports)" -eq 0 ]
        run in_host nft list map ip berth ports_any
        [[ $output != *8090* ]]
        run b run --rm busybox ip -4 -o addr show eth0
        [[ $output == *"inet 172.17.0.2/16"* ]]
}

@test "--ip and --mac-address are the container's, as the kernel shows them; bad ones are refused with one line" {
        id=$(b run -d --ip 172.17.0.50 --mac-address 02:11:22:33:44:55 busybox sleep 60)
        run b exec "$id" ip -4 -o addr show eth0
        [[ $output == *"inet 172.17.0.50/16"* ]]
        run b exec "$id" cat /sys/class/net/eth0/address
        [ "$output" = 02:11:22:33:44:55 ]
        run b inspect -f '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.MacAddress}} {{.NetworkSettings.Networks.bridge.IPAMConfig.IPv4Address}}' "$id"
        [ "$output" = "172.17.0.50 02:11:22:33:44:55 172.17.0.50" ]
        # the address is taken; others are outside the subnet, reserved, or not addresses
        local args
        for args in "--ip 172.17.0.50" "--ip 10.9.9.9" "--ip 172.17.0.1" "--ip 1.2.3" "--mac-address 01:00:00:00:00:01" \
                "--mac-address 02:11" "--network none --ip 172.17.0.9"; do
                run b run --rm $args busybox true
                [ "$status" -eq 125 ] || { echo "$args: $status $output"; false; }
                [ "${#lines[@]}" -eq 1 ] || { echo "$args: $output"; false; }
        done
        [ "$(b ps -aq | wc -l)" -eq 1 ]
        [ "$(bridge_ports)" -eq 1 ]
}

@test "--dns, --dns-search, --dns-option and --add-host (host-gateway) as docker writes them" {
        run b run --rm --dns 10.0.0.53 --dns 10.0.0.54 --dns-search example.com --dns-search b.org --dns-option ndots:2 \
                busybox cat /etc/resolv.conf
        [ "$output" = "$(printf 'search example.com b.org\nnameserver 10.0.0.53\nnameserver 10.0.0.54\noptions ndots:2')" ]
        run b run --rm --add-host foo:1.2.3.4 --add-host gw:host-gateway --hostname box busybox cat /etc/hosts
        [ "${lines[6]}" = "$(printf '1.2.3.4\tfoo')" ]
        [ "${lines[7]}" = "$(printf '172.17.0.1\tgw')" ]
        [ "${lines[8]}" = "$(printf '172.17.0.2\tbox')" ]
}

@test "a loopback resolver of the host (127.0.0.53) is replaced: its other nameservers, or 8.8.8.8 and 8.8.4.4" {
        printf 'nameserver 127.0.0.53\noptions edns0\nsearch lan\n' > "$T/resolv.stub"
        printf 'nameserver 127.0.0.1\nnameserver 192.0.2.53\n' > "$T/resolv.mixed"
        run unshare -m sh -c "mount --bind $T/resolv.stub /etc/resolv.conf &&
                nsenter --net=/run/netns/$HOSTNS $BERTH_BIN --root $ROOT run --rm busybox cat /etc/resolv.conf"
        echo "$output"  # shown when an assertion below fails
        [ "$output" = "$(printf 'options edns0\nsearch lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4')" ]
        run unshare -m sh -c "mount --bind $T/resolv.mixed /etc/resolv.conf &&
                nsenter --net=/run/netns/$HOSTNS $BERTH_BIN --root $ROOT run --rm busybox cat /etc/resolv.conf"
        echo "$output"  # shown when an assertion below fails
        [ "$output" = "nameserver 192.0.2.53" ]
        # --network host keeps the host's own
        run unshare -m sh -c "mount --bind $T/resolv.stub /etc/resolv.conf &&
                nsenter --net=/run/netns/$HOSTNS $BERTH_BIN --root $ROOT run --rm --network host busybox cat /etc/resolv.conf"
        echo "$output"  # shown when an assertion below fails
        [[ $output == *"nameserver 127.0.0.53"* ]]
}

@test "network create/ls/inspect/rm/prune: --subnet, --gateway, --ip-range, --internal, --label, the bridge's name" {
        id=$(b network create --subnet 10.88.0.0/24 --gateway 10.88.0.254 --ip-range 10.88.0.128/25 --label team=a \
                -o com.docker.network.bridge.name=brtest mynet)
        [ ${#id} -eq 64 ]
        run b network ls --format '{{.Name}} {{.Driver}}'
        [ "$output" = "$(printf 'bridge bridge\nmynet bridge\nhost host\nnone none')" ]
        run b network inspect -f '{{json .IPAM.Config}} {{.Labels.team}} {{.Internal}}' mynet
        [ "$output" = '[{"Subnet":"10.88.0.0/24","Gateway":"10.88.0.254","IPRange":"10.88.0.128/25"}] a false' ]
        c=$(b run -d --network mynet busybox sleep 60)
        run b exec "$c" sh -c 'ip -4 -o addr show eth0; ip route'
        [[ $output == *"inet 10.88.0.128/24"* ]]
        [[ $output == *"default via 10.88.0.254"* ]]
        run in_host ip -4 -o addr show brtest
        [[ $output == *"inet 10.88.0.254/24"* ]]
        [ "$(b network inspect -f '{{json .Containers}}' mynet | grep -o IPv4Address | wc -l)" -eq 1 ]
        # in use: refused with one line
        run b network rm mynet
        [ "$status" -ne 0 ]
        [[ $output == *"has active endpoints"* ]]
        b rm -f "$c" >/dev/null
        b network create unused >/dev/null
        run b network prune -f
        [[ $output == *mynet* && $output == *unused* ]]
        run in_host ip link show brtest
        [ "$status" -ne 0 ]
        run in_host nft list set ip berth subnets
        [[ $output != *10.88.0.0* ]]
        run b network rm bridge
        [ "$status" -ne 0 ]
}

@test "network create refuses overlapping and invalid subnets, a taken name, an exhausted pool with one line" {
        b network create --subnet 10.88.0.0/24 one >/dev/null
        local args
        for args in "--subnet 10.88.0.0/16 two" "--subnet 10.88.0/24 two" "--subnet 10.99.0.0/33 two" \
                "--subnet 10.99.0.0/24 --gateway 10.98.0.1 two" "--subnet 10.99.0.0/24 --ip-range 10.98.0.0/25 two" \
                "one" "bridge" "--gateway 10.1.1.1 two" "bad/name" "-d macvlan two"; do
                run b network create $args
                [ "$status" -ne 0 ] || { echo "$args: $output"; false; }
                [ "${#lines[@]}" -eq 1 ] || { echo "$args: $output"; false; }
        done
        # a /30 has two addresses: the gateway and one container
        b network create --subnet 10.77.0.0/30 tiny >/dev/null
        b run -d --network tiny busybox sleep 60 >/dev/null
        run b run --rm --network tiny busybox true
        [ "$status" -eq 125 ]
        [[ $output == *"no available IPv4 addresses on network tiny"* ]]
        run b run --rm --network nosuchnet busybox true
        [ "$status" -eq 125 ]
        [ "$output" = "Error: network nosuchnet not found" ]
}

@test "--internal: no route out, nothing forwarded from the bridge" {
        b network create --internal inside >/dev/null
        run b run --rm --network inside busybox sh -c 'ip route; ping -c 1 -W 1 10.200.0.2'
        [ "$status" -ne 0 ]
        [[ $output != *default* ]]
        run in_host nft list set ip berth internal
        [[ $output == *br-* ]]
}

@test "on a user network containers find each other by name and --network-alias, at once, and forget the gone" {
        b network create appnet >/dev/null
        b run -d --network appnet --name web --network-alias www busybox sleep 60 >/dev/null
        run b run --rm --network appnet --name client busybox sh -c 'ping -c 1 -W 2 web && ping -c 1 -W 2 www'
        [ "$status" -eq 0 ]
        # the name of a container started later reaches the ones already running
        b run -d --network appnet --name late busybox sleep 60 >/dev/null
        run b exec web ping -c 1 -W 2 late
        [ "$status" -eq 0 ]
        b rm -f late >/dev/null
        run b exec web grep -c late /etc/hosts
        [ "$output" = 0 ]
        # outside names go to the host's resolvers
        [ "$(b exec web cat /etc/resolv.conf)" = "$(b run --rm busybox cat /etc/resolv.conf)" ]
        # the default bridge has no names, as docker's
        run b run --rm --network-alias x busybox true
        [ "$status" -eq 125 ]
}

@test "after nft flush ruleset, network reload and the next run put back every network and published port" {
        b network create appnet >/dev/null
        web=$(serve flushed -p 8080:80)
        other=$(serve onapp --network appnet -p 8081:80)
        wait_until fetch in_host http://127.0.0.1:8080/
        in_host nft flush ruleset
        run fetch in_out http://10.200.0.1:8080/
        [ "$status" -ne 0 ]
        b network reload
        run fetch in_out http://10.200.0.1:8080/
        [ "$output" = flushed ]
        run fetch in_out http://10.200.0.1:8081/
        [ "$output" = onapp ]
        run in_host nft list set ip berth subnets
        [[ $output == *172.17.0.0/16* && $output == *172.18.0.0/16* ]]
        # the next run, with nothing of its own to publish, restores the others too
        in_host nft flush ruleset
        b run --rm busybox true
        run fetch in_out http://10.200.0.1:8081/
        [ "$output" = onapp ]
        [ "$(in_host nft list map ip berth ports_any | grep -o ' : [0-9]' | wc -l)" -eq 2 ]
}

@test "network connect/disconnect: a running container gets eth1 on a user network, by name, and loses it" {
        b network create appnet >/dev/null
        b network create --internal side >/dev/null
        b run -d --network appnet --name server busybox sleep 60 >/dev/null
        b run -d --name roamer busybox sleep 60 >/dev/null
        b network connect appnet roamer
        run b exec roamer sh -c 'ip -4 -o addr show eth1; ip route; ping -c 1 -W 2 server'
        [ "$status" -eq 0 ]
        [[ $output == *"inet 172.18.0.3/16"* ]]
        [[ $output == *"default via 172.17.0.1 dev eth0"* ]]
        b network connect side roamer
        run b exec roamer ip -o link show eth2
        [ "$status" -eq 0 ]
        run b inspect -f '{{.NetworkSettings.Networks.appnet.IPAddress}} {{.NetworkSettings.Networks.bridge.IPAddress}}' roamer
        [ "$output" = "172.18.0.3 172.17.0.2" ]
        # twice, a container not running, no such network: one line each
        run b network connect appnet roamer
        [ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ]
        b run -d --name stopped busybox true >/dev/null
        wait_until sh -c "[ \"\$(nsenter --net=/run/netns/$HOSTNS $BERTH_BIN --root $ROOT inspect -f '{{.State.Status}}' stopped)\" = exited ]"
        run b network connect appnet stopped
        [ "$status" -ne 0 ] && [[ $output == *"is not running"* ]]
        run b network connect nosuchnet roamer
        [ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ]
        # disconnect: the interface, the lease, the name go
        b network disconnect appnet roamer
        run b exec roamer ip -o link show eth1
        [ "$status" -ne 0 ]
        run b exec server grep -c roamer /etc/hosts
        [ "$output" = 0 ]
        [ "$(b network inspect -f '{{json .Containers}}' appnet | grep -o IPv4Address | wc -l)" -eq 1 ]
        # rm releases what connect added
        b rm -f roamer >/dev/null
        b network rm side >/dev/null
}

@test "network events as docker emits them: create, connect at start and by connect, disconnect, destroy, prune" {
        b network create evnet >/dev/null
        nid=$(b network inspect -f '{{.Id}}' evnet)
        b run -d --network evnet --name evc busybox sleep 60 >/dev/null
        cid=$(b inspect -f '{{.Id}}' evc)
        b run -d --name evd busybox sleep 60 >/dev/null
        did=$(b inspect -f '{{.Id}}' evd)
        b network connect evnet evd
        b network disconnect evnet evd
        b stop -t 0 evc >/dev/null
        b network rm evnet >/dev/null
        b network create gone >/dev/null
        b network prune -f >/dev/null
        run b events --since 0 --until "$(date +%s.%N)" --filter type=network \
                --format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}} {{.Actor.Attributes.container}}'
        echo "$output"
        # evd's start on the default bridge is a connect of "bridge" too.
        expected="create evnet bridge 
connect evnet bridge $cid
connect bridge bridge $did
connect evnet bridge $did
disconnect evnet bridge $did
disconnect evnet bridge $cid
destroy evnet bridge 
create gone bridge 
destroy gone bridge 
prune   "
        [ "$output" = "$expected" ]
        [ "$(b events --since 0 --until "$(date +%s.%N)" --filter network="$nid" --filter event=destroy --format '{{.Actor.ID}}')" = "$nid" ]
        [ "$(b events --since 0 --until "$(date +%s.%N)" --filter event=prune --format '{{.Actor.Attributes.reclaimed}}')" = 0 ]
}

@test "SIGKILL of berth at any point of run -d -p: the next commands leave no veth, no element, no lease" {
        local i delay
        for i in $(seq 12); do
                delay=$(printf '0.%02d' $((i * 4)))
                timeout -s KILL "$delay" nsenter --net="/run/netns/$HOSTNS" "$BERTH_BIN" --root "$ROOT" \
                        run -d -p "$((9100 + i)):80" busybox sleep 60 >/dev/null 2>&1 || true
        done
        # whatever was made: rm -f every container, then one more run reconciles the rest
        for id in $(b ps -aq --no-trunc); do b rm -f "$id" >/dev/null; done
        run b run --rm -p 9101:80 busybox ip -4 -o addr show eth0
        [ "$status" -eq 0 ]
        [[ $output == *"inet 172.17.0.2/16"* ]]
        wait_until sh -c "[ \$(ip netns exec $HOSTNS ip -o link show master berth0 | grep -c .) -eq 0 ]"
        run in_host nft list map ip berth ports_any
        [[ $output != *" : 172."* ]]
}

@test "the Docker API's networks: docker network create/ls --filter/inspect/connect/disconnect/rm/prune over berth's socket" {
        api_in_host
        id=$(dk network create --subnet 10.89.0.0/24 --gateway 10.89.0.254 --label team=b \
                -o com.docker.network.bridge.name=brapi apinet)
        [ ${#id} -eq 64 ]
        [ "$(b network inspect -f '{{.Id}}' apinet)" = "$id" ]
        run dk network inspect -f '{{.Name}} {{.Driver}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Labels.team}}' apinet
        [ "$output" = "apinet bridge 10.89.0.0/24 10.89.0.254 b" ]
        # docker's list filters: name and id are regular expressions, labels all match, type, dangling
        [ "$(dk network ls --filter name=apin --format '{{.Name}}')" = apinet ]
        [ "$(dk network ls --filter id="${id:0:10}" -q)" = "${id:0:12}" ]
        [ "$(dk network ls --filter type=custom --format '{{.Name}}')" = apinet ]
        [ "$(dk network ls --filter type=builtin --format '{{.Name}}' | sort | tr '\n' ' ')" = "bridge host none " ]
        [ "$(dk network ls --filter label=team=b --filter label=team --format '{{.Name}}')" = apinet ]
        [ -z "$(dk network ls --filter label=team=b --filter label=other --format '{{.Name}}')" ]
        [ "$(dk network ls --filter dangling=true --format '{{.Name}}')" = apinet ]
        [ "$(b network ls --filter driver=host --format '{{.Name}}')" = host ]
        run dk network ls --filter nosuch=1
        [ "$status" -ne 0 ] && [[ $output == *"invalid filter 'nosuch'"* ]]
        # a container on it, and one connected to it: the kernel shows both addresses, and traffic passes
        dk run -d --network apinet --name server busybox sleep 60 >/dev/null
        dk run -d --name roamer busybox sleep 60 >/dev/null
        run in_host ip -4 -o addr show brapi
        [[ $output == *"inet 10.89.0.254/24"* ]]
        dk network connect --ip 10.89.0.50 apinet roamer
        run b exec roamer sh -c 'ip -4 -o addr show eth1 && ping -c 1 -W 2 server'
        [ "$status" -eq 0 ]
        [[ $output == *"inet 10.89.0.50/24"* ]]
        [ -z "$(dk network ls --filter dangling=true -q)" ]
        [ "$(dk network inspect -f '{{len .Containers}}' apinet)" = 2 ]
        run dk network rm apinet
        [ "$status" -ne 0 ] && [[ $output == *"has active endpoints"* ]]
        run api DELETE /v1.50/networks/apinet
        [ "${lines[-1]}" = 403 ]
        dk network disconnect apinet roamer
        run b exec roamer ip -o link show eth1
        [ "$status" -ne 0 ]
        dk rm -f server roamer >/dev/null
        dk network rm apinet
        run in_host ip link show brapi
        [ "$status" -ne 0 ]
        run b network inspect apinet
        [ "$status" -ne 0 ]
        # prune takes the unused user networks, never the pre-defined ones; its filters choose among them
        dk network create spare >/dev/null
        dk network create --label keep=yes kept >/dev/null
        run dk network prune -f --filter 'label!=keep'
        [[ $output == *spare* && $output != *kept* ]]
        run dk network prune -f --filter until=1h
        [[ $output != *kept* ]]
        run dk network prune -f --filter label=keep=yes
        [[ $output == *kept* ]]
        [ "$(b network ls --format '{{.Name}}' | tr '\n' ' ')" = "bridge host none " ]
        run dk network rm bridge
        [ "$status" -ne 0 ] && [[ $output == *"pre-defined network"* ]]
}

@test "the Docker API refuses networks berth cannot make, with docker's status codes, and makes nothing" {
        api_in_host
        local body
        for body in '{"Name":"v6","EnableIPv6":true}' '{"Name":"v6","IPAM":{"Config":[{"Subnet":"fd00::/64"}]}}' \
                '{"Name":"bad","Internal":"yes"}' '{"Name":"bad","Options":{"com.docker.network.bridge.enable_icc":"false"}}' \
                '{"Name":"bad","Driver":"overlay"}' '{"Name":"bad","Ingress":true}' '{"Name":"bad","Labels":{"a":1}}' \
                '{"Name":"bad","IPAM":{"Config":[{"Subnet":"10.90.0.0/24"},{"Subnet":"10.91.0.0/24"}]}}' \
                '{"Name":""}' '[]' '{"Name":"bad/name"}'; do
                run api POST /v1.50/networks/create -H 'Content-Type: application/json' -d "$body"
                [ "${lines[-1]}" = 400 ] || { echo "$body: $output"; false; }
                [ "${#lines[@]}" -eq 2 ]
        done
        [ "$(b network ls --format '{{.Name}}' | tr '\n' ' ')" = "bridge host none " ]
        run api POST /v1.50/networks/create -H 'Content-Type: application/json' -d '{"Name":"one","CheckDuplicate":true,"Attachable":false}'
        [ "${lines[-1]}" = 201 ]
        run api POST /v1.50/networks/create -H 'Content-Type: application/json' -d '{"Name":"one"}'
        [ "${lines[-1]}" = 409 ]
        run api GET /v1.50/networks/nosuch
        [ "${lines[-1]}" = 404 ]
        run api GET /v1.50/networks/one?scope=swarm
        [ "${lines[-1]}" = 404 ]
        dk run -d --name cc busybox sleep 60 >/dev/null
        run api POST /v1.50/networks/one/connect -H 'Content-Type: application/json' -d '{"Container":"cc","EndpointConfig":{"Aliases":["x"]}}'
        [ "${lines[-1]}" = 400 ] && [[ $output == *Aliases* ]]
        run api POST /v1.50/networks/one/connect -H 'Content-Type: application/json' -d '{"EndpointConfig":{}}'
        [ "${lines[-1]}" = 400 ]
        run api POST /v1.50/networks/one/connect -H 'Content-Type: application/json' -d '{"Container":"nosuch"}'
        [ "${lines[-1]}" = 404 ]
        run api POST '/v1.50/networks/prune?filters=%7B%22color%22%3A%5B%22red%22%5D%7D'
        [ "${lines[-1]}" = 400 ]
        run b network inspect -f "{{len .Containers}}" one
        [ "$output" = 0 ]
        run b exec cc ip -o link show eth1
        [ "$status" -ne 0 ]
}

@test "docker-compose up, ps, logs, down: three services, a published port, a volume, health-gated depends_on; nothing left" {
        command -v docker-compose >/dev/null || skip "docker-compose is not installed"
        api_in_host
        mkdir "$T/proj"
        cat > "$T/proj/docker-compose.yml" <<'YAML'
version: "2.4"
services:
  web:
    image: busybox
    command: ["sh", "-c", "hostname > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["8080:80"]
    volumes: ["site:/www"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://localhost/index.html"]
      interval: 1s
      retries: 10
  api:
    image: busybox
    command: ["sh", "-c", "echo api > /tmp/index.html && exec httpd -f -p 81 -h /tmp"]
  client:
    image: busybox
    command: ["sh", "-c", "wget -q -O - http://web/index.html; wget -q -O - http://api:81/index.html; sleep 60"]
    depends_on:
      web:
        condition: service_healthy
      api:
        condition: service_started
volumes:
  site:
YAML
        cd "$T/proj"
        DOCKER_HOST=unix://$SOCK timeout 120 docker-compose -p bt up -d
        # compose waited for web's health check (berth's monitor ran it) before it created client
        [ "$(b inspect -f '{{.State.Health.Status}}' bt_web_1)" = healthy ]
        [ "$(b inspect -f '{{.HostConfig.NetworkMode}}' bt_client_1)" = bt_default ]
        # the client's requests crossed the project's bridge, by name: web's page is web's hostname
        wait_until sh -c "[ \$(nsenter --net=/run/netns/$HOSTNS $BERTH_BIN --root $ROOT logs bt_client_1 | wc -l) -eq 2 ]"
        [ "$(b logs bt_client_1 | tr '\n' ' ')" = "$(b inspect -f '{{.Config.Hostname}}' bt_web_1) api " ]
        # the published port from the host, and the page in the volume's directory
        [ "$(in_host wget -q -O - http://127.0.0.1:8080/index.html)" = "$(b inspect -f '{{.Config.Hostname}}' bt_web_1)" ]
        [ -s "$ROOT/volumes/bt_site/_data/index.html" ]
        [ "$(b network inspect -f '{{len .Containers}}' bt_default)" = 3 ]
        bridge=br-$(b network inspect -f '{{.Id}}' bt_default | cut -c1-12)
        [ "$(in_host ip -o link show master "$bridge" | grep -c .)" = 3 ]
        run env DOCKER_HOST=unix://$SOCK docker-compose -p bt ps
        [[ $output == *"bt_web_1"*"Up (healthy)"* ]]
        [ "$(echo "$output" | grep -c '^bt_')" = 3 ]
        DOCKER_HOST=unix://$SOCK timeout 120 docker-compose -p bt down -v
        [ -z "$(b ps -aq)" ]
        [ "$(b network ls --format '{{.Name}}' | tr '\n' ' ')" = "bridge host none " ]
        [ ! -e "$ROOT/volumes/bt_site" ]
        run in_host ip link show "$bridge"
        [ "$status" -ne 0 ]
        [ -z "$(in_host ip -o link show type veth | grep -v bt-up)" ]
        run in_host wget -q -T 2 -O - http://127.0.0.1:8080/index.html
        [ "$status" -ne 0 ]
}

@test "docker-py (the Docker SDK for Python): run, networks, volumes, exec, logs streaming, events, wait, top, stats, stop, remove" {
        [ -e /usr/lib/python3/dist-packages/docker/__init__.py ] || skip "python3-docker is not installed"
        api_in_host
        run timeout 180 /usr/bin/python3 "$BATS_TEST_DIRNAME/clients/docker_py.py" "$SOCK"
        echo "$output" | grep -v '^ok ' || true
        [ "$status" -eq 0 ] || { echo "the service's log:"; tail -n 15 "$T/service.log"; false; }
        [[ ${lines[-1]} == "ok removed" ]]
        # what the SDK removed is gone from the kernel too: no bridge of its network, no veth
        [ -z "$(in_host ip -o link show type bridge | grep -v berth0)" ]
        [ -z "$(in_host ip -o link show type veth | grep -v bt-up)" ]
        [ ! -e "$ROOT/volumes/pyvol" ]
}
