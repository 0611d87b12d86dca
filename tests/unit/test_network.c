/* src/network: netlink and nftables against the kernel, inside network namespaces this test makes (the
 * host's network is never touched; everything goes when the process exits). What is asserted is what the
 * kernel shows: a UDP datagram crosses the bridge and veth, a TCP connection to 127.0.0.1:8080 in the "host"
 * namespace reaches a listener on the container's 10.99.0.2:80 through berth's DNAT, and the routes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "network/firewall.h"
#include "network/netlink.h"

static int host_ns = -1, cont_ns = -1;

static struct in_addr ip(const char *s)
{
        struct in_addr a;
        assert_int_equal(inet_pton(AF_INET, s, &a), 1);
        return a;
}

static int socket_in(int ns, int type)
{
        int fd;
        assert_int_equal(setns(ns, CLONE_NEWNET), 0);
        fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
        assert_int_equal(setns(host_ns, CLONE_NEWNET), 0);
        assert_true(fd >= 0);
        return fd;
}

static int setup(void **state)
{
        if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
                return 0;
        host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (unshare(CLONE_NEWNET) < 0)
                return -1;
        cont_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        return setns(host_ns, CLONE_NEWNET);
}

static void test_links(void **state)
{
        cleanup_netlink struct netlink *nl = NULL, *cnl = NULL;
        struct netlink_route *routes = NULL;
        size_t nroutes = 0;
        berth_error err = {0};
        uint8_t mac[6] = {0x02, 0x42, 0xac, 0x11, 0x00, 0x02}, got[6];
        int index;
        bool found = false;

        if (host_ns < 0)
                skip();
        assert_int_equal(netlink_open(&nl, &err), 0);
        assert_int_equal(netlink_open_in(cont_ns, &cnl, &err), 0);
        assert_int_equal(netlink_link_set_up(nl, "lo", &err), 0);
        assert_int_equal(netlink_bridge_add(nl, "brt0", &err), 0);
        assert_int_equal(netlink_bridge_add(nl, "brt0", &err), -EEXIST);
        berth_error_clear(&err);
        assert_int_equal(netlink_addr_add(nl, "brt0", ip("10.99.0.1"), 24, &err), 0);
        assert_int_equal(netlink_link_set_up(nl, "brt0", &err), 0);
        assert_int_equal(netlink_veth_add(nl, "vetht0", "eth0", cont_ns, mac, &err), 0);
        assert_int_equal(netlink_link_set_master(nl, "vetht0", "brt0", &err), 0);
        assert_int_equal(netlink_link_set_up(nl, "vetht0", &err), 0);
        assert_int_equal(netlink_link_index(cnl, "eth0", &index, &err), 0);
        assert_int_equal(netlink_link_index(nl, "eth0", &index, &err), -ENODEV); /* it is in the other namespace */
        berth_error_clear(&err);
        assert_int_equal(netlink_link_mac(cnl, "eth0", got, &err), 0);
        assert_memory_equal(got, mac, 6);
        assert_int_equal(netlink_link_set_up(cnl, "lo", &err), 0);
        assert_int_equal(netlink_link_set_up(cnl, "eth0", &err), 0);
        assert_int_equal(netlink_addr_add(cnl, "eth0", ip("10.99.0.2"), 24, &err), 0);
        assert_int_equal(netlink_route_add_default(cnl, ip("10.99.0.1"), &err), 0);

        assert_int_equal(netlink_routes(nl, &routes, &nroutes, &err), 0);
        for (size_t i = 0; i < nroutes; i++)
                if (routes[i].dst.s_addr == ip("10.99.0.0").s_addr && routes[i].prefix == 24)
                        found = true;
        free(routes);
        assert_true(found);

        /* A datagram from the host namespace to the container's address. */
        {
                cleanup_close int rx = socket_in(cont_ns, SOCK_DGRAM), tx = socket_in(host_ns, SOCK_DGRAM);
                struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(5000), .sin_addr = ip("10.99.0.2")};
                char buf[16] = {0};
                struct timeval tv = {.tv_sec = 5};
                assert_int_equal(bind(rx, (struct sockaddr *) &a, sizeof(a)), 0);
                setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                assert_int_equal(sendto(tx, "hello", 5, 0, (struct sockaddr *) &a, sizeof(a)), 5);
                assert_int_equal(recv(rx, buf, sizeof(buf), 0), 5);
                assert_string_equal(buf, "hello");
        }
        assert_int_equal(netlink_link_del(nl, "vetht0", &err), 0);
        assert_int_equal(netlink_link_index(cnl, "eth0", &index, &err), -ENODEV); /* the pair went together */
        berth_error_clear(&err);
}

static void write_sysctl(const char *path, const char *value)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, value, strlen(value)), (ssize_t) strlen(value));
        close(fd);
}

static void test_firewall(void **state)
{
        cleanup_netlink struct netlink *nl = NULL, *cnl = NULL;
        cleanup_firewall struct firewall *fw = NULL;
        berth_error err = {0};
        bool created = false;
        struct firewall_port port = {.proto = "tcp", .host_port = 8080, .addr = {0}, .port = 80};

        if (host_ns < 0)
                skip();
        port.addr = ip("10.99.0.2");
        assert_int_equal(netlink_open(&nl, &err), 0);
        assert_int_equal(netlink_open_in(cont_ns, &cnl, &err), 0);
        assert_int_equal(netlink_veth_add(nl, "vetht1", "eth0", cont_ns, NULL, &err), 0);
        assert_int_equal(netlink_link_set_master(nl, "vetht1", "brt0", &err), 0);
        assert_int_equal(netlink_link_set_up(nl, "vetht1", &err), 0);
        assert_int_equal(netlink_link_set_up(cnl, "eth0", &err), 0);
        assert_int_equal(netlink_addr_add(cnl, "eth0", ip("10.99.0.2"), 24, &err), 0);
        assert_int_equal(netlink_route_add_default(cnl, ip("10.99.0.1"), &err), 0);
        write_sysctl("/proc/sys/net/ipv4/conf/brt0/route_localnet", "1");

        if (firewall_open("berthtest", &fw, &err) < 0) {
                berth_error_clear(&err);
                skip();
        }
        if (firewall_ensure(fw, &created, &err) < 0) fail_msg("%s", berth_error_message(&err));
        assert_true(created);
        assert_int_equal(firewall_ensure(fw, &created, &err), 0);
        assert_false(created);
        assert_int_equal(firewall_network(fw, true, "brt0", ip("10.99.0.0"), 24, false, &err), 0);
        assert_int_equal(firewall_ports(fw, true, &port, 1, &err), 0);
        /* A second element for the same host port is refused by the kernel. */
        assert_true(firewall_ports(fw, true, &port, 1, &err) < 0);
        berth_error_clear(&err);

        {
                cleanup_close int lfd = socket_in(cont_ns, SOCK_STREAM), cfd = socket_in(host_ns, SOCK_STREAM), afd = -1;
                struct sockaddr_in la = {.sin_family = AF_INET, .sin_port = htons(80), .sin_addr = ip("10.99.0.2")};
                struct sockaddr_in ca = {.sin_family = AF_INET, .sin_port = htons(8080), .sin_addr = ip("127.0.0.1")};
                struct sockaddr_in peer;
                socklen_t plen = sizeof(peer);
                char buf[8] = {0};
                assert_int_equal(bind(lfd, (struct sockaddr *) &la, sizeof(la)), 0);
                assert_int_equal(listen(lfd, 1), 0);
                assert_int_equal(connect(cfd, (struct sockaddr *) &ca, sizeof(ca)), 0);
                afd = accept(lfd, (struct sockaddr *) &peer, &plen);
                assert_true(afd >= 0);
                /* masqueraded: the container sees the bridge's address, not 127.0.0.1 */
                assert_int_equal(peer.sin_addr.s_addr, ip("10.99.0.1").s_addr);
                assert_int_equal(write(cfd, "ping", 4), 4);
                assert_int_equal(read(afd, buf, sizeof(buf)), 4);
                assert_string_equal(buf, "ping");
                close(afd);
        }
        assert_int_equal(firewall_ports(fw, false, &port, 1, &err), 0);
        {
                cleanup_close int cfd = socket_in(host_ns, SOCK_STREAM);
                struct sockaddr_in ca = {.sin_family = AF_INET, .sin_port = htons(8080), .sin_addr = ip("127.0.0.1")};
                /* the element is gone: nothing listens on 127.0.0.1:8080 */
                assert_int_equal(connect(cfd, (struct sockaddr *) &ca, sizeof(ca)), -1);
                assert_int_equal(errno, ECONNREFUSED);
        }
        assert_int_equal(firewall_network(fw, false, "brt0", ip("10.99.0.0"), 24, false, &err), 0);
        assert_int_equal(firewall_delete(fw, &err), 0);
        assert_true(firewall_run(fw, "list table ip berthtest", &err) < 0);
        berth_error_clear(&err);
        assert_int_equal(netlink_link_del(nl, "vetht1", &err), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_links),
                cmocka_unit_test(test_firewall),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
