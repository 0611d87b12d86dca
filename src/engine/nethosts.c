/* Names on a user network: every container on it finds the others by container name and --network-alias in
 * its /etc/hosts, rewritten in place (the file is bind-mounted: a rename would not reach the container)
 * whenever a container takes or gives back an address on the network. No resolver process: a name resolves
 * as soon as `run -d` has returned, and no query can be lost while containers come and go (the choice is
 * argued in docs/networking.md). The default bridge network has no names, as docker's. */
#include "engine/network.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "engine/create.h"
#include "engine/db.h"
#include "engine/netrecord.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

struct peer {
        char *id, *ip, *line;
};

static void peers_free(struct peer *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(p[i].id);
                free(p[i].ip);
                free(p[i].line);
        }
        free(p);
}

/* "IP\tNAME ALIAS... SHORT-ID": the names dockerd's resolver answers on a user network. */
static char *peer_line(const struct engine_container *c, const char *ip)
{
        char *line = xasprintf("%s\t%s", ip, c->name);
        char *done;
        const json_t *v;
        size_t i;

        json_array_foreach(json_object_get(c->host_config, "BerthNetworkAliases"), i, v) {
                char *next = xasprintf("%s %s", line, json_string_value(v) ?: "");
                free(line);
                line = next;
        }
        done = xasprintf("%s %.12s\n", line, c->id);
        free(line);
        return done;
}

static int write_in_place(struct engine *e, const char *id, const char *text)
{
        cleanup_free char *path = xasprintf("%s/hosts", id);
        cleanup_close int fd = openat(e->containers_fd, path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        size_t len = strlen(text);

        if (fd < 0)
                return -errno;
        if (pwrite(fd, text, len, 0) != (ssize_t) len || ftruncate(fd, (off_t) len) < 0)
                return -errno;
        return 0;
}

void engine_network_hosts_refresh(struct engine *e, const char *network)
{
        cleanup_net_record struct net_record n = {0};
        cleanup_stmt sqlite3_stmt *st = NULL;
        cleanup_close int lock = -1;
        struct engine_container **cs = NULL;
        struct peer *peers = NULL;
        char gw[INET_ADDRSTRLEN];
        size_t np = 0;
        bool found;

        if (network == NULL || strcmp(network, ENGINE_NETWORK_DEFAULT) == 0 ||
            engine_net_load(e, network, &n, &found, NULL) < 0 || !found)
                return;
        inet_ntop(AF_INET, &n.gateway, gw, sizeof(gw));
        /* One rewrite at a time per store: two starts on the network must not write each other's files from
         * two different lists. */
        lock = openat(e->store->rootfd, "network-hosts.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock >= 0)
                while (flock(lock, LOCK_EX) < 0 && errno == EINTR)
                        ;
        if (store_prepare(e->store, "SELECT container_id, ip FROM network_leases WHERE network = ? ORDER BY ip", &st, NULL) < 0)
                return;
        sqlite3_bind_text(st, 1, n.name, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
                peers = xrealloc(peers, (np + 1) * sizeof(*peers));
                peers[np].id = xstrdup((const char *) sqlite3_column_text(st, 0));
                peers[np].ip = xstrdup((const char *) sqlite3_column_text(st, 1));
                peers[np].line = NULL;
                np++;
        }
        sqlite3_reset(st);
        cs = xzalloc((np + 1) * sizeof(*cs));
        for (size_t i = 0; i < np; i++)
                if (engine_db_get(e, peers[i].id, &cs[i], NULL) == 0)
                        peers[i].line = peer_line(cs[i], peers[i].ip);
        for (size_t i = 0; i < np; i++) {
                cleanup_free char *others = xstrdup(""), *text = NULL;
                if (cs[i] == NULL)
                        continue;
                for (size_t k = 0; k < np; k++) {
                        if (k == i || peers[k].line == NULL)
                                continue;
                        char *next = xasprintf("%s%s", others, peers[k].line);
                        free(others);
                        others = next;
                }
                text = engine_hosts_content(cs[i]->config, cs[i]->host_config, peers[i].ip, gw, others);
                write_in_place(e, peers[i].id, text);
        }
        for (size_t i = 0; i < np; i++)
                engine_container_free(cs[i]);
        free(cs);
        peers_free(peers, np);
}
