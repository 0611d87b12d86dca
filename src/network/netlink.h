/* Links, addresses and routes through rtnetlink, in-process (libmnl): what `ip link/addr/route` would do,
 * without a process. One handle is one NETLINK_ROUTE socket in the network namespace it was opened in; a
 * handle opened inside another namespace (netlink_open_in) configures that namespace. IPv4 only. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

struct netlink;

/* A handle in the caller's network namespace. */
int netlink_open(struct netlink **out, berth_error *err);
/* A handle in the namespace of nsfd (setns there and back; the socket stays in that namespace). */
int netlink_open_in(int nsfd, struct netlink **out, berth_error *err);
void netlink_close(struct netlink *nl);
static inline void netlink_close_ptr(struct netlink **nl)
{
        if (*nl != NULL)
                netlink_close(*nl);
}
#define cleanup_netlink __attribute__((cleanup(netlink_close_ptr)))

/* The index of a link; ENODEV when there is none. */
int netlink_link_index(struct netlink *nl, const char *name, int *index, berth_error *err);
/* A bridge NAME (EEXIST when a link of that name exists). */
int netlink_bridge_add(struct netlink *nl, const char *name, berth_error *err);
/* A veth pair: NAME here, PEER created directly in the namespace of peer_nsfd (-1: here) with the MAC
 * mac (NULL: the kernel's). */
int netlink_veth_add(struct netlink *nl, const char *name, const char *peer, int peer_nsfd, const uint8_t mac[6],
                     berth_error *err);
/* Removes a link (ENODEV when there is none). */
int netlink_link_del(struct netlink *nl, const char *name, berth_error *err);
int netlink_link_set_up(struct netlink *nl, const char *name, berth_error *err);
/* Makes NAME a port of the bridge MASTER. */
int netlink_link_set_master(struct netlink *nl, const char *name, const char *master, berth_error *err);
/* Hairpin mode on a bridge port: frames may leave through the port they came in (a container reaching its
 * own published port when br_netfilter DNATs at the bridge). */
int netlink_link_set_hairpin(struct netlink *nl, const char *name, berth_error *err);
/* The link's hardware address. */
int netlink_link_mac(struct netlink *nl, const char *name, uint8_t mac[6], berth_error *err);
/* ADDR/PREFIX on NAME; an address already there is fine. */
int netlink_addr_add(struct netlink *nl, const char *name, struct in_addr addr, int prefix, berth_error *err);
/* The default route through GW. */
int netlink_route_add_default(struct netlink *nl, struct in_addr gw, berth_error *err);

/* The IPv4 routes of the main table (destination, prefix), for picking a subnet no route covers. */
struct netlink_route {
        struct in_addr dst;
        int prefix;
};
int netlink_routes(struct netlink *nl, struct netlink_route **out, size_t *n, berth_error *err);
