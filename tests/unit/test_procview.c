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

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cpulist),
                cmocka_unit_test(test_quota_rounds_up),
                cmocka_unit_test(test_render_self),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
