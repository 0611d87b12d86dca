/* cgroup v2 (Documentation/admin-guide/cgroup-v2.rst): controllers enabled top-down through
 * cgroup.subtree_control, limits in the container's directory with the mapping of runc and crun (memory.max,
 * memory.low, memory.swap.max = swap - limit, cpu.weight from shares, cpu.max, io.max, io.weight...), the
 * "unified" map written as it is, cgroup.freeze, stats and OOM events (memory.events). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup_internal.h"
#include "lib/cleanup.h"
#include "lib/util.h"

/* ---- controllers --------------------------------------------------------------------------------------- */

int cgroup_v2_enable_controllers(int parent_fd, const char *parent_path, uint32_t want, uint32_t need,
                                 uint32_t *child_has, berth_error *err)
{
        cleanup_free char *enabled_text = NULL, *available_text = NULL;
        uint32_t enabled, missing;
        char line[256] = "";
        int r;

        if ((r = read_file_at(parent_fd, "cgroup.subtree_control", &enabled_text, NULL, NULL)) < 0)
                return berth_fail(err, -r, "read %s/cgroup.subtree_control", parent_path);
        enabled = cgroup_controllers_parse(enabled_text, ' ', true);
        missing = want & ~enabled;
        if (missing != 0) {
                if ((r = read_file_at(parent_fd, "cgroup.controllers", &available_text, NULL, NULL)) < 0)
                        return berth_fail(err, -r, "read %s/cgroup.controllers", parent_path);
                missing &= cgroup_controllers_parse(available_text, ' ', true);
        }
        for (int c = 0; c < CG_CONTROLLER_COUNT; c++) {
                if (!(missing & CG_BIT(c)))
                        continue;
                if (line[0])
                        strcat(line, " ");
                strcat(line, "+");
                strcat(line, cgroup_controller_name(c, true));
        }
        if (line[0] != '\0') {
                cleanup_close int fd = openat(parent_fd, "cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, line, strlen(line)) < 0) {
                        /* A parent with processes of its own (a relative cgroupsPath below the runtime's own
                         * cgroup) cannot hand controllers down: fine while no limit needs them. */
                        if (errno == EBUSY && (need & ~enabled) == 0) {
                                *child_has = enabled;
                                return 0;
                        }
                        if (errno == EBUSY)
                                return berth_failf(err, EBUSY,
                                                   "enable controllers (%s) in %s/cgroup.subtree_control: %s has "
                                                   "processes of its own, and cgroup v2 enables controllers only "
                                                   "for cgroups without (the \"no internal processes\" rule)",
                                                   line, parent_path, parent_path);
                        return berth_fail(err, errno, "write '%s' to %s/cgroup.subtree_control", line, parent_path);
                }
        }
        *child_has = enabled | missing;
        return 0;
}

/* ---- memory ------------------------------------------------------------------------------------------- */

static int current_memory_max(struct cgroup_hierarchy *h, bool *has, int64_t *limit, berth_error *err)
{
        uint64_t v;
        int r = cgroup_read_u64(h, "memory.max", &v, err);

        if (r < 0)
                return r;
        *has = true;
        *limit = v == UINT64_MAX || v > INT64_MAX ? -1 : (int64_t) v;
        return 0;
}

static int set_memory(struct cgroup_hierarchy *h, const struct cgroup_resources *r, bool creating, berth_error *err)
{
        bool has_limit = r->memory.has_limit;
        int64_t limit = r->memory.limit, swap_max;
        char buf[24];
        int ret;

        /* memory.max below the usage does not fail on v2: the kernel reclaims, then OOM-kills. The spec's
         * checkBeforeUpdate asks to refuse such an update instead (runtime-spec 1.1). */
        if (!creating && has_limit && limit > 0 && r->memory.check_before_update) {
                uint64_t current = 0;
                if ((ret = cgroup_read_u64(h, "memory.current", &current, err)) < 0)
                        return ret;
                if (current > (uint64_t) limit)
                        return berth_failf(err, EBUSY,
                                           "unable to set memory limit to %" PRId64 " (current usage: %" PRIu64 ")",
                                           limit, current);
        }
        /* An update that changes only the swap limit converts it against the limit in force. */
        if (!creating && r->memory.has_swap && !has_limit && (ret = current_memory_max(h, &has_limit, &limit, err)) < 0)
                return ret;
        if ((ret = cgroup_memory_swap_to_v2(r->memory.has_swap, r->memory.swap, has_limit, limit, &swap_max, err)) < 0)
                return ret;
        if (swap_max != INT64_MIN) {
                if (cgroup_file_exists(h, "memory.swap.max")) {
                        if ((ret = cgroup_write(h, "memory.swap.max", cgroup_format_limit(swap_max, buf, sizeof(buf)),
                                                err)) < 0)
                                return ret;
                } else if (swap_max != -1) {
                        return berth_failf(err, EOPNOTSUPP, "linux.resources.memory.swap: this kernel has no swap "
                                                            "accounting (no memory.swap.max)");
                }
        }
        if (r->memory.has_limit &&
            (ret = cgroup_write(h, "memory.max", cgroup_format_limit(r->memory.limit, buf, sizeof(buf)), err)) < 0)
                return ret;
        if (r->memory.has_reservation &&
            (ret = cgroup_write(h, "memory.low", cgroup_format_limit(r->memory.reservation, buf, sizeof(buf)), err)) <
                    0)
                return ret;
        /* swappiness, disableOOMKiller, kernel, kernelTCP and useHierarchy have no cgroup v2 file: ignored, as
         * runc and crun ignore them (see docs/cgroups.md). */
        return 0;
}

/* ---- cpu, cpuset, pids -------------------------------------------------------------------------------- */

static int set_cpu_max(struct cgroup_hierarchy *h, const struct cgroup_resources *r, berth_error *err)
{
        cleanup_free char *current = NULL;
        char quota[24];

        if (r->cpu.has_quota)
                cgroup_format_limit(r->cpu.quota, quota, sizeof(quota));
        if (!r->cpu.has_period)
                return cgroup_write(h, "cpu.max", quota, err); /* "$MAX" alone keeps the period */
        if (!r->cpu.has_quota) {
                /* "$MAX $PERIOD" sets both: keep the quota in force when only the period changes. */
                int ret = cgroup_read(h, "cpu.max", &current, err);
                if (ret < 0)
                        return ret;
                snprintf(quota, sizeof(quota), "%.*s", (int) strcspn(current, " \n"), current);
        }
        return cgroup_writef(h, err, "cpu.max", "%s %" PRIu64, quota, r->cpu.period);
}

static int set_cpu(struct cgroup_hierarchy *h, const struct cgroup_resources *r, berth_error *err)
{
        int ret;

        if (r->cpu.has_shares && r->cpu.has_idle && r->cpu.idle == 1)
                return berth_failf(err, EINVAL, "linux.resources.cpu: cannot set both shares and idle on cgroup v2 "
                                                "(cpu.weight and cpu.idle)");
        if (r->cpu.has_shares &&
            (ret = cgroup_writef(h, err, "cpu.weight", "%" PRIu64, cgroup_cpu_shares_to_weight(r->cpu.shares))) < 0)
                return ret;
        if ((r->cpu.has_quota || r->cpu.has_period) && (ret = set_cpu_max(h, r, err)) < 0)
                return ret;
        if (r->cpu.has_burst) {
                if (!cgroup_file_exists(h, "cpu.max.burst"))
                        return berth_failf(err, EOPNOTSUPP, "linux.resources.cpu.burst: not supported by this kernel "
                                                            "(no cpu.max.burst)");
                if ((ret = cgroup_writef(h, err, "cpu.max.burst", "%" PRIu64, r->cpu.burst)) < 0)
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

/* ---- io ------------------------------------------------------------------------------------------------ */

static int set_io(struct cgroup_hierarchy *h, const struct cgroup_resources *r, berth_error *err)
{
        static const char *const fields[CG_THROTTLE_COUNT] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
                                                              "throttleReadIOPSDevice", "throttleWriteIOPSDevice"};
        bool weights = r->blkio.has_weight;
        int ret;

        for (size_t i = 0; i < r->blkio.n_weight_devices; i++)
                weights = weights || r->blkio.weight_devices[i].has_weight;
        if (weights) {
                /* BFQ keeps v1's 1-1000 scale (as crun writes it); io.weight (iocost) is 1-10000. */
                bool bfq = cgroup_file_exists(h, "io.bfq.weight");
                const char *file = bfq ? "io.bfq.weight" : "io.weight";
                if (!bfq && !cgroup_file_exists(h, "io.weight"))
                        return berth_failf(err, EOPNOTSUPP,
                                           "linux.resources.blockIO.weight: no io.bfq.weight nor io.weight in %s (no "
                                           "proportional I/O control in this kernel)",
                                           h->dir);
                if (r->blkio.has_weight &&
                    (ret = cgroup_writef(h, err, file, "%" PRIu64,
                                         bfq ? r->blkio.weight : cgroup_blkio_weight_to_io_weight(r->blkio.weight))) < 0)
                        return ret;
                for (size_t i = 0; i < r->blkio.n_weight_devices; i++) {
                        const struct cgroup_weight_device *d = &r->blkio.weight_devices[i];
                        if (!d->has_weight)
                                continue;
                        cleanup_free char *line = xasprintf("%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
                                                            bfq ? d->weight : cgroup_blkio_weight_to_io_weight(d->weight));
                        if ((ret = cgroup_write_device_line(h, file, line, "weightDevice", d->major, d->minor, err)) < 0)
                                return ret;
                }
        }
        /* leafWeight has no cgroup v2 equivalent: ignored (runc does the same). */
        for (int k = 0; k < CG_THROTTLE_COUNT; k++) {
                for (size_t i = 0; i < r->blkio.n_throttle[k]; i++) {
                        const struct cgroup_throttle_device *d = &r->blkio.throttle[k][i];
                        cleanup_free char *line = cgroup_io_max_line(d, k);
                        if ((ret = cgroup_write_device_line(h, "io.max", line, fields[k], d->major, d->minor, err)) < 0)
                                return ret;
                }
        }
        return 0;
}

/* ---- hugetlb, rdma, unified ------------------------------------------------------------------------------ */

static int set_unified(struct cgroup_hierarchy *h, const struct cgroup_resources *r, berth_error *err)
{
        for (size_t i = 0; i < r->n_unified; i++) {
                const struct cgroup_unified_entry *e = &r->unified[i];
                int ret = cgroup_write_raw(h, e->key, e->value);
                if (ret == -ENOENT)
                        return berth_failf(err, ENOENT,
                                           "linux.resources.unified.%s: no such file in %s (unknown file, or its "
                                           "controller is not enabled there)",
                                           e->key, h->dir);
                if (ret < 0)
                        return berth_fail(err, -ret, "linux.resources.unified.%s: write '%s' to %s/%s", e->key,
                                          e->value, h->dir, e->key);
        }
        return 0;
}

int cgroup_v2_apply(struct cgroup_manager *m, struct cgroup_hierarchy *h, const struct cgroup_resources *r,
                    bool creating, berth_error *err)
{
        uint32_t c = h->controllers, need = cgroup_resources_controllers(r);
        char buf[24];
        int ret;

        /* Whatever a v1 hierarchy does not hold must be here; a parent that did not offer it is an error, not
         * a limit silently dropped. */
        for (int k = 0; k < CG_CONTROLLER_COUNT; k++) {
                struct cgroup_hierarchy *owner = cgroup_manager_find(m, k);
                if ((need & CG_BIT(k)) && (owner == NULL || owner->v2) && !(c & CG_BIT(k)))
                        return berth_failf(err, EOPNOTSUPP,
                                           "the %s controller is not enabled for %s (not in its parent's "
                                           "cgroup.subtree_control)",
                                           cgroup_controller_name(k, true), h->dir);
        }
        if ((c & CG_BIT(CG_MEMORY)) && (ret = set_memory(h, r, creating, err)) < 0)
                return ret;
        if ((c & CG_BIT(CG_CPU)) && (ret = set_cpu(h, r, err)) < 0)
                return ret;
        if ((c & CG_BIT(CG_CPUSET)) && (ret = cgroup_set_cpuset(h, r, err)) < 0)
                return ret;
        if ((c & CG_BIT(CG_PIDS)) && r->pids.has_limit &&
            (ret = cgroup_write(h, "pids.max", cgroup_format_limit(r->pids.limit, buf, sizeof(buf)), err)) < 0)
                return ret;
        if ((c & CG_BIT(CG_BLKIO)) && (ret = set_io(h, r, err)) < 0)
                return ret;
        if ((c & CG_BIT(CG_HUGETLB)) && (ret = cgroup_set_hugetlb(h, r, "max", err)) < 0)
                return ret;
        for (size_t i = 0; (c & CG_BIT(CG_RDMA)) && i < r->n_rdma; i++) {
                cleanup_free char *line = cgroup_rdma_line(&r->rdma[i]);
                if ((ret = cgroup_write(h, "rdma.max", line, err)) < 0)
                        return ret;
        }
        /* Last, so that a raw value overrides the mapped one (crun's order). */
        return set_unified(h, r, err);
}

/* ---- freezer -------------------------------------------------------------------------------------------- */

static uint64_t monotonic_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

int cgroup_v2_freeze(struct cgroup_hierarchy *h, bool frozen, berth_error *err)
{
        int dfd = cgroup_hierarchy_fd(h, err), r;
        cleanup_close int events = -1;
        uint64_t deadline;

        if (dfd < 0)
                return dfd;
        if ((r = cgroup_write(h, "cgroup.freeze", frozen ? "1" : "0", err)) < 0)
                return r;
        /* cgroup.events' "frozen" follows once every task stopped (or resumed); the file signals each change
         * with POLLPRI. */
        events = openat(dfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        if (events < 0)
                return berth_fail(err, errno, "open %s/cgroup.events", h->dir);
        deadline = monotonic_ms() + 10000;
        for (;;) {
                char buf[256];
                ssize_t n = pread(events, buf, sizeof(buf) - 1, 0);
                if (n < 0)
                        return berth_fail(err, errno, "read %s/cgroup.events", h->dir);
                buf[n] = '\0';
                if (cgroup_keyed_value(buf, "frozen") == (frozen ? 1 : 0))
                        return 0;
                if (monotonic_ms() > deadline)
                        break;
                struct pollfd p = {.fd = events, .events = POLLPRI};
                poll(&p, 1, 10);
        }
        if (frozen)
                cgroup_write(h, "cgroup.freeze", "0", NULL);
        return berth_failf(err, EBUSY, "%s: the cgroup did not become %s in time", h->dir, frozen ? "frozen" : "thawed");
}

/* ---- OOM ------------------------------------------------------------------------------------------------ */

int cgroup_v2_oom_fd(struct cgroup_manager *m, struct cgroup_hierarchy *h, berth_error *err)
{
        cleanup_close int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        cleanup_free char *path = xasprintf("%s/memory.events", h->dir);

        if (fd < 0)
                return berth_fail(err, errno, "inotify_init1");
        /* kernfs reports every change of memory.events (oom, oom_kill counters) as IN_MODIFY. */
        if (inotify_add_watch(fd, path, IN_MODIFY) < 0)
                return berth_fail(err, errno, "watch %s", path);
        m->oom_fd = steal_fd(&fd);
        return m->oom_fd;
}

/* ---- stats ---------------------------------------------------------------------------------------------- */

static void stats_cpu(struct cgroup_hierarchy *h, json_t *data)
{
        json_t *obj = cgroup_json_object_member(data, "cpu");
        json_t *usage = cgroup_json_object_member(obj, "usage");
        json_t *throttling = cgroup_json_object_member(obj, "throttling");
        cleanup_free char *text = NULL;

        if (cgroup_read(h, "cpu.stat", &text, NULL) < 0)
                return;
        /* cpu.stat counts microseconds; runc's JSON nanoseconds. */
        cgroup_json_set_u64(usage, "total", cgroup_keyed_value(text, "usage_usec") * 1000, true);
        cgroup_json_set_u64(usage, "kernel", cgroup_keyed_value(text, "system_usec") * 1000, false);
        cgroup_json_set_u64(usage, "user", cgroup_keyed_value(text, "user_usec") * 1000, false);
        cgroup_json_set_u64(throttling, "periods", cgroup_keyed_value(text, "nr_periods"), true);
        cgroup_json_set_u64(throttling, "throttled_periods", cgroup_keyed_value(text, "nr_throttled"), true);
        cgroup_json_set_u64(throttling, "throttled_time", cgroup_keyed_value(text, "throttled_usec") * 1000, true);
}

static uint64_t read_or(struct cgroup_hierarchy *h, const char *file, uint64_t fallback)
{
        uint64_t v;
        return cgroup_read_u64(h, file, &v, NULL) == 0 ? v : fallback;
}

static void stats_memory(struct cgroup_hierarchy *h, json_t *data)
{
        json_t *obj = cgroup_json_object_member(data, "memory");
        json_t *usage = json_object(), *swap = json_object(), *raw = json_object();
        cleanup_free char *stat = NULL, *events = NULL;
        uint64_t current = read_or(h, "memory.current", 0), max = read_or(h, "memory.max", UINT64_MAX);
        uint64_t swap_current = read_or(h, "memory.swap.current", 0), swap_max = read_or(h, "memory.swap.max", UINT64_MAX);

        if (cgroup_read(h, "memory.stat", &stat, NULL) == 0) {
                for (const char *line = stat; line != NULL && *line;) {
                        const char *sp = strchr(line, ' '), *eol = strchr(line, '\n');
                        if (sp != NULL && (eol == NULL || sp < eol)) {
                                cleanup_free char *key = xstrndup(line, (size_t) (sp - line));
                                cgroup_json_set_u64(raw, key, strtoull(sp + 1, NULL, 10), false);
                        }
                        line = eol != NULL ? eol + 1 : NULL;
                }
                cgroup_json_set_u64(obj, "cache", cgroup_keyed_value(stat, "file"), true);
        }
        cgroup_read(h, "memory.events", &events, NULL);
        cgroup_json_set_u64(usage, "limit", max, false);
        cgroup_json_set_u64(usage, "usage", current, true);
        cgroup_json_set_u64(usage, "max", read_or(h, "memory.peak", 0), true);
        cgroup_json_set_u64(usage, "failcnt", events != NULL ? cgroup_keyed_value(events, "max") : 0, false);
        /* runc's v2 "swap" is memory+swap, as v1's memsw was. */
        cgroup_json_set_u64(swap, "limit", max == UINT64_MAX || swap_max == UINT64_MAX ? UINT64_MAX : max + swap_max,
                            false);
        cgroup_json_set_u64(swap, "usage", current + swap_current, true);
        cgroup_json_set_u64(swap, "failcnt", 0, false);
        json_object_set_new(obj, "usage", usage);
        json_object_set_new(obj, "swap", swap);
        json_object_set_new(obj, "raw", raw);
}

static void stats_pids(struct cgroup_hierarchy *h, json_t *data)
{
        json_t *obj = cgroup_json_object_member(data, "pids");
        uint64_t max = read_or(h, "pids.max", UINT64_MAX);

        cgroup_json_set_u64(obj, "current", read_or(h, "pids.current", 0), true);
        cgroup_json_set_u64(obj, "limit", max == UINT64_MAX ? 0 : max, true);
}

static void add_io_entry(json_t *list, unsigned maj, unsigned min, const char *op, uint64_t value)
{
        json_t *e = json_object();

        cgroup_json_set_u64(e, "major", maj, true);
        cgroup_json_set_u64(e, "minor", min, true);
        json_object_set_new(e, "op", json_string(op));
        cgroup_json_set_u64(e, "value", value, true);
        json_array_append_new(list, e);
}

static void stats_io(struct cgroup_hierarchy *h, json_t *data)
{
        json_t *obj = cgroup_json_object_member(data, "blkio");
        json_t *bytes = json_array(), *ios = json_array();
        cleanup_free char *text = NULL;

        /* "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" -> runc's Read/Write entries. */
        if (cgroup_read(h, "io.stat", &text, NULL) == 0) {
                for (char *line = text; line != NULL && *line;) {
                        char *eol = strchr(line, '\n');
                        unsigned maj, min;
                        if (eol != NULL)
                                *eol = '\0';
                        if (sscanf(line, "%u:%u", &maj, &min) == 2) {
                                uint64_t rb = 0, wb = 0, ri = 0, wi = 0;
                                for (char *tok = strchr(line, ' '); tok != NULL; tok = strchr(tok + 1, ' ')) {
                                        unsigned long long v;
                                        if (sscanf(tok, " rbytes=%llu", &v) == 1)
                                                rb = v;
                                        else if (sscanf(tok, " wbytes=%llu", &v) == 1)
                                                wb = v;
                                        else if (sscanf(tok, " rios=%llu", &v) == 1)
                                                ri = v;
                                        else if (sscanf(tok, " wios=%llu", &v) == 1)
                                                wi = v;
                                }
                                add_io_entry(bytes, maj, min, "Read", rb);
                                add_io_entry(bytes, maj, min, "Write", wb);
                                add_io_entry(ios, maj, min, "Read", ri);
                                add_io_entry(ios, maj, min, "Write", wi);
                        }
                        line = eol != NULL ? eol + 1 : NULL;
                }
        }
        if (json_array_size(bytes) > 0) {
                json_object_set_new(obj, "ioServiceBytesRecursive", bytes);
                json_object_set_new(obj, "ioServicedRecursive", ios);
        } else {
                json_decref(bytes);
                json_decref(ios);
        }
}

static void stats_hugetlb(struct cgroup_hierarchy *h, json_t *data)
{
        json_t *obj = cgroup_json_object_member(data, "hugetlb");
        cleanup_strv char **sizes = cgroup_hugepage_sizes();

        for (size_t i = 0; sizes[i] != NULL; i++) {
                cleanup_free char *current = xasprintf("hugetlb.%s.current", sizes[i]);
                cleanup_free char *events_file = xasprintf("hugetlb.%s.events", sizes[i]);
                cleanup_free char *events = NULL;
                json_t *e = json_object();
                cgroup_json_set_u64(e, "usage", read_or(h, current, 0), true);
                cgroup_read(h, events_file, &events, NULL);
                cgroup_json_set_u64(e, "failcnt", events != NULL ? cgroup_keyed_value(events, "max") : 0, false);
                json_object_set_new(obj, sizes[i], e);
        }
}

int cgroup_v2_stats(struct cgroup_manager *m, struct cgroup_hierarchy *h, json_t *data, berth_error *err)
{
        uint32_t c = h->controllers;

        /* cpu.stat is a core file: usage is there even without the cpu controller. On a hybrid host the v1
         * cpu/cpuacct hierarchies speak for the cpu. */
        if (m->layout == CG_LAYOUT_V2)
                stats_cpu(h, data);
        if (c & CG_BIT(CG_MEMORY))
                stats_memory(h, data);
        if (c & CG_BIT(CG_PIDS))
                stats_pids(h, data);
        if (c & CG_BIT(CG_BLKIO))
                stats_io(h, data);
        if (c & CG_BIT(CG_HUGETLB))
                stats_hugetlb(h, data);
        return 0;
}
