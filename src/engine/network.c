/* Bridge networking on the engine's side: the network's record, the container's lease and published ports
 * in SQLite, and berth-net's arguments (engine/network.h). The links and the firewall are berth-net's
 * (nethelper/berth-net.c): this file runs in the static berth and loads neither libmnl nor libnftables. */
#include "engine/network.h"
#include "engine/events.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/create.h"
#include "engine/db.h"
#include "engine/list.h"
#include "engine/netrecord.h"
#include "engine/reconcile.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

bool engine_network_is_bridge(const json_t *hc)
{
        const char *mode = json_string_value(json_object_get(hc, "NetworkMode"));

        return mode != NULL && *mode != '\0' && strcmp(mode, "none") != 0 && strcmp(mode, "host") != 0 &&
               strcmp(mode, "default") != 0 && !str_has_prefix(mode, "container:");
}

const char *engine_network_mode_default(const char *mode)
{
        const char *def = getenv("BERTH_DEFAULT_NETWORK");

        if (mode != NULL && *mode != '\0' && strcmp(mode, "default") != 0)
                return mode;
        return def != NULL && strcmp(def, "none") == 0 ? "none" : ENGINE_NETWORK_DEFAULT;
}

/* ---- ports ---- */

struct port_map {
        char proto[8];
        struct in_addr host_ip;
        unsigned host_port, port;
};

/* Every port the store's leases publish (for conflicts between our own containers). */
static int ports_in_use(struct engine *e, json_t **out, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        json_t *all = json_array();
        int r;

        if ((r = store_prepare(e->store, "SELECT ports FROM network_leases", &st, err)) < 0) {
                json_decref(all);
                return r;
        }
        while (sqlite3_step(st) == SQLITE_ROW) {
                json_t *p = json_loads((const char *) sqlite3_column_text(st, 0), 0, NULL), *b, *list;
                const char *key;
                size_t i;
                json_object_foreach(p, key, list) json_array_foreach(list, i, b)
                        json_array_append_new(all, json_pack("{s:s,s:O,s:O}", "key", key, "HostIp",
                                                             json_object_get(b, "HostIp"), "HostPort",
                                                             json_object_get(b, "HostPort")));
                json_decref(p);
        }
        *out = all;
        return 0;
}

static bool port_taken(const json_t *used, const char *proto, struct in_addr ip, unsigned port)
{
        const json_t *u;
        size_t i;

        json_array_foreach(used, i, u) {
                const char *key = json_string_value(json_object_get(u, "key")), *slash = strchr(key, '/');
                struct in_addr uip = {0};
                if (slash == NULL || strcmp(slash + 1, proto) != 0 ||
                    (unsigned) atoi(json_string_value(json_object_get(u, "HostPort")) ?: "0") != port)
                        continue;
                inet_pton(AF_INET, json_string_value(json_object_get(u, "HostIp")) ?: "0.0.0.0", &uip);
                if (uip.s_addr == 0 || ip.s_addr == 0 || uip.s_addr == ip.s_addr)
                        return true;
        }
        return false;
}

/* A free host port: the kernel's pick of an ephemeral port for this protocol (bind to port 0), not one of
 * ours either. */
static int ephemeral_port(const char *proto, struct in_addr ip, const json_t *used, unsigned *port, berth_error *err)
{
        for (int tries = 0; tries < 64; tries++) {
                struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = ip};
                socklen_t len = sizeof(sa);
                cleanup_close int fd = socket(AF_INET, (strcmp(proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC,
                                              strcmp(proto, "sctp") == 0 ? IPPROTO_SCTP : 0);
                if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
                    getsockname(fd, (struct sockaddr *) &sa, &len) < 0)
                        return berth_fail(err, errno, "find a free host port for %s", proto);
                *port = ntohs(sa.sin_port);
                if (!port_taken(used, proto, ip, *port))
                        return 0;
        }
        return berth_failf(err, EADDRINUSE, "no free host port for %s", proto);
}

static bool host_port_free(const char *proto, struct in_addr ip, unsigned port)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = ip, .sin_port = htons((uint16_t) port)};
        cleanup_close int fd = socket(AF_INET, (strcmp(proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC,
                                      strcmp(proto, "sctp") == 0 ? IPPROTO_SCTP : 0);
        int one = 1;

        if (fd < 0)
                return true;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        return bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
}

/* One binding of HostConfig.PortBindings ({"HostIp": "", "HostPort": "8080" | "8000-8010" | ""}) to a host
 * port: the one asked, the first free of a range, or a free ephemeral one. */
static int resolve_binding(const char *key, const json_t *b, const json_t *used, struct port_map *m, berth_error *err)
{
        const char *hip = json_string_value(json_object_get(b, "HostIp")), *hport = json_string_value(json_object_get(b, "HostPort"));
        unsigned lo = 0, hi = 0;
        char ipbuf[INET_ADDRSTRLEN];
        int n = 0;

        if (sscanf(key, "%u/%7s", &m->port, m->proto) != 2 || m->port == 0 || m->port > 65535)
                return berth_failf(err, EINVAL, "invalid port specification: \"%s\"", key);
        if (hip == NULL || *hip == '\0')
                hip = "0.0.0.0";
        if (inet_pton(AF_INET, hip, &m->host_ip) != 1)
                return berth_failf(err, EINVAL, "invalid IP address: %s (berth publishes on IPv4 addresses)", hip);
        inet_ntop(AF_INET, &m->host_ip, ipbuf, sizeof(ipbuf));
        if (hport == NULL || *hport == '\0')
                return ephemeral_port(m->proto, m->host_ip, used, &m->host_port, err);
        if (sscanf(hport, "%u%n", &lo, &n) != 1 || (hport[n] != '\0' && sscanf(hport + n, "-%u", &hi) != 1))
                return berth_failf(err, EINVAL, "invalid hostPort: %s", hport);
        if (hi == 0)
                hi = lo;
        if (lo == 0 || hi > 65535 || hi < lo)
                return berth_failf(err, EINVAL, "invalid hostPort: %s", hport);
        for (unsigned p = lo; p <= hi; p++)
                if (!port_taken(used, m->proto, m->host_ip, p) && (lo == hi || host_port_free(m->proto, m->host_ip, p))) {
                        m->host_port = p;
                        if (lo == hi && !host_port_free(m->proto, m->host_ip, p))
                                break;
                        return 0;
                }
        return berth_failf(err, EADDRINUSE, "Bind for %s:%s failed: port is already allocated", ipbuf, hport);
}

/* The container's published ports: PortBindings, and with PublishAllPorts every exposed port without one
 * (to a free host port). *ports: docker's NetworkSettings.Ports; *specs: berth-net's PORT arguments. */
static int resolve_ports(struct engine *e, const struct engine_container *c, struct in_addr addr, json_t **ports,
                         char ***specs, berth_error *err)
{
        const json_t *bindings = json_object_get(c->host_config, "PortBindings"), *list, *b;
        cleanup_json json_t *want = json_object(), *used = NULL;
        json_t *out = json_object();
        const char *key;
        char aip[INET_ADDRSTRLEN];
        size_t i;
        int r;

        inet_ntop(AF_INET, &addr, aip, sizeof(aip));
        json_object_foreach((json_t *) bindings, key, list) json_object_set(want, key, (json_t *) list);
        json_object_foreach(json_object_get(c->config, "ExposedPorts"), key, list) {
                if (json_object_get(want, key) == NULL)
                        json_object_set_new(want, key, json_is_true(json_object_get(c->host_config, "PublishAllPorts"))
                                                               ? json_pack("[{s:s,s:s}]", "HostIp", "", "HostPort", "")
                                                               : json_null());
        }
        if (json_object_size(want) > 0 && (r = ports_in_use(e, &used, err)) < 0) {
                json_decref(out);
                return r;
        }
        json_object_foreach(want, key, list) {
                json_t *res = json_is_array(list) && json_array_size(list) > 0 ? json_array() : json_null();
                json_array_foreach(list, i, b) {
                        struct port_map m = {0};
                        char hip[INET_ADDRSTRLEN];
                        cleanup_free char *hp = NULL;
                        if ((r = resolve_binding(key, b, used, &m, err)) < 0) {
                                json_decref(res);
                                json_decref(out);
                                return r;
                        }
                        inet_ntop(AF_INET, &m.host_ip, hip, sizeof(hip));
                        hp = xasprintf("%u", m.host_port);
                        json_array_append_new(res, json_pack("{s:s,s:s}", "HostIp", hip, "HostPort", hp));
                        /* The next binding of this container must not take the same port. */
                        json_array_append_new(used, json_pack("{s:s,s:s,s:s}", "key", key, "HostIp", hip, "HostPort", hp));
                        {
                                cleanup_free char *spec = xasprintf("%s,%s,%u,%s,%u", m.proto, hip, m.host_port, aip, m.port);
                                *specs = strv_append(*specs, spec);
                        }
                }
                json_object_set_new(out, key, res);
        }
        *ports = out;
        return 0;
}

/* ---- leases ---- */

/* --ip: inside the subnet, not its network, broadcast or gateway address, not leased. */
int engine_net_take_address(struct engine *e, const struct net_record *n, const char *want, struct in_addr *ip, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        uint32_t base = ntohl(n->subnet.s_addr), size = 1u << (32 - n->prefix), off;
        int r;

        if (inet_pton(AF_INET, want, ip) != 1)
                return berth_failf(err, EINVAL, "invalid IPv4 address: %s", want);
        off = ntohl(ip->s_addr) - base;
        if (off >= size)
                return berth_failf(err, EINVAL, "no configured subnet or ip-range contain the IP address %s", want);
        if (off == 0 || off == size - 1 || ip->s_addr == n->gateway.s_addr)
                return berth_failf(err, EINVAL, "the address %s is reserved on network %s (its network, broadcast or "
                                                "gateway address)", want, n->name);
        if ((r = store_prepare(e->store, "SELECT container_id FROM network_leases WHERE network = ? AND ip = ?", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, n->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, want, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
                return berth_failf(err, EADDRINUSE, "Address already in use: %s on network %s", want, n->name);
        return 0;
}

int engine_net_pick_address(struct engine *e, const struct net_record *n, struct in_addr *ip, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        uint32_t base = ntohl(n->subnet.s_addr), size = 1u << (32 - n->prefix);
        cleanup_free uint8_t *used = xzalloc(size / 8 + 1);
        int r;

        if ((r = store_prepare(e->store, "SELECT ip FROM network_leases WHERE network = ?", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, n->name, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
                struct in_addr a;
                if (inet_pton(AF_INET, (const char *) sqlite3_column_text(st, 0), &a) == 1 &&
                    ntohl(a.s_addr) - base < size) {
                        uint32_t off = ntohl(a.s_addr) - base;
                        used[off / 8] |= (uint8_t) (1u << (off % 8));
                }
        }
        /* Not the network's address, not the broadcast address, not the gateway; inside --ip-range. */
        uint32_t first = 1, last = size - 2;
        if (n->range_prefix > 0) {
                uint32_t rbase = ntohl(n->range.s_addr) - base, rsize = 1u << (32 - n->range_prefix);
                first = rbase > first ? rbase : first;
                last = rbase + rsize - 1 < last ? rbase + rsize - 1 : last;
        }
        for (uint32_t off = first; off <= last && off + 1 < size; off++) {
                if (base + off == ntohl(n->gateway.s_addr) || (used[off / 8] & (1u << (off % 8))))
                        continue;
                ip->s_addr = htonl(base + off);
                return 0;
        }
        return berth_failf(err, ENOSPC, "no available IPv4 addresses on network %s", n->name);
}

/* berth-net's PORT arguments for a lease's ports. */
char **engine_network_port_specs(const char *ports_json, const char *ip)
{
        cleanup_json json_t *ports = json_loads(ports_json, 0, NULL);
        char **specs = NULL;
        const char *key;
        json_t *list, *b;
        size_t i;

        json_object_foreach(ports, key, list) json_array_foreach(list, i, b) {
                unsigned port = 0;
                char proto[8] = "";
                if (sscanf(key, "%u/%7s", &port, proto) != 2)
                        continue;
                cleanup_free char *spec = xasprintf("%s,%s,%s,%s,%u", proto, json_string_value(json_object_get(b, "HostIp")) ?: "",
                                                    json_string_value(json_object_get(b, "HostPort")) ?: "", ip, port);
                specs = strv_append(specs, spec);
        }
        return specs;
}

/* One lease: its published ports' elements (berth-net down also deletes a veth still there), its row, and the
 * network's names. */
void engine_net_release_one(struct engine *e, const char *id, const char *network, bool delete_veth)
{
        cleanup_stmt sqlite3_stmt *st = NULL, *del = NULL;
        cleanup_free char *veth = NULL, *ports = NULL, *ip = NULL, *net_id = NULL;
        berth_error ignored = {0};

        if (store_prepare(e->store,
                          "SELECT l.veth, l.ports, l.ip, n.id FROM network_leases l LEFT JOIN networks n ON n.name = l.network "
                          "WHERE l.container_id = ? AND l.network = ?",
                          &st, NULL) < 0)
                return;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, network, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
                return;
        veth = xstrdup((const char *) sqlite3_column_text(st, 0));
        ports = xstrdup((const char *) sqlite3_column_text(st, 1));
        ip = xstrdup((const char *) sqlite3_column_text(st, 2));
        net_id = xstrdup(sqlite3_column_text(st, 3) ? (const char *) sqlite3_column_text(st, 3) : "");
        sqlite3_reset(st);
        {
                cleanup_strv char **specs = engine_network_port_specs(ports, ip);
                /* The veth goes with the container's network namespace: berth-net runs only to take published
                 * ports' elements out of the firewall, or a veth out of a running container (disconnect). */
                if (specs != NULL || delete_veth) {
                        cleanup_strv char **args = strv_append(strv_append(NULL, "down"), veth);
                        for (size_t i = 0; specs != NULL && specs[i] != NULL; i++)
                                args = strv_append(args, specs[i]);
                        if (engine_net_run_helper(e, args, &ignored) < 0)
                                berth_error_clear(&ignored);
                }
        }
        if (store_prepare(e->store, "DELETE FROM network_leases WHERE container_id = ? AND network = ?", &del, NULL) < 0)
                return;
        sqlite3_bind_text(del, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(del, 2, network, -1, SQLITE_STATIC);
        /* docker's disconnect, once: by whoever deleted the lease (a stop and a reconcile may race). */
        if (sqlite3_step(del) == SQLITE_DONE && sqlite3_changes(e->store->db) > 0)
                engine_event_network(e->store->root, "disconnect", net_id, network, id);
        engine_network_hosts_refresh(e, network);
}

void engine_network_release(struct engine *e, const char *id)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        cleanup_strv char **networks = NULL;

        if (store_prepare(e->store, "SELECT network FROM network_leases WHERE container_id = ?", &st, NULL) < 0)
                return;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW)
                networks = strv_append(networks, (const char *) sqlite3_column_text(st, 0));
        sqlite3_reset(st);
        for (size_t i = 0; networks != NULL && networks[i] != NULL; i++)
                engine_net_release_one(e, id, networks[i], false);
}

/* Whether the container runs: its record says so and its init (pid + start time) is alive. */
static bool holder_live(struct engine *e, const char *id)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        const char *status;

        if (store_prepare(e->store, "SELECT status, pid, pid_start FROM engine_containers WHERE id = ?", &st, NULL) < 0)
                return true; /* cannot tell: keep the lease */
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
                return false;
        status = (const char *) sqlite3_column_text(st, 0);
        return (strcmp(status, "running") == 0 || strcmp(status, "paused") == 0) &&
               engine_process_alive((pid_t) sqlite3_column_int64(st, 1), (uint64_t) sqlite3_column_int64(st, 2));
}

/* A lease whose holder does not run is released under the holder's directory lock, after a second look:
 * a start in progress holds that lock (and skips us), and one that finished between the first look and the
 * lock is seen running in the second. */
static void release_if_stale(struct engine *e, const char *id)
{
        cleanup_close int fd = openat(e->containers_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
                return;
        if (!holder_live(e, id))
                engine_network_release(e, id);
}

int engine_network_reconcile(struct engine *e, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        cleanup_strv char **stale = NULL;
        int r;

        if ((r = store_prepare(e->store, "SELECT container_id FROM network_leases", &st, err)) < 0)
                return r;
        while (sqlite3_step(st) == SQLITE_ROW)
                stale = strv_append(stale, (const char *) sqlite3_column_text(st, 0));
        sqlite3_reset(st);
        for (size_t i = 0; stale != NULL && stale[i] != NULL; i++)
                if (!holder_live(e, stale[i]))
                        release_if_stale(e, stale[i]);
        return 0;
}

void engine_net_format_mac(struct in_addr ip, char mac[18])
{
        const uint8_t *b = (const uint8_t *) &ip.s_addr;

        /* docker's: 02:42 and the address. */
        snprintf(mac, 18, "02:42:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3]);
}

int engine_net_insert_lease(struct engine *e, const char *network, const char *ip, const char *id, const char *mac,
                        const char *veth, const char *ports, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(e->store,
                               "INSERT INTO network_leases(network, ip, container_id, mac, veth, ports) VALUES(?,?,?,?,?,?)",
                               &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, network, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, ip, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, mac, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, veth, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, ports, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return berth_failf(err, EIO, "record the address %s of network %s: %s", ip, network,
                                   sqlite3_errmsg(e->store->db));
        return 0;
}

/* Inside one write transaction: the network (made on first use), a free address, the ports, the lease. */
static int lease(struct engine *e, const struct engine_container *c, struct net_record *n, struct in_addr *ip, char mac[18],
                 char **veth, char ***specs, berth_error *err)
{
        const char *mode = json_string_value(json_object_get(c->host_config, "NetworkMode"));
        cleanup_json json_t *ports = NULL;
        cleanup_free char *ports_text = NULL, *rnd = NULL;
        char ipt[INET_ADDRSTRLEN];
        int r;

        const char *want_ip = json_string_value(json_object_get(c->host_config, "BerthIPv4Address"));
        const char *want_mac = json_string_value(json_object_get(c->config, "MacAddress"));

        if ((r = engine_net_ensure(e, mode, n, err)) < 0 ||
            (r = want_ip && *want_ip ? engine_net_take_address(e, n, want_ip, ip, err) : engine_net_pick_address(e, n, ip, err)) < 0 ||
            (r = resolve_ports(e, c, *ip, &ports, specs, err)) < 0)
                return r;
        if (want_mac != NULL && strlen(want_mac) == 17)
                snprintf(mac, 18, "%s", want_mac);
        else
                engine_net_format_mac(*ip, mac);
        rnd = engine_net_random_hex(4);
        *veth = xasprintf("veth%s", rnd);
        ports_text = json_dumps(ports, JSON_COMPACT);
        inet_ntop(AF_INET, ip, ipt, sizeof(ipt));
        return engine_net_insert_lease(e, n->name, ipt, c->id, mac, *veth, ports_text, err);
}

int engine_network_attach(struct engine *e, const struct engine_container *c, int dirfd, char ***helper_args,
                          berth_error *err)
{
        cleanup_net_record struct net_record n = {0};
        cleanup_free char *veth = NULL, *gwp = NULL;
        cleanup_strv char **specs = NULL;
        char mac[18], ipt[INET_ADDRSTRLEN], gwt[INET_ADDRSTRLEN];
        struct in_addr ip;
        berth_error ignored = {0};
        char **args;
        int r;

        *helper_args = NULL;
        if (!engine_network_is_bridge(c->host_config))
                return 0;
        /* A lease this container still holds (a crash between its start and its cleanup), then the dead's. */
        engine_network_release(e, c->id);
        if (engine_network_reconcile(e, &ignored) < 0)
                berth_error_clear(&ignored);
        if ((r = store_exec(e->store, "BEGIN IMMEDIATE", err)) < 0)
                return r;
        if ((r = lease(e, c, &n, &ip, mac, &veth, &specs, err)) < 0 || (r = store_exec(e->store, "COMMIT", err)) < 0) {
                sqlite3_exec(e->store->db, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
        /* docker: a container joining a network at its start is that network's connect. */
        engine_event_network(e->store->root, "connect", n.id, n.name, c->id);
        inet_ntop(AF_INET, &ip, ipt, sizeof(ipt));
        inet_ntop(AF_INET, &n.gateway, gwt, sizeof(gwt));
        if ((r = engine_write_hosts(dirfd, c->config, c->host_config, ipt, gwt, err)) < 0) {
                engine_network_release(e, c->id);
                return r;
        }
        /* On a user network the others learn this container's name, and it theirs, before it starts. */
        engine_network_hosts_refresh(e, n.name);
        gwp = xasprintf("%s/%d", gwt, n.prefix);
        {
                cleanup_free char *bridge = engine_net_bridge_arg(&n);
                args = strv_append(NULL, bridge);
        }
        args = strv_append(args, gwp);
        args = strv_append(args, veth);
        args = strv_append(args, ipt);
        args = strv_append(args, mac);
        for (size_t i = 0; specs != NULL && specs[i] != NULL; i++)
                args = strv_append(args, specs[i]);
        *helper_args = args;
        return 0;
}

/* ---- what inspect, ps and port show ---- */

struct lease_view {
        char *network, *network_id, *ip, *mac, *gateway, *ports;
        int prefix;
};

static bool load_lease(struct engine *e, const char *id, const char *network, struct lease_view *v)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        struct in_addr sub;

        if (store_prepare(e->store,
                          "SELECT l.network, n.id, l.ip, l.mac, n.gateway, l.ports, n.subnet FROM network_leases l "
                          "JOIN networks n ON n.name = l.network WHERE l.container_id = ?1 AND (?2 IS NULL OR l.network = ?2) "
                          "ORDER BY l.rowid LIMIT 1",
                          &st, NULL) < 0)
                return false;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (network != NULL)
                sqlite3_bind_text(st, 2, network, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
                return false;
        v->network = xstrdup((const char *) sqlite3_column_text(st, 0));
        v->network_id = xstrdup((const char *) sqlite3_column_text(st, 1));
        v->ip = xstrdup((const char *) sqlite3_column_text(st, 2));
        v->mac = xstrdup((const char *) sqlite3_column_text(st, 3));
        v->gateway = xstrdup((const char *) sqlite3_column_text(st, 4));
        v->ports = xstrdup((const char *) sqlite3_column_text(st, 5));
        if (engine_net_parse_cidr((const char *) sqlite3_column_text(st, 6), &sub, &v->prefix) < 0)
                v->prefix = 0;
        return true;
}

static void lease_view_clear(struct lease_view *v)
{
        free(v->network);
        free(v->network_id);
        free(v->ip);
        free(v->mac);
        free(v->gateway);
        free(v->ports);
}

json_t *engine_network_ports(struct engine *e, const char *id)
{
        struct lease_view v = {0};
        json_t *ports;

        if (!load_lease(e, id, NULL, &v))
                return NULL;
        ports = json_loads(v.ports, 0, NULL);
        lease_view_clear(&v);
        return ports;
}

/* An endpoint's Aliases and DNSNames as dockerd gives them on a user network: the --network-alias names and
 * the container's short ID (which compose reads to tell an endpoint it made), DNSNames with the name first;
 * on the default bridge, where no name is resolved, neither. */
static void endpoint_names(const struct engine_container *c, const char *network, bool primary, json_t **aliases,
                           json_t **dns_names)
{
        cleanup_free char *short_id = xstrndup(c->id, 12);
        const json_t *v;
        size_t i;

        if (strcmp(network, ENGINE_NETWORK_DEFAULT) == 0) {
                *aliases = json_null();
                *dns_names = json_null();
                return;
        }
        *aliases = json_array();
        *dns_names = json_pack("[s]", c->name);
        if (primary)
                json_array_foreach(json_object_get(c->host_config, "BerthNetworkAliases"), i, v) {
                        json_array_append(*aliases, (json_t *) v);
                        json_array_append(*dns_names, (json_t *) v);
                }
        json_array_append_new(*aliases, json_string(short_id));
        json_array_append_new(*dns_names, json_string(short_id));
}

static json_t *endpoint_json(const struct engine_container *c, const char *network, bool primary, const char *network_id,
                             const char *ip, int prefix, const char *gw, const char *mac, const char *want_ip)
{
        json_t *ipam = want_ip && *want_ip ? json_pack("{s:s}", "IPv4Address", want_ip) : json_null();
        json_t *aliases, *dns_names;

        endpoint_names(c, network, primary, &aliases, &dns_names);
        return json_pack("{s:o,s:n,s:o,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:i,s:s,s:n,s:o}", "IPAMConfig", ipam, "Links", "Aliases",
                         aliases, "NetworkID", network_id, "EndpointID", "", "Gateway", gw, "IPAddress", ip, "IPPrefixLen",
                         prefix, "IPv6Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "MacAddress", mac,
                         "DriverOpts", "DNSNames", dns_names);
}

json_t *engine_network_settings(struct engine *e, const struct engine_container *c)
{
        const char *mode = json_string_value(json_object_get(c->host_config, "NetworkMode")) ?: "none";
        struct lease_view v = {0};
        bool leased = engine_network_is_bridge(c->host_config) && load_lease(e, c->id, mode, &v);
        cleanup_free char *sandbox = c->pid > 0 ? xasprintf("/proc/%d/ns/net", (int) c->pid) : xstrdup("");
        json_t *ports = leased ? json_loads(v.ports, 0, NULL) : NULL, *networks = json_object(), *s;

        if (ports == NULL)
                ports = json_object();
        if (!str_has_prefix(mode, "container:"))
                json_object_set_new(networks, mode,
                                    endpoint_json(c, mode, true, leased ? v.network_id : "", leased ? v.ip : "", leased ? v.prefix : 0,
                                                  leased ? v.gateway : "", leased ? v.mac : "",
                                                  json_string_value(json_object_get(c->host_config, "BerthIPv4Address"))));
        {
                /* Networks connected to since the start (network connect). */
                cleanup_stmt sqlite3_stmt *st = NULL;
                cleanup_strv char **others = NULL;
                if (store_prepare(e->store, "SELECT network FROM network_leases WHERE container_id = ? ORDER BY rowid", &st,
                                  NULL) == 0) {
                        sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
                        while (sqlite3_step(st) == SQLITE_ROW)
                                if (strcmp((const char *) sqlite3_column_text(st, 0), mode) != 0)
                                        others = strv_append(others, (const char *) sqlite3_column_text(st, 0));
                        sqlite3_reset(st);
                }
                for (size_t i = 0; others != NULL && others[i] != NULL; i++) {
                        struct lease_view o = {0};
                        if (!load_lease(e, c->id, others[i], &o))
                                continue;
                        json_object_set_new(networks, others[i], endpoint_json(c, others[i], false, o.network_id, o.ip, o.prefix, o.gateway,
                                                                          o.mac, NULL));
                        lease_view_clear(&o);
                }
        }
        s = json_pack("{s:s,s:s,s:b,s:s,s:i,s:o,s:s,s:n,s:n,s:s,s:s,s:s,s:i,s:s,s:i,s:s,s:s,s:o}", "Bridge", "", "SandboxID",
                      "", "HairpinMode", 0, "LinkLocalIPv6Address", "", "LinkLocalIPv6PrefixLen", 0, "Ports", ports,
                      "SandboxKey", sandbox, "SecondaryIPAddresses", "SecondaryIPv6Addresses", "EndpointID", "",
                      "Gateway", leased ? v.gateway : "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "IPAddress",
                      leased ? v.ip : "", "IPPrefixLen", leased ? v.prefix : 0, "IPv6Gateway", "", "MacAddress",
                      leased ? v.mac : "", "Networks", networks);
        if (leased)
                lease_view_clear(&v);
        return s;
}

int engine_container_port(struct engine *e, const char *ref, json_t **out, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        int r;

        if ((r = engine_container_find(e, ref, &c, err)) < 0)
                return r;
        *out = NULL;
        if (c->status == ENGINE_RUNNING || c->status == ENGINE_PAUSED)
                *out = engine_network_ports(e, c->id);
        if (*out == NULL)
                *out = json_object();
        return 0;
}

/* "0.0.0.0:8080->80/tcp, 443/tcp": docker's PORTS column, ordered by container port. */
char *engine_ports_text(const json_t *ports)
{
        const char *key;
        json_t *list, *b;
        char **items = NULL, *out = xstrdup("");
        size_t i, n = 0;

        json_object_foreach((json_t *) ports, key, list) {
                if (json_array_size(list) == 0) {
                        items = strv_append(items, key);
                        n++;
                        continue;
                }
                json_array_foreach(list, i, b) {
                        cleanup_free char *item = xasprintf("%s:%s->%s", json_string_value(json_object_get(b, "HostIp")) ?: "",
                                                            json_string_value(json_object_get(b, "HostPort")) ?: "", key);
                        items = strv_append(items, item);
                        n++;
                }
        }
        /* by container port, then as text */
        for (size_t a = 0; a < n; a++)
                for (size_t k = a + 1; k < n; k++) {
                        const char *pa = strstr(items[a], "->") ? strstr(items[a], "->") + 2 : items[a];
                        const char *pk = strstr(items[k], "->") ? strstr(items[k], "->") + 2 : items[k];
                        if (atoi(pk) < atoi(pa) || (atoi(pk) == atoi(pa) && strcmp(items[k], items[a]) < 0)) {
                                char *t = items[a];
                                items[a] = items[k];
                                items[k] = t;
                        }
                }
        for (size_t k = 0; k < n; k++) {
                char *next = xasprintf("%s%s%s", out, k ? ", " : "", items[k]);
                free(out);
                out = next;
        }
        strv_free(items);
        return out;
}
