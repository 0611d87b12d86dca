/* A container's place on a bridge network: the network's record (bridge, subnet, gateway), the container's
 * lease (address, MAC, host-side veth, published ports) in the engine's SQLite store, and the arguments
 * berth-launch passes to berth-net, which makes the links and the firewall elements (docs/networking.md).
 * Leases are taken at start, one transaction each (no duplicates between parallel starts), and released
 * when the container stops or is removed; leases whose container is gone or dead (berth, berth-launch or
 * the monitor killed) are released by the next start or rm (engine_network_reconcile). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "engine/engine.h"

#define ENGINE_NETWORK_DEFAULT "bridge"
#define ENGINE_BRIDGE_DEFAULT "berth0"

/* Whether the container is on a bridge network (its NetworkMode is a network's name, not none, host or
 * container:). */
bool engine_network_is_bridge(const json_t *host_config);

/* docker's NetworkMode of a new container: "default" and "" become the default network (bridge, or what
 * BERTH_DEFAULT_NETWORK names: "none" is dockerd's --bridge=none). Returns a constant or mode. */
const char *engine_network_mode_default(const char *mode);

/* At start: a lease for the container c on its network, the ports resolved (free host ports picked), the
 * container's hosts file given its address. *helper_args: berth-net's arguments after "up PID" (a
 * NULL-terminated vector the caller frees), NULL when the container is on no bridge network. */
int engine_network_attach(struct engine *e, const struct engine_container *c, int dirfd, char ***helper_args,
                          berth_error *err);

/* When the container has stopped or is removed: its ports' elements and its lease. Never fails (what cannot
 * be removed now is reconciled later). */
void engine_network_release(struct engine *e, const char *id);

/* Releases the leases of containers that are gone or no longer running, and whose directory nobody holds
 * locked (a start in progress holds it). */
int engine_network_reconcile(struct engine *e, berth_error *err);

/* docker's NetworkSettings for inspect (IPAddress, Gateway, MacAddress, Ports, Networks, ...). */
json_t *engine_network_settings(struct engine *e, const struct engine_container *c);

/* docker's Ports of a running container ({"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], ...}),
 * or NULL: ps's PORTS column and the port command. */
json_t *engine_network_ports(struct engine *e, const char *id);

/* port CONTAINER: the running container's published ports (docker's Ports), an empty object when none. */
int engine_container_port(struct engine *e, const char *ref, json_t **out, berth_error *err);

/* docker's PORTS column of ps: "0.0.0.0:8080->80/tcp, 443/tcp". */
char *engine_ports_text(const json_t *ports);

/* network create|ls|inspect|rm|prune (networks.c). */
struct engine_network_create_options {
        const char *name;
        const char *driver;      /* NULL or "bridge" */
        const char *subnet;      /* --subnet, or NULL: the next free default pool */
        const char *gateway;     /* --gateway (needs --subnet), or NULL: the subnet's first address */
        const char *ip_range;    /* --ip-range (inside the subnet): where addresses are leased */
        const char *bridge_name; /* -o com.docker.network.bridge.name, or NULL: br-<id> */
        bool internal;           /* --internal: nothing forwarded in or out of the bridge */
        json_t *labels;          /* --label, or NULL */
};
int engine_network_create(struct engine *e, const struct engine_network_create_options *o, char **id_out, berth_error *err);
/* docker's network inspect objects of every network (bridge, the user networks, host and none). */
int engine_network_list(struct engine *e, json_t **out, berth_error *err);
int engine_network_inspect(struct engine *e, const char *ref, json_t **out, berth_error *err);
/* network ls --filter, GET /networks?filters: keeps the networks of list (engine_network_list's) that match
 * docker's filters, "KEY=VALUE": driver, id and name (regular expressions matched anywhere, as dockerd's),
 * label=KEY[=VALUE] (all of them), scope, type=custom|builtin, dangling=true|false. Values of one key are ORed.
 * EINVAL for an unknown key or a bad value. */
int engine_network_filter(json_t *list, char *const *filters, berth_error *err);
/* Refused while a container holds an address on it; removes its bridge and its firewall elements. */
int engine_network_remove(struct engine *e, const char *ref, berth_error *err);
/* Removes the user networks no container holds an address on; *removed: their names. */
int engine_network_prune(struct engine *e, const struct engine_prune_filter *f, char ***removed, berth_error *err);
/* create/run --network NAME: the network exists (bridge always does). */
int engine_network_check(struct engine *e, const char *mode, berth_error *err);

/* A user network's names (nethosts.c): rewrites, in place, the hosts file of every container with an address
 * on the network so that each lists the others by name and --network-alias. Nothing for the default bridge. */
void engine_network_hosts_refresh(struct engine *e, const char *network);

/* network reload: berth's table, every network with containers on it (its bridge, its elements) and every
 * published port, put back (after `nft flush ruleset` or a firewalld reload; also run by a start that found
 * the table missing). */
int engine_network_reload(struct engine *e, berth_error *err);

/* network connect NETWORK CONTAINER [--ip]: a running container gets an interface on one more network (no
 * default route through it); it lasts while the container runs. disconnect takes it (or the start's) away. */
int engine_network_connect(struct engine *e, const char *network, const char *ref, const char *want_ip, berth_error *err);
int engine_network_disconnect(struct engine *e, const char *network, const char *ref, berth_error *err);
