/* berth-net: a container's bridge networking, set up and torn down by a small dynamically linked helper.
 * berth and berth-launch are static PIEs (they are the hot path of `berth run`) and cannot load libnftables;
 * this helper links libmnl and dlopens libnftables only when the firewall must change (the table is missing,
 * or ports are published). berth-launch runs `up` between the runtime's create and start (the init exists,
 * its network namespace too, nothing runs in it yet); the engine runs `down` when the container has
 * stopped. Links, addresses and routes go through rtnetlink, the firewall through berth's own table
 * (src/network). No `ip`, `nft` or `iptables` process.
 *
 *   berth-net up PID BRIDGE GATEWAY/PREFIX VETH IP MAC [PORT...]
 *   berth-net down VETH [PORT...]
 *   berth-net ensure BRIDGE GATEWAY/PREFIX [PORT...]     (network reload: the bridge, the table, the ports)
 *   berth-net remove BRIDGE GATEWAY/PREFIX               (network rm: the network's elements, the bridge)
 * BRIDGE may be BRIDGE,internal (--internal: nothing forwarded in or out).
 * PORT: PROTO,HOSTIP,HOSTPORT,CONTAINERIP,CONTAINERPORT. `up` exits 10 when it had to rebuild berth's table
 * (after `nft flush ruleset`). A failure is one line on stderr and exit status 1;
 * `up` then leaves nothing of what it made (the veth, the ports' elements). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "network/firewall.h"
#include "network/netlink.h"

#define TABLE "berth"
#define BERTH_NET_TABLE_REBUILT 10 /* `up` succeeded and rebuilt berth's table (see berth-launch) */
#define LOCK_DIR "/run/berth"
#define LOCK_FILE LOCK_DIR "/network.lock"

/* BRIDGE[,internal][,if=IFNAME][,noroute]: the container's interface (eth0 unless said: network connect
 * adds eth1, ...) and whether it gets the default route (not for a network connected to later). */
static char ifname_opt[16] = "eth0";
static bool noroute_opt;

struct port {
        struct firewall_port fw;
        char proto[8];
};

static int parse_addr(const char *s, struct in_addr *a, berth_error *err)
{
        if (inet_pton(AF_INET, s, a) != 1)
                return berth_failf(err, EINVAL, "invalid IPv4 address: %s", s);
        return 0;
}

static int parse_cidr(const char *s, struct in_addr *a, int *prefix, berth_error *err)
{
        const char *slash = strchr(s, '/');
        cleanup_free char *addr = slash ? xstrndup(s, (size_t) (slash - s)) : NULL;

        if (slash == NULL || parse_int(slash + 1, prefix) < 0 || *prefix < 1 || *prefix > 30)
                return berth_failf(err, EINVAL, "invalid address/prefix: %s", s);
        return parse_addr(addr, a, err);
}

static int parse_mac(const char *s, uint8_t mac[6], berth_error *err)
{
        unsigned v[6];
        char tail;

        if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
                return berth_failf(err, EINVAL, "invalid MAC address: %s", s);
        for (int i = 0; i < 6; i++)
                mac[i] = (uint8_t) v[i];
        return 0;
}

static int parse_port(const char *s, struct port *p, berth_error *err)
{
        char hip[INET_ADDRSTRLEN], cip[INET_ADDRSTRLEN];
        unsigned hport, cport;
        int n = 0;

        if (sscanf(s, "%7[a-z],%15[0-9.],%u,%15[0-9.],%u%n", p->proto, hip, &hport, cip, &cport, &n) != 5 ||
            s[n] != '\0' || hport == 0 || hport > 65535 || cport == 0 || cport > 65535)
                return berth_failf(err, EINVAL, "invalid port mapping: %s", s);
        if (parse_addr(hip, &p->fw.host_ip, err) < 0 || parse_addr(cip, &p->fw.addr, err) < 0)
                return -EINVAL;
        p->fw.proto = p->proto;
        p->fw.host_port = (uint16_t) hport;
        p->fw.port = (uint16_t) cport;
        return 0;
}

static int parse_ports(char **args, int n, struct port **out, berth_error *err)
{
        struct port *v = xzalloc(sizeof(*v) * (size_t) (n > 0 ? n : 1));
        int r;

        for (int i = 0; i < n; i++)
                if ((r = parse_port(args[i], &v[i], err)) < 0) {
                        free(v);
                        return r;
                }
        *out = v;
        return 0;
}

static int write_sysctl(const char *path, const char *value, berth_error *err)
{
        char now[8] = "";
        cleanup_close int fd = open(path, O_RDWR | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return berth_fail(err, errno, "open %s", path);
        n = read(fd, now, sizeof(now) - 1);
        if (n > 0 && strncmp(now, value, strlen(value)) == 0)
                return 0;
        if (pwrite(fd, value, strlen(value), 0) < 0)
                return berth_fail(err, errno, "write %s to %s", value, path);
        return 0;
}

/* One berth-net at a time changes the bridge and the table: two first containers must not both build them. */
static int take_lock(berth_error *err)
{
        int fd;

        if (mkdir(LOCK_DIR, 0700) < 0 && errno != EEXIST)
                return berth_fail(err, errno, "mkdir %s", LOCK_DIR);
        fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return berth_fail(err, errno, "open %s", LOCK_FILE);
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR) {
                        int e = errno;
                        close(fd);
                        return berth_fail(err, e, "lock %s", LOCK_FILE);
                }
        return fd;
}

/* The bridge with the gateway's address, up; the host forwards and lets 127.0.0.1 reach the bridge
 * (route_localnet: published ports through 127.0.0.1, as docker without its proxy). *made: it was missing. */
static int ensure_bridge(struct netlink *nl, const char *bridge, struct in_addr gw, int prefix, bool *made,
                         berth_error *err)
{
        cleanup_free char *localnet = xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet", bridge);
        berth_error none = {0};
        int index, r;

        *made = false;
        if (netlink_link_index(nl, bridge, &index, &none) < 0) {
                berth_error_clear(&none);
                if ((r = netlink_bridge_add(nl, bridge, err)) < 0)
                        return r;
                *made = true;
        }
        if ((r = netlink_addr_add(nl, bridge, gw, prefix, err)) < 0 || (r = netlink_link_set_up(nl, bridge, err)) < 0 ||
            (r = write_sysctl(localnet, "1", err)) < 0 || (r = write_sysctl("/proc/sys/net/ipv4/ip_forward", "1", err)) < 0)
                return r;
        return 0;
}

/* berth's table (rebuilt when missing: after `nft flush ruleset`), this network's elements when the table or
 * the bridge is new, then the ports. fw is opened (libnftables loaded) only when something must change. */
/* Set when `up` found berth's table missing and rebuilt it: its exit status then tells berth-launch, and the
 * engine puts back the other networks' and containers' elements (network reload). */
static bool table_rebuilt;

static int ensure_firewall(const char *bridge, struct in_addr gw, int prefix, bool internal, bool bridge_made,
                           const struct port *ports, int nports, struct firewall **fw, berth_error *err)
{
        struct in_addr subnet = {.s_addr = gw.s_addr & htonl(~((1u << (32 - prefix)) - 1))};
        bool exists = false, created = false;
        int r;

        if ((r = firewall_table_exists(TABLE, &exists, err)) < 0)
                return r;
        if (exists && !bridge_made)
                return 0;
        /* The table is there (the probe said so): only its elements change, no listing of its chains. */
        if ((r = firewall_open(TABLE, fw, err)) < 0 || (!exists && (r = firewall_ensure(*fw, &created, err)) < 0))
                return r;
        table_rebuilt = created;
        if ((created || bridge_made || !exists) &&
            (r = firewall_network(*fw, true, bridge, subnet, prefix, internal, err)) < 0)
                return r;
        return 0;
}

/* A host port another process holds cannot be published: bind it once to see (docker's proxy would fail the
 * same way). Ports berth itself published fail on the element already in the map. */
static int check_port_free(const struct port *p, berth_error *err)
{
        int type = strcmp(p->proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM;
        int proto = strcmp(p->proto, "sctp") == 0 ? IPPROTO_SCTP : 0;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(p->fw.host_port), .sin_addr = p->fw.host_ip};
        char ip[INET_ADDRSTRLEN];
        cleanup_close int fd = socket(AF_INET, type | SOCK_CLOEXEC, proto);
        int one = 1;

        if (fd < 0)
                return 0; /* no sctp in this kernel: nothing to collide with */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return berth_fail(err, errno, "Bind for %s:%u failed: port is already allocated",
                                  inet_ntop(AF_INET, &p->fw.host_ip, ip, sizeof(ip)), p->fw.host_port);
        return 0;
}

static int add_ports(const struct port *ports, int n, berth_error *err)
{
        char ip[INET_ADDRSTRLEN];
        int r;

        for (int i = 0; i < n; i++)
                if ((r = check_port_free(&ports[i], err)) < 0)
                        return r;
        for (int i = 0; i < n; i++) {
                berth_error e = {0};
                /* One element per port: the one that is taken is the one named. */
                if (firewall_ports_netlink(TABLE, true, &ports[i].fw, &e) < 0) {
                        for (int k = 0; k < i; k++) {
                                berth_error ignored = {0};
                                firewall_ports_netlink(TABLE, false, &ports[k].fw, &ignored);
                                berth_error_clear(&ignored);
                        }
                        r = berth_failf(err, EADDRINUSE, "Bind for %s:%u failed: port is already allocated (%s)",
                                        inet_ntop(AF_INET, &ports[i].fw.host_ip, ip, sizeof(ip)), ports[i].fw.host_port,
                                        berth_error_message(&e));
                        berth_error_clear(&e);
                        return r;
                }
        }
        return 0;
}

/* Elements over nfnetlink (firewall_ports.c): a published port costs no libnftables. */
static void del_ports(const struct port *ports, int n)
{
        berth_error ignored = {0};

        for (int i = 0; i < n; i++) {
                firewall_ports_netlink(TABLE, false, &ports[i].fw, &ignored);
                berth_error_clear(&ignored);
        }
}

/* The container's side, through a netlink socket made inside its namespace: lo and eth0 up, the address,
 * the default route through the bridge. */
static int configure_inside(int nsfd, struct in_addr ip, int prefix, struct in_addr gw, bool internal, berth_error *err)
{
        cleanup_netlink struct netlink *in = NULL;
        int r;

        if ((r = netlink_open_in(nsfd, &in, err)) < 0 || (r = netlink_link_set_up(in, "lo", err)) < 0 ||
            (r = netlink_addr_add(in, ifname_opt, ip, prefix, err)) < 0 || (r = netlink_link_set_up(in, ifname_opt, err)) < 0)
                return r;
        /* --internal: no way out (docker gives such containers no default route either). */
        if (!internal && !noroute_opt && (r = netlink_route_add_default(in, gw, err)) < 0)
                return r;
        return 0;
}


/* Parses the options of BRIDGE[,...] (above) and returns the bridge's name. */
static char *bridge_name(const char *arg, bool *internal)
{
        const char *comma = strchr(arg, ',');
        cleanup_free char *opts = comma ? xstrdup(comma + 1) : NULL;
        char *save = NULL;

        *internal = false;
        for (char *o = opts ? strtok_r(opts, ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save)) {
                if (strcmp(o, "internal") == 0)
                        *internal = true;
                else if (strcmp(o, "noroute") == 0)
                        noroute_opt = true;
                else if (str_has_prefix(o, "if=") && strlen(o + 3) > 0 && strlen(o + 3) < sizeof(ifname_opt))
                        snprintf(ifname_opt, sizeof(ifname_opt), "%s", o + 3);
        }
        return comma ? xstrndup(arg, (size_t) (comma - arg)) : xstrdup(arg);
}

static int cmd_up(int argc, char **argv, berth_error *err)
{
        cleanup_netlink struct netlink *nl = NULL;
        cleanup_firewall struct firewall *fw = NULL;
        cleanup_free struct port *ports = NULL;
        cleanup_close int nsfd = -1, lock = -1;
        cleanup_free char *nspath = NULL;
        char *bridge;
        const char *veth;
        struct in_addr gw, ip;
        cleanup_free char *bridge_copy = NULL;
        uint8_t mac[6];
        int prefix, r, nports;
        bool made = false, internal = false;

        if (argc < 8)
                return berth_failf(err, EINVAL, "usage: berth-net up PID BRIDGE GATEWAY/PREFIX VETH IP MAC [PORT...]");
        bridge = bridge_copy = bridge_name(argv[3], &internal);
        veth = argv[5];
        nports = argc - 8;
        if ((r = parse_cidr(argv[4], &gw, &prefix, err)) < 0 || (r = parse_addr(argv[6], &ip, err)) < 0 ||
            (r = parse_mac(argv[7], mac, err)) < 0 || (r = parse_ports(argv + 8, nports, &ports, err)) < 0)
                return r;
        nspath = xasprintf("/proc/%s/ns/net", argv[2]);
        nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0)
                return berth_fail(err, errno, "open %s", nspath);
        if ((r = netlink_open(&nl, err)) < 0 || (lock = take_lock(err)) < 0 ||
            (r = ensure_bridge(nl, bridge, gw, prefix, &made, err)) < 0 ||
            (r = ensure_firewall(bridge, gw, prefix, internal, made, ports, nports, &fw, err)) < 0)
                return r < 0 ? r : lock;
        if (nports > 0 && (r = add_ports(ports, nports, err)) < 0)
                return r;
        close(steal_fd(&lock));
        if ((r = netlink_veth_add(nl, veth, ifname_opt, nsfd, mac, err)) < 0 ||
            (r = netlink_link_set_master(nl, veth, bridge, err)) < 0 || (r = netlink_link_set_hairpin(nl, veth, err)) < 0 ||
            (r = netlink_link_set_up(nl, veth, err)) < 0 ||
            (r = configure_inside(nsfd, ip, prefix, gw, internal, err)) < 0) {
                berth_error ignored = {0};
                netlink_link_del(nl, veth, &ignored);
                berth_error_clear(&ignored);
                del_ports(ports, nports);
                return r;
        }
        return 0;
}

static int cmd_down(int argc, char **argv, berth_error *err)
{
        cleanup_netlink struct netlink *nl = NULL;
        cleanup_free struct port *ports = NULL;
        berth_error ignored = {0};
        int r;

        if (argc < 3)
                return berth_failf(err, EINVAL, "usage: berth-net down VETH [PORT...]");
        if ((r = parse_ports(argv + 3, argc - 3, &ports, err)) < 0)
                return r;
        del_ports(ports, argc - 3);
        /* The veth goes with the container's namespace; one left (a namespace still held) is removed here. */
        if (netlink_open(&nl, err) == 0 && netlink_link_del(nl, argv[2], &ignored) < 0)
                berth_error_clear(&ignored);
        berth_error_clear(err);
        return 0;
}

static int cmd_ensure(int argc, char **argv, berth_error *err)
{
        cleanup_netlink struct netlink *nl = NULL;
        cleanup_firewall struct firewall *fw = NULL;
        cleanup_free struct port *ports = NULL;
        cleanup_close int lock = -1;
        cleanup_free char *bridge = NULL;
        struct in_addr gw;
        int prefix, r, nports = argc - 4;
        bool made = false, internal = false;

        if (argc < 4)
                return berth_failf(err, EINVAL, "usage: berth-net ensure BRIDGE GATEWAY/PREFIX [PORT...]");
        if ((r = parse_cidr(argv[3], &gw, &prefix, err)) < 0 || (r = parse_ports(argv + 4, nports, &ports, err)) < 0)
                return r;
        bridge = bridge_name(argv[2], &internal);
        if ((r = netlink_open(&nl, err)) < 0 || (lock = take_lock(err)) < 0 ||
            (r = ensure_bridge(nl, bridge, gw, prefix, &made, err)) < 0 ||
            (r = ensure_firewall(bridge, gw, prefix, internal, true, ports, nports, &fw, err)) < 0)
                return r < 0 ? r : lock;
        /* Ports already there stay (an element already in the map is no error here). */
        for (int i = 0; i < nports; i++) {
                berth_error ignored = {0};
                firewall_ports_netlink(TABLE, true, &ports[i].fw, &ignored);
                berth_error_clear(&ignored);
        }
        return 0;
}

/* network rm: the network's elements, then its bridge. */
static int cmd_remove(int argc, char **argv, berth_error *err)
{
        cleanup_netlink struct netlink *nl = NULL;
        cleanup_firewall struct firewall *fw = NULL;
        cleanup_free char *bridge = NULL;
        cleanup_close int lock = -1;
        struct in_addr gw, subnet;
        berth_error ignored = {0};
        bool internal = false, exists = false;
        int prefix, r;

        if (argc < 4)
                return berth_failf(err, EINVAL, "usage: berth-net remove BRIDGE GATEWAY/PREFIX");
        bridge = bridge_name(argv[2], &internal);
        if ((r = parse_cidr(argv[3], &gw, &prefix, err)) < 0 || (lock = take_lock(err)) < 0)
                return r < 0 ? r : lock;
        subnet.s_addr = gw.s_addr & htonl(~((1u << (32 - prefix)) - 1));
        if (firewall_table_exists(TABLE, &exists, &ignored) == 0 && exists && firewall_open(TABLE, &fw, &ignored) == 0)
                firewall_network(fw, false, bridge, subnet, prefix, internal, &ignored);
        berth_error_clear(&ignored);
        if ((r = netlink_open(&nl, err)) < 0)
                return r;
        if (netlink_link_del(nl, bridge, &ignored) < 0 && ignored.code != ENODEV) {
                r = berth_failf(err, ignored.code, "%s", berth_error_message(&ignored));
                berth_error_clear(&ignored);
                return r;
        }
        berth_error_clear(&ignored);
        return 0;
}

int main(int argc, char **argv)
{
        berth_error err = {0};
        int r;

        if (argc < 2) {
                fprintf(stderr, "berth-net: started by berth only\n");
                return 2;
        }
        if (strcmp(argv[1], "up") == 0)
                r = cmd_up(argc, argv, &err);
        else if (strcmp(argv[1], "down") == 0)
                r = cmd_down(argc, argv, &err);
        else if (strcmp(argv[1], "remove") == 0)
                r = cmd_remove(argc, argv, &err);
        else if (strcmp(argv[1], "ensure") == 0)
                r = cmd_ensure(argc, argv, &err);
        else
                r = berth_failf(&err, EINVAL, "unknown command %s", argv[1]);
        if (r < 0) {
                fprintf(stderr, "%s\n", berth_error_message(&err));
                berth_error_clear(&err);
                return 1;
        }
        return table_rebuilt && strcmp(argv[1], "up") == 0 ? BERTH_NET_TABLE_REBUILT : 0;
}
