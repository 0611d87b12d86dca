/* The container's cgroup(s): one directory per mounted hierarchy (v1 controllers, named v1 hierarchies such
 * as name=systemd, and cgroup2), created before the init is cloned and removed by delete. The layout comes
 * from one read of /proc/self/mountinfo; limits go through cgroup_v1.c / cgroup_v2.c depending on where each
 * controller is bound, which on a hybrid host differs per controller (e.g. hugetlb on cgroup2, everything
 * else on v1). See docs/cgroups.md. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "cleanup.h"
#include "json.h"
#include "util.h"

/* ---- manager basics ---------------------------------------------------------------------------------- */

static struct cgroup_manager *manager_new(void)
{
        struct cgroup_manager *m = xzalloc(sizeof(*m));
        m->oom_fd = -1;
        m->oom_control_fd = -1;
        return m;
}

static void hierarchy_clear(struct cgroup_hierarchy *h)
{
        free(h->name);
        free(h->options);
        free(h->dir);
        if (h->fd >= 0)
                close(h->fd);
        h->fd = -1;
}

void cgroup_manager_free(struct cgroup_manager *m)
{
        if (m == NULL)
                return;
        for (size_t i = 0; i < m->n; i++)
                hierarchy_clear(&m->h[i]);
        free(m->h);
        if (m->oom_fd >= 0)
                close(m->oom_fd);
        if (m->oom_control_fd >= 0)
                close(m->oom_control_fd);
        free(m);
}

static void manager_free_ptr(struct cgroup_manager **m)
{
        cgroup_manager_free(*m);
}
#define cleanup_manager __attribute__((cleanup(manager_free_ptr)))

struct cgroup_hierarchy *cgroup_manager_find(struct cgroup_manager *m, enum cgroup_controller c)
{
        for (size_t i = 0; i < m->n; i++)
                if (m->h[i].controllers & CG_BIT(c))
                        return &m->h[i];
        return NULL;
}

struct cgroup_hierarchy *cgroup_manager_unified(struct cgroup_manager *m)
{
        for (size_t i = 0; i < m->n; i++)
                if (m->h[i].v2)
                        return &m->h[i];
        return NULL;
}

int cgroup_manager_clone_into_fd(struct cgroup_manager *m)
{
        struct cgroup_hierarchy *h = cgroup_manager_unified(m);

        /* CLONE_INTO_CGROUP places the child in one cgroup2 directory only: enough on a v2 host, not on v1 or
         * hybrid ones where the v1 hierarchies need cgroup_manager_enter() anyway. */
        if (m->layout != CG_LAYOUT_V2 || h == NULL)
                return -1;
        return cgroup_hierarchy_fd(h, NULL) < 0 ? -1 : h->fd;
}

/* ---- what the resources need ------------------------------------------------------------------------- */

static const char *controller_field(enum cgroup_controller c)
{
        switch (c) {
        case CG_CPU:
                return "cpu";
        case CG_CPUSET:
                return "cpu.cpus/mems";
        case CG_BLKIO:
                return "blockIO";
        case CG_HUGETLB:
                return "hugepageLimits";
        case CG_NET_CLS:
                return "network.classID";
        case CG_NET_PRIO:
                return "network.priorities";
        default:
                return cgroup_controller_name(c, false);
        }
}

/* The controllers a unified key names ("memory.max" -> memory); 0 for core files ("cgroup.*"). */
static int unified_key_controller(const char *key, int *controller)
{
        cleanup_free char *prefix = xstrndup(key, strcspn(key, "."));

        *controller = -1;
        if (strcmp(prefix, "cgroup") == 0)
                return 0;
        *controller = cgroup_controller_from_name(prefix, true);
        return *controller >= 0 ? 0 : -ENOENT;
}

/* Refuses, before anything is made, what this host cannot do: one line naming the field. */
static int check_supported(struct cgroup_manager *m, uint32_t v1_mask, uint32_t v2_available,
                           const struct cgroup_resources *r, berth_error *err)
{
        uint32_t need = cgroup_resources_controllers(r);

        for (int c = 0; c < CG_CONTROLLER_COUNT; c++) {
                if (!(need & CG_BIT(c)) || (v1_mask & CG_BIT(c)) || (v2_available & CG_BIT(c)))
                        continue;
                if (c == CG_NET_CLS || c == CG_NET_PRIO)
                        return berth_failf(err, EOPNOTSUPP,
                                           "linux.resources.%s: the %s controller is not mounted on this host (%s "
                                           "exists on cgroup v1 only)",
                                           controller_field(c), cgroup_controller_name(c, false),
                                           cgroup_controller_name(c, false));
                return berth_failf(err, EOPNOTSUPP, "linux.resources.%s: the %s controller is not available on this host",
                                   controller_field(c), cgroup_controller_name(c, false));
        }
        if (r == NULL)
                return 0;
        if ((r->cpu.has_rt_runtime || r->cpu.has_rt_period) && !(v1_mask & CG_BIT(CG_CPU)))
                return berth_failf(err, EOPNOTSUPP,
                                   "linux.resources.cpu.realtimeRuntime/realtimePeriod: not supported on cgroup v2");
        for (size_t i = 0; i < r->n_unified; i++) {
                const char *key = r->unified[i].key;
                int c;
                if (unified_key_controller(key, &c) < 0)
                        return berth_failf(err, ENOENT, "linux.resources.unified.%s: unknown controller \"%.*s\"", key,
                                           (int) strcspn(key, "."), key);
                if (cgroup_manager_unified(m) == NULL)
                        return berth_failf(err, EOPNOTSUPP,
                                           "linux.resources.unified.%s: needs cgroup v2, and this host has cgroup v1 only",
                                           key);
                if (c < 0 || (v2_available & CG_BIT(c)))
                        continue;
                if (v1_mask & CG_BIT(c))
                        return berth_failf(err, EOPNOTSUPP,
                                           "linux.resources.unified.%s: the %s controller is bound to cgroup v1 on "
                                           "this (hybrid) host, not to cgroup v2",
                                           key, cgroup_controller_name(c, true));
                return berth_failf(err, ENOENT,
                                   "linux.resources.unified.%s: the %s controller is not enabled in cgroup v2 on "
                                   "this host",
                                   key, cgroup_controller_name(c, true));
        }
        return 0;
}

static uint32_t unified_controllers(const struct cgroup_resources *r)
{
        uint32_t mask = 0;

        for (size_t i = 0; r != NULL && i < r->n_unified; i++) {
                int c;
                if (unified_key_controller(r->unified[i].key, &c) == 0 && c >= 0)
                        mask |= CG_BIT(c);
        }
        return mask;
}

/* The v2 controllers this container needs enabled on its path. A v2-only host enables every controller its
 * parent offers (as runc and crun do: stats and `update` need them later); on a hybrid host only what the
 * limits need, since enabling a controller in the cgroup2 root is a host-wide change. */
static uint32_t v2_wanted(struct cgroup_manager *m, uint32_t v2_available, const struct cgroup_resources *r)
{
        uint32_t want;

        if (m->layout == CG_LAYOUT_V2)
                return v2_available;
        want = (cgroup_resources_controllers(r) | unified_controllers(r)) & v2_available;
        return want;
}

/* ---- creation ---------------------------------------------------------------------------------------- */

struct create_state {
        const struct cgroup_config *config;
        char *proc_self_cgroup; /* read only for a relative cgroupsPath */
        uint32_t v2_want;       /* controllers to enable on the cgroup2 path */
        uint32_t v2_need;       /* those of them the limits cannot do without */
};

static int own_cgroup_path(struct create_state *st, const struct cgroup_mount *mnt, char **out, berth_error *err)
{
        cleanup_free char *path = NULL;
        int r;

        *out = NULL;
        if (st->proc_self_cgroup == NULL &&
            (r = read_file_at(AT_FDCWD, "/proc/self/cgroup", &st->proc_self_cgroup, NULL, err)) < 0)
                return r;
        path = cgroup_proc_self_path(st->proc_self_cgroup, mnt->options);
        if (path == NULL)
                return berth_failf(err, ENOENT, "/proc/self/cgroup: no entry for the %s hierarchy",
                                   mnt->v2 ? "cgroup2" : mnt->options);
        /* Through a bind mount (or in a cgroup namespace) the mount shows the hierarchy from mnt->root down. */
        if (strcmp(mnt->root, "/") != 0 && str_has_prefix(path, mnt->root)) {
                size_t n = strlen(mnt->root);
                if (path[n] == '\0' || path[n] == '/') {
                        *out = xstrdup(path[n] ? path + n : "/");
                        return 0;
                }
        }
        *out = steal_pointer(&path);
        return 0;
}

static bool permission_error(int e)
{
        return e == EACCES || e == EPERM || e == EROFS;
}

static int check_existing_leaf(struct cgroup_hierarchy *h, berth_error *err)
{
        cleanup_free char *procs = NULL;
        int r = cgroup_read(h, "cgroup.procs", &procs, err);

        if (r < 0)
                return r;
        if (procs[0] != '\0')
                return berth_failf(err, EBUSY, "cgroup %s already exists and has processes in it", h->dir);
        return 0;
}

/* Records what a failed creation made, so that destroy removes exactly that: the deepest directory made and
 * how many components of it (counting up from there) are new. */
static void record_partial(struct cgroup_hierarchy *h, char **last_made, size_t last_made_index, size_t first_created)
{
        if (*last_made == NULL)
                return;
        free(h->dir);
        h->dir = steal_pointer(last_made);
        h->created = (unsigned) (last_made_index + 1 - first_created);
}

/* The common case in two syscalls: the parent exists (/berth after the first container) and nothing is to
 * be enabled on the way down. Returns 1 when it did not apply (the walk below takes over). */
static int create_leaf_directly(struct cgroup_hierarchy *h, bool is_cpuset, berth_error *err)
{
        int r;

        if (mkdir(h->dir, 0755) < 0)
                return 1;
        h->created = 1;
        h->fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (h->fd < 0)
                return berth_fail(err, errno, "open cgroup %s", h->dir);
        if (is_cpuset) {
                cleanup_free char *parent = xstrndup(h->dir, (size_t) (strrchr(h->dir, '/') - h->dir));
                cleanup_close int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (pfd < 0)
                        return berth_fail(err, errno, "open cgroup %s", parent);
                if ((r = cgroup_v1_init_cpuset(pfd, h->fd, h->dir, err)) < 0)
                        return r;
        }
        return 0;
}

/* mkdir -p of the container's path below the hierarchy's mount, one component at a time relative to the
 * parent's fd; remembers how many trailing components it made, so that destroy removes exactly those. */
static int create_hierarchy_dirs(struct create_state *st, struct cgroup_hierarchy *h, const char *mountpoint,
                                 const char *path, berth_error *err)
{
        cleanup_close int fd = -1;
        cleanup_free char *copy = xstrdup(path), *cur = xstrdup(strcmp(mountpoint, "/") == 0 ? "" : mountpoint);
        cleanup_free char *last_made = NULL;
        char *save = NULL, *comp;
        size_t i = 0, first_created = SIZE_MAX, last_made_index = 0;
        bool leaf_existed = false, is_cpuset = !h->v2 && (h->controllers & CG_BIT(CG_CPUSET));
        uint32_t child_has = 0;
        int r = 0;

        if (!(h->v2 && st->v2_want != 0) && (r = create_leaf_directly(h, is_cpuset, err)) <= 0)
                return r;
        fd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_fail(err, errno, "open %s", mountpoint);
        for (comp = strtok_r(copy, "/", &save); comp != NULL; comp = strtok_r(NULL, "/", &save), i++) {
                cleanup_close int child = -1;
                char *next;
                bool made = false;

                /* The no-internal-process rule lets controllers be enabled only from the parent down. */
                if (h->v2 && st->v2_want != 0 &&
                    (r = cgroup_v2_enable_controllers(fd, cur[0] ? cur : "/", st->v2_want, st->v2_need, &child_has,
                                                      err)) < 0)
                        break;
                next = xasprintf("%s/%s", cur, comp);
                free(cur);
                cur = next;
                if (mkdirat(fd, comp, 0755) == 0) {
                        made = true;
                        if (first_created == SIZE_MAX)
                                first_created = i;
                        free(last_made);
                        last_made = xstrdup(cur);
                        last_made_index = i;
                } else if (errno != EEXIST) {
                        int e = errno;
                        if (permission_error(e) && st->config->rootless && first_created == SIZE_MAX &&
                            !cgroup_resources_has_limits(st->config->resources))
                                return 1; /* rootless and nothing asked: skip this hierarchy, as runc does */
                        r = berth_fail(err, e, "create cgroup %s", cur);
                        break;
                } else if (save == NULL || *save == '\0') {
                        leaf_existed = true;
                }
                child = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (child < 0) {
                        r = berth_fail(err, errno, "open cgroup %s", cur);
                        break;
                }
                /* A new v1 cpuset starts with no cpus and no mems: nothing could run in it. */
                if (made && is_cpuset && (r = cgroup_v1_init_cpuset(fd, child, cur, err)) < 0)
                        break;
                close(fd);
                fd = steal_fd(&child);
        }
        if (r < 0) {
                record_partial(h, &last_made, last_made_index, first_created);
                return r;
        }
        if (i == 0)
                return berth_failf(err, EINVAL, "cgroupsPath: \"%s\" is the root cgroup, not a container's own", path);
        h->created = first_created == SIZE_MAX ? 0 : (unsigned) (i - first_created);
        h->fd = steal_fd(&fd);
        if (h->v2)
                h->controllers |= child_has;
        if (leaf_existed) {
                /* Joining a cgroup that runs something else would mix two containers' limits and kill each
                 * other's processes on delete (runc refuses it too). An empty one is adopted as ours. */
                if ((r = check_existing_leaf(h, err)) < 0)
                        return r;
                h->created = 1;
        }
        return 0;
}

static char *hierarchy_dir_name(const struct cgroup_mount *mnt, enum cgroup_layout layout)
{
        const char *slash = strrchr(mnt->mountpoint, '/');

        if (mnt->v2 && layout == CG_LAYOUT_V2)
                return xstrdup("");
        return xstrdup(slash != NULL ? slash + 1 : mnt->mountpoint);
}

static char *v1_mount_options(const struct cgroup_mount *mnt)
{
        /* "name=systemd" alone would ask for every controller too: "none" says "no controllers". */
        if (mnt->controllers == 0)
                return xasprintf("none,%s", mnt->options);
        return xstrdup(mnt->options);
}

static uint32_t read_v2_available(const struct cgroup_mount *mnt, berth_error *err, int *ret)
{
        cleanup_free char *path = xasprintf("%s/cgroup.controllers", mnt->mountpoint);
        cleanup_free char *text = NULL;

        *ret = read_file_at(AT_FDCWD, path, &text, NULL, err);
        return *ret < 0 ? 0 : cgroup_controllers_parse(text, ' ', true);
}

static int setup_hierarchies(struct cgroup_manager *m, struct cgroup_mount *mounts, size_t n_mounts,
                             const struct cgroup_config *config, berth_error *err)
{
        struct create_state st = {.config = config};
        uint32_t v1_mask = 0, v2_available = 0;
        const struct cgroup_mount *v2_mount = NULL;
        int r = 0;

        for (size_t i = 0; i < n_mounts; i++) {
                if (mounts[i].v2)
                        v2_mount = &mounts[i];
                else
                        v1_mask |= mounts[i].controllers;
        }
        m->layout = v1_mask == 0 ? CG_LAYOUT_V2 : v2_mount != NULL ? CG_LAYOUT_HYBRID : CG_LAYOUT_V1;
        m->h = xzalloc(n_mounts * sizeof(*m->h));
        for (size_t i = 0; i < n_mounts; i++) {
                struct cgroup_hierarchy *h = &m->h[m->n++];
                h->fd = -1;
                h->v2 = mounts[i].v2;
                h->name = hierarchy_dir_name(&mounts[i], m->layout);
                h->options = h->v2 ? NULL : v1_mount_options(&mounts[i]);
                h->controllers = mounts[i].controllers;
        }
        /* What cgroup2 offers is read only when it matters: always on a v2 host, on a hybrid host only when a
         * limit may live there. */
        if (v2_mount != NULL && (m->layout == CG_LAYOUT_V2 ||
                                 (cgroup_resources_controllers(config->resources) & ~v1_mask) != 0 ||
                                 (config->resources != NULL && config->resources->n_unified > 0))) {
                v2_available = read_v2_available(v2_mount, err, &r);
                if (r < 0)
                        return r;
        }
        if ((r = check_supported(m, v1_mask, v2_available, config->resources, err)) < 0)
                return r;
        st.v2_want = v2_wanted(m, v2_available, config->resources);
        st.v2_need = v2_wanted(m, v2_available, config->resources) & ~v1_mask &
                     (cgroup_resources_controllers(config->resources) | unified_controllers(config->resources));

        for (size_t i = 0; i < m->n; i++) {
                struct cgroup_hierarchy *h = &m->h[i];
                const struct cgroup_mount *mnt = &mounts[i];
                cleanup_free char *own = NULL, *path = NULL;

                if (config->cgroups_path != NULL && config->cgroups_path[0] != '\0' && config->cgroups_path[0] != '/' &&
                    (r = own_cgroup_path(&st, mnt, &own, err)) < 0)
                        break;
                path = cgroup_resolve_path(config->cgroups_path, own, config->id);
                h->dir = xasprintf("%s%s", strcmp(mnt->mountpoint, "/") == 0 ? "" : mnt->mountpoint, path);
                if (h->v2 && m->layout == CG_LAYOUT_V2) {
                        /* Built into cgroup2: the freezer (cgroup.freeze), the device filter (BPF) and cpu.stat. */
                        h->controllers |= CG_BIT(CG_FREEZER) | CG_BIT(CG_DEVICES) | CG_BIT(CG_CPUACCT);
                }
                r = create_hierarchy_dirs(&st, h, mnt->mountpoint, path, err);
                if (r == 1) { /* skipped (rootless): dropped below */
                        free(h->dir);
                        h->dir = NULL;
                        r = 0;
                }
                if (r < 0)
                        break;
        }
        if (r >= 0) {
                size_t kept = 0;
                for (size_t i = 0; i < m->n; i++) {
                        if (m->h[i].dir == NULL) {
                                hierarchy_clear(&m->h[i]);
                                continue;
                        }
                        m->h[kept++] = m->h[i];
                }
                m->n = kept;
        }
        free(st.proc_self_cgroup);
        return r;
}

static int apply_devices(struct cgroup_manager *m, const struct cgroup_config *config, berth_error *err)
{
        struct cgroup_hierarchy *h = cgroup_manager_find(m, CG_DEVICES);
        cleanup_free struct cgroup_device_rule *rules = NULL;
        size_t n = 0;
        int fd;

        if (h == NULL)
                return 0; /* no device controller at all (rootless, or not mounted): nothing to enforce with */
        cgroup_devices_build(config->resources, config->devices, config->n_devices, &rules, &n);
        if (!h->v2)
                return cgroup_v1_apply_devices(h, rules, n, err);
        if ((fd = cgroup_hierarchy_fd(h, err)) < 0)
                return fd;
        return cgroup_devices_bpf_attach(fd, h->dir, rules, n, err);
}

static int apply_resources(struct cgroup_manager *m, const struct cgroup_resources *r, bool creating,
                           berth_error *err)
{
        struct cgroup_hierarchy *v2 = cgroup_manager_unified(m);
        int ret;

        if (r == NULL)
                return 0;
        if ((ret = cgroup_v1_apply(m, r, creating, err)) < 0)
                return ret;
        if (v2 != NULL && (ret = cgroup_v2_apply(m, v2, r, creating, err)) < 0)
                return ret;
        return 0;
}

int cgroup_manager_create(const struct cgroup_config *config, struct cgroup_manager **out, berth_error *err)
{
        cleanup_manager struct cgroup_manager *m = manager_new();
        cleanup_free char *mountinfo = NULL;
        struct cgroup_mount *mounts = NULL;
        size_t n_mounts = 0;
        int r;

        *out = NULL;
        if ((r = read_file_at(AT_FDCWD, "/proc/self/mountinfo", &mountinfo, NULL, err)) < 0)
                return r;
        cgroup_parse_mountinfo(mountinfo, &mounts, &n_mounts);
        if (n_mounts == 0) {
                cgroup_mounts_free(mounts, n_mounts);
                return berth_failf(err, ENOENT, "no cgroup filesystem is mounted (see /proc/self/mountinfo)");
        }
        r = setup_hierarchies(m, mounts, n_mounts, config, err);
        cgroup_mounts_free(mounts, n_mounts);
        if (r >= 0)
                r = apply_resources(m, config->resources, true, err);
        if (r >= 0)
                r = apply_devices(m, config, err);
        if (r < 0) {
                /* Leave nothing behind: the directories made so far go, with whatever they hold. */
                cgroup_manager_destroy(m, NULL);
                return r;
        }
        *out = steal_pointer(&m);
        return 0;
}

/* ---- entering ---------------------------------------------------------------------------------------- */

int cgroup_manager_enter(struct cgroup_manager *m, pid_t pid, berth_error *err)
{
        char buf[24];

        snprintf(buf, sizeof(buf), "%d", (int) pid);
        for (size_t i = 0; i < m->n; i++) {
                int r = cgroup_write_raw(&m->h[i], "cgroup.procs", buf);
                if (r < 0)
                        return berth_fail(err, -r, "move process %d into cgroup %s", (int) pid, m->h[i].dir);
        }
        return 0;
}

/* ---- processes ----------------------------------------------------------------------------------------- */

/* The hierarchy whose cgroup.procs lists the container's processes: the v2 one on a v2 host, else a v1 one
 * that always exists with the container (pids, freezer, memory...), never a named one. */
static struct cgroup_hierarchy *procs_hierarchy(struct cgroup_manager *m)
{
        static const enum cgroup_controller order[] = {CG_PIDS, CG_FREEZER, CG_MEMORY, CG_CPU, CG_DEVICES};

        if (m->layout == CG_LAYOUT_V2)
                return cgroup_manager_unified(m);
        for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
                struct cgroup_hierarchy *h = cgroup_manager_find(m, order[i]);
                if (h != NULL && !h->v2)
                        return h;
        }
        return m->n > 0 ? &m->h[0] : NULL;
}

static void append_pid(pid_t **pids, size_t *n, size_t *cap, pid_t pid)
{
        if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 16;
                *pids = xrealloc(*pids, *cap * sizeof(**pids));
        }
        (*pids)[(*n)++] = pid;
}

/* cgroup.procs of dirfd and of every cgroup below it (nested containers, systemd inside...). */
static int collect_pids(int dirfd, const char *path, pid_t **pids, size_t *n, size_t *cap, int depth,
                        berth_error *err)
{
        cleanup_free char *text = NULL;
        cleanup_closedir DIR *dir = NULL;
        struct dirent *de;
        int r, dup_fd;

        r = read_file_at(dirfd, "cgroup.procs", &text, NULL, NULL);
        if (r == -ENOENT || r == -ENODEV)
                return 0; /* removed meanwhile */
        if (r < 0)
                return berth_fail(err, -r, "read %s/cgroup.procs", path);
        for (char *p = text; *p;) {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p)
                        break;
                if (v > 0)
                        append_pid(pids, n, cap, (pid_t) v);
                p = end;
                while (*p == '\n')
                        p++;
        }
        if (depth > 64)
                return 0;
        dup_fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dup_fd < 0 || (dir = fdopendir(dup_fd)) == NULL) {
                if (dup_fd >= 0)
                        close(dup_fd);
                return 0;
        }
        while ((de = readdir(dir)) != NULL) {
                cleanup_close int sub = -1;
                cleanup_free char *subpath = NULL;
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (sub < 0)
                        continue;
                subpath = xasprintf("%s/%s", path, de->d_name);
                if ((r = collect_pids(sub, subpath, pids, n, cap, depth + 1, err)) < 0)
                        return r;
        }
        return 0;
}

static int compare_pids(const void *a, const void *b)
{
        pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
        return (x > y) - (x < y);
}

int cgroup_manager_pids(struct cgroup_manager *m, pid_t **out, size_t *n_out, berth_error *err)
{
        struct cgroup_hierarchy *h = procs_hierarchy(m);
        cleanup_free pid_t *pids = NULL;
        size_t n = 0, cap = 0;
        int fd, r;

        *out = NULL;
        *n_out = 0;
        if (h == NULL)
                return 0;
        fd = cgroup_hierarchy_fd(h, NULL);
        if (fd < 0) {
                if (fd == -ENOENT)
                        return 0; /* the cgroup is gone: no processes */
                return berth_fail(err, -fd, "open cgroup %s", h->dir);
        }
        if ((r = collect_pids(fd, h->dir, &pids, &n, &cap, 0, err)) < 0)
                return r;
        qsort(pids, n, sizeof(*pids), compare_pids);
        *out = steal_pointer(&pids);
        *n_out = n;
        return 0;
}

/* ---- freezer ----------------------------------------------------------------------------------------- */

static struct cgroup_hierarchy *freezer_hierarchy(struct cgroup_manager *m)
{
        struct cgroup_hierarchy *h = cgroup_manager_find(m, CG_FREEZER);
        struct cgroup_hierarchy *v2 = cgroup_manager_unified(m);

        /* cgroup.freeze is a core cgroup2 file: a hybrid host without a v1 freezer can still pause. */
        return h != NULL ? h : v2;
}

int cgroup_manager_freeze(struct cgroup_manager *m, bool frozen, berth_error *err)
{
        struct cgroup_hierarchy *h = freezer_hierarchy(m);

        if (h == NULL)
                return berth_failf(err, EOPNOTSUPP, "cannot %s: no freezer cgroup (v1 freezer not mounted, no cgroup v2)",
                                   frozen ? "pause" : "resume");
        return h->v2 ? cgroup_v2_freeze(h, frozen, err) : cgroup_v1_freeze(h, frozen, err);
}

int cgroup_manager_is_frozen(struct cgroup_manager *m, bool *out, berth_error *err)
{
        struct cgroup_hierarchy *h = freezer_hierarchy(m);
        cleanup_free char *path = NULL;
        char buf[32];
        ssize_t n;
        int fd;

        *out = false;
        if (h == NULL)
                return 0;
        /* One open and one read: `state` and `list` call this for every container. */
        path = xasprintf("%s/%s", h->dir, h->v2 ? "cgroup.freeze" : "freezer.state");
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0; /* no cgroup (any more): not frozen */
                return berth_fail(err, errno, "open %s", path);
        }
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n < 0)
                return berth_fail(err, errno, "read %s", path);
        buf[n] = '\0';
        /* v1 "FREEZING" is not paused yet (runc reports it as running too). */
        *out = h->v2 ? buf[0] == '1' : str_has_prefix(buf, "FROZEN");
        return 0;
}

/* ---- signals ----------------------------------------------------------------------------------------- */

int cgroup_manager_kill_all(struct cgroup_manager *m, int sig, berth_error *err)
{
        struct cgroup_hierarchy *v2 = cgroup_manager_unified(m);
        cleanup_free pid_t *pids = NULL;
        bool was_frozen = false, froze = false;
        size_t n = 0;
        int r;

        /* cgroup.kill (Linux 5.14) kills the whole subtree atomically, frozen or not, forks racing or not. */
        if (sig == SIGKILL && m->layout == CG_LAYOUT_V2 && v2 != NULL && cgroup_write_raw(v2, "cgroup.kill", "1") == 0)
                return 0;
        if (cgroup_manager_is_frozen(m, &was_frozen, NULL) < 0)
                was_frozen = false;
        /* Freeze first so that nothing forks between reading the list and signalling it (runc does the same). */
        if (!was_frozen && freezer_hierarchy(m) != NULL && cgroup_manager_freeze(m, true, NULL) == 0)
                froze = true;
        r = cgroup_manager_pids(m, &pids, &n, err);
        for (size_t i = 0; r == 0 && i < n; i++)
                if (kill(pids[i], sig) < 0 && errno != ESRCH) {
                        r = berth_fail(err, errno, "send signal %d to process %d", sig, (int) pids[i]);
                        break;
                }
        /* A frozen process cannot die: thaw after SIGKILL even when the container was paused. */
        if (froze || (was_frozen && sig == SIGKILL))
                cgroup_manager_freeze(m, false, NULL);
        return r;
}

/* ---- destruction ------------------------------------------------------------------------------------- */

static void sleep_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* Child cgroups made inside the container (a nested runtime, systemd) go first, deepest first. */
static void remove_children(const char *dir, int depth)
{
        cleanup_closedir DIR *d = opendir(dir);
        struct dirent *de;

        if (d == NULL || depth > 64)
                return;
        while ((de = readdir(d)) != NULL) {
                cleanup_free char *sub = NULL;
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                sub = xasprintf("%s/%s", dir, de->d_name);
                remove_children(sub, depth + 1);
                rmdir(sub);
        }
}

static int remove_leaf(struct cgroup_manager *m, struct cgroup_hierarchy *h, bool *killed, berth_error *err)
{
        uint64_t deadline = 0;
        long wait = 1;

        if (h->fd >= 0) {
                close(h->fd);
                h->fd = -1;
        }
        for (;;) {
                if (rmdir(h->dir) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY && errno != ENOTEMPTY)
                        return berth_fail(err, errno, "remove cgroup %s", h->dir);
                if (deadline == 0)
                        deadline = now_ms() + 5000;
                /* Still busy: processes left (the container was killed, or delete --force), or cgroups below. */
                if (!*killed) {
                        *killed = true;
                        cgroup_manager_kill_all(m, SIGKILL, NULL);
                }
                remove_children(h->dir, 0);
                if (now_ms() > deadline)
                        return berth_fail(err, EBUSY, "remove cgroup %s (processes still in it after SIGKILL)", h->dir);
                sleep_ms(wait);
                if (wait < 50)
                        wait *= 2;
        }
}

static bool has_subdirectories(const char *dir)
{
        cleanup_closedir DIR *d = opendir(dir);
        struct dirent *de;

        while (d != NULL && (de = readdir(d)) != NULL)
                if (de->d_type == DT_DIR && de->d_name[0] != '.')
                        return true;
        return false;
}

/* rmdir of a parent right after its last child went can fail with EBUSY for a moment: the child's css goes
 * offline only after an RCU grace period (kernel/cgroup/cgroup.c: css_killed_work_fn), and until then the
 * parent "has online children". A parent with other children (another container) is left at once. */
static int remove_parent(const char *dir, uint64_t deadline)
{
        long wait = 1;

        for (;;) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY || has_subdirectories(dir) || now_ms() > deadline)
                        return -errno;
                sleep_ms(wait);
                if (wait < 16)
                        wait *= 2;
        }
}

static void remove_created_parents(struct cgroup_hierarchy *h, uint64_t deadline)
{
        cleanup_free char *dir = xstrdup(h->dir);

        /* Only the parents this container made, and only while empty. */
        for (unsigned i = 1; i < h->created; i++) {
                char *slash = strrchr(dir, '/');
                if (slash == NULL || slash == dir)
                        return;
                *slash = '\0';
                if (remove_parent(dir, deadline) < 0)
                        return;
        }
}

int cgroup_manager_destroy(struct cgroup_manager *m, berth_error *err)
{
        bool killed = false, *removed = xzalloc((m->n + 1) * sizeof(bool));
        uint64_t deadline;
        int ret = 0;

        for (size_t i = 0; i < m->n; i++) {
                struct cgroup_hierarchy *h = &m->h[i];
                int r;
                if (h->created == 0 || h->dir == NULL)
                        continue;
                r = remove_leaf(m, h, &killed, err);
                if (r < 0 && ret == 0)
                        ret = r;
                removed[i] = r == 0;
        }
        /* Parents after all the leaves: their children go offline in parallel, so one grace period at most is
         * waited for, not one per hierarchy. */
        deadline = now_ms() + 1000;
        for (size_t i = 0; i < m->n; i++)
                if (removed[i])
                        remove_created_parents(&m->h[i], deadline);
        free(removed);
        return ret;
}

/* ---- saved state ------------------------------------------------------------------------------------- */

static const char *layout_name(enum cgroup_layout l)
{
        return l == CG_LAYOUT_V2 ? "v2" : l == CG_LAYOUT_HYBRID ? "hybrid" : "v1";
}

static char *controllers_string(uint32_t mask, bool v2)
{
        char buf[256] = "";

        for (int c = 0; c < CG_CONTROLLER_COUNT; c++) {
                if (!(mask & CG_BIT(c)))
                        continue;
                if (buf[0])
                        strcat(buf, ",");
                strcat(buf, cgroup_controller_name(c, v2));
        }
        return xstrdup(buf);
}

json_t *cgroup_manager_to_json(const struct cgroup_manager *m)
{
        json_t *root = json_object(), *list = json_array();

        json_object_set_new(root, "layout", json_string(layout_name(m->layout)));
        for (size_t i = 0; i < m->n; i++) {
                const struct cgroup_hierarchy *h = &m->h[i];
                json_t *o = json_object();
                cleanup_free char *controllers = controllers_string(h->controllers, h->v2);

                json_object_set_new(o, "name", json_string(h->name));
                json_object_set_new(o, "v2", json_boolean(h->v2));
                if (h->options != NULL)
                        json_object_set_new(o, "options", json_string(h->options));
                json_object_set_new(o, "controllers", json_string(controllers));
                json_object_set_new(o, "dir", json_string(h->dir));
                json_object_set_new(o, "created", json_integer(h->created));
                json_array_append_new(list, o);
        }
        json_object_set_new(root, "hierarchies", list);
        return root;
}

static int hierarchy_from_json(json_t *o, const char *where, struct cgroup_hierarchy *h, berth_error *err)
{
        const char *name = NULL, *options = NULL, *controllers = NULL, *dir = NULL;
        uint32_t created = 0;
        int r;

        if ((r = json_expect_object(o, where, err)) < 0 ||
            (r = json_field_string(o, where, "name", true, &name, err)) < 0 ||
            (r = json_field_bool(o, where, "v2", true, &h->v2, err)) < 0 ||
            (r = json_field_string(o, where, "options", false, &options, err)) < 0 ||
            (r = json_field_string(o, where, "controllers", true, &controllers, err)) < 0 ||
            (r = json_field_string(o, where, "dir", true, &dir, err)) < 0 ||
            (r = json_field_u32(o, where, "created", true, &created, err)) < 0)
                return r;
        if (dir[0] != '/')
                return berth_failf(err, EINVAL, "%s.dir: \"%s\" is not absolute", where, dir);
        h->name = xstrdup(name);
        h->options = options != NULL ? xstrdup(options) : NULL;
        h->controllers = cgroup_controllers_parse(controllers, ',', h->v2);
        h->dir = xstrdup(dir);
        h->created = created;
        return 0;
}

int cgroup_manager_from_json(json_t *saved, struct cgroup_manager **out, berth_error *err)
{
        cleanup_manager struct cgroup_manager *m = manager_new();
        const char *layout = NULL;
        json_t *list = NULL, *item;
        size_t i;
        int r;

        *out = NULL;
        if ((r = json_expect_object(saved, "cgroup", err)) < 0 ||
            (r = json_field_string(saved, "cgroup", "layout", true, &layout, err)) < 0 ||
            (r = json_field_array(saved, "cgroup", "hierarchies", true, &list, err)) < 0)
                return r;
        m->layout = strcmp(layout, "v2") == 0 ? CG_LAYOUT_V2 : strcmp(layout, "hybrid") == 0 ? CG_LAYOUT_HYBRID
                                                                                          : CG_LAYOUT_V1;
        m->h = xzalloc((json_array_size(list) + 1) * sizeof(*m->h));
        json_array_foreach (list, i, item) {
                cleanup_free char *where = xasprintf("cgroup.hierarchies[%zu]", i);
                struct cgroup_hierarchy *h = &m->h[m->n++];
                h->fd = -1;
                if ((r = hierarchy_from_json(item, where, h, err)) < 0)
                        return r;
                /* v2's built-ins are implied by the layout (the names do not list them on v1 hosts). */
                if (h->v2 && m->layout == CG_LAYOUT_V2)
                        h->controllers |= CG_BIT(CG_FREEZER) | CG_BIT(CG_DEVICES) | CG_BIT(CG_CPUACCT);
        }
        *out = steal_pointer(&m);
        return 0;
}

/* ---- update, stats, OOM ------------------------------------------------------------------------------- */

int cgroup_manager_update(struct cgroup_manager *m, const struct cgroup_resources *r, berth_error *err)
{
        uint32_t v1_mask = 0, v2_mask = 0;

        for (size_t i = 0; i < m->n; i++) {
                if (m->h[i].v2)
                        v2_mask |= m->h[i].controllers;
                else
                        v1_mask |= m->h[i].controllers;
        }
        int ret = check_supported(m, v1_mask, v2_mask, r, err);
        if (ret < 0)
                return ret;
        return apply_resources(m, r, false, err);
}

int cgroup_manager_stats(struct cgroup_manager *m, json_t **out, berth_error *err)
{
        cleanup_json json_t *data = json_object();
        struct cgroup_hierarchy *v2 = cgroup_manager_unified(m);
        int r;

        *out = NULL;
        if ((r = cgroup_v1_stats(m, data, err)) < 0)
                return r;
        if (v2 != NULL && (r = cgroup_v2_stats(m, v2, data, err)) < 0)
                return r;
        /* runc's shape: every section is there, empty when its controller is not (as runc prints them). */
        static const char *const sections[] = {"cpu", "memory", "pids", "blkio", "hugetlb"};
        for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
                cgroup_json_object_member(data, sections[i]);
        *out = steal_pointer(&data);
        return 0;
}

int cgroup_manager_oom_fd(struct cgroup_manager *m, berth_error *err)
{
        struct cgroup_hierarchy *h = cgroup_manager_find(m, CG_MEMORY);

        if (m->oom_fd >= 0)
                return m->oom_fd;
        if (h == NULL)
                return berth_failf(err, EOPNOTSUPP, "no memory cgroup: OOM events are not available");
        return h->v2 ? cgroup_v2_oom_fd(m, h, err) : cgroup_v1_oom_fd(m, h, err);
}

int cgroup_manager_oom_count(struct cgroup_manager *m, uint64_t *count, berth_error *err)
{
        struct cgroup_hierarchy *h = cgroup_manager_find(m, CG_MEMORY);
        cleanup_free char *text = NULL;
        uint64_t kills;
        char drain[4096];
        int r;

        if (h == NULL)
                return berth_failf(err, EOPNOTSUPP, "no memory cgroup: OOM events are not available");
        if (m->oom_fd >= 0)
                while (read(m->oom_fd, drain, sizeof(drain)) > 0)
                        ; /* eventfd counter / inotify events: consumed, the count below is what matters */
        r = cgroup_read(h, h->v2 ? "memory.events" : "memory.oom_control", &text, err);
        if (r < 0)
                return r;
        kills = cgroup_keyed_value(text, "oom_kill");
        r = kills > *count ? 1 : 0;
        *count = kills;
        return r;
}
