/* Resource usage of running containers (stats, top), from the runtime library's container handle. */
#pragma once

#include <jansson.h>
#include <sys/types.h>

#include "engine/engine.h"

/* runc's stats "data" object (cpu, memory, pids, blkio) of a running container's cgroup. */
int engine_container_cgroup_stats(struct engine *e, const char *id, json_t **out, berth_error *err);
/* The pids in the container's cgroup (host view), sorted. */
int engine_container_pids(struct engine *e, const char *id, pid_t **pids, size_t *n, berth_error *err);

/* top: REF's processes as the host's ps shows them (ps_args: ps's options, NULL or empty: -ef): the
 * header line, then one line per process of the container's cgroup, each with its newline. */
int engine_container_top(struct engine *e, const char *ref, char *const *ps_args, char ***lines, berth_error *err);
