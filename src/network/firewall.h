/* berth's nftables rules, programmed in-process through libnftables (loaded with dlopen on first use, so that
 * commands that touch no network do not pay for it). Everything lives in one table of berth's own
 * (`ip berth`): nothing else is flushed, reordered or read. The table holds fixed rules over sets and maps;
 * a network or a published port is one set element, added and removed atomically:
 *
 *   set subnets   { ipv4_addr, interval }       outbound masquerade (and hairpin) for these sources
 *   set bridges   { ifname }                    127.0.0.1 to a container through route_localnet
 *   set internal  { ifname }                    --internal networks: no forwarding out of the bridge
 *   map ports_any { proto . port : addr . port } -p PORT:CPORT (every host address)
 *   map ports_ip  { addr . proto . port : addr . port } -p IP:PORT:CPORT
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

struct firewall;

/* table: the nftables table's name ("berth"). */
int firewall_open(const char *table, struct firewall **out, berth_error *err);
void firewall_close(struct firewall *fw);
static inline void firewall_close_ptr(struct firewall **fw)
{
        if (*fw != NULL)
                firewall_close(*fw);
}
#define cleanup_firewall __attribute__((cleanup(firewall_close_ptr)))

/* Creates the table with its chains, sets and rules when it is missing (after `nft flush ruleset`, too).
 * *created: it was missing (the caller then adds its elements again). */
int firewall_ensure(struct firewall *fw, bool *created, berth_error *err);
/* Deletes the table (tests, `network reload` before a rebuild). */
int firewall_delete(struct firewall *fw, berth_error *err);

/* A network: its subnet masqueraded, its bridge in the bridge (and internal) sets. */
int firewall_network(struct firewall *fw, bool add, const char *bridge, struct in_addr subnet, int prefix,
                     bool internal, berth_error *err);

/* One published port: proto "tcp"/"udp"/"sctp", host_ip 0 for every host address. */
struct firewall_port {
        struct in_addr host_ip;
        const char *proto;
        uint16_t host_port;
        struct in_addr addr;
        uint16_t port;
};
int firewall_ports(struct firewall *fw, bool add, const struct firewall_port *p, size_t n, berth_error *err);

/* Runs nftables commands in berth's table (the text names the table itself). */
int firewall_run(struct firewall *fw, const char *cmds, berth_error *err);

/* Whether berth's table exists, asked through nfnetlink directly (libmnl): no libnftables loaded, so the
 * common case (the table is there) costs one netlink round trip. */
int firewall_table_exists(const char *table, bool *exists, berth_error *err);

/* One published port's map element, created (EEXIST when the key is there) or deleted (ENOENT when not),
 * through nfnetlink directly (libmnl): no libnftables. The table and its maps must exist. */
int firewall_ports_netlink(const char *table, bool add, const struct firewall_port *p, berth_error *err);
