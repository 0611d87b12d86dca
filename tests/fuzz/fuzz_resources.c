/* linux.resources: JSON -> cgroup_resources_parse, then every pure conversion the cgroup managers apply to
 * the parsed values (v2 weights and swap, io.max and v1 throttle lines, device rules and their BPF
 * program). Nothing touches a cgroup. */
#include <jansson.h>
#include <linux/bpf.h>
#include <stdlib.h>

#include "lib/error.h"
#include "lib/json.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_internal.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_quiet_stdio();
        return 0;
}

static void conversions(const struct cgroup_resources *r)
{
        berth_error err = {0};
        struct cgroup_device_rule *rules = NULL;
        struct bpf_insn *prog = NULL;
        size_t n_rules = 0, n_prog = 0;
        int64_t swap = 0;
        char buf[64];

        (void) cgroup_resources_has_limits(r);
        (void) cgroup_resources_controllers(r);
        (void) cgroup_cpu_shares_to_weight(r->cpu.shares);
        (void) cgroup_blkio_weight_to_io_weight(r->blkio.weight);
        cgroup_memory_swap_to_v2(r->memory.has_swap, r->memory.swap, r->memory.has_limit, r->memory.limit, &swap,
                                 &err);
        berth_error_clear(&err);
        cgroup_format_limit(r->memory.limit, buf, sizeof(buf));
        cgroup_format_limit(r->pids.limit, buf, sizeof(buf));
        for (int k = 0; k < CG_THROTTLE_COUNT; k++)
                for (size_t i = 0; i < r->blkio.n_throttle[k]; i++) {
                        free(cgroup_io_max_line(&r->blkio.throttle[k][i], (enum cgroup_throttle_kind) k));
                        free(cgroup_v1_throttle_line(&r->blkio.throttle[k][i]));
                }
        cgroup_devices_build(r, NULL, 0, &rules, &n_rules);
        for (size_t i = 0; i < n_rules; i++)
                cgroup_device_rule_v1_string(&rules[i], buf, sizeof(buf));
        (void) cgroup_devices_evaluate(rules, n_rules, 'c', 1, 3, CG_ACC_READ | CG_ACC_WRITE);
        (void) cgroup_devices_evaluate(rules, n_rules, 'b', 8, 0, CG_ACC_MKNOD);
        cgroup_devices_bpf_build(rules, n_rules, &prog, &n_prog);
        free(prog);
        free(rules);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        berth_error err = {0};
        struct cgroup_resources *r = NULL;
        json_t *doc = json_load_text("resources", (const char *) data, size, &err);

        if (doc != NULL && cgroup_resources_parse(doc, &r, &err) == 0) {
                conversions(r);
                cgroup_resources_free(r);
        }
        if (doc != NULL)
                json_decref(doc);
        berth_error_clear(&err);
        return 0;
}
