/* The container's cgroup as berth-procview sees it: which directory holds each controller for a process
 * (v1, v2 or hybrid hosts), and the limits and usage read there. */
#include "engine/procview/view.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"

static const char *const controller_names[CG_NCONTROLLERS] = {"memory", "cpu", "cpuacct", "cpuset", "blkio"};

/* Open cgroup directories, by path: a file of a container's cgroup is opened relative to its directory, not
 * walked to through /sys/fs/cgroup/memory/berth/ID/... at every read (the walk was a tenth of the worker's
 * time). The least recently used gives way; one whose cgroup was removed (and maybe made again at the same
 * path) fails with ENOENT and is opened again. */
#define DIR_CACHE 64
static struct {
        uint64_t key, used;
        int fd;
        char *path;
} dirs[DIR_CACHE];
static uint64_t dirs_clock;

static int cached_dir(const char *dir, size_t len, bool fresh)
{
        uint64_t key = 1469598103934665603ULL;
        size_t victim = 0;

        for (size_t i = 0; i < len; i++)
                key = (key ^ (unsigned char) dir[i]) * 1099511628211ULL;
        key |= 1;
        for (size_t i = 0; i < DIR_CACHE; i++) {
                if (dirs[i].key == key && strncmp(dirs[i].path, dir, len) == 0 && dirs[i].path[len] == '\0') {
                        if (!fresh) {
                                dirs[i].used = ++dirs_clock;
                                return dirs[i].fd;
                        }
                        victim = i;
                        break;
                }
                if (dirs[i].used < dirs[victim].used)
                        victim = i;
        }
        if (dirs[victim].key != 0) {
                close(dirs[victim].fd);
                free(dirs[victim].path);
                dirs[victim].key = 0;
        }
        dirs[victim].path = strndup(dir, len);
        if (dirs[victim].path == NULL)
                return -1;
        dirs[victim].fd = open(dirs[victim].path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirs[victim].fd < 0) {
                free(dirs[victim].path);
                return -1;
        }
        dirs[victim].key = key;
        dirs[victim].used = ++dirs_clock;
        return dirs[victim].fd;
}

static int open_file(const char *path)
{
        const char *slash = strrchr(path, '/');
        int dirfd, fd;

        if (slash == NULL || strncmp(path, "/sys/fs/cgroup/", 15) != 0)
                return open(path, O_RDONLY | O_CLOEXEC);
        for (int fresh = 0; fresh < 2; fresh++) {
                if ((dirfd = cached_dir(path, (size_t) (slash - path), fresh)) < 0)
                        return -1;
                if ((fd = openat(dirfd, slash + 1, O_RDONLY | O_CLOEXEC)) >= 0 || errno != ENOENT)
                        return fd;
                /* Every cgroup directory has cgroup.procs: with it, the file is missing, not the directory. */
                if (faccessat(dirfd, "cgroup.procs", F_OK, 0) == 0) {
                        errno = ENOENT;
                        return -1;
                }
        }
        errno = ENOENT;
        return -1;
}

/* Reads a small file into buf (NUL-terminated); returns its length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
        cleanup_close int fd = open_file(path);
        size_t len = 0;

        if (fd < 0)
                return -errno;
        while (len < size - 1) {
                ssize_t n = read(fd, buf + len, size - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = '\0';
        return (ssize_t) len;
}

static bool has_option(const char *opts, const char *name)
{
        size_t n = strlen(name);
        for (const char *p = opts; (p = strstr(p, name)) != NULL; p += n)
                if ((p == opts || p[-1] == ',') && (p[n] == ',' || p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
                        return true;
        return false;
}

/* mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS] - FSTYPE SOURCE SUPEROPTS" */
int procview_mounts_read(struct procview_mounts *m, berth_error *err)
{
        cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[8192];

        memset(m, 0, sizeof(*m));
        if (f == NULL)
                return berth_fail(err, errno, "open /proc/self/mountinfo");
        while (fgets(line, sizeof(line), f) != NULL) {
                char root[4096], mnt[4096], fstype[64], super[1024];
                const char *dash = strstr(line, " - ");
                if (dash == NULL || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
                    sscanf(dash + 3, "%63s %*s %1023s", fstype, super) != 2)
                        continue;
                if (strcmp(fstype, "cgroup2") == 0 && m->v2_mount[0] == '\0') {
                        snprintf(m->v2_mount, sizeof(m->v2_mount), "%s", mnt);
                        snprintf(m->v2_root, sizeof(m->v2_root), "%s", root);
                } else if (strcmp(fstype, "cgroup") == 0) {
                        for (int c = 0; c < CG_NCONTROLLERS; c++)
                                if (m->v1_mount[c][0] == '\0' && has_option(super, controller_names[c])) {
                                        snprintf(m->v1_mount[c], sizeof(m->v1_mount[c]), "%s", mnt);
                                        snprintf(m->v1_root[c], sizeof(m->v1_root[c]), "%s", root);
                                }
                }
        }
        return 0;
}

/* The directory of path (a cgroup path as /proc/PID/cgroup says it) under a mount of root `root`. */
static void join_cgroup(char *out, size_t size, const char *mnt, const char *root, const char *path)
{
        size_t rl = strlen(root);

        /* The mount shows the hierarchy from `root` down: strip it from the path (a cgroup namespace's
         * mount has root "/", the host's view of a nested one does not). */
        if (strcmp(root, "/") != 0 && strncmp(path, root, rl) == 0 && (path[rl] == '/' || path[rl] == '\0'))
                path += rl;
        snprintf(out, size, "%s%s", mnt, strcmp(path, "/") == 0 ? "" : path);
}

int procview_cgroup_of(const struct procview_mounts *m, pid_t pid, struct procview_cgroup *cg, berth_error *err)
{
        char path[64], buf[8192];
        char *save = NULL;
        ssize_t n;

        memset(cg, 0, sizeof(*cg));
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        if ((n = read_small(path, buf, sizeof(buf))) < 0)
                return berth_fail(err, (int) -n, "read %s", path);
        for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *ctrl = strchr(line, ':'), *cgpath;
                if (ctrl == NULL || (cgpath = strchr(ctrl + 1, ':')) == NULL)
                        continue;
                *cgpath++ = '\0';
                ctrl++;
                if (*ctrl == '\0') {
                        /* "0::/path": the unified hierarchy, for every controller v1 does not have. */
                        if (m->v2_mount[0] == '\0')
                                continue;
                        for (int c = 0; c < CG_NCONTROLLERS; c++)
                                if (m->v1_mount[c][0] == '\0') {
                                        join_cgroup(cg->dir[c], sizeof(cg->dir[c]), m->v2_mount, m->v2_root, cgpath);
                                        snprintf(cg->root[c], sizeof(cg->root[c]), "%s", m->v2_mount);
                                }
                        continue;
                }
                for (int c = 0; c < CG_NCONTROLLERS; c++)
                        if (m->v1_mount[c][0] != '\0' && has_option(ctrl, controller_names[c])) {
                                join_cgroup(cg->dir[c], sizeof(cg->dir[c]), m->v1_mount[c], m->v1_root[c], cgpath);
                                snprintf(cg->root[c], sizeof(cg->root[c]), "%s", m->v1_mount[c]);
                                cg->v1[c] = true;
                        }
        }
        return 0;
}

/* ---- figures ---- */

static bool read_u64(const char *dir, const char *name, uint64_t *out)
{
        char path[4200], buf[64];

        if (dir[0] == '\0')
                return false;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (read_small(path, buf, sizeof(buf)) <= 0)
                return false;
        if (strncmp(buf, "max", 3) == 0) {
                *out = UINT64_MAX;
                return true;
        }
        *out = strtoull(buf, NULL, 10);
        return true;
}

/* The smallest limit from dir up to the hierarchy's root (a parent's limit holds for its children). */
static uint64_t hierarchical_limit(const char *dir, const char *root, const char *name)
{
        char d[4096];
        uint64_t best = UINT64_MAX, v;
        size_t rl = strlen(root);

        snprintf(d, sizeof(d), "%s", dir);
        while (d[0] != '\0' && strlen(d) > rl) {
                char *slash;
                if (read_u64(d, name, &v) && v < best)
                        best = v;
                if ((slash = strrchr(d, '/')) == NULL)
                        break;
                *slash = '\0';
        }
        return best;
}

static uint64_t stat_value(const char *text, const char *key)
{
        size_t n = strlen(key);
        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, n) == 0 && p[n] == ' ')
                        return strtoull(p + n + 1, NULL, 10);
        return 0;
}

int procview_parse_cpulist(const char *s, int *cpus, int max)
{
        int n = 0;

        while (*s && *s != '\n') {
                char *end;
                long a = strtol(s, &end, 10), b;
                if (end == s || a < 0)
                        return -EINVAL;
                b = a;
                if (*end == '-') {
                        s = end + 1;
                        b = strtol(s, &end, 10);
                        if (end == s || b < a)
                                return -EINVAL;
                }
                for (long i = a; i <= b && n < max; i++)
                        cpus[n++] = (int) i;
                s = end;
                if (*s == ',')
                        s++;
                else if (*s != '\0' && *s != '\n')
                        return -EINVAL;
        }
        return n;
}

int procview_cpus_for_quota(int64_t quota, int64_t period)
{
        int64_t n;

        if (quota <= 0 || period <= 0)
                return 0;
        n = (quota + period - 1) / period;
        return n < 1 ? 1 : n > PROCVIEW_MAX_CPUS ? PROCVIEW_MAX_CPUS : (int) n;
}

static void read_memory(const struct procview_cgroup *cg, struct procview_figures *f)
{
        const char *dir = cg->dir[CG_MEMORY];
        char path[4200], stat[8192];
        uint64_t v;

        f->mem_limit = f->swap_limit = UINT64_MAX;
        if (dir[0] == '\0')
                return;
        snprintf(path, sizeof(path), "%s/memory.stat", dir);
        if (read_small(path, stat, sizeof(stat)) < 0)
                stat[0] = '\0';
        if (cg->v1[CG_MEMORY]) {
                /* v1 says the hierarchy's limits in memory.stat; memsw is memory + swap. */
                uint64_t memsw = stat_value(stat, "hierarchical_memsw_limit");
                f->mem_limit = stat_value(stat, "hierarchical_memory_limit");
                if (f->mem_limit == 0)
                        f->mem_limit = hierarchical_limit(dir, cg->root[CG_MEMORY], "memory.limit_in_bytes");
                read_u64(dir, "memory.usage_in_bytes", &f->mem_usage);
                if (memsw != 0 && memsw >= f->mem_limit && memsw < (UINT64_MAX >> 2))
                        f->swap_limit = memsw - f->mem_limit;
                if (read_u64(dir, "memory.memsw.usage_in_bytes", &v) && v > f->mem_usage)
                        f->swap_usage = v - f->mem_usage;
                f->anon = stat_value(stat, "total_rss");
                f->file = stat_value(stat, "total_cache");
                f->shmem = stat_value(stat, "total_shmem");
                f->active_anon = stat_value(stat, "total_active_anon");
                f->inactive_anon = stat_value(stat, "total_inactive_anon");
                f->active_file = stat_value(stat, "total_active_file");
                f->inactive_file = stat_value(stat, "total_inactive_file");
                f->unevictable = stat_value(stat, "total_unevictable");
                f->file_mapped = stat_value(stat, "total_mapped_file");
                f->file_dirty = stat_value(stat, "total_dirty");
                f->file_writeback = stat_value(stat, "total_writeback");
                /* The kernel reports no limit as the largest page-aligned value. */
                if (f->mem_limit >= (UINT64_MAX >> 2))
                        f->mem_limit = UINT64_MAX;
                return;
        }
        f->mem_limit = hierarchical_limit(dir, cg->root[CG_MEMORY], "memory.max");
        f->swap_limit = hierarchical_limit(dir, cg->root[CG_MEMORY], "memory.swap.max");
        read_u64(dir, "memory.current", &f->mem_usage);
        read_u64(dir, "memory.swap.current", &f->swap_usage);
        f->anon = stat_value(stat, "anon");
        f->file = stat_value(stat, "file");
        f->shmem = stat_value(stat, "shmem");
        f->active_anon = stat_value(stat, "active_anon");
        f->inactive_anon = stat_value(stat, "inactive_anon");
        f->active_file = stat_value(stat, "active_file");
        f->inactive_file = stat_value(stat, "inactive_file");
        f->unevictable = stat_value(stat, "unevictable");
        f->file_mapped = stat_value(stat, "file_mapped");
        f->file_dirty = stat_value(stat, "file_dirty");
        f->file_writeback = stat_value(stat, "file_writeback");
        f->slab_reclaimable = stat_value(stat, "slab_reclaimable");
        f->slab_unreclaimable = stat_value(stat, "slab_unreclaimable");
}

static void read_cpu(const struct procview_cgroup *cg, struct procview_figures *f)
{
        char path[4200], buf[8192];
        static int allowed[PROCVIEW_MAX_CPUS];
        int n = -1, limit;
        uint64_t v;

        if (read_small("/sys/devices/system/cpu/online", buf, sizeof(buf)) > 0)
                f->host_cpus = procview_parse_cpulist(buf, allowed, PROCVIEW_MAX_CPUS);
        if (f->host_cpus <= 0) {
                f->host_cpus = 1;
                allowed[0] = 0;
        }
        n = f->host_cpus;
        memcpy(f->cpus, allowed, sizeof(int) * (size_t) n);
        if (cg->dir[CG_CPUSET][0] != '\0') {
                static int set[PROCVIEW_MAX_CPUS];
                const char *const names[] = {"cpuset.cpus.effective", "cpuset.effective_cpus", "cpuset.cpus"};
                for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                        int k;
                        snprintf(path, sizeof(path), "%s/%s", cg->dir[CG_CPUSET], names[i]);
                        if (read_small(path, buf, sizeof(buf)) > 0 &&
                            (k = procview_parse_cpulist(buf, set, PROCVIEW_MAX_CPUS)) > 0) {
                                n = k;
                                memcpy(f->cpus, set, sizeof(int) * (size_t) n);
                                break;
                        }
                }
        }
        f->ncpus_allowed = n;
        f->quota = -1;
        f->period = 100000;
        if (cg->dir[CG_CPU][0] != '\0') {
                if (cg->v1[CG_CPU]) {
                        int64_t q = -1, p = 0;
                        snprintf(path, sizeof(path), "%s/cpu.cfs_quota_us", cg->dir[CG_CPU]);
                        if (read_small(path, buf, sizeof(buf)) > 0)
                                q = strtoll(buf, NULL, 10);
                        snprintf(path, sizeof(path), "%s/cpu.cfs_period_us", cg->dir[CG_CPU]);
                        if (read_small(path, buf, sizeof(buf)) > 0)
                                p = strtoll(buf, NULL, 10);
                        f->quota = q;
                        f->period = p;
                } else {
                        snprintf(path, sizeof(path), "%s/cpu.max", cg->dir[CG_CPU]);
                        if (read_small(path, buf, sizeof(buf)) > 0 && strncmp(buf, "max", 3) != 0)
                                sscanf(buf, "%lld %lld", (long long *) &f->quota, (long long *) &f->period);
                }
        }
        limit = procview_cpus_for_quota(f->quota, f->period);
        f->ncpus = limit > 0 && limit < n ? limit : n;
        f->cpu_limited = f->ncpus < f->host_cpus;
        if (cg->dir[CG_CPUACCT][0] != '\0' && cg->v1[CG_CPUACCT]) {
                if (read_u64(cg->dir[CG_CPUACCT], "cpuacct.usage", &v))
                        f->cpu_usage_ns = v;
        } else if (cg->dir[CG_CPU][0] != '\0') {
                snprintf(path, sizeof(path), "%s/cpu.stat", cg->dir[CG_CPU]);
                if (read_small(path, buf, sizeof(buf)) > 0)
                        f->cpu_usage_ns = stat_value(buf, "usage_usec") * 1000;
        }
}

int procview_figures_read(const struct procview_cgroup *cg, unsigned which, struct procview_figures *f, berth_error *err)
{
        (void) err;
        /* Not cpus[]: filled up to ncpus by read_cpu. */
        memset(f, 0, offsetof(struct procview_figures, cpus));
        f->ncpus = f->host_cpus = f->ncpus_allowed = 0;
        f->cpu_limited = false;
        f->mem_limit = f->swap_limit = UINT64_MAX;
        if (which & PROCVIEW_FIG_MEMORY)
                read_memory(cg, f);
        if (which & PROCVIEW_FIG_CPU)
                read_cpu(cg, f);
        return 0;
}
