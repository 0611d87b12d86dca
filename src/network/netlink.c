#include "network/netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <arpa/inet.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"

struct netlink {
        struct mnl_socket *sock;
        uint32_t seq, portid;
};

int netlink_open(struct netlink **out, berth_error *err)
{
        struct netlink *nl = xzalloc(sizeof(*nl));

        nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (nl->sock == NULL) {
                free(nl);
                return berth_fail(err, errno, "netlink socket (NETLINK_ROUTE)");
        }
        if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
                int e = errno;
                netlink_close(nl);
                return berth_fail(err, e, "bind netlink socket");
        }
        nl->portid = mnl_socket_get_portid(nl->sock);
        nl->seq = (uint32_t) time(NULL);
        *out = nl;
        return 0;
}

int netlink_open_in(int nsfd, struct netlink **out, berth_error *err)
{
        cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        int r;

        if (self < 0)
                return berth_fail(err, errno, "open /proc/self/ns/net");
        if (setns(nsfd, CLONE_NEWNET) < 0)
                return berth_fail(err, errno, "setns into the container's network namespace");
        r = netlink_open(out, err);
        if (setns(self, CLONE_NEWNET) < 0)
                abort(); /* cannot go on in the wrong namespace */
        return r;
}

void netlink_close(struct netlink *nl)
{
        if (nl->sock != NULL)
                mnl_socket_close(nl->sock);
        free(nl);
}

static struct nlmsghdr *msg_start(struct netlink *nl, char *buf, uint16_t type, uint16_t flags)
{
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        nlh->nlmsg_seq = ++nl->seq;
        return nlh;
}

/* Sends one request and reads until its ack (or the end of a dump), calling cb on each message. Returns -1
 * with errno set (the kernel's answer) on failure; the callers name what failed. */
static int transact(struct netlink *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        uint32_t seq = nlh->nlmsg_seq;
        ssize_t n;
        int r;

        if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
                return -1;
        for (;;) {
                n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -1;
                }
                r = mnl_cb_run(buf, (size_t) n, seq, nl->portid, cb, data);
                if (r < 0)
                        return -1;
                if (r == MNL_CB_STOP)
                        return 0;
        }
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
        const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
        int *index = data;

        if (nlh->nlmsg_type == RTM_NEWLINK)
                *index = ifm->ifi_index;
        return MNL_CB_OK;
}

int netlink_link_index(struct netlink *nl, const char *name, int *index, berth_error *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = msg_start(nl, buf, RTM_GETLINK, 0);
        struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
        int r;

        ifm->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        *index = 0;
        if ((r = transact(nl, nlh, link_cb, index)) < 0 || *index == 0)
                return berth_failf(err, ENODEV, "no network interface %s", name);
        return 0;
}

int netlink_bridge_add(struct netlink *nl, const char *name, berth_error *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = msg_start(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
        struct nlattr *info;

        ifm->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
        mnl_attr_nest_end(nlh, info);
        if (transact(nl, nlh, NULL, NULL) < 0)
                return berth_fail(err, errno, "create bridge %s", name);
        return 0;
}

int netlink_veth_add(struct netlink *nl, const char *name, const char *peer, int peer_nsfd, const uint8_t mac[6],
                     berth_error *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = msg_start(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm)), *pifm;
        struct nlattr *info, *data, *pinfo;

        ifm->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
        data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
        pinfo = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
        pifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifm));
        pifm->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
        if (peer_nsfd >= 0)
                mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t) peer_nsfd);
        if (mac != NULL)
                mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
        mnl_attr_nest_end(nlh, pinfo);
        mnl_attr_nest_end(nlh, data);
        mnl_attr_nest_end(nlh, info);
        if (transact(nl, nlh, NULL, NULL) < 0)
                return berth_fail(err, errno, "create veth pair %s/%s", name, peer);
        return 0;
}

int netlink_link_del(struct netlink *nl, const char *name, berth_error *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = msg_start(nl, buf, RTM_DELLINK, 0);
        struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

        ifm->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        if (transact(nl, nlh, NULL, NULL) < 0)
                return berth_fail(err, errno, "delete network interface %s", name);
        return 0;
}

static int set_link(struct netlink *nl, const char *name, unsigned up, int master, berth_error *err, const char *what)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = msg_start(nl, buf, RTM_NEWLINK, 0);
        struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

        ifm->ifi_family = AF_UNSPEC;
        if (up) {
                ifm->ifi_change = IFF_UP;
                ifm->ifi_flags = IFF_UP;
        }
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        if (master > 0)
                mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t) master);
        if (transact(nl, nlh, NULL, NULL) < 0)
                return berth_fail(err, errno, "%s %s", what, name);
        return 0;
}

int netlink_link_set_up(struct netlink *nl, const char *name, berth_error *err)
{
        return set_link(nl, name, 1, 0, err, "set up network interface");
}

int netlink_link_set_master(struct netlink *nl, const char *name, const char *master, berth_error *err)
{
        int index, r;

        if ((r = netlink_link_index(nl, master, &index, err)) < 0)
                return r;
        return set_link(nl, name, 0, index, err, "attach to its bridge the network interface");
}

int netlink_link_set_hairpin(struct netlink *nl, const char *name, berth_error *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = msg_start(nl, buf, RTM_SETLINK, 0);
        struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
        struct nlattr *prot;
        int index, r;

        if ((r = netlink_link_index(nl, name, &index, err)) < 0)
                return r;
        ifm->ifi_family = AF_BRIDGE;
        ifm->ifi_index = index;
        prot = mnl_attr_nest_start(nlh, IFLA_PROTINFO | NLA_F_NESTED);
        mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, 1);
        mnl_attr_nest_end(nlh, prot);
        if (transact(nl, nlh, NULL, NULL) < 0)
                return berth_fail(err, errno, "set hairpin mode on bridge port %s", name);
        return 0;
}

struct mac_query {
        uint8_t *mac;
        bool found;
};

static int mac_attr_cb(const struct nlattr *a, void *data)
{
        struct mac_query *q = data;

        if (mnl_attr_get_type(a) == IFLA_ADDRESS && mnl_attr_get_payload_len(a) == 6) {
                memcpy(q->mac, mnl_attr_get_payload(a), 6);
                q->found = true;
        }
        return MNL_CB_OK;
}

static int mac_cb(const struct nlmsghdr *nlh, void *data)
{
        if (nlh->nlmsg_type == RTM_NEWLINK)
                mnl_attr_parse(nlh, sizeof(struct ifinfomsg), mac_attr_cb, data);
        return MNL_CB_OK;
}

int netlink_link_mac(struct netlink *nl, const char *name, uint8_t mac[6], berth_error *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = msg_start(nl, buf, RTM_GETLINK, 0);
        struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
        struct mac_query q = {.mac = mac};

        ifm->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        if (transact(nl, nlh, mac_cb, &q) < 0 || !q.found)
                return berth_failf(err, ENODEV, "no hardware address for network interface %s", name);
        return 0;
}

int netlink_addr_add(struct netlink *nl, const char *name, struct in_addr addr, int prefix, berth_error *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE], text[INET_ADDRSTRLEN];
        struct nlmsghdr *nlh;
        struct ifaddrmsg *ifa;
        int index, r;

        if ((r = netlink_link_index(nl, name, &index, err)) < 0)
                return r;
        nlh = msg_start(nl, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
        ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = (unsigned char) prefix;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = (unsigned) index;
        mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
        mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
        if (prefix < 31) {
                struct in_addr bcast = {.s_addr = addr.s_addr | htonl(prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1)};
                mnl_attr_put(nlh, IFA_BROADCAST, sizeof(bcast), &bcast);
        }
        if (transact(nl, nlh, NULL, NULL) < 0)
                return berth_fail(err, errno, "add address %s/%d to %s", inet_ntop(AF_INET, &addr, text, sizeof(text)),
                                  prefix, name);
        return 0;
}

int netlink_route_add_default(struct netlink *nl, struct in_addr gw, berth_error *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE], text[INET_ADDRSTRLEN];
        struct nlmsghdr *nlh = msg_start(nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
        struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

        rtm->rtm_family = AF_INET;
        rtm->rtm_table = RT_TABLE_MAIN;
        rtm->rtm_protocol = RTPROT_BOOT;
        rtm->rtm_scope = RT_SCOPE_UNIVERSE;
        rtm->rtm_type = RTN_UNICAST;
        mnl_attr_put(nlh, RTA_GATEWAY, sizeof(gw), &gw);
        if (transact(nl, nlh, NULL, NULL) < 0)
                return berth_fail(err, errno, "add default route via %s", inet_ntop(AF_INET, &gw, text, sizeof(text)));
        return 0;
}

struct route_list {
        struct netlink_route *v;
        size_t n;
};

struct route_one {
        struct netlink_route r;
        bool main;
};

static int route_attr_cb(const struct nlattr *a, void *data)
{
        struct route_one *one = data;

        if (mnl_attr_get_type(a) == RTA_DST && mnl_attr_get_payload_len(a) == 4)
                memcpy(&one->r.dst, mnl_attr_get_payload(a), 4);
        if (mnl_attr_get_type(a) == RTA_TABLE && mnl_attr_get_payload_len(a) == 4)
                one->main = mnl_attr_get_u32(a) == RT_TABLE_MAIN;
        return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
        struct route_list *l = data;
        const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
        struct route_one one = {.r.prefix = rtm->rtm_dst_len, .main = rtm->rtm_table == RT_TABLE_MAIN};

        if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET)
                return MNL_CB_OK;
        mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, &one);
        if (!one.main || one.r.prefix == 0) /* the default route collides with nothing */
                return MNL_CB_OK;
        l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
        l->v[l->n++] = one.r;
        return MNL_CB_OK;
}

int netlink_routes(struct netlink *nl, struct netlink_route **out, size_t *n, berth_error *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = msg_start(nl, buf, RTM_GETROUTE, NLM_F_DUMP);
        struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
        struct route_list l = {0};

        rtm->rtm_family = AF_INET;
        if (transact(nl, nlh, route_cb, &l) < 0) {
                free(l.v);
                return berth_fail(err, errno, "list the host's routes");
        }
        *out = l.v;
        *n = l.n;
        return 0;
}
