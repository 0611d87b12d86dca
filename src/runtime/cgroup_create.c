/* Creation of the container's cgroup(s): one directory per mounted hierarchy (v1 controllers, named v1
 * hierarchies such as name=systemd, and cgroup2), made before the init is cloned. The layout comes from one
 * read of /proc/self/mountinfo; what the host cannot do is refused before anything is made, and a failure
 * halfway removes what was made. See docs/cgroups.md. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup_internal.h"
#include "lib/cleanup.h"
#include "lib/util.h"

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
int cgroup_check_supported(struct cgroup_manager *m, uint32_t v1_mask, uint32_t v2_available,
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
                /* A parent another create has just made and not yet given cpus and mems: the walk below
                 * fills every empty cpuset on the way down. */
                if (cgroup_v1_cpuset_empty(pfd)) {
                        close(h->fd);
                        h->fd = -1;
                        h->created = 0;
                        rmdir(h->dir);
                        return 1;
                }
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
                if (is_cpuset && (made || cgroup_v1_cpuset_empty(child)) && (r = cgroup_v1_init_cpuset(fd, child, cur, err)) < 0)
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
        if ((r = cgroup_check_supported(m, v1_mask, v2_available, config->resources, err)) < 0)
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
                m->default_parent = config->cgroups_path == NULL || config->cgroups_path[0] == '\0';
                h->dir = xasprintf("%s%s", strcmp(mnt->mountpoint, "/") == 0 ? "" : mnt->mountpoint, path);
                if (h->v2 && m->layout == CG_LAYOUT_V2) {
                        /* Built into cgroup2: the freezer (cgroup.freeze), the device filter (BPF) and cpu.stat. */
                        h->controllers |= CG_BIT(CG_FREEZER) | CG_BIT(CG_DEVICES) | CG_BIT(CG_CPUACCT);
                }
                /* Another container's delete may remove the shared default parent (/berth) while it is empty,
                 * between our mkdir of it and of our leaf: cgroupfs then says ENOENT. Make the path again. */
                for (int attempt = 0;; attempt++) {
                        r = create_hierarchy_dirs(&st, h, mnt->mountpoint, path, err);
                        if (r != -ENOENT || attempt == 4)
                                break;
                        berth_error_clear(err);
                        h->created = 0;
                        if (h->fd >= 0) {
                                close(h->fd);
                                h->fd = -1;
                        }
                }
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
                                cgroup_hierarchy_clear(&m->h[i]);
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

int cgroup_apply_resources(struct cgroup_manager *m, const struct cgroup_resources *r, bool creating,
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
        cleanup_manager struct cgroup_manager *m = cgroup_manager_new();
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
                r = cgroup_apply_resources(m, config->resources, true, err);
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
