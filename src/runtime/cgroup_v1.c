/* cgroup v1: limits in the per-controller hierarchies (Documentation/admin-guide/cgroup-v1/), the devices
 * cgroup's allow/deny lists, the freezer, stats and OOM notification (memory.oom_control + eventfd).
 * Only controllers bound to a v1 hierarchy are handled here; on a hybrid host the others are cgroup_v2.c's. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup_internal.h"
#include "lib/cleanup.h"
#include "lib/util.h"

static struct cgroup_hierarchy *v1_find(struct cgroup_manager *m, enum cgroup_controller c)
{
        struct cgroup_hierarchy *h = cgroup_manager_find(m, c);
        return h != NULL && !h->v2 ? h : NULL;
}

/* ---- memory ------------------------------------------------------------------------------------------ */

static int set_memory_limit(struct cgroup_hierarchy *h, int64_t limit, berth_error *err)
{
        char buf[24];
        uint64_t usage = 0, peak = 0;
        int r;

        snprintf(buf, sizeof(buf), "%" PRId64, limit);
        r = cgroup_write_raw(h, "memory.limit_in_bytes", buf);
        if (r == -EBUSY) {
                /* The kernel could not reclaim down to the new limit: say what the usage is, as runc does. */
                cgroup_read_u64(h, "memory.usage_in_bytes", &usage, NULL);
                cgroup_read_u64(h, "memory.max_usage_in_bytes", &peak, NULL);
                return berth_failf(err, EBUSY,
                                   "unable to set memory limit to %" PRId64 " (current usage: %" PRIu64
                                   ", peak usage: %" PRIu64 ")",
                                   limit, usage, peak);
        }
        if (r < 0)
                return berth_fail(err, -r, "write '%s' to %s/memory.limit_in_bytes", buf, h->dir);
        return 0;
}

static int set_memsw_limit(struct cgroup_hierarchy *h, int64_t swap, berth_error *err)
{
        if (!cgroup_file_exists(h, "memory.memsw.limit_in_bytes")) {
                if (swap == -1)
                        return 0; /* "unlimited" is what there is without swap accounting */
                return berth_failf(err, EOPNOTSUPP,
                                   "linux.resources.memory.swap: this kernel has no swap accounting "
                                   "(memory.memsw.limit_in_bytes; boot with swapaccount=1)");
        }
        return cgroup_writef(h, err, "memory.memsw.limit_in_bytes", "%" PRId64, swap);
}

static int set_memory(struct cgroup_hierarchy *h, const struct cgroup_resources *r, bool creating, berth_error *err)
{
        bool has_swap = r->memory.has_swap;
        int64_t swap = r->memory.swap;
        int ret;

        /* As runc: "unlimited memory" with no word on swap lifts the swap limit too. */
        if (r->memory.has_limit && r->memory.limit == -1 && !has_swap) {
                has_swap = true;
                swap = -1;
        }
        if (r->memory.has_limit && has_swap) {
                uint64_t current = UINT64_MAX;
                /* memsw must stay >= memory at every step: raise memsw first when the limits grow. */
                if (!creating && (ret = cgroup_read_u64(h, "memory.limit_in_bytes", &current, err)) < 0)
                        return ret;
                if (swap == -1 || current < (uint64_t) swap) {
                        if ((ret = set_memsw_limit(h, swap, err)) < 0 || (ret = set_memory_limit(h, r->memory.limit, err)) < 0)
                                return ret;
                } else if ((ret = set_memory_limit(h, r->memory.limit, err)) < 0 ||
                           (ret = set_memsw_limit(h, swap, err)) < 0) {
                        return ret;
                }
        } else if (r->memory.has_limit) {
                if ((ret = set_memory_limit(h, r->memory.limit, err)) < 0)
                        return ret;
        } else if (has_swap && (ret = set_memsw_limit(h, swap, err)) < 0) {
                return ret;
        }
        if (r->memory.has_reservation &&
            (ret = cgroup_writef(h, err, "memory.soft_limit_in_bytes", "%" PRId64, r->memory.reservation)) < 0)
                return ret;
        if (r->memory.has_swappiness &&
            (ret = cgroup_writef(h, err, "memory.swappiness", "%" PRIu64, r->memory.swappiness)) < 0)
                return ret;
        if (r->memory.has_disable_oom_killer && (r->memory.disable_oom_killer || !creating) &&
            (ret = cgroup_write(h, "memory.oom_control", r->memory.disable_oom_killer ? "1" : "0", err)) < 0)
                return ret;
        if (r->memory.has_use_hierarchy &&
            (ret = cgroup_write(h, "memory.use_hierarchy", r->memory.use_hierarchy ? "1" : "0", err)) < 0)
                return ret;
        return 0;
}

/* ---- cpu, cpuset, pids ------------------------------------------------------------------------------- */

/* Real-time bandwidth is handed down the tree: a cgroup cannot have more than its parent, and a new cgroup
 * (/berth, for one) has none (Documentation/scheduler/sched-rt-group.rst). Raise the ancestors that have less
 * than asked for, top-down from the first one that has enough; never lower anything. */
static int raise_rt_runtime_of_parents(struct cgroup_hierarchy *h, int64_t runtime, berth_error *err)
{
        cleanup_free char *dir = xstrdup(h->dir);
        char *parents[64];
        size_t n = 0;
        int r = 0;

        for (;;) {
                cleanup_free char *value = NULL;
                char *slash = strrchr(dir, '/');
                int64_t have;
                if (slash == NULL || slash == dir || n == ARRAY_SIZE(parents)) {
                        r = berth_failf(err, EINVAL, "linux.resources.cpu.realtimeRuntime: no cgroup above %s has %" PRId64
                                                     " us of real-time runtime to hand down",
                                        h->dir, runtime);
                        break;
                }
                *slash = '\0';
                cleanup_free char *file = xasprintf("%s/cpu.rt_runtime_us", dir);
                if (read_file_at(AT_FDCWD, file, &value, NULL, NULL) < 0 || parse_i64(strtok(value, "\n"), &have) < 0) {
                        r = berth_failf(err, EINVAL, "linux.resources.cpu.realtimeRuntime: no cgroup above %s has %" PRId64
                                                     " us of real-time runtime to hand down",
                                        h->dir, runtime);
                        break;
                }
                if (have == -1 || have >= runtime)
                        break;
                parents[n++] = xstrdup(dir);
        }
        while (n > 0) {
                char *parent = parents[--n];
                if (r == 0) {
                        cleanup_free char *file = xasprintf("%s/cpu.rt_runtime_us", parent);
                        cleanup_free char *value = xasprintf("%" PRId64, runtime);
                        r = write_file_at(AT_FDCWD, file, value, strlen(value), err);
                }
                free(parent);
        }
        return r;
}

static int set_cpu(struct cgroup_hierarchy *h, const struct cgroup_resources *r, bool creating, berth_error *err)
{
        int ret, period_err = 0;
        char buf[24];

        if (r->cpu.has_shares && (ret = cgroup_writef(h, err, "cpu.shares", "%" PRIu64, r->cpu.shares)) < 0)
                return ret;
        /* The kernel checks quota against period at each write: if the period cannot be set first (EINVAL
         * against the current quota), set the quota and retry it, as runc does. */
        if (r->cpu.has_period) {
                snprintf(buf, sizeof(buf), "%" PRIu64, r->cpu.period);
                period_err = cgroup_write_raw(h, "cpu.cfs_period_us", buf);
                if (period_err < 0 && period_err != -EINVAL)
                        return berth_fail(err, -period_err, "write '%s' to %s/cpu.cfs_period_us", buf, h->dir);
        }
        if (r->cpu.has_quota && (ret = cgroup_writef(h, err, "cpu.cfs_quota_us", "%" PRId64, r->cpu.quota)) < 0)
                return ret;
        if (period_err < 0 && (ret = cgroup_writef(h, err, "cpu.cfs_period_us", "%" PRIu64, r->cpu.period)) < 0)
                return ret;
        if (r->cpu.has_burst) {
                if (!cgroup_file_exists(h, "cpu.cfs_burst_us"))
                        return berth_failf(err, EOPNOTSUPP, "linux.resources.cpu.burst: not supported by this kernel "
                                                            "(no cpu.cfs_burst_us)");
                if ((ret = cgroup_writef(h, err, "cpu.cfs_burst_us", "%" PRIu64, r->cpu.burst)) < 0)
                        return ret;
        }
        if ((r->cpu.has_rt_period || r->cpu.has_rt_runtime) && !cgroup_file_exists(h, "cpu.rt_runtime_us"))
                return berth_failf(err, EOPNOTSUPP,
                                   "linux.resources.cpu.realtimeRuntime: this kernel has no real-time group "
                                   "scheduling (CONFIG_RT_GROUP_SCHED)");
        if (r->cpu.has_rt_period &&
            (ret = cgroup_writef(h, err, "cpu.rt_period_us", "%" PRIu64, r->cpu.rt_period)) < 0)
                return ret;
        if (r->cpu.has_rt_runtime) {
                if (r->cpu.rt_runtime > 0 && (ret = raise_rt_runtime_of_parents(h, r->cpu.rt_runtime, err)) < 0)
                        return ret;
                if ((ret = cgroup_writef(h, err, "cpu.rt_runtime_us", "%" PRId64, r->cpu.rt_runtime)) < 0)
                        return ret;
        }
        if (r->cpu.has_idle) {
                if (!cgroup_file_exists(h, "cpu.idle"))
                        return berth_failf(err, EOPNOTSUPP, "linux.resources.cpu.idle: not supported by this kernel");
                if ((ret = cgroup_writef(h, err, "cpu.idle", "%" PRId64, r->cpu.idle)) < 0)
                        return ret;
        }
        return 0;
}

bool cgroup_v1_cpuset_empty(int fd)
{
        cleanup_free char *cpus = NULL, *mems = NULL;

        return read_file_at(fd, "cpuset.cpus", &cpus, NULL, NULL) < 0 || read_file_at(fd, "cpuset.mems", &mems, NULL, NULL) < 0 ||
               strcspn(cpus, "\n") == 0 || strcspn(mems, "\n") == 0;
}

int cgroup_v1_init_cpuset(int parent_fd, int child_fd, const char *child_path, berth_error *err)
{
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};

        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                cleanup_free char *value = NULL;
                int r = read_file_at(parent_fd, files[i], &value, NULL, err);
                if (r < 0)
                        return r;
                size_t len = strcspn(value, "\n");
                if (len == 0)
                        continue;
                cleanup_close int fd = openat(child_fd, files[i], O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, value, len) < 0)
                        return berth_fail(err, errno, "write '%.*s' to %s/%s", (int) len, value, child_path, files[i]);
        }
        return 0;
}

static int set_pids(struct cgroup_hierarchy *h, const struct cgroup_resources *r, berth_error *err)
{
        char buf[24];

        if (!r->pids.has_limit)
                return 0;
        return cgroup_write(h, "pids.max", cgroup_format_limit(r->pids.limit, buf, sizeof(buf)), err);
}

/* ---- blkio -------------------------------------------------------------------------------------------- */

static const char *pick_file(struct cgroup_hierarchy *h, const char *a, const char *b)
{
        if (cgroup_file_exists(h, a))
                return a;
        return cgroup_file_exists(h, b) ? b : NULL;
}

static int set_blkio(struct cgroup_hierarchy *h, const struct cgroup_resources *r, berth_error *err)
{
        static const char *const fields[CG_THROTTLE_COUNT] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
                                                              "throttleReadIOPSDevice", "throttleWriteIOPSDevice"};
        int ret;

        /* CFQ's blkio.weight is gone since Linux 5.0; BFQ offers blkio.bfq.weight with the same range. */
        if (r->blkio.has_weight || r->blkio.n_weight_devices > 0) {
                const char *file = pick_file(h, "blkio.weight", "blkio.bfq.weight");
                if (file == NULL)
                        return berth_failf(err, EOPNOTSUPP,
                                           "linux.resources.blockIO.weight: no proportional I/O scheduler (neither "
                                           "blkio.weight nor blkio.bfq.weight: load the bfq I/O scheduler)");
                if (r->blkio.has_weight && (ret = cgroup_writef(h, err, file, "%u", r->blkio.weight)) < 0)
                        return ret;
                cleanup_free char *device_file = xasprintf("%s_device", file);
                for (size_t i = 0; i < r->blkio.n_weight_devices; i++) {
                        const struct cgroup_weight_device *d = &r->blkio.weight_devices[i];
                        if (!d->has_weight)
                                continue;
                        cleanup_free char *line = xasprintf("%" PRId64 ":%" PRId64 " %u", d->major, d->minor, d->weight);
                        if ((ret = cgroup_write_device_line(h, device_file, line, "weightDevice", d->major, d->minor,
                                                            err)) < 0)
                                return ret;
                }
        }
        bool leaf = r->blkio.has_leaf_weight;
        for (size_t i = 0; i < r->blkio.n_weight_devices; i++)
                leaf = leaf || r->blkio.weight_devices[i].has_leaf_weight;
        if (leaf && !cgroup_file_exists(h, "blkio.leaf_weight"))
                return berth_failf(err, EOPNOTSUPP, "linux.resources.blockIO.leafWeight: not supported by this kernel "
                                                    "(blkio.leaf_weight left with CFQ in Linux 5.0)");
        if (r->blkio.has_leaf_weight && (ret = cgroup_writef(h, err, "blkio.leaf_weight", "%u", r->blkio.leaf_weight)) < 0)
                return ret;
        for (size_t i = 0; i < r->blkio.n_weight_devices; i++) {
                const struct cgroup_weight_device *d = &r->blkio.weight_devices[i];
                if (!d->has_leaf_weight)
                        continue;
                cleanup_free char *line = xasprintf("%" PRId64 ":%" PRId64 " %u", d->major, d->minor, d->leaf_weight);
                if ((ret = cgroup_write_device_line(h, "blkio.leaf_weight_device", line, "weightDevice", d->major,
                                                    d->minor, err)) < 0)
                        return ret;
        }
        for (int k = 0; k < CG_THROTTLE_COUNT; k++) {
                for (size_t i = 0; i < r->blkio.n_throttle[k]; i++) {
                        const struct cgroup_throttle_device *d = &r->blkio.throttle[k][i];
                        cleanup_free char *line = cgroup_v1_throttle_line(d);
                        if ((ret = cgroup_write_device_line(h, cgroup_v1_throttle_file(k), line, fields[k], d->major,
                                                            d->minor, err)) < 0)
                                return ret;
                }
        }
        return 0;
}

/* ---- hugetlb, net_cls, net_prio, rdma ---------------------------------------------------------------- */

static int set_net_prio(struct cgroup_hierarchy *h, const struct cgroup_resources *r, berth_error *err)
{
        for (size_t i = 0; i < r->network.n_priorities; i++) {
                int ret = cgroup_writef(h, err, "net_prio.ifpriomap", "%s %" PRIu32, r->network.priorities[i].name,
                                        r->network.priorities[i].priority);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

static int set_rdma(struct cgroup_hierarchy *h, const struct cgroup_resources *r, berth_error *err)
{
        for (size_t i = 0; i < r->n_rdma; i++) {
                cleanup_free char *line = cgroup_rdma_line(&r->rdma[i]);
                int ret = cgroup_write(h, "rdma.max", line, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

int cgroup_v1_apply(struct cgroup_manager *m, const struct cgroup_resources *r, bool creating, berth_error *err)
{
        struct cgroup_hierarchy *h;
        int ret;

        if ((h = v1_find(m, CG_MEMORY)) != NULL && (ret = set_memory(h, r, creating, err)) < 0)
                return ret;
        if ((h = v1_find(m, CG_CPU)) != NULL && (ret = set_cpu(h, r, creating, err)) < 0)
                return ret;
        if ((h = v1_find(m, CG_CPUSET)) != NULL && (ret = cgroup_set_cpuset(h, r, err)) < 0)
                return ret;
        if ((h = v1_find(m, CG_PIDS)) != NULL && (ret = set_pids(h, r, err)) < 0)
                return ret;
        if ((h = v1_find(m, CG_BLKIO)) != NULL && (ret = set_blkio(h, r, err)) < 0)
                return ret;
        if ((h = v1_find(m, CG_HUGETLB)) != NULL && (ret = cgroup_set_hugetlb(h, r, "limit_in_bytes", err)) < 0)
                return ret;
        if ((h = v1_find(m, CG_NET_CLS)) != NULL && r->network.has_class_id &&
            (ret = cgroup_writef(h, err, "net_cls.classid", "%" PRIu32, r->network.class_id)) < 0)
                return ret;
        if ((h = v1_find(m, CG_NET_PRIO)) != NULL && (ret = set_net_prio(h, r, err)) < 0)
                return ret;
        if ((h = v1_find(m, CG_RDMA)) != NULL && (ret = set_rdma(h, r, err)) < 0)
                return ret;
        return 0;
}

/* ---- devices ------------------------------------------------------------------------------------------- */

int cgroup_v1_apply_devices(struct cgroup_hierarchy *h, const struct cgroup_device_rule *rules, size_t n,
                            berth_error *err)
{
        int dfd = cgroup_hierarchy_fd(h, err);
        cleanup_close int allow = -1, deny = -1;
        size_t i = 0;

        if (dfd < 0)
                return dfd;
        allow = openat(dfd, "devices.allow", O_WRONLY | O_CLOEXEC);
        deny = openat(dfd, "devices.deny", O_WRONLY | O_CLOEXEC);
        if (allow < 0 || deny < 0)
                return berth_fail(err, errno, "open %s/devices.allow and devices.deny", h->dir);
        /* Start from "deny everything" as runc's emulator does on v1 and v2 alike; a leading "a" rule of the
         * spec sets the start itself. Each file takes one rule per write. */
        if (n > 0 && rules[0].type == 'a') {
                if (write(rules[0].allow ? allow : deny, "a", 1) < 0)
                        return berth_fail(err, errno, "write 'a' to %s/devices.%s", h->dir, rules[0].allow ? "allow" : "deny");
                i = 1;
        } else if (write(deny, "a", 1) < 0) {
                return berth_fail(err, errno, "write 'a' to %s/devices.deny", h->dir);
        }
        for (; i < n; i++) {
                char line[64];
                cgroup_device_rule_v1_string(&rules[i], line, sizeof(line));
                if (write(rules[i].allow ? allow : deny, line, strlen(line)) < 0)
                        return berth_fail(err, errno, "write '%s' to %s/devices.%s", line, h->dir,
                                          rules[i].allow ? "allow" : "deny");
        }
        return 0;
}

/* ---- freezer ------------------------------------------------------------------------------------------- */

int cgroup_v1_freeze(struct cgroup_hierarchy *h, bool frozen, berth_error *err)
{
        const char *want = frozen ? "FROZEN" : "THAWED";
        struct timespec pause = {0, 1000000};

        /* FROZEN is reached when every task stopped; until then the state reads FREEZING. Writing FROZEN
         * again retries the tasks that were busy (Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst). */
        for (int attempt = 0; attempt < 2000; attempt++) {
                cleanup_free char *state = NULL;
                int r = cgroup_write(h, "freezer.state", want, err);
                if (r < 0)
                        return r;
                if ((r = cgroup_read(h, "freezer.state", &state, err)) < 0)
                        return r;
                if (str_has_prefix(state, want))
                        return 0;
                nanosleep(&pause, NULL);
                if (pause.tv_nsec < 10000000)
                        pause.tv_nsec *= 2;
        }
        if (frozen)
                cgroup_write(h, "freezer.state", "THAWED", NULL);
        return berth_failf(err, EBUSY, "%s: the cgroup did not reach %s in time", h->dir, want);
}

/* ---- OOM --------------------------------------------------------------------------------------------- */

int cgroup_v1_oom_fd(struct cgroup_manager *m, struct cgroup_hierarchy *h, berth_error *err)
{
        cleanup_close int efd = -1, ocfd = -1;
        int dfd = cgroup_hierarchy_fd(h, err);
        char line[64];
        int r;

        if (dfd < 0)
                return dfd;
        /* cgroup.event_control: "<eventfd> <fd of memory.oom_control>" arms an OOM notification. */
        efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (efd < 0)
                return berth_fail(err, errno, "eventfd");
        ocfd = openat(dfd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
        if (ocfd < 0)
                return berth_fail(err, errno, "open %s/memory.oom_control", h->dir);
        snprintf(line, sizeof(line), "%d %d", efd, ocfd);
        if ((r = cgroup_write(h, "cgroup.event_control", line, err)) < 0)
                return r;
        m->oom_control_fd = steal_fd(&ocfd);
        m->oom_fd = steal_fd(&efd);
        return m->oom_fd;
}

/* ---- stats -------------------------------------------------------------------------------------------- */

static json_t *u64_array(const char *text)
{
        json_t *a = json_array();

        for (const char *p = text; *p;) {
                char *end;
                unsigned long long v = strtoull(p, &end, 10);
                if (end == p)
                        break;
                json_array_append_new(a, json_integer((json_int_t) v));
                p = end;
                while (*p == ' ' || *p == '\n')
                        p++;
        }
        return a;
}

static void stats_cpu(struct cgroup_hierarchy *cpu, struct cgroup_hierarchy *acct, json_t *data)
{
        json_t *obj = cgroup_json_object_member(data, "cpu");
        json_t *usage = cgroup_json_object_member(obj, "usage");
        json_t *throttling = cgroup_json_object_member(obj, "throttling");
        cleanup_free char *text = NULL;
        uint64_t v;

        if (acct != NULL) {
                static const char *const percpu[][2] = {{"cpuacct.usage_percpu", "percpu"},
                                                        {"cpuacct.usage_percpu_sys", "percpu_kernel"},
                                                        {"cpuacct.usage_percpu_user", "percpu_user"}};
                if (cgroup_read_u64(acct, "cpuacct.usage", &v, NULL) == 0)
                        cgroup_json_set_u64(usage, "total", v, true);
                for (size_t i = 0; i < ARRAY_SIZE(percpu); i++) {
                        cleanup_free char *list = NULL;
                        if (cgroup_read(acct, percpu[i][0], &list, NULL) == 0)
                                json_object_set_new(usage, percpu[i][1], u64_array(list));
                }
                /* cpuacct.stat counts USER_HZ ticks (100 per second on every Linux ABI). */
                if (cgroup_read(acct, "cpuacct.stat", &text, NULL) == 0) {
                        cgroup_json_set_u64(usage, "kernel", cgroup_keyed_value(text, "system") * 10000000ull, false);
                        cgroup_json_set_u64(usage, "user", cgroup_keyed_value(text, "user") * 10000000ull, false);
                }
        }
        free(steal_pointer(&text));
        if (cpu != NULL && cgroup_read(cpu, "cpu.stat", &text, NULL) == 0) {
                cgroup_json_set_u64(throttling, "periods", cgroup_keyed_value(text, "nr_periods"), true);
                cgroup_json_set_u64(throttling, "throttled_periods", cgroup_keyed_value(text, "nr_throttled"), true);
                cgroup_json_set_u64(throttling, "throttled_time", cgroup_keyed_value(text, "throttled_time"), true);
        }
}

static json_t *memory_entry(struct cgroup_hierarchy *h, const char *prefix)
{
        static const char *const fields[][3] = {{"limit_in_bytes", "limit", "0"},
                                                {"usage_in_bytes", "usage", "1"},
                                                {"max_usage_in_bytes", "max", "1"},
                                                {"failcnt", "failcnt", "0"}};
        json_t *e = json_object();

        for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
                cleanup_free char *file = xasprintf("%s%s", prefix, fields[i][0]);
                uint64_t v = 0;
                if (cgroup_read_u64(h, file, &v, NULL) == 0 || fields[i][2][0] == '0')
                        cgroup_json_set_u64(e, fields[i][1], v, fields[i][2][0] == '1');
        }
        return e;
}

static json_t *flat_keyed_object(const char *text)
{
        json_t *raw = json_object();

        for (const char *line = text; line != NULL && *line;) {
                const char *sp = strchr(line, ' '), *eol = strchr(line, '\n');
                if (sp != NULL && (eol == NULL || sp < eol)) {
                        cleanup_free char *key = xstrndup(line, (size_t) (sp - line));
                        cgroup_json_set_u64(raw, key, strtoull(sp + 1, NULL, 10), false);
                }
                line = eol != NULL ? eol + 1 : NULL;
        }
        return raw;
}

static void stats_memory(struct cgroup_hierarchy *h, json_t *data)
{
        json_t *obj = cgroup_json_object_member(data, "memory");
        cleanup_free char *stat = NULL;

        if (cgroup_read(h, "memory.stat", &stat, NULL) == 0) {
                json_t *raw = flat_keyed_object(stat);
                cgroup_json_set_u64(obj, "cache", cgroup_keyed_value(stat, "cache"), true);
                json_object_set_new(obj, "raw", raw);
        }
        json_object_set_new(obj, "usage", memory_entry(h, "memory."));
        if (cgroup_file_exists(h, "memory.memsw.usage_in_bytes"))
                json_object_set_new(obj, "swap", memory_entry(h, "memory.memsw."));
        json_object_set_new(obj, "kernel", memory_entry(h, "memory.kmem."));
        json_object_set_new(obj, "kernelTCP", memory_entry(h, "memory.kmem.tcp."));
}

static void stats_pids(struct cgroup_hierarchy *h, json_t *data)
{
        json_t *obj = cgroup_json_object_member(data, "pids");
        uint64_t v = 0;

        if (cgroup_read_u64(h, "pids.current", &v, NULL) == 0)
                cgroup_json_set_u64(obj, "current", v, true);
        if (cgroup_read_u64(h, "pids.max", &v, NULL) == 0)
                cgroup_json_set_u64(obj, "limit", v == UINT64_MAX ? 0 : v, true);
}

/* "8:0 Read 4096" lines -> runc's BlkioStatEntry objects. */
static json_t *blkio_entries(const char *text)
{
        json_t *list = json_array();

        for (const char *line = text; line != NULL && *line;) {
                unsigned maj, min;
                char op[16];
                unsigned long long value;
                if (sscanf(line, "%u:%u %15s %llu", &maj, &min, op, &value) == 4) {
                        json_t *e = json_object();
                        cgroup_json_set_u64(e, "major", maj, true);
                        cgroup_json_set_u64(e, "minor", min, true);
                        json_object_set_new(e, "op", json_string(op));
                        cgroup_json_set_u64(e, "value", value, true);
                        json_array_append_new(list, e);
                }
                line = strchr(line, '\n');
                if (line != NULL)
                        line++;
        }
        return list;
}

static void stats_blkio(struct cgroup_hierarchy *h, json_t *data)
{
        static const char *const files[][3] = {
                {"blkio.io_service_bytes_recursive", "blkio.throttle.io_service_bytes_recursive",
                 "ioServiceBytesRecursive"},
                {"blkio.io_serviced_recursive", "blkio.throttle.io_serviced_recursive", "ioServicedRecursive"},
        };
        json_t *obj = cgroup_json_object_member(data, "blkio");

        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                cleanup_free char *text = NULL;
                /* CFQ's files (gone in 5.0) when present, else the throttling layer's, which always count. */
                if (cgroup_read(h, files[i][0], &text, NULL) < 0 && cgroup_read(h, files[i][1], &text, NULL) < 0)
                        continue;
                json_t *list = blkio_entries(text);
                if (json_array_size(list) > 0)
                        json_object_set_new(obj, files[i][2], list);
                else
                        json_decref(list);
        }
}

static void stats_hugetlb(struct cgroup_hierarchy *h, json_t *data)
{
        json_t *obj = cgroup_json_object_member(data, "hugetlb");
        cleanup_strv char **sizes = cgroup_hugepage_sizes();

        for (size_t i = 0; sizes[i] != NULL; i++) {
                cleanup_free char *usage = xasprintf("hugetlb.%s.usage_in_bytes", sizes[i]);
                cleanup_free char *max = xasprintf("hugetlb.%s.max_usage_in_bytes", sizes[i]);
                cleanup_free char *failcnt = xasprintf("hugetlb.%s.failcnt", sizes[i]);
                json_t *e = json_object();
                uint64_t v = 0;
                if (cgroup_read_u64(h, usage, &v, NULL) == 0)
                        cgroup_json_set_u64(e, "usage", v, true);
                if (cgroup_read_u64(h, max, &v, NULL) == 0)
                        cgroup_json_set_u64(e, "max", v, true);
                v = 0;
                cgroup_read_u64(h, failcnt, &v, NULL);
                cgroup_json_set_u64(e, "failcnt", v, false);
                json_object_set_new(obj, sizes[i], e);
        }
}

int cgroup_v1_stats(struct cgroup_manager *m, json_t *data, berth_error *err)
{
        struct cgroup_hierarchy *h, *acct = v1_find(m, CG_CPUACCT), *cpu = v1_find(m, CG_CPU);

        if (cpu != NULL || acct != NULL)
                stats_cpu(cpu, acct, data);
        if ((h = v1_find(m, CG_MEMORY)) != NULL)
                stats_memory(h, data);
        if ((h = v1_find(m, CG_PIDS)) != NULL)
                stats_pids(h, data);
        if ((h = v1_find(m, CG_BLKIO)) != NULL)
                stats_blkio(h, data);
        if ((h = v1_find(m, CG_HUGETLB)) != NULL)
                stats_hugetlb(h, data);
        return 0;
}
