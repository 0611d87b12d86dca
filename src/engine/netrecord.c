/* The engine's network records (engine/netrecord.h): docker's default pools against the host's routes and
 * the other networks, the networks table, and running berth-net. */
#include "engine/netrecord.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/network.h"
#include "lib/cleanup.h"
#include "lib/util.h"

void engine_net_record_clear(struct net_record *n)
{
        free(n->name);
        free(n->id);
        free(n->bridge);
        memset(n, 0, sizeof(*n));
}

static uint32_t mask_of(int prefix)
{
        return prefix == 0 ? 0 : htonl(~((1u << (32 - prefix)) - 1));
}

bool engine_net_overlaps(struct in_addr a, int pa, struct in_addr b, int pb)
{
        uint32_t m = mask_of(pa < pb ? pa : pb);

        return (a.s_addr & m) == (b.s_addr & m);
}

int engine_net_parse_cidr(const char *s, struct in_addr *a, int *prefix)
{
        char buf[INET_ADDRSTRLEN];
        const char *slash = strchr(s, '/');

        if (slash == NULL || (size_t) (slash - s) >= sizeof(buf) || parse_int(slash + 1, prefix) < 0 || *prefix < 0 ||
            *prefix > 32)
                return -EINVAL;
        memcpy(buf, s, (size_t) (slash - s));
        buf[slash - s] = '\0';
        return inet_pton(AF_INET, buf, a) == 1 ? 0 : -EINVAL;
}

/* Whether a route of the host's main table (/proc/net/route: no netlink in this binary) covers part of
 * net/prefix. Routes through the network's own bridge do not count. */
static bool host_routes_overlap(const char *bridge, struct in_addr net, int prefix)
{
        cleanup_fclose FILE *f = fopen("/proc/net/route", "re");
        char line[512], iface[64];
        unsigned dst, gw, flags, mask;
        bool hit = false;

        if (f == NULL)
                return false;
        while (fgets(line, sizeof(line), f) != NULL) {
                int bits = 0;
                if (sscanf(line, "%63s %x %x %x %*d %*d %*d %x", iface, &dst, &gw, &flags, &mask) != 5 || mask == 0 ||
                    strcmp(iface, bridge) == 0)
                        continue;
                for (uint32_t m = ntohl(mask); m & 0x80000000u; m <<= 1)
                        bits++;
                if (engine_net_overlaps(net, prefix, (struct in_addr){.s_addr = dst}, bits))
                        hit = true;
        }
        return hit;
}

bool engine_net_subnet_taken(struct engine *e, const char *bridge, struct in_addr net, int prefix, char **by)
{
        cleanup_stmt sqlite3_stmt *st = NULL;

        if (host_routes_overlap(bridge, net, prefix)) {
                if (by)
                        *by = xstrdup("a route of the host");
                return true;
        }
        if (store_prepare(e->store, "SELECT name, subnet FROM networks", &st, NULL) < 0)
                return false;
        while (sqlite3_step(st) == SQLITE_ROW) {
                struct in_addr other;
                int op;
                if (engine_net_parse_cidr((const char *) sqlite3_column_text(st, 1), &other, &op) == 0 &&
                    engine_net_overlaps(net, prefix, other, op)) {
                        if (by)
                                *by = xasprintf("network %s", (const char *) sqlite3_column_text(st, 0));
                        return true;
                }
        }
        return false;
}

/* docker's default address pools: 172.17.0.0/16 ... 172.31.0.0/16, then 192.168.0.0/20 ... 192.168.240.0/20. */
int engine_net_pick_subnet(struct engine *e, const char *bridge, struct in_addr *net, int *prefix, berth_error *err)
{
        for (int i = 0; i < 15 + 16; i++) {
                char text[32];
                if (i < 15)
                        snprintf(text, sizeof(text), "172.%d.0.0", 17 + i);
                else
                        snprintf(text, sizeof(text), "192.168.%d.0", (i - 15) * 16);
                inet_pton(AF_INET, text, net);
                *prefix = i < 15 ? 16 : 20;
                if (!engine_net_subnet_taken(e, bridge, *net, *prefix, NULL))
                        return 0;
        }
        return berth_failf(err, ENOSPC, "could not find an available, non-overlapping IPv4 address pool among the "
                                        "defaults to assign to the network");
}

char *engine_net_random_hex(size_t bytes)
{
        uint8_t buf[32];
        char *out = xmalloc(bytes * 2 + 1);

        if (bytes > sizeof(buf) || getrandom(buf, bytes, 0) != (ssize_t) bytes)
                for (size_t i = 0; i < bytes && i < sizeof(buf); i++)
                        buf[i] = (uint8_t) (rand() ^ getpid());
        for (size_t i = 0; i < bytes; i++)
                snprintf(out + 2 * i, 3, "%02x", buf[i]);
        return out;
}

int engine_net_load(struct engine *e, const char *name, struct net_record *n, bool *found, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        const char *range;
        int r;

        *found = false;
        if ((r = store_prepare(e->store,
                               "SELECT name, id, bridge, subnet, gateway, ip_range, internal FROM networks "
                               "WHERE name = ?1 OR id = ?1 OR (length(?1) >= 3 AND id LIKE ?1 || '%') "
                               "ORDER BY name = ?1 DESC, id = ?1 DESC LIMIT 1",
                               &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
                return 0;
        n->name = xstrdup((const char *) sqlite3_column_text(st, 0));
        n->id = xstrdup((const char *) sqlite3_column_text(st, 1));
        n->bridge = xstrdup((const char *) sqlite3_column_text(st, 2));
        range = (const char *) sqlite3_column_text(st, 5);
        n->internal = sqlite3_column_int(st, 6) != 0;
        if (engine_net_parse_cidr((const char *) sqlite3_column_text(st, 3), &n->subnet, &n->prefix) < 0 ||
            inet_pton(AF_INET, (const char *) sqlite3_column_text(st, 4), &n->gateway) != 1 ||
            (range != NULL && *range != '\0' && engine_net_parse_cidr(range, &n->range, &n->range_prefix) < 0))
                return berth_failf(err, EINVAL, "network %s: its record has a bad subnet, gateway or range", name);
        *found = true;
        return 0;
}

int engine_net_ensure(struct engine *e, const char *name, struct net_record *n, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        cleanup_free char *subnet = NULL, *now = NULL;
        char gw[INET_ADDRSTRLEN], net[INET_ADDRSTRLEN];
        bool found;
        int r;

        if ((r = engine_net_load(e, name, n, &found, err)) < 0 || found)
                return r;
        if (strcmp(name, ENGINE_NETWORK_DEFAULT) != 0)
                return berth_failf(err, ENOENT, "network %s not found", name);
        n->name = xstrdup(name);
        n->id = engine_net_random_hex(32);
        n->bridge = xstrdup(ENGINE_BRIDGE_DEFAULT);
        if ((r = engine_net_pick_subnet(e, n->bridge, &n->subnet, &n->prefix, err)) < 0)
                return r;
        n->gateway.s_addr = htonl(ntohl(n->subnet.s_addr) + 1);
        inet_ntop(AF_INET, &n->subnet, net, sizeof(net));
        inet_ntop(AF_INET, &n->gateway, gw, sizeof(gw));
        subnet = xasprintf("%s/%d", net, n->prefix);
        now = engine_now_rfc3339();
        if ((r = store_prepare(e->store,
                               "INSERT INTO networks(name, id, bridge, subnet, gateway, created) VALUES(?,?,?,?,?,?)", &st,
                               err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, n->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, n->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, n->bridge, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, subnet, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, gw, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return berth_failf(err, EIO, "record network %s: %s", name, sqlite3_errmsg(e->store->db));
        return 0;
}

char *engine_net_bridge_arg(const struct net_record *n)
{
        return n->internal ? xasprintf("%s,internal", n->bridge) : xstrdup(n->bridge);
}

/* Runs berth-net with args (NULL-terminated, after argv[0]); its one-line error into err. */
int engine_net_run_helper(struct engine *e, char **args, berth_error *err)
{
        cleanup_strv char **argv = strv_append(NULL, "berth-net");
        char msg[1024];
        int pipefd[2], status = 0;
        ssize_t len = 0, n;
        pid_t pid;

        for (size_t i = 0; args[i] != NULL; i++)
                argv = strv_append(argv, args[i]);
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return berth_fail(err, errno, "pipe");
        pid = fork();
        if (pid < 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                return berth_fail(err, errno, "fork");
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                dup2(null, STDIN_FILENO);
                dup2(null, STDOUT_FILENO);
                dup2(pipefd[1], STDERR_FILENO);
                execv(e->net_exe, argv);
                dprintf(pipefd[1], "exec %s: %s\n", e->net_exe, strerror(errno));
                _exit(127);
        }
        close(pipefd[1]);
        while ((n = read(pipefd[0], msg + len, sizeof(msg) - 1 - (size_t) len)) > 0 || (n < 0 && errno == EINTR))
                if (n > 0)
                        len += n;
        close(pipefd[0]);
        msg[len] = '\0';
        while (len > 0 && msg[len - 1] == '\n')
                msg[--len] = '\0';
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return berth_failf(err, EIO, "%s", len > 0 ? msg : "berth-net failed");
        return 0;
}

