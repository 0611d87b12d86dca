/* update: new resource limits (and restart policy) for a container, docker's `update`. The values are
 * docker's HostConfig keys; a running container gets them through the runtime's update (its cgroup, under
 * its lock), and the record keeps them for the next start. */
#pragma once

#include <jansson.h>

#include "engine/engine.h"

/* changes: HostConfig keys among Memory, MemorySwap, MemoryReservation, NanoCpus, CpuShares, CpuPeriod,
 * CpuQuota, CpusetCpus, CpusetMems, PidsLimit, RestartPolicy, BlkioWeight; any other is refused. Checked as create
 * checks them (hostconfig.h) before anything changes. */
int engine_container_update(struct engine *e, const char *ref, const json_t *changes, berth_error *err);
