/* berth-procview's pure parts (src/engine/procview): CPU lists, the rule for a fractional CPU quota
 * (docs/proc.md), and the files made for this test's own process (its cgroup has no limits here, or the
 * host's: the view must then be the kernel's figures). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/procview/view.h"

static void test_cpulist(void **state)
{
        int cpus[16];

        assert_int_equal(procview_parse_cpulist("0-3,6\n", cpus, 16), 5);
        assert_int_equal(cpus[0], 0);
        assert_int_equal(cpus[3], 3);
        assert_int_equal(cpus[4], 6);
        assert_int_equal(procview_parse_cpulist("5", cpus, 16), 1);
        assert_int_equal(cpus[0], 5);
        assert_int_equal(procview_parse_cpulist("", cpus, 16), 0);
        assert_int_equal(procview_parse_cpulist("3-1", cpus, 16), -EINVAL);
        assert_int_equal(procview_parse_cpulist("a", cpus, 16), -EINVAL);
        /* bounded by max */
        assert_int_equal(procview_parse_cpulist("0-100", cpus, 16), 16);
}

static void test_quota_rounds_up(void **state)
{
        assert_int_equal(procview_cpus_for_quota(50000, 100000), 1);
        assert_int_equal(procview_cpus_for_quota(100000, 100000), 1);
        assert_int_equal(procview_cpus_for_quota(150000, 100000), 2);
        assert_int_equal(procview_cpus_for_quota(1000, 100000), 1);
        assert_int_equal(procview_cpus_for_quota(-1, 100000), 0); /* no quota */
        assert_int_equal(procview_cpus_for_quota(100000, 0), 0);
}

static void test_render_self(void **state)
{
        struct procview_mounts m;
        static struct procview_context ctx;
        berth_error err = {0};
        struct sysinfo si;
        char *out = NULL;
        size_t len = 0;

        assert_int_equal(procview_mounts_read(&m, &err), 0);
        for (int i = 0; i < PROCVIEW_NFILES; i++) {
                assert_int_equal(procview_render(i, &m, &ctx, getpid(), &out, &len, &err), 0);
                assert_non_null(out);
                if (i == PROCVIEW_MEMINFO)
                        assert_non_null(strstr(out, "MemTotal:"));
                if (i == PROCVIEW_CPUINFO || i == PROCVIEW_CPU_ONLINE)
                        assert_true(len > 0);
                free(out);
                out = NULL;
        }
        assert_int_equal(procview_sysinfo(&m, &ctx, getpid(), &si, &err), 0);
        assert_int_equal(si.mem_unit, 1);
        assert_true(si.totalram > 0 && si.freeram <= si.totalram);
        /* a pid that does not exist: an error, not a crash */
        assert_true(procview_render(PROCVIEW_MEMINFO, &m, &ctx, 0x7ffffff0, &out, &len, &err) < 0);
        berth_error_clear(&err);
}

/* A file reads only the figures it shows: the memory ones leave the CPU ones unread, and the other way. */
static void test_figures_by_file(void **state)
{
        static struct procview_figures f;
        struct procview_mounts m;
        struct procview_cgroup cg;
        berth_error err = {0};

        assert_int_equal(procview_mounts_read(&m, &err), 0);
        assert_int_equal(procview_cgroup_of(&m, getpid(), &cg, &err), 0);
        assert_int_equal(procview_figures_read(&cg, PROCVIEW_FIG_MEMORY, &f, &err), 0);
        assert_int_equal(f.ncpus, 0);
        assert_int_equal(f.host_cpus, 0);
        assert_int_equal(procview_figures_read(&cg, PROCVIEW_FIG_CPU, &f, &err), 0);
        assert_true(f.ncpus >= 1 && f.ncpus <= f.host_cpus);
        assert_true(f.mem_limit == UINT64_MAX);
        assert_int_equal(f.mem_usage, 0);
        /* Read twice through the cache of cgroup directories: the same figures. */
        assert_int_equal(procview_figures_read(&cg, PROCVIEW_FIG_CPU, &f, &err), 0);
        assert_true(f.ncpus >= 1);
}

/* Each cgroup keeps load averages of its own (one server serves every container): reads of loadavg by the
 * test's process, twice, use one entry of the table. */
static void test_loadavg_twice(void **state)
{
        struct procview_mounts m;
        static struct procview_context ctx;
        berth_error err = {0};
        char *out = NULL;
        size_t len = 0, used = 0;

        assert_int_equal(procview_mounts_read(&m, &err), 0);
        for (int i = 0; i < 2; i++) {
                assert_int_equal(procview_render(PROCVIEW_LOADAVG, &m, &ctx, getpid(), &out, &len, &err), 0);
                free(out);
                out = NULL;
        }
        for (size_t i = 0; i < PROCVIEW_LOADS; i++)
                used += ctx.loads[i].key != 0;
        assert_int_equal(used, 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cpulist),
                cmocka_unit_test(test_quota_rounds_up),
                cmocka_unit_test(test_render_self),
                cmocka_unit_test(test_figures_by_file),
                cmocka_unit_test(test_loadavg_twice),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
