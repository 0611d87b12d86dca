/* The files of berth-procview: each made from the host's file and the reader's cgroup figures. A figure
 * the container has no limit for is the host's (docs/proc.md). */
#include "engine/procview/view.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"

/* ---- a growing buffer ---- */

struct buf {
        char *p;
        size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t more)
{
        if (b->len + more + 1 <= b->cap)
                return;
        b->cap = (b->len + more + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL)
                abort();
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
        buf_reserve(b, n);
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

static void __attribute__((format(printf, 2, 3))) buf_printf(struct buf *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        buf_reserve(b, (size_t) n);
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t) n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t) n;
}

/* The whole of a kernel file (procfs files have no size: read until EOF). */
static int read_host(const char *path, struct buf *b, berth_error *err)
{
        cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return berth_fail(err, errno, "open %s", path);
        for (;;) {
                ssize_t n;
                /* Chunks that stay below malloc's mmap threshold: no mmap and munmap per file made. */
                buf_reserve(b, 16384);
                n = read(fd, b->p + b->len, b->cap - b->len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return berth_fail(err, errno, "read %s", path);
                if (n == 0)
                        break;
                b->len += (size_t) n;
        }
        b->p[b->len] = '\0';
        return 0;
}

static double boottime_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_BOOTTIME, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* The reader's CLOCK_BOOTTIME offset (its time namespace's, /proc/PID/timens_offsets): 0 without one. */
static bool boottime_offset(pid_t pid, double *out)
{
        char path[64], buf[256];
        long long secs = 0;
        unsigned long nsecs = 0;
        const char *line;
        ssize_t n;
        int fd;

        *out = 0;
        snprintf(path, sizeof(path), "/proc/%d/timens_offsets", (int) pid);
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
                return false;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        if ((line = strstr(buf, "boottime")) == NULL || sscanf(line, "boottime %lld %lu", &secs, &nsecs) != 2)
                return false;
        *out = (double) secs + (double) nsecs / 1e9;
        return secs != 0 || nsecs != 0;
}

/* ---- meminfo ---- */

static uint64_t meminfo_kb(const char *text, const char *key)
{
        size_t n = strlen(key);
        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, n) == 0 && p[n] == ':')
                        return strtoull(p + n + 1, NULL, 10);
        return 0;
}

static void render_meminfo(const struct buf *host, const struct procview_figures *f, struct buf *out)
{
        uint64_t host_total = meminfo_kb(host->p, "MemTotal"), host_swap = meminfo_kb(host->p, "SwapTotal");
        uint64_t total, used, free_kb, avail, swap_total, swap_free;
        char *save = NULL, *copy;

        if (f->mem_limit == UINT64_MAX || f->mem_limit / 1024 >= host_total) {
                buf_add(out, host->p, host->len);
                return;
        }
        total = f->mem_limit / 1024;
        used = f->mem_usage / 1024;
        free_kb = used < total ? total - used : 0;
        /* What the kernel would reclaim: the page cache (lxcfs counts it the same way). */
        avail = free_kb + (f->active_file + f->inactive_file) / 1024 + f->slab_reclaimable / 1024;
        if (avail > total)
                avail = total;
        swap_total = host_swap;
        if (f->swap_limit != UINT64_MAX && f->swap_limit / 1024 < swap_total)
                swap_total = f->swap_limit / 1024;
        swap_free = f->swap_usage / 1024 < swap_total ? swap_total - f->swap_usage / 1024 : 0;
        copy = strdup(host->p);
        if (copy == NULL)
                abort();
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct {
                        const char *key;
                        uint64_t kb;
                } repl[] = {
                        {"MemTotal", total},
                        {"MemFree", free_kb},
                        {"MemAvailable", avail},
                        {"Buffers", 0},
                        {"Cached", f->file / 1024},
                        {"SwapCached", 0},
                        {"Active", (f->active_anon + f->active_file) / 1024},
                        {"Inactive", (f->inactive_anon + f->inactive_file) / 1024},
                        {"Active(anon)", f->active_anon / 1024},
                        {"Inactive(anon)", f->inactive_anon / 1024},
                        {"Active(file)", f->active_file / 1024},
                        {"Inactive(file)", f->inactive_file / 1024},
                        {"Unevictable", f->unevictable / 1024},
                        {"SwapTotal", swap_total},
                        {"SwapFree", swap_free},
                        {"Dirty", f->file_dirty / 1024},
                        {"Writeback", f->file_writeback / 1024},
                        {"AnonPages", f->anon / 1024},
                        {"Mapped", f->file_mapped / 1024},
                        {"Shmem", f->shmem / 1024},
                        {"Slab", (f->slab_reclaimable + f->slab_unreclaimable) / 1024},
                        {"SReclaimable", f->slab_reclaimable / 1024},
                        {"SUnreclaim", f->slab_unreclaimable / 1024},
                };
                size_t klen = strcspn(line, ":");
                bool done = false;
                for (size_t i = 0; i < ARRAY_SIZE(repl); i++)
                        if (strlen(repl[i].key) == klen && strncmp(line, repl[i].key, klen) == 0) {
                                /* The kernel's layout: the key and colon in 16 columns, the value in 8. */
                                char key[40];
                                snprintf(key, sizeof(key), "%.*s:", (int) klen, line);
                                buf_printf(out, "%-15s %8llu kB\n", key, (unsigned long long) repl[i].kb);
                                done = true;
                                break;
                        }
                if (!done) {
                        buf_add(out, line, strlen(line));
                        buf_add(out, "\n", 1);
                }
        }
        free(copy);
}

/* ---- CPUs ---- */

static bool cpu_chosen(const struct procview_figures *f, int cpu, int *index)
{
        for (int i = 0; i < f->ncpus; i++)
                if (f->cpus[i] == cpu) {
                        *index = i;
                        return true;
                }
        return false;
}

/* Blocks of "processor : N" lines separated by blank lines; the chosen CPUs' blocks, numbered from 0. */
static void render_cpuinfo(const struct buf *host, const struct procview_figures *f, struct buf *out)
{
        const char *p = host->p;
        bool keep = false;

        if (!f->cpu_limited || strstr(host->p, "processor") == NULL) {
                buf_add(out, host->p, host->len);
                return;
        }
        while (*p) {
                const char *eol = strchr(p, '\n');
                size_t n = eol ? (size_t) (eol - p) + 1 : strlen(p);
                int cpu, index;
                if (strncmp(p, "processor", 9) == 0 && sscanf(p + strcspn(p, ":"), ": %d", &cpu) == 1) {
                        keep = cpu_chosen(f, cpu, &index);
                        if (keep)
                                buf_printf(out, "processor\t: %d\n", index);
                } else if (keep) {
                        buf_add(out, p, n);
                }
                p += n;
        }
}

/* The container's CPUs as they are numbered in its cpuinfo and stat: 0..N-1. */
static void render_cpu_online(const struct buf *host, const struct procview_figures *f, struct buf *out)
{
        if (!f->cpu_limited) {
                buf_add(out, host->p, host->len);
                return;
        }
        if (f->ncpus == 1)
                buf_add(out, "0\n", 2);
        else
                buf_printf(out, "0-%d\n", f->ncpus - 1);
}

/* "cpuN user nice system idle iowait irq softirq steal guest guest_nice": the chosen CPUs' lines,
 * renumbered, and "cpu" their sum. Each line is a CPU's own counters, so none goes backwards
 * (lxcfs#554). procs_running and procs_blocked are the container's. */
static void render_stat(const struct buf *host, const struct procview_figures *f, unsigned running, double boot_offset,
                        struct buf *out)
{
        unsigned long long sum[10] = {0};
        struct buf cpus = {0};
        const char *p = host->p;
        bool first = true;

        while (*p) {
                const char *eol = strchr(p, '\n');
                size_t n = eol ? (size_t) (eol - p) + 1 : strlen(p);
                int cpu, index;
                if (strncmp(p, "cpu", 3) == 0 && p[3] >= '0' && p[3] <= '9') {
                        unsigned long long v[10] = {0};
                        sscanf(p + 3, "%d %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1], &v[2],
                               &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
                        if (!f->cpu_limited || cpu_chosen(f, cpu, &index)) {
                                if (!f->cpu_limited)
                                        index = cpu;
                                for (int i = 0; i < 10; i++)
                                        sum[i] += v[i];
                                buf_printf(&cpus, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n", index, v[0],
                                           v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
                        }
                } else if (strncmp(p, "cpu ", 4) == 0) {
                        /* the sum goes where the host's "cpu" line was */
                } else {
                        if (first) {
                                buf_printf(out, "cpu  %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n", sum[0], sum[1],
                                           sum[2], sum[3], sum[4], sum[5], sum[6], sum[7], sum[8], sum[9]);
                                if (cpus.len)
                                        buf_add(out, cpus.p, cpus.len);
                                first = false;
                        }
                        if (strncmp(p, "procs_running ", 14) == 0)
                                buf_printf(out, "procs_running %u\n", running ? running : 1);
                        else if (strncmp(p, "procs_blocked ", 14) == 0)
                                buf_add(out, "procs_blocked 0\n", 16);
                        else if (strncmp(p, "btime ", 6) == 0 && boot_offset != 0)
                                /* In a time namespace the boot was when its CLOCK_BOOTTIME was 0: ps adds the
                                 * processes' start times (namespace-relative) to this. */
                                buf_printf(out, "btime %lld\n", strtoll(p + 6, NULL, 10) - (long long) boot_offset);
                        else
                                buf_add(out, p, n);
                }
                p += n;
        }
        free(cpus.p);
}

/* ---- load ---- */

/* Runnable tasks of the cgroup (R state; the kernel's load also counts D). */
static void count_tasks(const struct procview_cgroup *cg, unsigned *running, unsigned *total, int *last)
{
        const char *dir = cg->dir[CG_CPU][0] ? cg->dir[CG_CPU] : cg->dir[CG_MEMORY];
        char path[4200], line[64];
        cleanup_fclose FILE *f = NULL;

        *running = *total = 0;
        *last = 0;
        if (dir[0] == '\0')
                return;
        snprintf(path, sizeof(path), "%s/%s", dir, cg->v1[CG_CPU] || !cg->dir[CG_CPU][0] ? "tasks" : "cgroup.threads");
        if ((f = fopen(path, "re")) == NULL)
                return;
        while (fgets(line, sizeof(line), f) != NULL) {
                char stat_path[64], buf[512];
                int pid = atoi(line), fd;
                ssize_t n;
                const char *paren;
                if (pid <= 0)
                        continue;
                (*total)++;
                if (pid > *last)
                        *last = pid;
                snprintf(stat_path, sizeof(stat_path), "/proc/%d/stat", pid);
                if ((fd = open(stat_path, O_RDONLY | O_CLOEXEC)) < 0)
                        continue;
                n = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (n <= 0)
                        continue;
                buf[n] = '\0';
                if ((paren = strrchr(buf, ')')) != NULL && (paren[2] == 'R' || paren[2] == 'D'))
                        (*running)++;
        }
}

/* The load state of the cgroup dir (FNV-1a of its path); the least recently updated entry makes room. */
static struct procview_load *load_of(struct procview_context *ctx, const char *dir)
{
        uint64_t key = 1469598103934665603ULL;
        struct procview_load *oldest = &ctx->loads[0];

        for (const char *p = dir; *p; p++)
                key = (key ^ (unsigned char) *p) * 1099511628211ULL;
        key |= 1;
        for (size_t i = 0; i < PROCVIEW_LOADS; i++) {
                if (ctx->loads[i].key == key)
                        return &ctx->loads[i];
                if (ctx->loads[i].last < oldest->last)
                        oldest = &ctx->loads[i];
        }
        *oldest = (struct procview_load){.key = key};
        return oldest;
}

/* Decays the cgroup's load averages to now with its runnable tasks. */
static struct procview_load *update_load(const struct procview_cgroup *cg, struct procview_context *ctx,
                                         unsigned *running, unsigned *total, int *last)
{
        static const double periods[3] = {60, 300, 900};
        struct procview_load *l = load_of(ctx, cg->dir[CG_CPU][0] ? cg->dir[CG_CPU] : cg->dir[CG_MEMORY]);
        double now = boottime_now();

        count_tasks(cg, running, total, last);
        if (l->last > 0) {
                double dt = now - l->last;
                for (int i = 0; i < 3; i++) {
                        double k = exp(-dt / periods[i]);
                        l->avg[i] = l->avg[i] * k + (double) *running * (1 - k);
                }
        }
        l->last = now;
        return l;
}

static void render_loadavg(const struct procview_cgroup *cg, struct procview_context *ctx, struct buf *out)
{
        unsigned running, total;
        int last;

        const struct procview_load *l = update_load(cg, ctx, &running, &total, &last);

        buf_printf(out, "%.2f %.2f %.2f %u/%u %d\n", l->avg[0], l->avg[1], l->avg[2], running, total, last);
}

/* ---- uptime ---- */

/* A field of /proc/PID/stat after the command (field 3 is the state): 0 if it cannot be read. */
static unsigned long long stat_field(pid_t pid, int field)
{
        char path[64], buf[1024];
        const char *p;
        unsigned long long v = 0;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
                return 0;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        if ((p = strrchr(buf, ')')) == NULL)
                return 0;
        for (int i = 2; i < field && p != NULL; i++)
                p = strchr(p + 1, ' ');
        if (p != NULL)
                v = strtoull(p + 1, NULL, 10);
        return v;
}

static unsigned long long pidns_of(pid_t pid)
{
        char path[64];
        struct stat st;

        snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int) pid);
        return stat(path, &st) == 0 ? (unsigned long long) st.st_ino : 0;
}

/* How long the reader's container has run. In a time namespace, the namespace's CLOCK_BOOTTIME (what the
 * kernel's /proc/uptime says there, and what process start times count from). Else the age of the first
 * process of the reader's pid namespace (its init: found by walking up its parents while they are in the same
 * namespace): one server serves every container, and a restarted worker finds the same figure. */
static double container_uptime(pid_t pid)
{
        unsigned long long ns = pidns_of(pid), start;
        double offset;
        pid_t cur = pid;

        if (boottime_offset(pid, &offset))
                return boottime_now() + offset;
        for (int hops = 0; ns != 0 && hops < 4096; hops++) {
                pid_t parent = (pid_t) stat_field(cur, 4);
                if (parent <= 1 || pidns_of(parent) != ns)
                        break;
                cur = parent;
        }
        start = stat_field(cur, 22);
        return start == 0 ? 0 : boottime_now() - (double) start / (double) sysconf(_SC_CLK_TCK);
}

static void render_uptime(const struct procview_figures *f, pid_t pid, struct buf *out)
{
        double idle, up = container_uptime(pid);

        if (up < 0)
                up = 0;
        idle = up * f->ncpus - (double) f->cpu_usage_ns / 1e9;
        buf_printf(out, "%.2f %.2f\n", up, idle > 0 ? idle : 0);
}

/* ---- disks ---- */

struct io_dev {
        unsigned major, minor;
        unsigned long long rbytes, wbytes, rios, wios, dbytes, dios;
};

static int read_io(const struct procview_cgroup *cg, struct io_dev *devs, int max)
{
        const char *dir = cg->dir[CG_BLKIO];
        char path[4200];
        char line[512];
        int n = 0;

        if (dir[0] == '\0')
                return 0;
        if (!cg->v1[CG_BLKIO]) {
                cleanup_fclose FILE *f = NULL;
                snprintf(path, sizeof(path), "%s/io.stat", dir);
                if ((f = fopen(path, "re")) == NULL)
                        return 0;
                while (n < max && fgets(line, sizeof(line), f) != NULL) {
                        struct io_dev *d = &devs[n];
                        memset(d, 0, sizeof(*d));
                        if (sscanf(line, "%u:%u", &d->major, &d->minor) != 2)
                                continue;
                        for (char *t = strchr(line, ' '); t; t = strchr(t + 1, ' ')) {
                                sscanf(t, " rbytes=%llu", &d->rbytes);
                                sscanf(t, " wbytes=%llu", &d->wbytes);
                                sscanf(t, " rios=%llu", &d->rios);
                                sscanf(t, " wios=%llu", &d->wios);
                                sscanf(t, " dbytes=%llu", &d->dbytes);
                                sscanf(t, " dios=%llu", &d->dios);
                        }
                        n++;
                }
                return n;
        }
        for (int pass = 0; pass < 2; pass++) {
                cleanup_fclose FILE *f = NULL;
                snprintf(path, sizeof(path), "%s/%s", dir,
                         pass == 0 ? "blkio.throttle.io_service_bytes_recursive" : "blkio.throttle.io_serviced_recursive");
                if ((f = fopen(path, "re")) == NULL)
                        continue;
                while (fgets(line, sizeof(line), f) != NULL) {
                        unsigned ma, mi;
                        char op[16];
                        unsigned long long v;
                        int i;
                        if (sscanf(line, "%u:%u %15s %llu", &ma, &mi, op, &v) != 4)
                                continue;
                        for (i = 0; i < n; i++)
                                if (devs[i].major == ma && devs[i].minor == mi)
                                        break;
                        if (i == n) {
                                if (n == max)
                                        continue;
                                memset(&devs[n], 0, sizeof(devs[n]));
                                devs[n].major = ma;
                                devs[n].minor = mi;
                                n++;
                        }
                        if (strcmp(op, "Read") == 0)
                                *(pass == 0 ? &devs[i].rbytes : &devs[i].rios) = v;
                        else if (strcmp(op, "Write") == 0)
                                *(pass == 0 ? &devs[i].wbytes : &devs[i].wios) = v;
                        else if (strcmp(op, "Discard") == 0)
                                *(pass == 0 ? &devs[i].dbytes : &devs[i].dios) = v;
                }
        }
        return n;
}

/* The host's devices the container did I/O on, with the container's own counts (the cgroup keeps
 * completed requests and bytes; times and merges are not kept per cgroup: 0). */
static void render_diskstats(const struct buf *host, const struct procview_cgroup *cg, struct buf *out)
{
        struct io_dev devs[256];
        int n = read_io(cg, devs, (int) ARRAY_SIZE(devs));
        const char *p = host->p;

        while (*p) {
                const char *eol = strchr(p, '\n');
                size_t len = eol ? (size_t) (eol - p) + 1 : strlen(p);
                unsigned ma, mi;
                char name[64];
                if (sscanf(p, "%u %u %63s", &ma, &mi, name) == 3)
                        for (int i = 0; i < n; i++)
                                if (devs[i].major == ma && devs[i].minor == mi && (devs[i].rios || devs[i].wios || devs[i].dios)) {
                                        buf_printf(out,
                                                   "%4u %7u %s %llu 0 %llu 0 %llu 0 %llu 0 0 0 0 %llu 0 %llu 0 0 0\n", ma,
                                                   mi, name, devs[i].rios, devs[i].rbytes / 512, devs[i].wios,
                                                   devs[i].wbytes / 512, devs[i].dios, devs[i].dbytes / 512);
                                        break;
                                }
                p += len;
        }
}

static void render_swaps(const struct buf *host, const struct procview_figures *f, struct buf *out)
{
        const char *eol = strchr(host->p, '\n');
        uint64_t limit = f->swap_limit;

        if (f->mem_limit == UINT64_MAX && limit == UINT64_MAX) {
                buf_add(out, host->p, host->len);
                return;
        }
        /* The header line, then the container's swap as one area, if it may swap at all. */
        buf_add(out, host->p, eol ? (size_t) (eol - host->p) + 1 : host->len);
        if (eol == NULL || eol[1] == '\0' || limit == 0)
                return;
        {
                /* the host's total: the sum of its areas */
                unsigned long long total = 0, size;
                for (const char *p = eol + 1; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                        if (sscanf(p, "%*s %*s %llu", &size) == 1)
                                total += size;
                if (limit != UINT64_MAX && limit / 1024 < total)
                        total = limit / 1024;
                buf_printf(out, "%-40s%-16s%-15llu %-15llu %d\n", "none", "virtual", total,
                           (unsigned long long) (f->swap_usage / 1024), 0);
        }
}

int procview_sysinfo(const struct procview_mounts *m, struct procview_context *ctx, pid_t pid, struct sysinfo *si,
                     berth_error *err)
{
        struct procview_cgroup cg;
        struct procview_figures *f = malloc(sizeof(*f));
        const struct procview_load *l;
        unsigned running, total;
        double up;
        int last, r;

        if (f == NULL)
                abort();
        if (sysinfo(si) < 0) {
                free(f);
                return berth_fail(err, errno, "sysinfo");
        }
        if ((r = procview_cgroup_of(m, pid, &cg, err)) < 0 ||
            (r = procview_figures_read(&cg, PROCVIEW_FIG_MEMORY, f, err)) < 0) {
                free(f);
                return r;
        }
        /* Bytes from here on: the host's figures in its mem_unit, scaled. */
        si->totalram *= si->mem_unit;
        si->freeram *= si->mem_unit;
        si->sharedram *= si->mem_unit;
        si->bufferram *= si->mem_unit;
        si->totalswap *= si->mem_unit;
        si->freeswap *= si->mem_unit;
        si->totalhigh *= si->mem_unit;
        si->freehigh *= si->mem_unit;
        si->mem_unit = 1;
        if (f->mem_limit != UINT64_MAX && f->mem_limit < si->totalram) {
                uint64_t swap = f->swap_limit != UINT64_MAX && f->swap_limit < si->totalswap ? f->swap_limit : si->totalswap;
                si->totalram = f->mem_limit;
                si->freeram = f->mem_usage < f->mem_limit ? f->mem_limit - f->mem_usage : 0;
                si->sharedram = f->shmem;
                si->bufferram = 0;
                si->totalswap = swap;
                si->freeswap = f->swap_usage < swap ? swap - f->swap_usage : 0;
        }
        l = update_load(&cg, ctx, &running, &total, &last);
        for (int i = 0; i < 3; i++)
                si->loads[i] = (unsigned long) (l->avg[i] * 65536.0);
        up = container_uptime(pid);
        si->uptime = up > 0 ? (long) up : 0;
        si->procs = (unsigned short) total;
        free(f);
        return 0;
}

/* The figures each file shows. */
static const unsigned figures_of[PROCVIEW_NFILES] = {
        [PROCVIEW_MEMINFO] = PROCVIEW_FIG_MEMORY, [PROCVIEW_CPUINFO] = PROCVIEW_FIG_CPU,
        [PROCVIEW_STAT] = PROCVIEW_FIG_CPU,       [PROCVIEW_LOADAVG] = 0,
        [PROCVIEW_UPTIME] = PROCVIEW_FIG_CPU,     [PROCVIEW_DISKSTATS] = 0,
        [PROCVIEW_SWAPS] = PROCVIEW_FIG_MEMORY,   [PROCVIEW_CPU_ONLINE] = PROCVIEW_FIG_CPU,
};

int procview_render(enum procview_file which, const struct procview_mounts *m, struct procview_context *ctx, pid_t pid,
                    char **out, size_t *len, berth_error *err)
{
        struct procview_cgroup cg;
        struct procview_figures *f = malloc(sizeof(*f));
        struct buf host = {0}, b = {0};
        unsigned running = 0, total = 0;
        double offset = 0;
        int last, r;

        if (f == NULL)
                abort();
        if ((unsigned) which >= PROCVIEW_NFILES) {
                r = berth_failf(err, EINVAL, "no such file %d", (int) which);
                goto out;
        }
        if ((r = procview_cgroup_of(m, pid, &cg, err)) < 0 ||
            (r = procview_figures_read(&cg, figures_of[which], f, err)) < 0)
                goto out;
        if (which != PROCVIEW_LOADAVG && which != PROCVIEW_UPTIME &&
            (r = read_host(procview_host_files[which], &host, err)) < 0)
                goto out;
        buf_reserve(&b, 4096);
        switch (which) {
        case PROCVIEW_MEMINFO:
                render_meminfo(&host, f, &b);
                break;
        case PROCVIEW_CPUINFO:
                render_cpuinfo(&host, f, &b);
                break;
        case PROCVIEW_STAT:
                count_tasks(&cg, &running, &total, &last);
                boottime_offset(pid, &offset);
                render_stat(&host, f, running, offset, &b);
                break;
        case PROCVIEW_LOADAVG:
                render_loadavg(&cg, ctx, &b);
                break;
        case PROCVIEW_UPTIME:
                render_uptime(f, pid, &b);
                break;
        case PROCVIEW_DISKSTATS:
                render_diskstats(&host, &cg, &b);
                break;
        case PROCVIEW_SWAPS:
                render_swaps(&host, f, &b);
                break;
        case PROCVIEW_CPU_ONLINE:
                render_cpu_online(&host, f, &b);
                break;
        default:
                r = berth_failf(err, EINVAL, "no such file %d", (int) which);
                goto out;
        }
        *out = b.p;
        *len = b.len;
        b.p = NULL;
        r = 0;
out:
        free(b.p);
        free(host.p);
        free(f);
        return r;
}
