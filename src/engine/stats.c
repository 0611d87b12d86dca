/* Resource usage of running containers (stats.h): the runtime's cgroup stats and pids, and top (the
 * host's ps filtered to the container's pids, as docker's daemon does it). */
#include "engine/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/list.h"
#include "engine/reconcile.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "runtime/container.h"
#include "lib/util.h"

/* Sums /proc/PID/net/dev's byte counters of every interface but lo. The namespace is the init's: a
 * container sharing berth's own (--network host) has no traffic of its own to show. */
static void read_net_io(pid_t pid, struct engine_stats_sample *s)
{
        char path[64], line[512];
        struct stat mine, theirs;
        cleanup_fclose FILE *f = NULL;

        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);
        if (pid <= 0 || stat(path, &theirs) < 0 || stat("/proc/self/ns/net", &mine) < 0 ||
            (theirs.st_dev == mine.st_dev && theirs.st_ino == mine.st_ino))
                return;
        snprintf(path, sizeof(path), "/proc/%d/net/dev", (int) pid);
        if ((f = fopen(path, "re")) == NULL)
                return;
        while (fgets(line, sizeof(line), f) != NULL) {
                unsigned long long rx, tx, skip;
                char *colon = strchr(line, ':');
                char *name = line;

                if (colon == NULL)
                        continue; /* the two header lines */
                *colon = '\0';
                while (*name == ' ')
                        name++;
                if (strcmp(name, "lo") == 0)
                        continue;
                /* receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes ... */
                if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &rx, &skip, &skip, &skip, &skip,
                           &skip, &skip, &skip, &tx) == 9) {
                        s->net_rx += rx;
                        s->net_tx += tx;
                }
        }
}

int engine_container_cgroup_stats(struct engine *e, const char *id, json_t **out, berth_error *err)
{
        cleanup_container struct container *rc = NULL;

        if (container_load(&e->rt, id, &rc, NULL) < 0)
                return berth_failf(err, EINVAL, "container %s is not running", id);
        return container_stats(rc, out, err);
}

int engine_container_pids(struct engine *e, const char *id, pid_t **pids, size_t *n, berth_error *err)
{
        cleanup_container struct container *rc = NULL;

        if (container_load(&e->rt, id, &rc, NULL) < 0)
                return berth_failf(err, EINVAL, "container %s is not running", id);
        return container_pids(rc, pids, n, err);
}

static bool pid_listed(const pid_t *pids, size_t n, long pid)
{
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

/* The index of the PID column in ps's header line, or -1. */
static int pid_column(const char *header)
{
        cleanup_free char *copy = xstrdup(header);
        char *save = NULL;
        int col = 0;

        for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++)
                if (strcmp(t, "PID") == 0)
                        return col;
        return -1;
}

static long pid_in_line(const char *line, int column)
{
        cleanup_free char *copy = xstrdup(line);
        char *save = NULL, *t;
        int col = 0;

        for (t = strtok_r(copy, " \t\n", &save); t && col < column; t = strtok_r(NULL, " \t\n", &save))
                col++;
        return t ? strtol(t, NULL, 10) : -1;
}

int engine_container_top(struct engine *e, const char *ref, char *const *ps_args, char ***lines_out, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_free pid_t *pids = NULL;
        cleanup_free char *cmd = NULL;
        char **lines = NULL;
        char line[4096];
        size_t n = 0;
        int column = -1, r;
        FILE *ps;

        if ((r = engine_container_find(e, ref, &c, err)) < 0)
                return r;
        if (c->status != ENGINE_RUNNING && c->status != ENGINE_PAUSED)
                return berth_failf(err, EINVAL, "container %s is not running", c->id);
        /* ps options pass through as docker passes them: words of option characters only (no shell). */
        cmd = xstrdup(ps_args && ps_args[0] ? "ps" : "ps -ef");
        for (char *const *a = ps_args; a && *a; a++) {
                char *next;
                for (const char *p = *a; *p; p++)
                        if (!(*p == '-' || *p == ',' || *p == '=' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                              (*p >= '0' && *p <= '9')))
                                return berth_failf(err, EINVAL, "invalid ps option: %s", *a);
                next = xasprintf("%s %s", cmd, *a);
                free(cmd);
                cmd = next;
        }
        if ((r = engine_container_pids(e, c->id, &pids, &n, err)) < 0)
                return r;
        ps = popen(cmd, "re");
        if (ps == NULL)
                return berth_fail(err, errno, "run %s", cmd);
        lines = xzalloc(sizeof(char *));
        while (fgets(line, sizeof(line), ps) != NULL) {
                if (column < 0) {
                        if ((column = pid_column(line)) < 0)
                                break;
                        lines = strv_append(lines, line);
                } else if (pid_listed(pids, n, pid_in_line(line, column))) {
                        lines = strv_append(lines, line);
                }
        }
        pclose(ps);
        if (column < 0) {
                strv_free(lines);
                return berth_failf(err, EINVAL, "Couldn't find PID field in ps output");
        }
        *lines_out = lines;
        return 0;
}

/* The host's CPU time in ns (the first line of /proc/stat), as docker's getSystemCPUUsage. */
static int host_cpu_ns(uint64_t *out, berth_error *err)
{
        cleanup_free char *text = NULL;
        unsigned long long v[8] = {0};
        uint64_t ticks = 0;
        int r;

        if ((r = read_file_at(AT_FDCWD, "/proc/stat", &text, NULL, err)) < 0)
                return r;
        if (sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                   &v[7]) < 4)
                return berth_failf(err, EINVAL, "/proc/stat: no cpu line");
        for (int i = 0; i < 8; i++)
                ticks += v[i];
        *out = ticks * (1000000000ULL / (uint64_t) sysconf(_SC_CLK_TCK));
        return 0;
}

static uint64_t u64_at(json_t *obj, const char *a, const char *b)
{
        json_t *v = json_object_get(obj, a);

        if (b != NULL)
                v = json_object_get(v, b);
        return (uint64_t) json_integer_value(v);
}

int engine_container_stats_sample(struct engine *e, const char *id, struct engine_stats_sample *s, berth_error *err)
{
        cleanup_container struct container *rc = NULL;
        cleanup_json json_t *data = NULL;
        uint64_t host_memory = (uint64_t) sysconf(_SC_PHYS_PAGES) * (uint64_t) sysconf(_SC_PAGESIZE);
        json_t *mem, *raw, *v;
        uint64_t inactive;
        size_t i;
        int r;

        memset(s, 0, sizeof(*s));
        if (container_load(&e->rt, id, &rc, NULL) < 0)
                return berth_failf(err, EINVAL, "container %s is not running", id);
        if ((r = container_stats(rc, &data, err)) < 0)
                return r;
        read_net_io(rc->pid, s);
        if ((r = host_cpu_ns(&s->system_ns, err)) < 0)
                return r;
        s->ok = true;
        s->online_cpus = (unsigned) sysconf(_SC_NPROCESSORS_ONLN);
        s->cpu_ns = u64_at(json_object_get(data, "cpu"), "usage", "total");
        mem = json_object_get(data, "memory");
        raw = json_object_get(mem, "raw");
        s->mem_usage = u64_at(mem, "usage", "usage");
        /* cgroup v1 names it total_inactive_file (hierarchical), v2 inactive_file. */
        inactive = json_object_get(raw, "total_inactive_file") ? u64_at(raw, "total_inactive_file", NULL)
                                                               : u64_at(raw, "inactive_file", NULL);
        if (inactive < s->mem_usage)
                s->mem_usage -= inactive;
        s->mem_limit = u64_at(mem, "usage", "limit");
        if (s->mem_limit == 0 || s->mem_limit > host_memory)
                s->mem_limit = host_memory;
        s->pids = u64_at(json_object_get(data, "pids"), "current", NULL);
        json_array_foreach(json_object_get(json_object_get(data, "blkio"), "ioServiceBytesRecursive"), i, v) {
                const char *op = json_string_value(json_object_get(v, "op")) ?: "";
                if (strcasecmp(op, "read") == 0)
                        s->blk_read += (uint64_t) json_integer_value(json_object_get(v, "value"));
                else if (strcasecmp(op, "write") == 0)
                        s->blk_write += (uint64_t) json_integer_value(json_object_get(v, "value"));
        }
        return 0;
}

double engine_stats_cpu_percent(const struct engine_stats_sample *before, const struct engine_stats_sample *after)
{
        if (!before->ok || !after->ok || after->system_ns <= before->system_ns || after->cpu_ns < before->cpu_ns)
                return 0.0;
        return (double) (after->cpu_ns - before->cpu_ns) / (double) (after->system_ns - before->system_ns) *
               (double) after->online_cpus * 100.0;
}

int engine_containers_stats_round(struct engine *e, struct engine_container **containers, size_t n,
                                  unsigned interval_ms, struct engine_stats_sample *after, double *cpu_percent,
                                  berth_error *err)
{
        cleanup_free struct engine_stats_sample *before = NULL;
        struct timespec interval = {.tv_sec = interval_ms / 1000, .tv_nsec = (long) (interval_ms % 1000) * 1000000L};

        if (n > 0 && (containers == NULL || after == NULL || cpu_percent == NULL))
                return berth_failf(err, EINVAL, "stats: no containers or results given");
        before = xzalloc((n + 1) * sizeof(*before));
        /* A container that is not running (or stops between the samples) has no counters: ok stays false,
         * and docker shows it with zeros rather than failing the whole table. */
        for (size_t i = 0; i < n; i++) {
                berth_error ignored = {0};
                engine_container_stats_sample(e, containers[i]->id, &before[i], &ignored);
                berth_error_clear(&ignored);
        }
        /* Two samples: CPU % is a rate. */
        while (nanosleep(&interval, &interval) < 0 && errno == EINTR)
                ;
        for (size_t i = 0; i < n; i++) {
                berth_error ignored = {0};
                engine_container_refresh(e, containers[i], &ignored);
                berth_error_clear(&ignored);
                engine_container_stats_sample(e, containers[i]->id, &after[i], &ignored);
                berth_error_clear(&ignored);
                cpu_percent[i] = engine_stats_cpu_percent(&before[i], &after[i]);
        }
        return 0;
}
