/* `resume`: thaws a paused container. Resuming one that is not paused is an error, as with runc. */
#include <errno.h>

#include "cgroup.h"
#include "cleanup.h"
#include "commands.h"

int cmd_resume(struct runtime_context *ctx, int argc, char **argv)
{
        cleanup_container struct container *c = NULL;
        struct cgroup_manager *m = NULL;
        enum container_status status;
        cleanup_error berth_error err = {0};
        int r;

        if (argc != 2)
                return cli_usage_error(ctx, "resume: expects exactly one container id");
        if (container_load(ctx, argv[1], &c, &err) < 0 || container_lock(c, &err) < 0 ||
            container_status(c, &status, &err) < 0)
                return cli_fail(ctx, &err);
        if (status != CONTAINER_PAUSED) {
                berth_failf(&err, EINVAL, "container %s is not paused (%s)", argv[1], container_status_name(status));
                return cli_fail(ctx, &err);
        }
        if ((r = cgroup_manager_from_json(c->cgroup, &m, &err)) == 0)
                r = cgroup_manager_freeze(m, false, &err);
        cgroup_manager_free(m);
        return r < 0 ? cli_fail(ctx, &err) : 0;
}
