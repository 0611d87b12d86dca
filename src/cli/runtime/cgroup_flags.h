/* Flag parsing shared by the cgroup commands (update, events): runc's duration spelling, and `update`'s
 * flags turned into a linux.resources object, so that flags and --resources go through the same
 * validation (cgroup_resources_parse). Sizes are lib/size.h's (docker's RAMInBytes), with runc's "-1". */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"

/* Go durations as runc's --interval takes them: "5s", "100ms", "1m30s", "1.5s", "250us". Milliseconds,
 * at least 1. */
int cgroup_flags_parse_duration_ms(const char *s, uint64_t *out);

/* The flags of `update`, as given (NULL: not given). */
enum update_flag {
        UPDATE_BLKIO_WEIGHT,
        UPDATE_CPU_PERIOD,
        UPDATE_CPU_QUOTA,
        UPDATE_CPU_SHARES,
        UPDATE_CPU_RT_PERIOD,
        UPDATE_CPU_RT_RUNTIME,
        UPDATE_CPUSET_CPUS,
        UPDATE_CPUSET_MEMS,
        UPDATE_MEMORY,
        UPDATE_MEMORY_RESERVATION,
        UPDATE_MEMORY_SWAP,
        UPDATE_PIDS_LIMIT,
        UPDATE_FLAG_COUNT
};

/* Builds {"memory": {...}, "cpu": {...}, ...}. Errors name the flag ("--memory: ..."). */
int cgroup_flags_update_resources(const char *const values[UPDATE_FLAG_COUNT], json_t **out, berth_error *err);
