/* Published ports' map elements over nfnetlink directly (libmnl): one batch with NFT_MSG_NEWSETELEM (create:
 * an element already there is EEXIST) or NFT_MSG_DELSETELEM, without loading libnftables, which costs tens
 * of milliseconds per start and per stop of a container that publishes ports. The keys and values are laid
 * out as nftables lays out concatenations: each field in its own 32-bit register (protocol: 1 byte, port: 2
 * bytes in network order, address: 4 bytes, each padded to 4). */
#include "network/firewall.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netdb.h>
#include <string.h>
#include <time.h>

#include "lib/cleanup.h"

static void close_mnl(struct mnl_socket **s)
{
        if (*s != NULL)
                mnl_socket_close(*s);
}

static int proto_number(const char *proto)
{
        return strcmp(proto, "udp") == 0 ? IPPROTO_UDP : strcmp(proto, "sctp") == 0 ? IPPROTO_SCTP : IPPROTO_TCP;
}

static struct nlmsghdr *batch_msg(char *buf, uint16_t type, uint32_t seq)
{
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct nfgenmsg *nfg;

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST;
        nlh->nlmsg_seq = seq;
        nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
        nfg->nfgen_family = AF_UNSPEC;
        nfg->version = NFNETLINK_V0;
        nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
        return nlh;
}

int firewall_ports_netlink(const char *table, bool add, const struct firewall_port *p, berth_error *err)
{
        __attribute__((cleanup(close_mnl))) struct mnl_socket *sock = NULL;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct mnl_nlmsg_batch *batch;
        struct nlmsghdr *nlh;
        struct nfgenmsg *nfg;
        struct nlattr *list, *elem, *nest;
        uint8_t key[12] = {0}, data[8] = {0};
        size_t klen = 0;
        uint32_t seq = (uint32_t) time(NULL), portid, elem_seq;
        uint16_t hport = htons(p->host_port), cport = htons(p->port);
        ssize_t n;
        int r, ret = 0;

        if (p->host_ip.s_addr != 0) {
                memcpy(key, &p->host_ip.s_addr, 4);
                klen = 4;
        }
        key[klen] = (uint8_t) proto_number(p->proto);
        memcpy(key + klen + 4, &hport, 2);
        klen += 8;
        memcpy(data, &p->addr.s_addr, 4);
        memcpy(data + 4, &cport, 2);

        batch = mnl_nlmsg_batch_start(buf, sizeof(buf));
        batch_msg(mnl_nlmsg_batch_current(batch), NFNL_MSG_BATCH_BEGIN, seq++);
        mnl_nlmsg_batch_next(batch);
        nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(batch));
        nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | (add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM);
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
        nlh->nlmsg_seq = elem_seq = seq++;
        nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
        nfg->nfgen_family = NFPROTO_IPV4;
        nfg->version = NFNETLINK_V0;
        nfg->res_id = 0;
        mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
        mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, p->host_ip.s_addr != 0 ? "ports_ip" : "ports_any");
        list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
        elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
        nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
        mnl_attr_put(nlh, NFTA_DATA_VALUE, klen, key);
        mnl_attr_nest_end(nlh, nest);
        if (add) {
                nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
                mnl_attr_put(nlh, NFTA_DATA_VALUE, sizeof(data), data);
                mnl_attr_nest_end(nlh, nest);
        }
        mnl_attr_nest_end(nlh, elem);
        mnl_attr_nest_end(nlh, list);
        mnl_nlmsg_batch_next(batch);
        batch_msg(mnl_nlmsg_batch_current(batch), NFNL_MSG_BATCH_END, seq++);
        mnl_nlmsg_batch_next(batch);

        sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
        if (sock == NULL)
                return berth_fail(err, errno, "netlink socket (NETLINK_NETFILTER)");
        if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0)
                return berth_fail(err, errno, "bind netlink socket (NETLINK_NETFILTER)");
        portid = mnl_socket_get_portid(sock);
        if (mnl_socket_sendto(sock, mnl_nlmsg_batch_head(batch), mnl_nlmsg_batch_size(batch)) < 0)
                return berth_fail(err, errno, "send nftables elements of table ip %s", table);
        mnl_nlmsg_batch_stop(batch);
        /* One ack: the element's (the batch messages are not acked without NLM_F_ACK). */
        for (;;) {
                n = mnl_socket_recvfrom(sock, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return berth_fail(err, errno, "read nftables' answer (table ip %s)", table);
                r = mnl_cb_run(buf, (size_t) n, elem_seq, portid, NULL, NULL);
                if (r < 0) {
                        ret = -errno;
                        break;
                }
                if (r == MNL_CB_STOP)
                        break;
        }
        if (ret < 0)
                return berth_fail(err, -ret, "%s the element of port %s/%u in table ip %s", add ? "create" : "delete",
                                  p->proto, p->host_port, table);
        return 0;
}
