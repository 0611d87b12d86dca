/* network connect / disconnect of a running container: a lease on one more network and its interface
 * (eth1, eth2, ...) made by berth-net inside the container's namespace without a default route; or the
 * lease and the veth taken away. A connection lasts as long as the container runs (berth does not yet
 * record it in the container's configuration for its next start: docs/networking.md). */
#include "engine/network.h"
#include "engine/events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/list.h"
#include "engine/netrecord.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

static bool connected(struct engine *e, const char *id, const char *network, int *count)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        bool found = false;

        *count = 0;
        if (store_prepare(e->store, "SELECT network FROM network_leases WHERE container_id = ?", &st, NULL) < 0)
                return false;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
                (*count)++;
                if (strcmp((const char *) sqlite3_column_text(st, 0), network) == 0)
                        found = true;
        }
        return found;
}

static int running_bridge_container(struct engine *e, const char *ref, struct engine_container **c, berth_error *err)
{
        const char *mode;
        int r;

        if ((r = engine_container_find(e, ref, c, err)) < 0)
                return r;
        if ((*c)->status != ENGINE_RUNNING && (*c)->status != ENGINE_PAUSED)
                return berth_failf(err, EINVAL, "container %s is not running", (*c)->name);
        mode = json_string_value(json_object_get((*c)->host_config, "NetworkMode")) ?: "none";
        if (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0 || str_has_prefix(mode, "container:"))
                return berth_failf(err, EINVAL, "container %s is on network %s: it cannot be connected to other networks",
                                   (*c)->name, mode);
        return 0;
}

int engine_network_connect(struct engine *e, const char *network, const char *ref, const char *want_ip, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_net_record struct net_record n = {0};
        cleanup_free char *veth = NULL, *rnd = NULL, *bridge = NULL, *gwp = NULL, *pid = NULL;
        cleanup_strv char **args = NULL;
        char mac[18], ipt[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
        struct in_addr ip;
        int r, count = 0;

        if ((r = running_bridge_container(e, ref, &c, err)) < 0)
                return r;
        if ((r = engine_network_check(e, network, err)) < 0)
                return r;
        if ((r = store_exec(e->store, "BEGIN IMMEDIATE", err)) < 0)
                return r;
        if (connected(e, c->id, network, &count)) {
                r = berth_failf(err, EEXIST, "endpoint with name %s already exists in network %s", c->name, network);
                goto fail;
        }
        if ((r = engine_net_ensure(e, network, &n, err)) < 0 ||
            (r = want_ip && *want_ip ? engine_net_take_address(e, &n, want_ip, &ip, err) : engine_net_pick_address(e, &n, &ip, err)) < 0)
                goto fail;
        engine_net_format_mac(ip, mac);
        rnd = engine_net_random_hex(4);
        veth = xasprintf("veth%s", rnd);
        inet_ntop(AF_INET, &ip, ipt, sizeof(ipt));
        if ((r = engine_net_insert_lease(e, n.name, ipt, c->id, mac, veth, "{}", err)) < 0 ||
            (r = store_exec(e->store, "COMMIT", err)) < 0)
                goto fail;
        /* eth0 is the start's network; the next is eth<number of networks before this one>. */
        {
                cleanup_free char *b = engine_net_bridge_arg(&n);
                bridge = xasprintf("%s,if=eth%d,noroute", b, count);
        }
        inet_ntop(AF_INET, &n.gateway, gw, sizeof(gw));
        gwp = xasprintf("%s/%d", gw, n.prefix);
        pid = xasprintf("%d", (int) c->pid);
        args = strv_append(strv_append(NULL, "up"), pid);
        args = strv_append(strv_append(strv_append(args, bridge), gwp), veth);
        args = strv_append(strv_append(args, ipt), mac);
        /* The lease is the connection: a helper that fails releases it, which is the disconnect. */
        engine_event_network(e->store->root, "connect", n.id, n.name, c->id);
        if ((r = engine_net_run_helper(e, args, err)) < 0) {
                engine_net_release_one(e, c->id, n.name, true);
                return r;
        }
        engine_network_hosts_refresh(e, n.name);
        return 0;
fail:
        sqlite3_exec(e->store->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
}

int engine_network_disconnect(struct engine *e, const char *network, const char *ref, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_net_record struct net_record n = {0};
        bool found;
        int r, count = 0;

        if ((r = engine_container_find(e, ref, &c, err)) < 0 || (r = engine_net_load(e, network, &n, &found, err)) < 0)
                return r;
        if (!found)
                return berth_failf(err, ENOENT, "network %s not found", network);
        if (!connected(e, c->id, n.name, &count))
                return berth_failf(err, ENOENT, "container %s is not connected to network %s", c->name, n.name);
        engine_net_release_one(e, c->id, n.name, true);
        return 0;
}
