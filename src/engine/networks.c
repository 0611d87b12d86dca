/* docker's network commands over the engine's records (engine/network.h): create (a subnet of its own or the
 * next free default pool; --gateway, --ip-range, --internal, labels, the bridge's name), ls, inspect, rm (not
 * while a container holds an address on it), prune. The bridge itself is made by berth-net when the first
 * container starts on the network, and removed with the network. */
#include "engine/network.h"
#include "engine/events.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/netrecord.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

static const char *const PREDEFINED[] = {"bridge", "host", "none"};

static bool predefined(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(PREDEFINED); i++)
                if (strcmp(name, PREDEFINED[i]) == 0)
                        return true;
        return false;
}

static bool valid_name(const char *s)
{
        if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= '0' && s[0] <= '9')))
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
                      *s == '.' || *s == '-'))
                        return false;
        return true;
}

static bool valid_ifname(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > 15)
                return false;
        for (; *s; s++)
                if (*s == '/' || *s == ' ' || *s == ':' || *s == ',')
                        return false;
        return true;
}

static int subnet_arg(const char *what, const char *s, struct in_addr *net, int *prefix, berth_error *err)
{
        struct in_addr a;

        if (engine_net_parse_cidr(s, &a, prefix) < 0)
                return berth_failf(err, EINVAL, "invalid %s %s: expected an IPv4 address/prefix (10.1.0.0/16)", what, s);
        if (*prefix < 8 || *prefix > 30)
                return berth_failf(err, EINVAL, "invalid %s %s: the prefix must be 8 to 30", what, s);
        net->s_addr = a.s_addr & htonl(~((1u << (32 - *prefix)) - 1));
        return 0;
}

static int check_and_insert(struct engine *e, const struct engine_network_create_options *o, char **id_out, berth_error *err)
{
        cleanup_net_record struct net_record n = {0};
        cleanup_stmt sqlite3_stmt *st = NULL;
        cleanup_free char *subnet = NULL, *range = NULL, *by = NULL, *now = NULL, *labels = NULL, *options = NULL;
        char net[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
        bool found;
        int r;

        if ((r = engine_net_load(e, o->name, &n, &found, err)) < 0)
                return r;
        if (found && strcmp(n.name, o->name) == 0)
                return berth_failf(err, EEXIST, "network with name %s already exists", o->name);
        engine_net_record_clear(&n);
        n.id = engine_net_random_hex(32);
        n.bridge = o->bridge_name && *o->bridge_name ? xstrdup(o->bridge_name) : xasprintf("br-%.12s", n.id);
        if (o->subnet != NULL) {
                if ((r = subnet_arg("subnet", o->subnet, &n.subnet, &n.prefix, err)) < 0)
                        return r;
                if (engine_net_subnet_taken(e, n.bridge, n.subnet, n.prefix, &by))
                        return berth_failf(err, EEXIST, "Pool overlaps with other one on this address space (%s covers "
                                                        "part of %s)", by, o->subnet);
        } else if ((r = engine_net_pick_subnet(e, n.bridge, &n.subnet, &n.prefix, err)) < 0) {
                return r;
        }
        inet_ntop(AF_INET, &n.subnet, net, sizeof(net));
        subnet = xasprintf("%s/%d", net, n.prefix);
        if (o->ip_range != NULL) {
                if ((r = subnet_arg("ip-range", o->ip_range, &n.range, &n.range_prefix, err)) < 0)
                        return r;
                if (n.range_prefix < n.prefix || !engine_net_overlaps(n.range, n.range_prefix, n.subnet, n.prefix))
                        return berth_failf(err, EINVAL, "invalid ip-range %s: not inside the subnet %s", o->ip_range, subnet);
                range = xstrdup(o->ip_range);
        }
        if (o->gateway != NULL) {
                uint32_t off;
                if (inet_pton(AF_INET, o->gateway, &n.gateway) != 1)
                        return berth_failf(err, EINVAL, "invalid gateway %s: not an IPv4 address", o->gateway);
                off = ntohl(n.gateway.s_addr) - ntohl(n.subnet.s_addr);
                if (off == 0 || off >= (1u << (32 - n.prefix)) - 1)
                        return berth_failf(err, EINVAL, "invalid gateway %s: not a host address of the subnet %s", o->gateway,
                                           subnet);
        } else {
                n.gateway.s_addr = htonl(ntohl(n.subnet.s_addr) + 1);
        }
        inet_ntop(AF_INET, &n.gateway, gw, sizeof(gw));
        {
                cleanup_stmt sqlite3_stmt *q = NULL;
                if ((r = store_prepare(e->store, "SELECT name FROM networks WHERE bridge = ?", &q, err)) < 0)
                        return r;
                sqlite3_bind_text(q, 1, n.bridge, -1, SQLITE_STATIC);
                if (sqlite3_step(q) == SQLITE_ROW)
                        return berth_failf(err, EEXIST, "bridge name %s is used by network %s", n.bridge,
                                           (const char *) sqlite3_column_text(q, 0));
        }
        now = engine_now_rfc3339();
        labels = json_dumps(o->labels ? o->labels : json_object(), JSON_COMPACT);
        {
                cleanup_json json_t *opts = json_object();
                if (o->bridge_name && *o->bridge_name)
                        json_object_set_new(opts, "com.docker.network.bridge.name", json_string(o->bridge_name));
                options = json_dumps(opts, JSON_COMPACT);
        }
        if ((r = store_prepare(e->store,
                               "INSERT INTO networks(name, id, bridge, subnet, gateway, created, internal, labels, options, "
                               "ip_range) VALUES(?,?,?,?,?,?,?,?,?,?)",
                               &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, o->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, n.id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, n.bridge, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, subnet, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, gw, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 7, o->internal ? 1 : 0);
        sqlite3_bind_text(st, 8, labels, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, options, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 10, range ? range : "", -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return berth_failf(err, EIO, "record network %s: %s", o->name, sqlite3_errmsg(e->store->db));
        *id_out = xstrdup(n.id);
        return 0;
}

int engine_network_create(struct engine *e, const struct engine_network_create_options *o, char **id_out, berth_error *err)
{
        int r;

        if (o->driver != NULL && strcmp(o->driver, "bridge") != 0)
                return berth_failf(err, EINVAL, "plugin \"%s\" not found: berth has the bridge driver", o->driver);
        if (!valid_name(o->name))
                return berth_failf(err, EINVAL, "invalid network name \"%s\": [a-zA-Z0-9][a-zA-Z0-9_.-]*", o->name);
        if (predefined(o->name))
                return berth_failf(err, EEXIST, "network with name %s already exists", o->name);
        if (o->bridge_name != NULL && !valid_ifname(o->bridge_name))
                return berth_failf(err, EINVAL, "invalid bridge name %s: a network interface name (1-15 characters)",
                                   o->bridge_name);
        if (o->gateway != NULL && o->subnet == NULL)
                return berth_failf(err, EINVAL, "--gateway needs --subnet");
        if (o->ip_range != NULL && o->subnet == NULL)
                return berth_failf(err, EINVAL, "--ip-range needs --subnet");
        /* One write transaction: two creates cannot take the same subnet or name. */
        if ((r = store_exec(e->store, "BEGIN IMMEDIATE", err)) < 0)
                return r;
        /* The default network first (docker's exists from the daemon's start): 172.17.0.0/16 stays its. */
        {
                cleanup_net_record struct net_record def = {0};
                if ((r = engine_net_ensure(e, ENGINE_NETWORK_DEFAULT, &def, err)) < 0) {
                        sqlite3_exec(e->store->db, "ROLLBACK", NULL, NULL, NULL);
                        return r;
                }
        }
        if ((r = check_and_insert(e, o, id_out, err)) < 0 || (r = store_exec(e->store, "COMMIT", err)) < 0) {
                sqlite3_exec(e->store->db, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
        engine_event_network(e->store->root, "create", *id_out, o->name, NULL);
        return 0;
}

/* docker's network inspect object. */
static json_t *network_json(struct engine *e, sqlite3_stmt *st)
{
        const char *name = (const char *) sqlite3_column_text(st, 0), *range = (const char *) sqlite3_column_text(st, 9);
        json_t *labels = json_loads((const char *) sqlite3_column_text(st, 7), 0, NULL);
        json_t *options = json_loads((const char *) sqlite3_column_text(st, 8), 0, NULL);
        json_t *config = json_pack("{s:s,s:s}", "Subnet", (const char *) sqlite3_column_text(st, 3), "Gateway",
                                   (const char *) sqlite3_column_text(st, 4));
        json_t *containers = json_object();
        cleanup_stmt sqlite3_stmt *q = NULL;

        if (range && *range)
                json_object_set_new(config, "IPRange", json_string(range));
        if (store_prepare(e->store,
                          "SELECT l.container_id, c.name, l.mac, l.ip, n.subnet FROM network_leases l JOIN containers c ON "
                          "c.id = l.container_id JOIN networks n ON n.name = l.network WHERE l.network = ?",
                          &q, NULL) == 0) {
                sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
                while (sqlite3_step(q) == SQLITE_ROW) {
                        const char *subnet = (const char *) sqlite3_column_text(q, 4);
                        cleanup_free char *addr = xasprintf("%s%s", (const char *) sqlite3_column_text(q, 3),
                                                            strchr(subnet, '/') ? strchr(subnet, '/') : "");
                        json_object_set_new(containers, (const char *) sqlite3_column_text(q, 0),
                                            json_pack("{s:s,s:s,s:s,s:s,s:s}", "Name", (const char *) sqlite3_column_text(q, 1),
                                                      "EndpointID", "", "MacAddress", (const char *) sqlite3_column_text(q, 2),
                                                      "IPv4Address", addr, "IPv6Address", ""));
                }
        }
        if (strcmp(name, ENGINE_NETWORK_DEFAULT) == 0 && options != NULL) {
                json_object_set_new(options, "com.docker.network.bridge.default_bridge", json_string("true"));
                json_object_set_new(options, "com.docker.network.bridge.name", json_string((const char *) sqlite3_column_text(st, 2)));
        }
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:{s:s,s:n,s:[o]},s:b,s:b,s:b,s:{s:s},s:b,s:o,s:o,s:o}", "Name", name,
                         "Id", (const char *) sqlite3_column_text(st, 1), "Created", (const char *) sqlite3_column_text(st, 5),
                         "Scope", "local", "Driver", "bridge", "EnableIPv6", 0, "IPAM", "Driver", "default", "Options",
                         "Config", config, "Internal", sqlite3_column_int(st, 6) != 0, "Attachable", 0, "Ingress", 0,
                         "ConfigFrom", "Network", "", "ConfigOnly", 0, "Containers", containers, "Options",
                         options ? options : json_object(), "Labels", labels ? labels : json_object());
}

static json_t *pseudo_json(const char *name, const char *created)
{
        /* host and none: docker lists them with the drivers of the same names, made when the daemon first
         * started: here, with the default network. */
        cleanup_free char *id = xasprintf("%s%s", name, "0000000000000000000000000000000000000000000000000000000000000000");
        id[64] = '\0';
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:{s:s,s:n,s:[]},s:b,s:b,s:b,s:{s:s},s:b,s:{},s:{},s:{}}", "Name", name,
                         "Id", id, "Created", created, "Scope", "local", "Driver", name, "EnableIPv6", 0, "IPAM", "Driver",
                         "default", "Options", "Config", "Internal", 0, "Attachable", 0, "Ingress", 0, "ConfigFrom",
                         "Network", "", "ConfigOnly", 0, "Containers", "Options", "Labels");
}

#define NETWORK_COLUMNS "name, id, bridge, subnet, gateway, created, internal, labels, options, ip_range"

int engine_network_list(struct engine *e, json_t **out, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        cleanup_net_record struct net_record def = {0};
        json_t *list = json_array(), *v;
        const char *created = "";
        size_t i;
        int r;

        /* The default network exists from the start, as docker's. */
        if ((r = store_exec(e->store, "BEGIN IMMEDIATE", err)) < 0 || (r = engine_net_ensure(e, ENGINE_NETWORK_DEFAULT, &def, err)) < 0 ||
            (r = store_exec(e->store, "COMMIT", err)) < 0) {
                sqlite3_exec(e->store->db, "ROLLBACK", NULL, NULL, NULL);
                json_decref(list);
                return r;
        }
        if ((r = store_prepare(e->store, "SELECT " NETWORK_COLUMNS " FROM networks ORDER BY name", &st, err)) < 0) {
                json_decref(list);
                return r;
        }
        while (sqlite3_step(st) == SQLITE_ROW)
                json_array_append_new(list, network_json(e, st));
        json_array_foreach(list, i, v)
                if (strcmp(json_string_value(json_object_get(v, "Name")), ENGINE_NETWORK_DEFAULT) == 0)
                        created = json_string_value(json_object_get(v, "Created"));
        json_array_append_new(list, pseudo_json("host", created));
        json_array_append_new(list, pseudo_json("none", created));
        *out = list;
        return 0;
}

int engine_network_inspect(struct engine *e, const char *ref, json_t **out, berth_error *err)
{
        cleanup_json json_t *all = NULL;
        json_t *v;
        size_t i;
        int r;

        if ((r = engine_network_list(e, &all, err)) < 0)
                return r;
        json_array_foreach(all, i, v)
                if (strcmp(json_string_value(json_object_get(v, "Name")), ref) == 0) {
                        *out = json_incref(v);
                        return 0;
                }
        json_array_foreach(all, i, v) {
                const char *id = json_string_value(json_object_get(v, "Id"));
                if (strlen(ref) >= 3 && strncmp(id, ref, strlen(ref)) == 0) {
                        *out = json_incref(v);
                        return 0;
                }
        }
        return berth_failf(err, ENOENT, "network %s not found", ref);
}

int engine_network_remove(struct engine *e, const char *ref, berth_error *err)
{
        cleanup_net_record struct net_record n = {0};
        cleanup_stmt sqlite3_stmt *st = NULL, *del = NULL;
        cleanup_free char *bridge = NULL, *gwp = NULL;
        cleanup_strv char **args = NULL;
        char gw[INET_ADDRSTRLEN];
        berth_error ignored = {0};
        bool found;
        int r;

        if (predefined(ref))
                return berth_failf(err, EPERM, "%s is a pre-defined network and cannot be removed", ref);
        if (engine_network_reconcile(e, &ignored) < 0)
                berth_error_clear(&ignored);
        if ((r = engine_net_load(e, ref, &n, &found, err)) < 0)
                return r;
        if (!found)
                return berth_failf(err, ENOENT, "network %s not found", ref);
        if ((r = store_exec(e->store, "BEGIN IMMEDIATE", err)) < 0)
                return r;
        if ((r = store_prepare(e->store, "SELECT count(*) FROM network_leases WHERE network = ?", &st, err)) < 0)
                goto fail;
        sqlite3_bind_text(st, 1, n.name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0) {
                r = berth_failf(err, EBUSY, "error while removing network: network %s id %s has active endpoints", n.name, n.id);
                goto fail;
        }
        if ((r = store_prepare(e->store, "DELETE FROM networks WHERE name = ?", &del, err)) < 0)
                goto fail;
        sqlite3_bind_text(del, 1, n.name, -1, SQLITE_STATIC);
        if (sqlite3_step(del) != SQLITE_DONE) {
                r = berth_failf(err, EIO, "remove network %s: %s", n.name, sqlite3_errmsg(e->store->db));
                goto fail;
        }
        if ((r = store_exec(e->store, "COMMIT", err)) < 0)
                goto fail;
        engine_event_network(e->store->root, "destroy", n.id, n.name, NULL);
        /* The bridge and the firewall's elements (nothing when no container ever started on it). */
        inet_ntop(AF_INET, &n.gateway, gw, sizeof(gw));
        bridge = engine_net_bridge_arg(&n);
        gwp = xasprintf("%s/%d", gw, n.prefix);
        args = strv_append(strv_append(strv_append(NULL, "remove"), bridge), gwp);
        return engine_net_run_helper(e, args, err);
fail:
        sqlite3_exec(e->store->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
}

int engine_network_prune(struct engine *e, const struct engine_prune_filter *f, char ***removed, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        cleanup_strv char **names = NULL;
        berth_error ignored = {0};
        int r;

        *removed = NULL;
        if (engine_network_reconcile(e, &ignored) < 0)
                berth_error_clear(&ignored);
        if ((r = store_prepare(e->store,
                               "SELECT name, labels, created FROM networks n WHERE name != 'bridge' AND NOT EXISTS "
                               "(SELECT 1 FROM network_leases l WHERE l.network = n.name) ORDER BY name",
                               &st, err)) < 0)
                return r;
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *text = (const char *) sqlite3_column_text(st, 1);
                cleanup_json json_t *labels = text ? json_loads(text, 0, NULL) : NULL;
                if (engine_prune_filter_match(f, labels, (const char *) sqlite3_column_text(st, 2)))
                        names = strv_append(names, (const char *) sqlite3_column_text(st, 0));
        }
        sqlite3_reset(st);
        for (size_t i = 0; names && names[i]; i++) {
                if (engine_network_remove(e, names[i], &ignored) == 0)
                        *removed = strv_append(*removed, names[i]);
                berth_error_clear(&ignored);
        }
        /* docker: a network prune reclaims no space it counts. */
        engine_event_prune(e->store->root, "network", 0);
        return 0;
}

int engine_network_check(struct engine *e, const char *mode, berth_error *err)
{
        cleanup_net_record struct net_record n = {0};
        bool found;
        int r;

        if (mode == NULL || strcmp(mode, ENGINE_NETWORK_DEFAULT) == 0)
                return 0;
        if ((r = engine_net_load(e, mode, &n, &found, err)) < 0)
                return r;
        if (!found || strcmp(n.name, mode) != 0)
                return berth_failf(err, ENOENT, "network %s not found", mode);
        return 0;
}

int engine_network_reload(struct engine *e, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        cleanup_strv char **names = NULL;
        berth_error ignored = {0};
        int r, status = 0;

        if (engine_network_reconcile(e, &ignored) < 0)
                berth_error_clear(&ignored);
        if ((r = store_prepare(e->store, "SELECT DISTINCT network FROM network_leases ORDER BY network", &st, err)) < 0)
                return r;
        while (sqlite3_step(st) == SQLITE_ROW)
                names = strv_append(names, (const char *) sqlite3_column_text(st, 0));
        sqlite3_reset(st);
        for (size_t i = 0; names && names[i]; i++) {
                cleanup_net_record struct net_record n = {0};
                cleanup_stmt sqlite3_stmt *q = NULL;
                cleanup_strv char **args = NULL;
                cleanup_free char *bridge = NULL, *gwp = NULL;
                char gw[INET_ADDRSTRLEN];
                bool found;

                if ((r = engine_net_load(e, names[i], &n, &found, err)) < 0)
                        return r;
                if (!found)
                        continue;
                inet_ntop(AF_INET, &n.gateway, gw, sizeof(gw));
                bridge = engine_net_bridge_arg(&n);
                gwp = xasprintf("%s/%d", gw, n.prefix);
                args = strv_append(strv_append(strv_append(NULL, "ensure"), bridge), gwp);
                if ((r = store_prepare(e->store, "SELECT ports, ip FROM network_leases WHERE network = ?", &q, err)) < 0)
                        return r;
                sqlite3_bind_text(q, 1, n.name, -1, SQLITE_STATIC);
                while (sqlite3_step(q) == SQLITE_ROW) {
                        cleanup_strv char **specs = engine_network_port_specs((const char *) sqlite3_column_text(q, 0),
                                                                              (const char *) sqlite3_column_text(q, 1));
                        for (size_t k = 0; specs && specs[k]; k++)
                                args = strv_append(args, specs[k]);
                }
                if (engine_net_run_helper(e, args, status < 0 ? &ignored : err) < 0)
                        status = -EIO;
                berth_error_clear(&ignored);
        }
        return status;
}

/* ---- list filters ---- */

static const char *const NETWORK_FILTER_KEYS[] = {"driver", "id", "label", "name", "scope", "type", "dangling"};

static bool regex_search(const char *pattern, const char *s)
{
        regex_t re;
        bool ok;

        /* dockerd compiles each value as a regular expression and matches it anywhere; a value that is not one
         * matches nothing (checked, with its message, by engine_network_filter). */
        if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
                return false;
        ok = regexec(&re, s, 0, NULL, 0) == 0;
        regfree(&re);
        return ok;
}

static bool network_value_matches(const json_t *net, size_t key, const char *v)
{
        const char *name = json_string_value(json_object_get(net, "Name"));

        switch (key) {
        case 0: return strcmp(v, json_string_value(json_object_get(net, "Driver"))) == 0;
        case 1: return regex_search(v, json_string_value(json_object_get(net, "Id")));
        case 2: return engine_labels_match(json_object_get(net, "Labels"), v);
        case 3: return regex_search(v, name);
        case 4: return strcmp(v, "local") == 0;
        case 5: return predefined(name) == (strcmp(v, "builtin") == 0);
        default: {
                /* dangling: user networks no container is on; the pre-defined ones are never dangling. */
                bool dangling = !predefined(name) && json_object_size(json_object_get(net, "Containers")) == 0;
                return dangling == (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
        }
        }
}

static int network_filters_check(char *const *filters, berth_error *err)
{
        for (char *const *f = filters; f && *f; f++) {
                const char *eq = strchr(*f, '='), *v;
                size_t key = ARRAY_SIZE(NETWORK_FILTER_KEYS);
                regex_t re;
                if (eq == NULL)
                        return berth_failf(err, EINVAL, "bad format of filter (expected name=value): %s", *f);
                v = eq + 1;
                for (size_t k = 0; k < ARRAY_SIZE(NETWORK_FILTER_KEYS); k++)
                        if (strlen(NETWORK_FILTER_KEYS[k]) == (size_t) (eq - *f) && strncmp(*f, NETWORK_FILTER_KEYS[k], (size_t) (eq - *f)) == 0)
                                key = k;
                if (key == ARRAY_SIZE(NETWORK_FILTER_KEYS))
                        return berth_failf(err, EINVAL, "invalid filter '%.*s'", (int) (eq - *f), *f);
                if (key == 5 && strcmp(v, "custom") != 0 && strcmp(v, "builtin") != 0)
                        return berth_failf(err, EINVAL, "invalid filter: 'type'='%s'", v);
                if (key == 6 && strcmp(v, "true") != 0 && strcmp(v, "1") != 0 && strcmp(v, "false") != 0 && strcmp(v, "0") != 0)
                        return berth_failf(err, EINVAL, "invalid filter 'dangling=%s'", v);
                if (key == 1 || key == 3) {
                        if (regcomp(&re, v, REG_EXTENDED | REG_NOSUB) != 0)
                                return berth_failf(err, EINVAL, "invalid filter '%s': not a regular expression", *f);
                        regfree(&re);
                }
        }
        return 0;
}

int engine_network_filter(json_t *list, char *const *filters, berth_error *err)
{
        int r;

        if ((r = network_filters_check(filters, err)) < 0)
                return r;
        for (size_t i = json_array_size(list); i-- > 0;) {
                json_t *net = json_array_get(list, i);
                bool keep = true;
                /* Values of one key are ORed, keys ANDed, except labels: every label asked for must be there. */
                for (size_t k = 0; k < ARRAY_SIZE(NETWORK_FILTER_KEYS) && keep; k++) {
                        size_t klen = strlen(NETWORK_FILTER_KEYS[k]);
                        bool seen = false, any = false, all = true;
                        for (char *const *f = filters; f && *f; f++) {
                                bool m;
                                if (strncmp(*f, NETWORK_FILTER_KEYS[k], klen) != 0 || (*f)[klen] != '=')
                                        continue;
                                seen = true;
                                m = network_value_matches(net, k, *f + klen + 1);
                                any |= m;
                                all &= m;
                        }
                        keep = !seen || (k == 2 ? all : any);
                }
                if (!keep)
                        json_array_remove(list, i);
        }
        return 0;
}
