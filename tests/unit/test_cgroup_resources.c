/* Unit tests for linux.resources parsing and validation (src/runtime/cgroup_resources.c): what is accepted,
 * what "0" means, and the one-line error naming the field for what is not. */
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
#include "lib/json.h"

static json_t *load(const char *text)
{
        json_error_t jerr;
        json_t *j = json_loads(text, 0, &jerr);

        if (j == NULL)
                fail_msg("bad test JSON: %s: %s", jerr.text, text);
        return j;
}

static struct cgroup_resources *parse_ok(const char *text)
{
        json_t *j = load(text);
        struct cgroup_resources *r = NULL;
        berth_error err = {0};

        if (cgroup_resources_parse(j, &r, &err) < 0)
                fail_msg("unexpected error for %s: %s", text, berth_error_message(&err));
        json_decref(j);
        return r;
}

static void expect_error(const char *text, const char *message)
{
        json_t *j = load(text);
        struct cgroup_resources *r = (void *) 1;
        berth_error err = {0};
        int ret = cgroup_resources_parse(j, &r, &err);

        assert_true(ret < 0);
        assert_null(r);
        if (strstr(berth_error_message(&err), message) == NULL)
                fail_msg("for %s expected \"%s\" in \"%s\"", text, message, berth_error_message(&err));
        assert_null(strchr(berth_error_message(&err), '\n'));
        berth_error_clear(&err);
        json_decref(j);
}

static void test_null_and_empty(void **state)
{
        struct cgroup_resources *r = NULL;
        berth_error err = {0};

        (void) state;
        assert_int_equal(cgroup_resources_parse(NULL, &r, &err), 0);
        assert_non_null(r);
        assert_false(cgroup_resources_has_limits(r));
        cgroup_resources_free(r);
        r = parse_ok("{}");
        assert_false(cgroup_resources_has_limits(r));
        assert_int_equal(cgroup_resources_controllers(r), 0);
        cgroup_resources_free(r);
}

static void test_memory(void **state)
{
        struct cgroup_resources *r;

        (void) state;
        r = parse_ok("{\"memory\":{\"limit\":33554432,\"reservation\":1048576,\"swap\":67108864,\"swappiness\":10,"
                     "\"disableOOMKiller\":true,\"checkBeforeUpdate\":true,\"kernel\":1,\"kernelTCP\":2}}");
        assert_true(r->memory.has_limit);
        assert_int_equal(r->memory.limit, 33554432);
        assert_int_equal(r->memory.reservation, 1048576);
        assert_int_equal(r->memory.swap, 67108864);
        assert_true(r->memory.has_swappiness);
        assert_int_equal(r->memory.swappiness, 10);
        assert_true(r->memory.disable_oom_killer);
        assert_true(r->memory.check_before_update);
        assert_true(r->memory.has_kernel && r->memory.has_kernel_tcp);
        assert_int_equal(cgroup_resources_controllers(r), CG_BIT(CG_MEMORY));
        cgroup_resources_free(r);

        /* 0 is runc's "not set"; -1 is unlimited. */
        r = parse_ok("{\"memory\":{\"limit\":0,\"swap\":-1}}");
        assert_false(r->memory.has_limit);
        assert_true(r->memory.has_swap);
        assert_int_equal(r->memory.swap, -1);
        cgroup_resources_free(r);

        /* Docker's "swappiness not set" is (uint64)-1, which jansson can only hold as a real. */
        {
                json_t *j = json_pack("{s:{s:f}}", "memory", "swappiness", 18446744073709551615.0);
                berth_error err = {0};
                assert_int_equal(cgroup_resources_parse(j, &r, &err), 0);
                assert_false(r->memory.has_swappiness);
                cgroup_resources_free(r);
                json_decref(j);
        }

        expect_error("{\"memory\":{\"swappiness\":101}}", "linux.resources.memory.swappiness: 101 is invalid");
        expect_error("{\"memory\":{\"limit\":-2}}", "linux.resources.memory.limit: -2 is invalid");
        expect_error("{\"memory\":{\"limit\":\"1g\"}}", "linux.resources.memory.limit: expected an integer");
        expect_error("{\"memory\":{\"limit\":1000000,\"swap\":500000}}", "linux.resources.memory.swap: 500000 is below");
        expect_error("{\"memory\":{\"swap\":500000}}", "linux.resources.memory.swap: a swap limit needs a memory limit");
        expect_error("{\"memory\":[]}", "linux.resources.memory: expected an object");
}

static void test_cpu(void **state)
{
        struct cgroup_resources *r;

        (void) state;
        r = parse_ok("{\"cpu\":{\"shares\":512,\"quota\":20000,\"period\":100000,\"burst\":1000,\"cpus\":\"0-1\","
                     "\"mems\":\"0\",\"realtimeRuntime\":950,\"realtimePeriod\":1000000,\"idle\":0}}");
        assert_true(r->cpu.has_shares && r->cpu.has_quota && r->cpu.has_period && r->cpu.has_burst);
        assert_true(r->cpu.has_rt_runtime && r->cpu.has_rt_period && r->cpu.has_idle);
        assert_string_equal(r->cpu.cpus, "0-1");
        assert_string_equal(r->cpu.mems, "0");
        assert_int_equal(cgroup_resources_controllers(r), CG_BIT(CG_CPU) | CG_BIT(CG_CPUSET));
        cgroup_resources_free(r);

        r = parse_ok("{\"cpu\":{\"quota\":-1,\"shares\":0}}");
        assert_true(r->cpu.has_quota);
        assert_false(r->cpu.has_shares);
        cgroup_resources_free(r);

        expect_error("{\"cpu\":{\"period\":999}}", "linux.resources.cpu.period: 999 is invalid");
        expect_error("{\"cpu\":{\"period\":1000001}}", "linux.resources.cpu.period");
        expect_error("{\"cpu\":{\"quota\":999}}", "linux.resources.cpu.quota: 999 is invalid");
        expect_error("{\"cpu\":{\"cpus\":\"0-1;rm\"}}", "linux.resources.cpu.cpus: \"0-1;rm\"");
        expect_error("{\"cpu\":{\"idle\":2}}", "linux.resources.cpu.idle: 2 is invalid");
        expect_error("{\"cpu\":{\"shares\":-5}}", "linux.resources.cpu.shares: expected an unsigned integer");
}

static void test_pids_and_hugepages(void **state)
{
        struct cgroup_resources *r;

        (void) state;
        r = parse_ok("{\"pids\":{\"limit\":32},\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}]}");
        assert_true(r->pids.has_limit);
        assert_int_equal(r->pids.limit, 32);
        assert_int_equal(r->n_hugepages, 1);
        assert_string_equal(r->hugepages[0].page_size, "2MB");
        assert_int_equal(cgroup_resources_controllers(r), CG_BIT(CG_PIDS) | CG_BIT(CG_HUGETLB));
        cgroup_resources_free(r);

        r = parse_ok("{\"pids\":{\"limit\":0}}");
        assert_false(r->pids.has_limit); /* runc 1.1: 0 is not set */
        cgroup_resources_free(r);

        expect_error("{\"pids\":{}}", "linux.resources.pids.limit: required field is missing");
        expect_error("{\"hugepageLimits\":[{\"pageSize\":\"2M\",\"limit\":1}]}",
                     "linux.resources.hugepageLimits[0].pageSize: \"2M\" is invalid");
        expect_error("{\"hugepageLimits\":[{\"pageSize\":\"2MB\"}]}", "linux.resources.hugepageLimits[0].limit");
}

static void test_blkio(void **state)
{
        struct cgroup_resources *r;

        (void) state;
        r = parse_ok("{\"blockIO\":{\"weight\":500,\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":300}],"
                     "\"throttleReadBpsDevice\":[{\"major\":7,\"minor\":1,\"rate\":1048576}],"
                     "\"throttleWriteIOPSDevice\":[{\"major\":7,\"minor\":1,\"rate\":100}]}}");
        assert_int_equal(r->blkio.weight, 500);
        assert_int_equal(r->blkio.n_weight_devices, 1);
        assert_int_equal(r->blkio.weight_devices[0].weight, 300);
        assert_int_equal(r->blkio.n_throttle[CG_THROTTLE_READ_BPS], 1);
        assert_int_equal(r->blkio.throttle[CG_THROTTLE_READ_BPS][0].rate, 1048576);
        assert_int_equal(r->blkio.n_throttle[CG_THROTTLE_WRITE_IOPS], 1);
        assert_int_equal(cgroup_resources_controllers(r), CG_BIT(CG_BLKIO));
        cgroup_resources_free(r);

        expect_error("{\"blockIO\":{\"weight\":5}}", "linux.resources.blockIO.weight: 5 is invalid (valid range is 10-1000)");
        expect_error("{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":2000}]}}",
                     "linux.resources.blockIO.weightDevice[0].weight: 2000 is invalid");
        expect_error("{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"rate\":1}]}}",
                     "linux.resources.blockIO.throttleReadBpsDevice[0].minor: required field is missing");
        expect_error("{\"blockIO\":{\"throttleWriteBpsDevice\":[{\"major\":-8,\"minor\":0,\"rate\":1}]}}",
                     "linux.resources.blockIO.throttleWriteBpsDevice[0]: device -8:0 is invalid");
}

static void test_network_rdma_unified(void **state)
{
        struct cgroup_resources *r;

        (void) state;
        r = parse_ok("{\"network\":{\"classID\":1048577,\"priorities\":[{\"name\":\"eth0\",\"priority\":5}]},"
                     "\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3}},\"unified\":{\"memory.high\":\"1G\",\"cgroup.max.depth\":\"3\"}}");
        assert_true(r->network.has_class_id);
        assert_int_equal(r->network.class_id, 1048577);
        assert_string_equal(r->network.priorities[0].name, "eth0");
        assert_int_equal(r->n_rdma, 1);
        assert_true(r->rdma[0].has_handles);
        assert_false(r->rdma[0].has_objects);
        assert_int_equal(r->n_unified, 2);
        assert_int_equal(cgroup_resources_controllers(r), CG_BIT(CG_NET_CLS) | CG_BIT(CG_NET_PRIO) | CG_BIT(CG_RDMA));
        {
                char *line = cgroup_rdma_line(&r->rdma[0]);
                assert_string_equal(line, "mlx5_1 hca_handle=3 hca_object=max");
                free(line);
        }
        cgroup_resources_free(r);

        expect_error("{\"unified\":{\"../memory.max\":\"1\"}}", "linux.resources.unified: \"../memory.max\" is not");
        expect_error("{\"unified\":{\"memorymax\":\"1\"}}", "is not a cgroup v2 file name");
        expect_error("{\"unified\":{\"cgroup.procs\":\"1\"}}", "\"cgroup.procs\" is managed by the runtime");
        expect_error("{\"unified\":{\"memory.max\":1}}", "linux.resources.unified.memory.max: expected a string");
        expect_error("{\"network\":{\"priorities\":[{\"name\":\"a b\",\"priority\":1}]}}",
                     "linux.resources.network.priorities[0].name");
        expect_error("{\"network\":{\"classID\":4294967296}}", "linux.resources.network.classID");
}

static void test_devices(void **state)
{
        struct cgroup_resources *r;

        (void) state;
        r = parse_ok("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                     "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"},"
                     "{\"allow\":true,\"type\":\"b\",\"major\":7}]}");
        assert_int_equal(r->n_devices, 3);
        assert_false(r->devices[0].allow);
        assert_int_equal(r->devices[0].type, 'a');
        assert_int_equal(r->devices[0].major, CG_DEV_WILDCARD);
        assert_int_equal(r->devices[1].access, CG_ACC_READ | CG_ACC_WRITE);
        assert_int_equal(r->devices[2].minor, CG_DEV_WILDCARD);
        assert_int_equal(r->devices[2].access, CG_ACC_ALL); /* no access: rwm, as runc and crun read it */
        cgroup_resources_free(r);

        expect_error("{\"devices\":[{\"type\":\"c\"}]}", "linux.resources.devices[0].allow: required field is missing");
        expect_error("{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}", "linux.resources.devices[0].type: \"x\" is invalid");
        expect_error("{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}",
                     "linux.resources.devices[0].access: \"rwx\" is invalid");
        expect_error("{\"devices\":[{\"allow\":true,\"access\":\"rr\"}]}", "linux.resources.devices[0].access");
        expect_error("{\"devices\":[{\"allow\":true,\"type\":\"c\",\"major\":-2}]}", "device -2:-1 is invalid");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_null_and_empty), cmocka_unit_test(test_memory),
                cmocka_unit_test(test_cpu),            cmocka_unit_test(test_pids_and_hugepages),
                cmocka_unit_test(test_blkio),          cmocka_unit_test(test_network_rdma_unified),
                cmocka_unit_test(test_devices),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
