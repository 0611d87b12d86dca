/* Unit tests for the cgroup commands' flag parsing (src/cli/runtime/cgroup_flags.c): runc's sizes
 * (go-units RAMInBytes, through lib/size.c), Go durations for --interval, and update's flags as a linux.resources object. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/runtime/cgroup_flags.h"
#include "lib/json.h"

/* Sizes are lib/size.c's (tests/unit/test_lib_size.c has docker's rules); here: update's size flags go
 * through it, with runc's "-1". */
static int64_t memory_limit_of(const char *s)
{
        const char *values[UPDATE_FLAG_COUNT] = {0};
        berth_error err = {0};
        json_t *res = NULL;
        int64_t v;

        values[UPDATE_MEMORY] = s;
        if (cgroup_flags_update_resources(values, &res, &err) < 0)
                fail_msg("--memory %s: %s", s, berth_error_message(&err));
        v = json_integer_value(json_object_get(json_object_get(res, "memory"), "limit"));
        json_decref(res);
        return v;
}

static void test_sizes(void **state)
{
        const char *values[UPDATE_FLAG_COUNT] = {0};
        berth_error err = {0};
        json_t *res = NULL;

        (void) state;
        assert_int_equal(memory_limit_of("256m"), 256LL << 20);
        assert_int_equal(memory_limit_of("1KiB"), 1024);
        assert_int_equal(memory_limit_of(".5g"), 1LL << 29);
        assert_int_equal(memory_limit_of("1.5GiB"), 3LL << 29);
        assert_int_equal(memory_limit_of("-1"), -1);
        values[UPDATE_MEMORY_SWAP] = "1kk";
        assert_true(cgroup_flags_update_resources(values, &res, &err) < 0);
        assert_string_equal(berth_error_message(&err),
                            "--memory-swap: \"1kk\" is not a size (like 1024, 256m, 1g, or -1)");
        berth_error_clear(&err);
}

static void test_durations(void **state)
{
        uint64_t ms = 0;

        (void) state;
        assert_int_equal(cgroup_flags_parse_duration_ms("5s", &ms), 0);
        assert_int_equal(ms, 5000);
        assert_int_equal(cgroup_flags_parse_duration_ms("100ms", &ms), 0);
        assert_int_equal(ms, 100);
        assert_int_equal(cgroup_flags_parse_duration_ms("1m30s", &ms), 0);
        assert_int_equal(ms, 90000);
        assert_int_equal(cgroup_flags_parse_duration_ms("1.5s", &ms), 0);
        assert_int_equal(ms, 1500);
        assert_int_equal(cgroup_flags_parse_duration_ms("2500us", &ms), 0);
        assert_int_equal(ms, 2);
        assert_int_equal(cgroup_flags_parse_duration_ms("5", &ms), -EINVAL);
        assert_int_equal(cgroup_flags_parse_duration_ms("0s", &ms), -EINVAL);
        assert_int_equal(cgroup_flags_parse_duration_ms("10us", &ms), -EINVAL);
        assert_int_equal(cgroup_flags_parse_duration_ms("s", &ms), -EINVAL);
        assert_int_equal(cgroup_flags_parse_duration_ms("-1s", &ms), -EINVAL);
}

static void test_update_flags(void **state)
{
        const char *values[UPDATE_FLAG_COUNT] = {0};
        berth_error err = {0};
        json_t *res = NULL;
        char *text;

        (void) state;
        values[UPDATE_MEMORY] = "256m";
        values[UPDATE_MEMORY_SWAP] = "-1";
        values[UPDATE_CPU_QUOTA] = "20000";
        values[UPDATE_CPU_PERIOD] = "100000";
        values[UPDATE_CPUSET_CPUS] = "0";
        values[UPDATE_PIDS_LIMIT] = "64";
        values[UPDATE_BLKIO_WEIGHT] = "300";
        assert_int_equal(cgroup_flags_update_resources(values, &res, &err), 0);
        text = json_dumps(res, JSON_SORT_KEYS | JSON_COMPACT);
        assert_string_equal(text, "{\"blockIO\":{\"weight\":300},\"cpu\":{\"cpus\":\"0\",\"period\":100000,\"quota\":20000},"
                                  "\"memory\":{\"limit\":268435456,\"swap\":-1},\"pids\":{\"limit\":64}}");
        free(text);
        json_decref(res);

        memset(values, 0, sizeof(values));
        assert_int_equal(cgroup_flags_update_resources(values, &res, &err), 0);
        assert_int_equal(json_object_size(res), 0);
        json_decref(res);

        values[UPDATE_MEMORY] = "lots";
        assert_true(cgroup_flags_update_resources(values, &res, &err) < 0);
        assert_string_equal(berth_error_message(&err), "--memory: \"lots\" is not a size (like 1024, 256m, 1g, or -1)");
        berth_error_clear(&err);
        values[UPDATE_MEMORY] = NULL;
        values[UPDATE_CPU_SHARES] = "-3";
        assert_true(cgroup_flags_update_resources(values, &res, &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), "--cpu-shares"));
        berth_error_clear(&err);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sizes),
                cmocka_unit_test(test_durations),
                cmocka_unit_test(test_update_flags),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
