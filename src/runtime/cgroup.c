/* The container's cgroup(s) once they exist: entering, processes, freezer, signals, removal, the saved state,
 * update, stats and OOM events. Creation (layout, paths, mkdir, limits) is cgroup_create.c; where each limit
 * goes (cgroup_v1.c / cgroup_v2.c) depends on where its controller is bound, which on a hybrid host differs
 * per controller. See docs/cgroups.md. */
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

#include "runtime/cgroup_internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

/* ---- manager basics ---------------------------------------------------------------------------------- */

struct cgroup_manager *cgroup_manager_new(void)
{
        struct cgroup_manager *m = xzalloc(sizeof(*m));
        m->oom_fd = -1;
        m->oom_control_fd = -1;
        return m;
}

void cgroup_hierarchy_clear(struct cgroup_hierarchy *h)
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
                cgroup_hierarchy_clear(&m->h[i]);
        free(m->h);
        if (m->oom_fd >= 0)
                close(m->oom_fd);
        if (m->oom_control_fd >= 0)
                close(m->oom_control_fd);
        free(m);
}

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
        int r;

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
        if ((dir = opendir_at(dirfd)) == NULL)
                return 0;
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

static void remove_created_parents(struct cgroup_hierarchy *h, bool default_parent, uint64_t deadline)
{
        cleanup_free char *dir = xstrdup(h->dir);
        /* Only the parents this container made, and only while empty; and the runtime's own default parent
         * (/berth) when the last container under it goes, whoever made it. */
        unsigned levels = h->created > 1 ? h->created : (default_parent ? 2 : 1);

        for (unsigned i = 1; i < levels; i++) {
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
                        remove_created_parents(&m->h[i], m->default_parent, deadline);
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
        if (m->default_parent)
                json_object_set_new(root, "defaultParent", json_true());
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
        cleanup_manager struct cgroup_manager *m = cgroup_manager_new();
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
        m->default_parent = json_is_true(json_object_get(saved, "defaultParent"));
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
        int ret = cgroup_check_supported(m, v1_mask, v2_mask, r, err);
        if (ret < 0)
                return ret;
        return cgroup_apply_resources(m, r, false, err);
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
