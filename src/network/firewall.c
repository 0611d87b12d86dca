#include "network/firewall.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/util.h"

/* The part of libnftables.h berth uses (the library is dlopen'ed: no link-time dependency). */
struct nft_ctx;
#define NFT_CTX_DEFAULT 0

struct firewall {
        void *lib;
        struct nft_ctx *ctx;
        char *table;
        struct nft_ctx *(*ctx_new)(uint32_t flags);
        void (*ctx_free)(struct nft_ctx *ctx);
        int (*buffer_error)(struct nft_ctx *ctx);
        int (*buffer_output)(struct nft_ctx *ctx);
        const char *(*get_error)(struct nft_ctx *ctx);
        int (*run)(struct nft_ctx *ctx, const char *buf);
};

int firewall_open(const char *table, struct firewall **out, berth_error *err)
{
        struct firewall *fw = xzalloc(sizeof(*fw));

        fw->lib = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
        if (fw->lib == NULL) {
                free(fw);
                return berth_failf(err, ENOENT, "nftables: %s (install libnftables1)", dlerror());
        }
        fw->ctx_new = (struct nft_ctx * (*) (uint32_t)) dlsym(fw->lib, "nft_ctx_new");
        fw->ctx_free = (void (*)(struct nft_ctx *)) dlsym(fw->lib, "nft_ctx_free");
        fw->buffer_error = (int (*)(struct nft_ctx *)) dlsym(fw->lib, "nft_ctx_buffer_error");
        fw->buffer_output = (int (*)(struct nft_ctx *)) dlsym(fw->lib, "nft_ctx_buffer_output");
        fw->get_error = (const char *(*) (struct nft_ctx *)) dlsym(fw->lib, "nft_ctx_get_error_buffer");
        fw->run = (int (*)(struct nft_ctx *, const char *)) dlsym(fw->lib, "nft_run_cmd_from_buffer");
        if (fw->ctx_new == NULL || fw->ctx_free == NULL || fw->buffer_error == NULL || fw->buffer_output == NULL ||
            fw->get_error == NULL || fw->run == NULL) {
                dlclose(fw->lib);
                free(fw);
                return berth_failf(err, ENOSYS, "nftables: libnftables.so.1 lacks the functions berth calls");
        }
        fw->ctx = fw->ctx_new(NFT_CTX_DEFAULT);
        if (fw->ctx == NULL) {
                dlclose(fw->lib);
                free(fw);
                return berth_failf(err, ENOMEM, "nftables: nft_ctx_new failed");
        }
        fw->buffer_error(fw->ctx);
        fw->buffer_output(fw->ctx);
        fw->table = xstrdup(table);
        *out = fw;
        return 0;
}

void firewall_close(struct firewall *fw)
{
        if (fw->ctx != NULL)
                fw->ctx_free(fw->ctx);
        if (fw->lib != NULL)
                dlclose(fw->lib);
        free(fw->table);
        free(fw);
}

int firewall_run(struct firewall *fw, const char *cmds, berth_error *err)
{
        if (fw->run(fw->ctx, cmds) != 0) {
                cleanup_free char *msg = xstrdup(fw->get_error(fw->ctx));
                size_t len = strlen(msg);
                while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
                        msg[--len] = '\0';
                for (char *p = msg; *p; p++)
                        if (*p == '\n')
                                *p = ' ';
                return berth_failf(err, EIO, "nftables (table ip %s): %s", fw->table, msg);
        }
        return 0;
}

int firewall_ensure(struct firewall *fw, bool *created, berth_error *err)
{
        cleanup_free char *probe = xasprintf("list chain ip %s postrouting", fw->table);
        cleanup_free char *cmds = NULL;
        const char *t = fw->table;

        *created = false;
        if (fw->run(fw->ctx, probe) == 0)
                return 0;
        fw->get_error(fw->ctx); /* drains the probe's message */
        /* One transaction: either the whole table or nothing. */
        cmds = xasprintf(
                "table ip %s {\n"
                " set subnets { type ipv4_addr; flags interval; }\n"
                " set bridges { type ifname; }\n"
                " set internal { type ifname; }\n"
                " map ports_any { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
                " map ports_ip { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }\n"
                " chain prerouting { type nat hook prerouting priority -100; policy accept;\n"
                "  fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @ports_ip\n"
                "  fib daddr type local dnat ip to meta l4proto . th dport map @ports_any\n }\n"
                " chain output { type nat hook output priority -100; policy accept;\n"
                "  fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @ports_ip\n"
                "  fib daddr type local dnat ip to meta l4proto . th dport map @ports_any\n }\n"
                " chain postrouting { type nat hook postrouting priority 100; policy accept;\n"
                "  oifname @bridges ip saddr 127.0.0.0/8 masquerade\n"
                "  oifname @bridges ct status dnat ip saddr @subnets masquerade\n"
                "  oifname != @bridges ip saddr @subnets masquerade\n }\n"
                " chain forward { type filter hook forward priority 0; policy accept;\n"
                "  iifname @internal oifname != @internal drop\n"
                "  oifname @internal iifname != @internal drop\n }\n"
                "}\n",
                t);
        if (firewall_run(fw, cmds, err) < 0)
                return -EIO;
        *created = true;
        return 0;
}

int firewall_delete(struct firewall *fw, berth_error *err)
{
        cleanup_free char *probe = xasprintf("list table ip %s", fw->table);
        cleanup_free char *cmd = xasprintf("delete table ip %s", fw->table);

        if (fw->run(fw->ctx, probe) != 0) {
                fw->get_error(fw->ctx);
                return 0;
        }
        return firewall_run(fw, cmd, err);
}

int firewall_network(struct firewall *fw, bool add, const char *bridge, struct in_addr subnet, int prefix,
                     bool internal, berth_error *err)
{
        char net[INET_ADDRSTRLEN];
        cleanup_free char *cmds = NULL;
        const char *op = add ? "add" : "delete";
        int r;

        inet_ntop(AF_INET, &subnet, net, sizeof(net));
        cmds = xasprintf("%s element ip %s subnets { %s/%d }\n%s element ip %s bridges { \"%s\" }\n", op, fw->table, net,
                         prefix, op, fw->table, bridge);
        if (internal) {
                char *more = xasprintf("%s%s element ip %s internal { \"%s\" }\n", cmds, op, fw->table, bridge);
                free(cmds);
                cmds = more;
        }
        if (add) {
                /* add element fails on an element already there: delete what may remain first. */
                berth_error ignored = {0};
                firewall_network(fw, false, bridge, subnet, prefix, internal, &ignored);
                berth_error_clear(&ignored);
        }
        r = firewall_run(fw, cmds, err);
        return r;
}

int firewall_ports(struct firewall *fw, bool add, const struct firewall_port *p, size_t n, berth_error *err)
{
        size_t cap = 256 + n * 160, len = 0;
        cleanup_free char *cmds = xmalloc(cap);
        const char *op = add ? "create" : "delete"; /* create: an element already there is an error */

        cmds[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                char hip[INET_ADDRSTRLEN], addr[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &p[i].host_ip, hip, sizeof(hip));
                inet_ntop(AF_INET, &p[i].addr, addr, sizeof(addr));
                cleanup_free char *value = add ? xasprintf(" : %s . %u", addr, p[i].port) : xstrdup("");
                if (p[i].host_ip.s_addr == 0)
                        len += (size_t) snprintf(cmds + len, cap - len, "%s element ip %s ports_any { %s . %u%s }\n", op,
                                                 fw->table, p[i].proto, p[i].host_port, value);
                else
                        len += (size_t) snprintf(cmds + len, cap - len, "%s element ip %s ports_ip { %s . %s . %u%s }\n", op,
                                                 fw->table, hip, p[i].proto, p[i].host_port, value);
        }
        if (n == 0)
                return 0;
        return firewall_run(fw, cmds, err);
}
