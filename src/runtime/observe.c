/* What a container's cgroup shows and takes, through its handle: stats, pids, the OOM count and its
 * event fd, and new limits (update). Each takes the container's lock and checks its status under it, so
 * that none races a delete (which removes the cgroup) or reads a cgroup of a record being replaced. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "runtime/cgroup.h"
#include "runtime/container.h"

/* What an operation accepts. */
enum need {
        NEED_RECORD,  /* any status but creating: the cgroup outlives the init until delete */
        NEED_STARTED, /* created, running or paused */
};

/* Under the lock: the record is still there (delete removes it under the same lock), the container has a
 * cgroup, and its status is what the operation needs. */
static int check_locked(struct container *c, enum need need, const char *what, berth_error *err)
{
        enum container_status status;
        struct stat st;
        int r;

        if (!c->recorded)
                return berth_failf(err, EBUSY, "container %s is still being created", c->id);
        if (fstatat(c->state_dirfd, "state.json", &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return berth_failf(err, ENOENT, "container \"%s\" does not exist", c->id);
                return berth_fail(err, errno, "stat %s/state.json", c->state_dir);
        }
        if (c->cgroup == NULL)
                return berth_failf(err, ENOENT, "container %s has no cgroup: cannot %s", c->id, what);
        if ((r = container_status(c, &status, err)) < 0)
                return r;
        if (need == NEED_STARTED && status == CONTAINER_STOPPED)
                return berth_failf(err, EINVAL, "container %s is not running: cannot %s", c->id, what);
        return 0;
}

/* Locks c (unless the caller holds its lock) and checks it; on success *took tells whether the caller
 * must unlock. */
static int lock_checked(struct container *c, enum need need, const char *what, bool *took, berth_error *err)
{
        int r;

        *took = false;
        if (!c->locked) {
                if ((r = container_lock(c, err)) < 0)
                        return r;
                *took = true;
        }
        if ((r = check_locked(c, need, what, err)) < 0 && *took) {
                container_unlock(c);
                *took = false;
        }
        return r;
}

static void unlock_if(struct container *c, bool took)
{
        if (took)
                container_unlock(c);
}

int container_stats(struct container *c, json_t **out, berth_error *err)
{
        bool took;
        int r;

        *out = NULL;
        if ((r = lock_checked(c, NEED_STARTED, "read its stats", &took, err)) < 0)
                return r;
        r = cgroup_manager_stats(c->cgroup, out, err);
        unlock_if(c, took);
        return r;
}

int container_pids(struct container *c, pid_t **out, size_t *n, berth_error *err)
{
        bool took;
        int r;

        *out = NULL;
        *n = 0;
        if ((r = lock_checked(c, NEED_RECORD, "list its processes", &took, err)) < 0)
                return r;
        r = cgroup_manager_pids(c->cgroup, out, n, err);
        unlock_if(c, took);
        return r;
}

int container_oom_count(struct container *c, uint64_t *count, berth_error *err)
{
        bool took;
        int r;

        if ((r = lock_checked(c, NEED_RECORD, "read its OOM kills", &took, err)) < 0)
                return r;
        r = cgroup_manager_oom_count(c->cgroup, count, err);
        unlock_if(c, took);
        return r;
}

int container_oom_fd(struct container *c, berth_error *err)
{
        bool took;
        int r;

        if ((r = lock_checked(c, NEED_STARTED, "watch its OOM kills", &took, err)) < 0)
                return r;
        r = cgroup_manager_oom_fd(c->cgroup, err);
        unlock_if(c, took);
        return r;
}

int container_update(struct container *c, const struct cgroup_resources *resources, berth_error *err)
{
        bool took;
        int r;

        if ((r = lock_checked(c, NEED_STARTED, "update it", &took, err)) < 0)
                return r;
        r = cgroup_manager_update(c->cgroup, resources, err);
        unlock_if(c, took);
        return r;
}
