/* The engine's network records and the helpers the files of networking share (network.c: leases and
 * ports; networks.c: network create/ls/inspect/rm/prune): subnets, the record in SQLite, berth-net. */
#pragma once

#include <arpa/inet.h>
#include <stdbool.h>

#include "engine/engine.h"

struct net_record {
        char *name, *id, *bridge;
        struct in_addr subnet, gateway;
        int prefix;
        /* --ip-range: addresses are leased from here (prefix 0: the whole subnet) */
        struct in_addr range;
        int range_prefix;
        bool internal;
};
void engine_net_record_clear(struct net_record *n);
#define cleanup_net_record __attribute__((cleanup(engine_net_record_clear)))

bool engine_net_overlaps(struct in_addr a, int pa, struct in_addr b, int pb);
/* "a.b.c.d/N" -> address and prefix; -EINVAL. */
int engine_net_parse_cidr(const char *s, struct in_addr *a, int *prefix);
char *engine_net_random_hex(size_t bytes);
/* The next of docker's default pools that neither a host route (outside bridge) nor another network covers. */
int engine_net_pick_subnet(struct engine *e, const char *bridge, struct in_addr *net, int *prefix, berth_error *err);
/* Whether a route of the host's main table (not through bridge) or another network overlaps net/prefix. */
bool engine_net_subnet_taken(struct engine *e, const char *bridge, struct in_addr net, int prefix, char **by);
/* The record of a network by name or id (prefix); *found false when there is none. */
int engine_net_load(struct engine *e, const char *name, struct net_record *n, bool *found, berth_error *err);
/* The record of the container's network; the default bridge network's is made on first use (inside the
 * caller's transaction); ENOENT for another name without a record. */
int engine_net_ensure(struct engine *e, const char *name, struct net_record *n, berth_error *err);
/* Runs berth-net with args (NULL-terminated, after argv[0]); its one-line error into err. */
int engine_net_run_helper(struct engine *e, char **args, berth_error *err);
/* berth-net's NETWORK argument: BRIDGE[,internal]. */
char *engine_net_bridge_arg(const struct net_record *n);
/* berth-net's PORT arguments for a lease's ports (docker's Ports JSON) and address. */
char **engine_network_port_specs(const char *ports_json, const char *ip);
/* Leases (network.c), for network connect (netconnect.c); inside the caller's write transaction. */
int engine_net_take_address(struct engine *e, const struct net_record *n, const char *want, struct in_addr *ip,
                            berth_error *err);
int engine_net_pick_address(struct engine *e, const struct net_record *n, struct in_addr *ip, berth_error *err);
void engine_net_format_mac(struct in_addr ip, char mac[18]);
int engine_net_insert_lease(struct engine *e, const char *network, const char *ip, const char *id, const char *mac,
                            const char *veth, const char *ports, berth_error *err);
/* Releases the container's lease on one network; delete_veth: also take its veth out (the container runs). */
void engine_net_release_one(struct engine *e, const char *id, const char *network, bool delete_veth);
