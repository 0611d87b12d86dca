#include "engine/stats.h"

#include <errno.h>

#include "runtime/cgroup.h"
#include "lib/cleanup.h"
#include "runtime/container.h"
#include "lib/util.h"

static int load_manager(struct engine *e, const char *id, struct cgroup_manager **m, berth_error *err)
{
        cleanup_container struct container *rc = NULL;
        int r;

        if ((r = container_load(&e->rt, id, &rc, err)) < 0)
                return berth_failf(err, EINVAL, "container %s is not running", id);
        if (rc->cgroup == NULL)
                return berth_failf(err, ENOENT, "container %s has no cgroup", id);
        return cgroup_manager_from_json(rc->cgroup, m, err);
}

int engine_container_cgroup_stats(struct engine *e, const char *id, json_t **out, berth_error *err)
{
        struct cgroup_manager *m = NULL;
        int r;

        if ((r = load_manager(e, id, &m, err)) < 0)
                return r;
        r = cgroup_manager_stats(m, out, err);
        cgroup_manager_free(m);
        return r;
}

int engine_container_pids(struct engine *e, const char *id, pid_t **pids, size_t *n, berth_error *err)
{
        struct cgroup_manager *m = NULL;
        int r;

        if ((r = load_manager(e, id, &m, err)) < 0)
                return r;
        r = cgroup_manager_pids(m, pids, n, err);
        cgroup_manager_free(m);
        return r;
}
