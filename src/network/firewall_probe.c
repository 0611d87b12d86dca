/* The one question about berth's nftables table asked without libnftables: is it there? One NFT_MSG_GETTABLE
 * over nfnetlink (libmnl), answered with the table or ENOENT. After `nft flush ruleset` or a firewalld reload
 * the answer is no, and the caller rebuilds the table through firewall.c. */
#include "network/firewall.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <time.h>

#include "lib/cleanup.h"

static void close_mnl(struct mnl_socket **s)
{
        if (*s != NULL)
                mnl_socket_close(*s);
}

int firewall_table_exists(const char *table, bool *exists, berth_error *err)
{
        __attribute__((cleanup(close_mnl))) struct mnl_socket *sock = NULL;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct nfgenmsg *nfg;
        uint32_t seq = (uint32_t) time(NULL), portid;
        ssize_t n;
        int r;

        nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
        nlh->nlmsg_seq = seq;
        nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
        nfg->nfgen_family = NFPROTO_IPV4;
        nfg->version = NFNETLINK_V0;
        nfg->res_id = 0;
        mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table);

        sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
        if (sock == NULL)
                return berth_fail(err, errno, "netlink socket (NETLINK_NETFILTER)");
        if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0)
                return berth_fail(err, errno, "bind netlink socket (NETLINK_NETFILTER)");
        portid = mnl_socket_get_portid(sock);
        if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0)
                return berth_fail(err, errno, "ask nftables for table ip %s", table);
        for (;;) {
                n = mnl_socket_recvfrom(sock, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return berth_fail(err, errno, "read nftables' answer about table ip %s", table);
                r = mnl_cb_run(buf, (size_t) n, seq, portid, NULL, NULL);
                if (r < 0) {
                        if (errno == ENOENT) {
                                *exists = false;
                                return 0;
                        }
                        return berth_fail(err, errno, "ask nftables for table ip %s", table);
                }
                if (r == MNL_CB_STOP) {
                        *exists = true;
                        return 0;
                }
        }
}
