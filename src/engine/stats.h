/* Resource usage of running containers (stats, top), from the runtime library's cgroup manager. */
#pragma once

#include <jansson.h>
#include <sys/types.h>

#include "engine/engine.h"

/* runc's stats "data" object (cpu, memory, pids, blkio) of a running container's cgroup. */
int engine_container_cgroup_stats(struct engine *e, const char *id, json_t **out, berth_error *err);
/* The pids in the container's cgroup (host view), sorted. */
int engine_container_pids(struct engine *e, const char *id, pid_t **pids, size_t *n, berth_error *err);
