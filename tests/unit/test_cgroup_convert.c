/* Unit tests for the pure conversions between runtime-spec values and cgroup files (shares -> cpu.weight,
 * blkio weight -> io.weight, swap -> memory.swap.max, io.max and blkio.throttle lines), and for the parsing
 * of /proc/self/mountinfo and /proc/self/cgroup that decides the layout and the paths. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/cgroup_internal.h"
#include "lib/cleanup.h"

static void test_shares_to_weight(void **state)
{
        (void) state;
        /* The log-quadratic mapping of crun >= 1.23 / runc >= 1.3.2: the ends and the default line up. */
        assert_int_equal(cgroup_cpu_shares_to_weight(0), 0);
        assert_int_equal(cgroup_cpu_shares_to_weight(1), 1);
        assert_int_equal(cgroup_cpu_shares_to_weight(2), 1);
        assert_int_equal(cgroup_cpu_shares_to_weight(1024), 100);
        assert_int_equal(cgroup_cpu_shares_to_weight(262144), 10000);
        assert_int_equal(cgroup_cpu_shares_to_weight(1000000), 10000);
        /* Values computed with the published formula (ceil(10^((l^2 + 125 l)/612 - 7/34)), l = log2 shares). */
        assert_int_equal(cgroup_cpu_shares_to_weight(3), 2);
        assert_int_equal(cgroup_cpu_shares_to_weight(100), 17);
        assert_int_equal(cgroup_cpu_shares_to_weight(512), 59);
        assert_int_equal(cgroup_cpu_shares_to_weight(2048), 174);
        assert_int_equal(cgroup_cpu_shares_to_weight(10000), 627);
        assert_int_equal(cgroup_cpu_shares_to_weight(262143), 10000);
        /* Monotonic over the whole range. */
        for (uint64_t s = 3, prev = 1; s <= 262144; s += 97) {
                uint64_t w = cgroup_cpu_shares_to_weight(s);
                assert_true(w >= prev && w >= 1 && w <= 10000);
                prev = w;
        }
}

static void test_blkio_weight(void **state)
{
        (void) state;
        assert_int_equal(cgroup_blkio_weight_to_io_weight(0), 0);
        assert_int_equal(cgroup_blkio_weight_to_io_weight(10), 1);
        assert_int_equal(cgroup_blkio_weight_to_io_weight(1000), 10000);
        assert_int_equal(cgroup_blkio_weight_to_io_weight(500), 1 + 490 * 9999 / 990);
        assert_int_equal(cgroup_blkio_weight_to_io_weight(5), 1);
}

static void test_swap_to_v2(void **state)
{
        berth_error err = {0};
        int64_t out;

        (void) state;
        /* swap = memory+swap; v2's swap.max is the swap alone. */
        assert_int_equal(cgroup_memory_swap_to_v2(true, 64 << 20, true, 32 << 20, &out, &err), 0);
        assert_int_equal(out, 32 << 20);
        assert_int_equal(cgroup_memory_swap_to_v2(true, 32 << 20, true, 32 << 20, &out, &err), 0);
        assert_int_equal(out, 0); /* swap == limit: no swap at all */
        assert_int_equal(cgroup_memory_swap_to_v2(true, -1, true, 32 << 20, &out, &err), 0);
        assert_int_equal(out, -1);
        assert_int_equal(cgroup_memory_swap_to_v2(false, 0, true, -1, &out, &err), 0);
        assert_int_equal(out, -1); /* unlimited memory, swap not said: unlimited too (runc) */
        assert_int_equal(cgroup_memory_swap_to_v2(false, 0, true, 32 << 20, &out, &err), 0);
        assert_true(out == INT64_MIN); /* nothing to write */
        assert_int_equal(cgroup_memory_swap_to_v2(true, 64 << 20, false, 0, &out, &err), -EINVAL);
        assert_non_null(strstr(berth_error_message(&err), "without a memory limit"));
        berth_error_clear(&err);
        assert_int_equal(cgroup_memory_swap_to_v2(true, 16 << 20, true, 32 << 20, &out, &err), -EINVAL);
        assert_non_null(strstr(berth_error_message(&err), "is below memory.limit"));
        berth_error_clear(&err);
}

static void test_lines(void **state)
{
        struct cgroup_throttle_device d = {8, 16, 1048576}, zero = {7, 0, 0};
        char buf[32];
        char *s;

        (void) state;
        assert_string_equal(cgroup_format_limit(-1, buf, sizeof(buf)), "max");
        assert_string_equal(cgroup_format_limit(42, buf, sizeof(buf)), "42");
        s = cgroup_io_max_line(&d, CG_THROTTLE_READ_BPS);
        assert_string_equal(s, "8:16 rbps=1048576");
        free(s);
        s = cgroup_io_max_line(&d, CG_THROTTLE_WRITE_IOPS);
        assert_string_equal(s, "8:16 wiops=1048576");
        free(s);
        s = cgroup_io_max_line(&zero, CG_THROTTLE_WRITE_BPS);
        assert_string_equal(s, "7:0 wbps=max");
        free(s);
        s = cgroup_v1_throttle_line(&d);
        assert_string_equal(s, "8:16 1048576");
        free(s);
        assert_string_equal(cgroup_v1_throttle_file(CG_THROTTLE_READ_IOPS), "blkio.throttle.read_iops_device");
        assert_string_equal(cgroup_v1_throttle_file(CG_THROTTLE_WRITE_BPS), "blkio.throttle.write_bps_device");
}

static void test_hugepage_names(void **state)
{
        char *s;

        (void) state;
        s = cgroup_hugepage_dir_to_size("hugepages-2048kB");
        assert_string_equal(s, "2MB");
        free(s);
        s = cgroup_hugepage_dir_to_size("hugepages-1048576kB");
        assert_string_equal(s, "1GB");
        free(s);
        s = cgroup_hugepage_dir_to_size("hugepages-64kB");
        assert_string_equal(s, "64KB");
        free(s);
        assert_null(cgroup_hugepage_dir_to_size("nr_hugepages"));
}

static void test_controllers_and_keys(void **state)
{
        (void) state;
        assert_int_equal(cgroup_controllers_parse("cpuset cpu io memory hugetlb pids rdma misc\n", ' ', true),
                         CG_BIT(CG_CPUSET) | CG_BIT(CG_CPU) | CG_BIT(CG_BLKIO) | CG_BIT(CG_MEMORY) | CG_BIT(CG_HUGETLB) |
                                 CG_BIT(CG_PIDS) | CG_BIT(CG_RDMA) | CG_BIT(CG_MISC));
        assert_int_equal(cgroup_controllers_parse("cpu,cpuacct", ',', false), CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT));
        assert_int_equal(cgroup_controllers_parse("", ' ', true), 0);
        assert_string_equal(cgroup_controller_name(CG_BLKIO, true), "io");
        assert_string_equal(cgroup_controller_name(CG_BLKIO, false), "blkio");
        assert_int_equal(cgroup_keyed_value("low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\n", "oom_kill"), 1);
        assert_int_equal(cgroup_keyed_value("low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\n", "oom"), 2);
        assert_int_equal(cgroup_keyed_value("oom_kill_disable 0\nunder_oom 0\noom_kill 4\n", "oom_kill"), 4);
        assert_int_equal(cgroup_keyed_value("usage_usec 10\n", "nr_periods"), 0);
}

/* The hybrid layout of the development machine, a v2 host, a bind-mounted nested view, a space in a path. */
static const char hybrid_mountinfo[] =
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
        "42 31 0:29 / /mnt/cpu\\040again rw,relatime - cgroup cgroup rw,cpu\n"
        "50 23 0:40 /berth/x /nested/cg rw,relatime shared:5 master:3 - cgroup cgroup rw,freezer,pids\n";

static void test_mountinfo(void **state)
{
        struct cgroup_mount *m = NULL;
        size_t n = 0;

        (void) state;
        assert_int_equal(cgroup_parse_mountinfo(hybrid_mountinfo, &m, &n), 0);
        assert_int_equal(n, 6); /* the second mount of the cpu hierarchy is the same hierarchy */
        assert_string_equal(m[0].mountpoint, "/sys/fs/cgroup/cpu");
        assert_string_equal(m[0].options, "cpu");
        assert_int_equal(m[0].controllers, CG_BIT(CG_CPU));
        assert_false(m[0].v2);
        assert_string_equal(m[3].options, "name=systemd");
        assert_int_equal(m[3].controllers, 0);
        assert_true(m[4].v2);
        assert_string_equal(m[4].mountpoint, "/sys/fs/cgroup/unified");
        assert_string_equal(m[5].root, "/berth/x");
        assert_string_equal(m[5].options, "freezer,pids");
        cgroup_mounts_free(m, n);

        assert_int_equal(cgroup_parse_mountinfo("30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
                                                "31 1 0:26 / /sys/fs/cgroup/spaced\\040dir rw - cgroup2 cgroup2 rw\n",
                                                &m, &n),
                         0);
        assert_int_equal(n, 1);
        assert_true(m[0].v2);
        assert_string_equal(m[0].mountpoint, "/sys/fs/cgroup");
        cgroup_mounts_free(m, n);

        assert_int_equal(cgroup_parse_mountinfo("", &m, &n), 0);
        assert_int_equal(n, 0);
        cgroup_mounts_free(m, n);
}

static void test_proc_self_cgroup(void **state)
{
        static const char text[] = "9:name=systemd:/\n8:pids:/a\n2:cpu,cpuacct:/b/c\n"
                                   "4:memory:/process_api/b18b\n0::/u\n";
        char *p;

        (void) state;
        p = cgroup_proc_self_path(text, "memory");
        assert_string_equal(p, "/process_api/b18b");
        free(p);
        p = cgroup_proc_self_path(text, "cpu,cpuacct");
        assert_string_equal(p, "/b/c");
        free(p);
        p = cgroup_proc_self_path(text, "name=systemd");
        assert_string_equal(p, "/");
        free(p);
        p = cgroup_proc_self_path(text, "");
        assert_string_equal(p, "/u");
        free(p);
        assert_null(cgroup_proc_self_path(text, "cpu"));
        assert_null(cgroup_proc_self_path(text, "blkio"));
}

static void test_resolve_path(void **state)
{
        char *p;

        (void) state;
        p = cgroup_resolve_path(NULL, NULL, "abc");
        assert_string_equal(p, "/berth/abc");
        free(p);
        p = cgroup_resolve_path("", "/x", "abc");
        assert_string_equal(p, "/berth/abc");
        free(p);
        p = cgroup_resolve_path("/my/group/", "/x", "abc");
        assert_string_equal(p, "/my/group");
        free(p);
        /* Relative: below the runtime's own cgroup (runc's reading). */
        p = cgroup_resolve_path("sub/c1", "/process_api/b18b", "abc");
        assert_string_equal(p, "/process_api/b18b/sub/c1");
        free(p);
        p = cgroup_resolve_path("sub", "/", "abc");
        assert_string_equal(p, "/sub");
        free(p);
        /* ".." cannot climb above the hierarchy's root. */
        p = cgroup_resolve_path("/../../etc", NULL, "abc");
        assert_string_equal(p, "/etc");
        free(p);
        /* Nor below the runtime's own cgroup, for a relative one (runc's CleanPath first). */
        p = cgroup_resolve_path("../../../x", "/a", "abc");
        assert_string_equal(p, "/a/x");
        free(p);
        p = cgroup_resolve_path("../sub/c1", "/a/self", "abc");
        assert_string_equal(p, "/a/self/sub/c1");
        free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shares_to_weight), cmocka_unit_test(test_blkio_weight),
                cmocka_unit_test(test_swap_to_v2),       cmocka_unit_test(test_lines),
                cmocka_unit_test(test_hugepage_names),   cmocka_unit_test(test_controllers_and_keys),
                cmocka_unit_test(test_mountinfo),        cmocka_unit_test(test_proc_self_cgroup),
                cmocka_unit_test(test_resolve_path),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
