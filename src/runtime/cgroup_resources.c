/* linux.resources (runtime-spec config-linux.md "Control groups"): parsing and validation, before anything
 * is made on the host, plus the pure value conversions between the spec and the v1/v2 files. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup_internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

#define WHERE "linux.resources"

static bool present(json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);
        return v != NULL && !json_is_null(v);
}

/* ---- memory ---------------------------------------------------------------------------------------- */

static int parse_memory_limit(json_t *obj, const char *key, bool *has, int64_t *out, berth_error *err)
{
        int r;

        if (!present(obj, key))
                return 0;
        if ((r = json_field_i64(obj, WHERE ".memory", key, false, out, err)) < 0)
                return r;
        if (*out < -1)
                return berth_failf(err, EINVAL, WHERE ".memory.%s: %" PRId64 " is invalid (use -1 for unlimited)",
                                   key, *out);
        *has = *out != 0; /* runc: 0 is "not set" */
        return 0;
}

static int parse_memory(json_t *res, struct cgroup_resources *out, berth_error *err)
{
        json_t *mem = NULL;
        int r;

        if ((r = json_field_object(res, WHERE, "memory", false, &mem, err)) < 0 || mem == NULL)
                return r;
        if ((r = parse_memory_limit(mem, "limit", &out->memory.has_limit, &out->memory.limit, err)) < 0 ||
            (r = parse_memory_limit(mem, "reservation", &out->memory.has_reservation, &out->memory.reservation,
                                    err)) < 0 ||
            (r = parse_memory_limit(mem, "swap", &out->memory.has_swap, &out->memory.swap, err)) < 0)
                return r;
        if (present(mem, "kernel")) {
                int64_t ignored;
                if ((r = json_field_i64(mem, WHERE ".memory", "kernel", false, &ignored, err)) < 0)
                        return r;
                out->memory.has_kernel = true;
        }
        if (present(mem, "kernelTCP")) {
                int64_t ignored;
                if ((r = json_field_i64(mem, WHERE ".memory", "kernelTCP", false, &ignored, err)) < 0)
                        return r;
                out->memory.has_kernel_tcp = true;
        }
        if (present(mem, "swappiness") && json_is_real(json_object_get(mem, "swappiness")) &&
            json_real_value(json_object_get(mem, "swappiness")) >= 18446744073709551615.0) {
                /* Docker's (uint64)-1, "not set", which jansson can only hold as a real. */
        } else if (present(mem, "swappiness")) {
                if ((r = json_field_u64(mem, WHERE ".memory", "swappiness", false, &out->memory.swappiness, err)) < 0)
                        return r;
                /* Docker sends (uint64)-1 for "not set". */
                if (out->memory.swappiness != UINT64_MAX) {
                        if (out->memory.swappiness > 100)
                                return berth_failf(err, EINVAL,
                                                   WHERE ".memory.swappiness: %" PRIu64
                                                         " is invalid (valid range is 0-100)",
                                                   out->memory.swappiness);
                        out->memory.has_swappiness = true;
                }
        }
        if (present(mem, "disableOOMKiller")) {
                if ((r = json_field_bool(mem, WHERE ".memory", "disableOOMKiller", false,
                                         &out->memory.disable_oom_killer, err)) < 0)
                        return r;
                out->memory.has_disable_oom_killer = true;
        }
        if (present(mem, "useHierarchy")) {
                if ((r = json_field_bool(mem, WHERE ".memory", "useHierarchy", false, &out->memory.use_hierarchy,
                                         err)) < 0)
                        return r;
                out->memory.has_use_hierarchy = true;
        }
        if ((r = json_field_bool(mem, WHERE ".memory", "checkBeforeUpdate", false, &out->memory.check_before_update,
                                 err)) < 0)
                return r;
        /* memory.swap is memory+swap: below the memory limit it cannot be honoured (v1 refuses it, v2 would
         * need a negative swap). */
        if (out->memory.has_limit && out->memory.has_swap && out->memory.limit > 0 && out->memory.swap > 0 &&
            out->memory.swap < out->memory.limit)
                return berth_failf(err, EINVAL,
                                   WHERE ".memory.swap: %" PRId64 " is below memory.limit %" PRId64
                                         " (swap is the memory+swap limit)",
                                   out->memory.swap, out->memory.limit);
        if (out->memory.has_swap && out->memory.swap > 0 && (!out->memory.has_limit || out->memory.limit == -1))
                return berth_failf(err, EINVAL,
                                   WHERE ".memory.swap: a swap limit needs a memory limit (swap is memory+swap)");
        return 0;
}

/* ---- cpu -------------------------------------------------------------------------------------------- */

static int check_cpu_list(const char *field, const char *s, berth_error *err)
{
        /* The kernel parses the list ("0-3,5"); refuse here what can only be a mistake, so nothing is made. */
        for (const char *p = s; *p; p++)
                if (!isdigit((unsigned char) *p) && *p != ',' && *p != '-')
                        return berth_failf(err, EINVAL, WHERE ".cpu.%s: \"%s\" is not a list like \"0-3,5\"", field,
                                           s);
        return 0;
}

static int parse_cpu(json_t *res, struct cgroup_resources *out, berth_error *err)
{
        json_t *cpu = NULL;
        const char *cpus = NULL, *mems = NULL;
        int r;

        if ((r = json_field_object(res, WHERE, "cpu", false, &cpu, err)) < 0 || cpu == NULL)
                return r;
        if ((r = json_field_u64(cpu, WHERE ".cpu", "shares", false, &out->cpu.shares, err)) < 0 ||
            (r = json_field_i64(cpu, WHERE ".cpu", "quota", false, &out->cpu.quota, err)) < 0 ||
            (r = json_field_u64(cpu, WHERE ".cpu", "period", false, &out->cpu.period, err)) < 0 ||
            (r = json_field_u64(cpu, WHERE ".cpu", "burst", false, &out->cpu.burst, err)) < 0 ||
            (r = json_field_i64(cpu, WHERE ".cpu", "realtimeRuntime", false, &out->cpu.rt_runtime, err)) < 0 ||
            (r = json_field_u64(cpu, WHERE ".cpu", "realtimePeriod", false, &out->cpu.rt_period, err)) < 0 ||
            (r = json_field_i64(cpu, WHERE ".cpu", "idle", false, &out->cpu.idle, err)) < 0 ||
            (r = json_field_string(cpu, WHERE ".cpu", "cpus", false, &cpus, err)) < 0 ||
            (r = json_field_string(cpu, WHERE ".cpu", "mems", false, &mems, err)) < 0)
                return r;
        out->cpu.has_shares = out->cpu.shares != 0;
        out->cpu.has_quota = out->cpu.quota != 0;
        out->cpu.has_period = out->cpu.period != 0;
        out->cpu.has_burst = present(cpu, "burst");
        out->cpu.has_rt_runtime = out->cpu.rt_runtime != 0;
        out->cpu.has_rt_period = out->cpu.rt_period != 0;
        out->cpu.has_idle = present(cpu, "idle");
        /* The kernel's bounds for CFS bandwidth (kernel/sched/core.c: 1 ms <= period <= 1 s, quota >= 1 ms). */
        if (out->cpu.has_period && (out->cpu.period < 1000 || out->cpu.period > 1000000))
                return berth_failf(err, EINVAL, WHERE ".cpu.period: %" PRIu64 " is invalid (1000-1000000 us)",
                                   out->cpu.period);
        if (out->cpu.has_quota && out->cpu.quota != -1 && out->cpu.quota < 1000)
                return berth_failf(err, EINVAL,
                                   WHERE ".cpu.quota: %" PRId64 " is invalid (at least 1000 us, or -1 for unlimited)",
                                   out->cpu.quota);
        if (out->cpu.has_rt_runtime && out->cpu.rt_runtime < -1)
                return berth_failf(err, EINVAL, WHERE ".cpu.realtimeRuntime: %" PRId64 " is invalid",
                                   out->cpu.rt_runtime);
        if (out->cpu.has_idle && out->cpu.idle != 0 && out->cpu.idle != 1)
                return berth_failf(err, EINVAL, WHERE ".cpu.idle: %" PRId64 " is invalid (0 or 1)", out->cpu.idle);
        if (cpus != NULL && cpus[0] != '\0') {
                if ((r = check_cpu_list("cpus", cpus, err)) < 0)
                        return r;
                out->cpu.cpus = xstrdup(cpus);
        }
        if (mems != NULL && mems[0] != '\0') {
                if ((r = check_cpu_list("mems", mems, err)) < 0)
                        return r;
                out->cpu.mems = xstrdup(mems);
        }
        return 0;
}

/* ---- pids ------------------------------------------------------------------------------------------- */

static int parse_pids(json_t *res, struct cgroup_resources *out, berth_error *err)
{
        json_t *pids = NULL;
        int r;

        if ((r = json_field_object(res, WHERE, "pids", false, &pids, err)) < 0 || pids == NULL)
                return r;
        if ((r = json_field_i64(pids, WHERE ".pids", "limit", true, &out->pids.limit, err)) < 0)
                return r;
        out->pids.has_limit = out->pids.limit != 0; /* runc 1.1: 0 is "not set", negative is "max" */
        return 0;
}

/* ---- blockIO ---------------------------------------------------------------------------------------- */

static int check_blkio_weight(const char *where, uint64_t w, berth_error *err)
{
        if (w < 10 || w > 1000)
                return berth_failf(err, EINVAL, "%s: %" PRIu64 " is invalid (valid range is 10-1000)", where, w);
        return 0;
}

static int parse_device_numbers(json_t *item, const char *where, int64_t *major, int64_t *minor, berth_error *err)
{
        int r;

        if ((r = json_field_i64(item, where, "major", true, major, err)) < 0 ||
            (r = json_field_i64(item, where, "minor", true, minor, err)) < 0)
                return r;
        if (*major < 0 || *minor < 0 || *major > UINT32_MAX || *minor > UINT32_MAX)
                return berth_failf(err, EINVAL, "%s: device %" PRId64 ":%" PRId64 " is invalid", where, *major,
                                   *minor);
        return 0;
}

static int parse_weight_devices(json_t *blkio, struct cgroup_resources *out, berth_error *err)
{
        json_t *array = NULL, *item;
        size_t i;
        int r;

        if ((r = json_field_array(blkio, WHERE ".blockIO", "weightDevice", false, &array, err)) < 0 || array == NULL)
                return r;
        out->blkio.weight_devices = xzalloc((json_array_size(array) + 1) * sizeof(*out->blkio.weight_devices));
        json_array_foreach (array, i, item) {
                cleanup_free char *where = xasprintf(WHERE ".blockIO.weightDevice[%zu]", i);
                struct cgroup_weight_device *d = &out->blkio.weight_devices[i];
                uint64_t w = 0;

                if ((r = json_expect_object(item, where, err)) < 0 ||
                    (r = parse_device_numbers(item, where, &d->major, &d->minor, err)) < 0)
                        return r;
                if (present(item, "weight")) {
                        cleanup_free char *fw = xasprintf("%s.weight", where);
                        if ((r = json_field_u64(item, where, "weight", false, &w, err)) < 0 ||
                            (r = check_blkio_weight(fw, w, err)) < 0)
                                return r;
                        d->has_weight = true;
                        d->weight = (uint16_t) w;
                }
                if (present(item, "leafWeight")) {
                        cleanup_free char *fw = xasprintf("%s.leafWeight", where);
                        if ((r = json_field_u64(item, where, "leafWeight", false, &w, err)) < 0 ||
                            (r = check_blkio_weight(fw, w, err)) < 0)
                                return r;
                        d->has_leaf_weight = true;
                        d->leaf_weight = (uint16_t) w;
                }
                out->blkio.n_weight_devices = i + 1;
        }
        return 0;
}

static const char *throttle_keys[CG_THROTTLE_COUNT] = {
        [CG_THROTTLE_READ_BPS] = "throttleReadBpsDevice",
        [CG_THROTTLE_WRITE_BPS] = "throttleWriteBpsDevice",
        [CG_THROTTLE_READ_IOPS] = "throttleReadIOPSDevice",
        [CG_THROTTLE_WRITE_IOPS] = "throttleWriteIOPSDevice",
};

static int parse_throttle(json_t *blkio, enum cgroup_throttle_kind kind, struct cgroup_resources *out,
                          berth_error *err)
{
        json_t *array = NULL, *item;
        size_t i;
        int r;

        if ((r = json_field_array(blkio, WHERE ".blockIO", throttle_keys[kind], false, &array, err)) < 0 ||
            array == NULL)
                return r;
        out->blkio.throttle[kind] = xzalloc((json_array_size(array) + 1) * sizeof(struct cgroup_throttle_device));
        json_array_foreach (array, i, item) {
                cleanup_free char *where = xasprintf(WHERE ".blockIO.%s[%zu]", throttle_keys[kind], i);
                struct cgroup_throttle_device *d = &out->blkio.throttle[kind][i];

                if ((r = json_expect_object(item, where, err)) < 0 ||
                    (r = parse_device_numbers(item, where, &d->major, &d->minor, err)) < 0 ||
                    (r = json_field_u64(item, where, "rate", true, &d->rate, err)) < 0)
                        return r;
                out->blkio.n_throttle[kind] = i + 1;
        }
        return 0;
}

static int parse_blkio(json_t *res, struct cgroup_resources *out, berth_error *err)
{
        json_t *blkio = NULL;
        uint64_t w = 0;
        int r;

        if ((r = json_field_object(res, WHERE, "blockIO", false, &blkio, err)) < 0 || blkio == NULL)
                return r;
        if ((r = json_field_u64(blkio, WHERE ".blockIO", "weight", false, &w, err)) < 0)
                return r;
        if (w != 0) {
                if ((r = check_blkio_weight(WHERE ".blockIO.weight", w, err)) < 0)
                        return r;
                out->blkio.has_weight = true;
                out->blkio.weight = (uint16_t) w;
        }
        w = 0;
        if ((r = json_field_u64(blkio, WHERE ".blockIO", "leafWeight", false, &w, err)) < 0)
                return r;
        if (w != 0) {
                if ((r = check_blkio_weight(WHERE ".blockIO.leafWeight", w, err)) < 0)
                        return r;
                out->blkio.has_leaf_weight = true;
                out->blkio.leaf_weight = (uint16_t) w;
        }
        if ((r = parse_weight_devices(blkio, out, err)) < 0)
                return r;
        for (int k = 0; k < CG_THROTTLE_COUNT; k++)
                if ((r = parse_throttle(blkio, k, out, err)) < 0)
                        return r;
        return 0;
}

/* ---- hugepageLimits, network, rdma, unified -------------------------------------------------------- */

static bool valid_page_size(const char *s)
{
        size_t n = strspn(s, "0123456789");

        if (n == 0 || s[0] == '0')
                return false;
        return strcmp(s + n, "KB") == 0 || strcmp(s + n, "MB") == 0 || strcmp(s + n, "GB") == 0;
}

static int parse_hugepages(json_t *res, struct cgroup_resources *out, berth_error *err)
{
        json_t *array = NULL, *item;
        size_t i;
        int r;

        if ((r = json_field_array(res, WHERE, "hugepageLimits", false, &array, err)) < 0 || array == NULL)
                return r;
        out->hugepages = xzalloc((json_array_size(array) + 1) * sizeof(*out->hugepages));
        json_array_foreach (array, i, item) {
                cleanup_free char *where = xasprintf(WHERE ".hugepageLimits[%zu]", i);
                struct cgroup_hugepage_limit *h = &out->hugepages[i];
                const char *size = NULL;

                if ((r = json_expect_object(item, where, err)) < 0 ||
                    (r = json_field_string(item, where, "pageSize", true, &size, err)) < 0 ||
                    (r = json_field_u64(item, where, "limit", true, &h->limit, err)) < 0)
                        return r;
                if (!valid_page_size(size))
                        return berth_failf(err, EINVAL, "%s.pageSize: \"%s\" is invalid (like \"2MB\" or \"1GB\")",
                                           where, size);
                h->page_size = xstrdup(size);
                out->n_hugepages = i + 1;
        }
        return 0;
}

static int parse_network(json_t *res, struct cgroup_resources *out, berth_error *err)
{
        json_t *net = NULL, *array = NULL, *item;
        size_t i;
        int r;

        if ((r = json_field_object(res, WHERE, "network", false, &net, err)) < 0 || net == NULL)
                return r;
        if (present(net, "classID")) {
                if ((r = json_field_u32(net, WHERE ".network", "classID", false, &out->network.class_id, err)) < 0)
                        return r;
                out->network.has_class_id = true;
        }
        if ((r = json_field_array(net, WHERE ".network", "priorities", false, &array, err)) < 0 || array == NULL)
                return r;
        out->network.priorities = xzalloc((json_array_size(array) + 1) * sizeof(*out->network.priorities));
        json_array_foreach (array, i, item) {
                cleanup_free char *where = xasprintf(WHERE ".network.priorities[%zu]", i);
                struct cgroup_net_priority *p = &out->network.priorities[i];
                const char *name = NULL;

                if ((r = json_expect_object(item, where, err)) < 0 ||
                    (r = json_field_string(item, where, "name", true, &name, err)) < 0 ||
                    (r = json_field_u32(item, where, "priority", true, &p->priority, err)) < 0)
                        return r;
                if (name[0] == '\0' || strpbrk(name, " \t\n/") != NULL)
                        return berth_failf(err, EINVAL, "%s.name: \"%s\" is not an interface name", where, name);
                p->name = xstrdup(name);
                out->network.n_priorities = i + 1;
        }
        return 0;
}

static int parse_rdma(json_t *res, struct cgroup_resources *out, berth_error *err)
{
        json_t *rdma = NULL, *item;
        const char *key;
        size_t i = 0;
        int r;

        if ((r = json_field_object(res, WHERE, "rdma", false, &rdma, err)) < 0 || rdma == NULL)
                return r;
        out->rdma = xzalloc((json_object_size(rdma) + 1) * sizeof(*out->rdma));
        json_object_foreach (rdma, key, item) {
                cleanup_free char *where = xasprintf(WHERE ".rdma.%s", key);
                struct cgroup_rdma_limit *l = &out->rdma[i];

                if (key[0] == '\0' || strpbrk(key, " \t\n") != NULL)
                        return berth_failf(err, EINVAL, WHERE ".rdma: \"%s\" is not a device name", key);
                if ((r = json_expect_object(item, where, err)) < 0)
                        return r;
                l->device = xstrdup(key);
                out->n_rdma = ++i;
                l->has_handles = present(item, "hcaHandles");
                l->has_objects = present(item, "hcaObjects");
                if ((r = json_field_u32(item, where, "hcaHandles", false, &l->handles, err)) < 0 ||
                    (r = json_field_u32(item, where, "hcaObjects", false, &l->objects, err)) < 0)
                        return r;
        }
        return 0;
}

static int check_unified_key(const char *key, berth_error *err)
{
        static const char *const reserved[] = {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control",
                                               "cgroup.kill", "cgroup.freeze"};
        const char *dot = strchr(key, '.');

        /* A key is a file in the container's own cgroup directory: no path, and a "controller.file" name. */
        if (key[0] == '\0' || strchr(key, '/') != NULL || dot == NULL || dot == key || dot[1] == '\0')
                return berth_failf(err, EINVAL, WHERE ".unified: \"%s\" is not a cgroup v2 file name", key);
        for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
                if (strcmp(key, reserved[i]) == 0)
                        return berth_failf(err, EINVAL,
                                           WHERE ".unified: \"%s\" is managed by the runtime and cannot be set", key);
        return 0;
}

static int parse_unified(json_t *res, struct cgroup_resources *out, berth_error *err)
{
        json_t *unified = NULL, *item;
        const char *key;
        size_t i = 0;
        int r;

        if ((r = json_field_object(res, WHERE, "unified", false, &unified, err)) < 0 || unified == NULL)
                return r;
        out->unified = xzalloc((json_object_size(unified) + 1) * sizeof(*out->unified));
        json_object_foreach (unified, key, item) {
                if ((r = check_unified_key(key, err)) < 0)
                        return r;
                if (!json_is_string(item))
                        return berth_failf(err, EINVAL, WHERE ".unified.%s: expected a string, got %s", key,
                                           json_type_name(item));
                out->unified[i].key = xstrdup(key);
                out->unified[i].value = xstrdup(json_string_value(item));
                out->n_unified = ++i;
        }
        return 0;
}

/* ---- devices ---------------------------------------------------------------------------------------- */

static int parse_access(const char *where, const char *s, unsigned *out, berth_error *err)
{
        unsigned acc = 0;

        for (const char *p = s; *p; p++) {
                unsigned bit = *p == 'r' ? CG_ACC_READ : *p == 'w' ? CG_ACC_WRITE : *p == 'm' ? CG_ACC_MKNOD : 0;
                if (bit == 0 || (acc & bit))
                        return berth_failf(err, EINVAL, "%s.access: \"%s\" is invalid (letters r, w, m)", where, s);
                acc |= bit;
        }
        *out = acc != 0 ? acc : CG_ACC_ALL; /* runc and crun read an empty access as "rwm" */
        return 0;
}

static int parse_device_rules(json_t *res, struct cgroup_resources *out, berth_error *err)
{
        json_t *array = NULL, *item;
        size_t i;
        int r;

        if ((r = json_field_array(res, WHERE, "devices", false, &array, err)) < 0 || array == NULL)
                return r;
        out->devices = xzalloc((json_array_size(array) + 1) * sizeof(*out->devices));
        json_array_foreach (array, i, item) {
                cleanup_free char *where = xasprintf(WHERE ".devices[%zu]", i);
                struct cgroup_device_rule *d = &out->devices[i];
                const char *type = "a", *access = "";

                d->major = d->minor = CG_DEV_WILDCARD;
                if ((r = json_expect_object(item, where, err)) < 0 ||
                    (r = json_field_bool(item, where, "allow", true, &d->allow, err)) < 0 ||
                    (r = json_field_string(item, where, "type", false, &type, err)) < 0 ||
                    (r = json_field_i64(item, where, "major", false, &d->major, err)) < 0 ||
                    (r = json_field_i64(item, where, "minor", false, &d->minor, err)) < 0 ||
                    (r = json_field_string(item, where, "access", false, &access, err)) < 0 ||
                    (r = parse_access(where, access, &d->access, err)) < 0)
                        return r;
                if (type[0] == '\0')
                        type = "a";
                if ((strcmp(type, "a") != 0 && strcmp(type, "b") != 0 && strcmp(type, "c") != 0))
                        return berth_failf(err, EINVAL, "%s.type: \"%s\" is invalid (\"a\", \"b\" or \"c\")", where,
                                           type);
                d->type = type[0];
                if (d->major < CG_DEV_WILDCARD || d->major > UINT32_MAX || d->minor < CG_DEV_WILDCARD ||
                    d->minor > UINT32_MAX)
                        return berth_failf(err, EINVAL, "%s: device %" PRId64 ":%" PRId64 " is invalid", where,
                                           d->major, d->minor);
                if (d->type == 'a') /* "a" is every device, whatever numbers come with it (as the kernel reads it) */
                        d->major = d->minor = CG_DEV_WILDCARD;
                out->n_devices = i + 1;
        }
        return 0;
}

/* ---- entry points ----------------------------------------------------------------------------------- */

int cgroup_resources_parse(json_t *resources, struct cgroup_resources **out, berth_error *err)
{
        struct cgroup_resources *r = xzalloc(sizeof(*r));
        int ret;

        *out = NULL;
        if (resources != NULL && !json_is_null(resources)) {
                if ((ret = json_expect_object(resources, WHERE, err)) < 0 || (ret = parse_memory(resources, r, err)) < 0 ||
                    (ret = parse_cpu(resources, r, err)) < 0 || (ret = parse_pids(resources, r, err)) < 0 ||
                    (ret = parse_blkio(resources, r, err)) < 0 || (ret = parse_hugepages(resources, r, err)) < 0 ||
                    (ret = parse_network(resources, r, err)) < 0 || (ret = parse_rdma(resources, r, err)) < 0 ||
                    (ret = parse_unified(resources, r, err)) < 0 || (ret = parse_device_rules(resources, r, err)) < 0) {
                        cgroup_resources_free(r);
                        return ret;
                }
        }
        *out = r;
        return 0;
}

void cgroup_resources_free(struct cgroup_resources *r)
{
        if (r == NULL)
                return;
        free(r->cpu.cpus);
        free(r->cpu.mems);
        free(r->blkio.weight_devices);
        for (int k = 0; k < CG_THROTTLE_COUNT; k++)
                free(r->blkio.throttle[k]);
        for (size_t i = 0; i < r->n_hugepages; i++)
                free(r->hugepages[i].page_size);
        free(r->hugepages);
        for (size_t i = 0; i < r->network.n_priorities; i++)
                free(r->network.priorities[i].name);
        free(r->network.priorities);
        for (size_t i = 0; i < r->n_rdma; i++)
                free(r->rdma[i].device);
        free(r->rdma);
        for (size_t i = 0; i < r->n_unified; i++) {
                free(r->unified[i].key);
                free(r->unified[i].value);
        }
        free(r->unified);
        free(r->devices);
        free(r);
}

bool cgroup_resources_has_limits(const struct cgroup_resources *r)
{
        size_t throttles = 0;

        if (r == NULL)
                return false;
        for (int k = 0; k < CG_THROTTLE_COUNT; k++)
                throttles += r->blkio.n_throttle[k];
        return r->memory.has_limit || r->memory.has_reservation || r->memory.has_swap || r->memory.has_swappiness ||
               r->memory.has_disable_oom_killer || r->cpu.has_shares || r->cpu.has_quota || r->cpu.has_period ||
               r->cpu.has_burst || r->cpu.has_rt_runtime || r->cpu.has_rt_period || r->cpu.has_idle ||
               r->cpu.cpus != NULL || r->cpu.mems != NULL || r->pids.has_limit || r->blkio.has_weight ||
               r->blkio.has_leaf_weight || r->blkio.n_weight_devices > 0 || throttles > 0 || r->n_hugepages > 0 ||
               r->network.has_class_id || r->network.n_priorities > 0 || r->n_rdma > 0 || r->n_unified > 0;
}

uint32_t cgroup_resources_controllers(const struct cgroup_resources *r)
{
        uint32_t mask = 0;

        if (r == NULL)
                return 0;
        if (r->memory.has_limit || r->memory.has_reservation || r->memory.has_swap || r->memory.has_swappiness ||
            r->memory.has_disable_oom_killer || r->memory.has_use_hierarchy)
                mask |= CG_BIT(CG_MEMORY);
        if (r->cpu.has_shares || r->cpu.has_quota || r->cpu.has_period || r->cpu.has_burst || r->cpu.has_rt_runtime ||
            r->cpu.has_rt_period || r->cpu.has_idle)
                mask |= CG_BIT(CG_CPU);
        if (r->cpu.cpus != NULL || r->cpu.mems != NULL)
                mask |= CG_BIT(CG_CPUSET);
        if (r->pids.has_limit)
                mask |= CG_BIT(CG_PIDS);
        bool blkio = r->blkio.has_weight || r->blkio.has_leaf_weight || r->blkio.n_weight_devices > 0;
        for (int k = 0; k < CG_THROTTLE_COUNT; k++)
                blkio = blkio || r->blkio.n_throttle[k] > 0;
        if (blkio)
                mask |= CG_BIT(CG_BLKIO);
        if (r->n_hugepages > 0)
                mask |= CG_BIT(CG_HUGETLB);
        if (r->network.has_class_id)
                mask |= CG_BIT(CG_NET_CLS);
        if (r->network.n_priorities > 0)
                mask |= CG_BIT(CG_NET_PRIO);
        if (r->n_rdma > 0)
                mask |= CG_BIT(CG_RDMA);
        return mask;
}

/* ---- conversions ------------------------------------------------------------------------------------ */

uint64_t cgroup_cpu_shares_to_weight(uint64_t shares)
{
        double l, exponent;

        if (shares == 0)
                return 0;
        if (shares <= 2)
                return 1;
        if (shares >= 262144)
                return 10000;
        /* A quadratic in log2(shares) through (2 -> 1), (1024 -> 100), (262144 -> 10000):
         *   weight = ceil(10 ^ ((l^2 + 125 l) / 612 - 7/34)),  l = log2(shares). */
        l = log2((double) shares);
        exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
        return (uint64_t) ceil(pow(10.0, exponent));
}

uint64_t cgroup_blkio_weight_to_io_weight(uint64_t weight)
{
        if (weight == 0)
                return 0;
        if (weight < 10)
                weight = 10;
        if (weight > 1000)
                weight = 1000;
        return 1 + (weight - 10) * 9999 / 990;
}

int cgroup_memory_swap_to_v2(bool has_swap, int64_t swap, bool has_limit, int64_t limit, int64_t *out,
                             berth_error *err)
{
        *out = INT64_MIN;
        /* As on v1, where an unlimited memory limit lifts memsw too: "unlimited memory" means both. */
        if (has_limit && limit == -1 && !has_swap) {
                *out = -1;
                return 0;
        }
        if (!has_swap)
                return 0;
        if (swap == -1) {
                *out = -1;
                return 0;
        }
        if (!has_limit || limit == -1)
                return berth_failf(err, EINVAL, WHERE ".memory.swap: unable to set a swap limit without a memory limit");
        if (swap < limit)
                return berth_failf(err, EINVAL,
                                   WHERE ".memory.swap: %" PRId64 " is below memory.limit %" PRId64
                                         " (swap is the memory+swap limit)",
                                   swap, limit);
        *out = swap - limit;
        return 0;
}

const char *cgroup_format_limit(int64_t value, char *buf, size_t size)
{
        if (value < 0)
                snprintf(buf, size, "max");
        else
                snprintf(buf, size, "%" PRId64, value);
        return buf;
}

char *cgroup_io_max_line(const struct cgroup_throttle_device *d, enum cgroup_throttle_kind kind)
{
        static const char *const keys[CG_THROTTLE_COUNT] = {"rbps", "wbps", "riops", "wiops"};

        if (d->rate == 0)
                return xasprintf("%" PRId64 ":%" PRId64 " %s=max", d->major, d->minor, keys[kind]);
        return xasprintf("%" PRId64 ":%" PRId64 " %s=%" PRIu64, d->major, d->minor, keys[kind], d->rate);
}

const char *cgroup_v1_throttle_file(enum cgroup_throttle_kind kind)
{
        static const char *const files[CG_THROTTLE_COUNT] = {
                "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
                "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
        return files[kind];
}

char *cgroup_v1_throttle_line(const struct cgroup_throttle_device *d)
{
        return xasprintf("%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor, d->rate);
}

char *cgroup_rdma_line(const struct cgroup_rdma_limit *l)
{
        char handles[24] = "max", objects[24] = "max";

        if (l->has_handles)
                snprintf(handles, sizeof(handles), "%" PRIu32, l->handles);
        if (l->has_objects)
                snprintf(objects, sizeof(objects), "%" PRIu32, l->objects);
        return xasprintf("%s hca_handle=%s hca_object=%s", l->device, handles, objects);
}

char *cgroup_hugepage_dir_to_size(const char *dirname)
{
        static const char *const units[] = {"KB", "MB", "GB", "TB"};
        uint64_t kb;
        size_t u = 0;
        char *end;

        if (!str_has_prefix(dirname, "hugepages-"))
                return NULL;
        errno = 0;
        kb = strtoull(dirname + strlen("hugepages-"), &end, 10);
        if (errno != 0 || strcmp(end, "kB") != 0 || kb == 0)
                return NULL;
        /* The kernel's hugetlb_cgroup file names use the largest unit that divides the size exactly. */
        while (u + 1 < ARRAY_SIZE(units) && kb % 1024 == 0) {
                kb /= 1024;
                u++;
        }
        return xasprintf("%" PRIu64 "%s", kb, units[u]);
}

char **cgroup_hugepage_sizes(void)
{
        cleanup_closedir DIR *d = opendir("/sys/kernel/mm/hugepages");
        char **sizes = xzalloc(sizeof(char *));
        struct dirent *de;

        while (d != NULL && (de = readdir(d)) != NULL) {
                cleanup_free char *size = cgroup_hugepage_dir_to_size(de->d_name);
                if (size != NULL)
                        sizes = strv_append(sizes, size);
        }
        return sizes;
}

void cgroup_json_set_u64(json_t *obj, const char *key, uint64_t v, bool omitempty)
{
        if (omitempty && v == 0)
                return;
        /* jansson integers are signed 64-bit: "unlimited" (UINT64_MAX) becomes a real, as Go prints it. */
        if (v > INT64_MAX)
                json_object_set_new(obj, key, json_real((double) v));
        else
                json_object_set_new(obj, key, json_integer((json_int_t) v));
}

json_t *cgroup_json_object_member(json_t *obj, const char *key)
{
        json_t *member = json_object_get(obj, key);

        if (member == NULL) {
                member = json_object();
                json_object_set_new(obj, key, member);
        }
        return member;
}
