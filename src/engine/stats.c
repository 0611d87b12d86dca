#include "engine/stats.h"

#include <errno.h>

#include "lib/cleanup.h"
#include "runtime/container.h"
#include "lib/util.h"

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
