/* Resource usage of running containers (stats, top), from the runtime library's container handle. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/engine.h"

/* runc's stats "data" object (cpu, memory, pids, blkio) of a running container's cgroup. */
int engine_container_cgroup_stats(struct engine *e, const char *id, json_t **out, berth_error *err);
/* The pids in the container's cgroup (host view), sorted. */
int engine_container_pids(struct engine *e, const char *id, pid_t **pids, size_t *n, berth_error *err);

/* top: REF's processes as the host's ps shows them (ps_args: ps's options, NULL or empty: -ef): the
 * header line, then one line per process of the container's cgroup, each with its newline. */
int engine_container_top(struct engine *e, const char *ref, char *const *ps_args, char ***lines, berth_error *err);

/* One reading of a container's counters, with the host's CPU time read at the same moment: what docker's
 * stats API calls cpu_stats (and precpu_stats for the reading before). */
struct engine_stats_sample {
        bool ok;              /* false: the container had no cgroup to read (not running) */
        uint64_t cpu_ns;      /* the container's CPU time */
        uint64_t system_ns;   /* the host's CPU time (/proc/stat's first line), as docker's getSystemCPUUsage */
        unsigned online_cpus;
        uint64_t mem_usage;   /* without the page cache that can be dropped (inactive_file), as docker */
        uint64_t mem_limit;   /* the cgroup's limit, or the host's memory when there is none */
        uint64_t pids, blk_read, blk_write;
        /* Bytes received and sent by the interfaces of the container's network namespace but lo, as docker's
         * NET I/O; 0 when it has none of its own (--network host shares berth's, as docker shows 0B too). */
        uint64_t net_rx, net_tx;
};
int engine_container_stats_sample(struct engine *e, const char *id, struct engine_stats_sample *s, berth_error *err);
/* docker's CPU %: the container's CPU time over the host's between two samples, times the online CPUs. */
double engine_stats_cpu_percent(const struct engine_stats_sample *before, const struct engine_stats_sample *after);

/* The stats command's round: a first sample of each container, interval_ms, each container's state refreshed
 * (containers[i]->status), then the second sample into after[i] and its CPU % into cpu_percent[i]. A
 * container that is not running gets ok = false; the round itself only fails on bad arguments. */
int engine_containers_stats_round(struct engine *e, struct engine_container **containers, size_t n,
                                  unsigned interval_ms, struct engine_stats_sample *after, double *cpu_percent,
                                  berth_error *err);
