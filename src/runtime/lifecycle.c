#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "lib/cleanup.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/init.h"
#include "lib/json.h"
#include "lib/util.h"

static int load_locked(const struct runtime_context *ctx, const char *id, struct container **out,
                       enum container_status *status, berth_error *err)
{
        cleanup_container struct container *c = NULL;
        int r;

        if ((r = container_load(ctx, id, &c, err)) < 0 || (r = container_lock(c, err)) < 0)
                return r;
        /* Reload under the lock: create may have finished (or delete removed it) while we waited. */
        container_free(steal_pointer(&c));
        if ((r = container_load(ctx, id, &c, err)) < 0 || (r = container_lock(c, err)) < 0 ||
            (r = container_status(c, status, err)) < 0)
                return r;
        *out = steal_pointer(&c);
        return 0;
}

static struct runtime_spec *load_saved_spec(const struct container *c)
{
        cleanup_free char *path = xasprintf("%s/config.json", c->state_dir);
        json_t *doc = json_load_path(path, NULL);
        struct runtime_spec *spec = NULL;

        if (doc == NULL)
                return NULL;
        if (spec_parse(doc, c->bundle, &spec, NULL) < 0)
                spec = NULL;
        json_decref(doc);
        return spec;
}

int container_start(const struct runtime_context *ctx, const char *id, berth_error *err)
{
        cleanup_container struct container *c = NULL;
        cleanup_close int fifo = -1;
        enum container_status status;
        struct runtime_spec *spec;
        int r;

        if ((r = load_locked(ctx, id, &c, &status, err)) < 0)
                return r;
        if (status != CONTAINER_CREATED) {
                if (status == CONTAINER_STOPPED)
                        return berth_failf(err, EINVAL, "cannot start a container that has stopped");
                return berth_failf(err, EINVAL, "cannot start an already running container");
        }
        /* The init holds the fifo open for reading: a writer gets in without blocking. ENXIO would mean
         * nobody reads any more (the init died between our status check and now). */
        fifo = openat(c->state_dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fifo < 0)
                return berth_fail(err, errno == ENXIO ? ESRCH : errno, "open %s/exec.fifo", c->state_dir);
        if (write(fifo, "0", 1) != 1)
                return berth_fail(err, errno, "write %s/exec.fifo", c->state_dir);
        if (unlinkat(c->state_dirfd, "exec.fifo", 0) < 0)
                return berth_fail(err, errno, "remove %s/exec.fifo", c->state_dir);

        spec = c->poststart_hooks ? load_saved_spec(c) : NULL;
        if (spec != NULL && spec->hooks.count[HOOK_POSTSTART] > 0) {
                cleanup_free char *state = init_hook_state(spec, c->id, c->bundle, c->pid, "running");
                /* runtime-spec: a failing poststart hook is logged and the next one runs; the
                 * lifecycle goes on. */
                hooks_run_all(&spec->hooks, HOOK_POSTSTART, state, ctx->log);
        }
        spec_free(spec);
        return 0;
}

int container_wait_pid_gone(pid_t pid, uint64_t start_time, int timeout_ms, berth_error *err)
{
        cleanup_close int pidfd = pidfd_open(pid, 0);
        uint64_t now_start = 0;
        struct pollfd p;
        int r;

        if (pidfd < 0) {
                if (errno == ESRCH)
                        return 0;
                return berth_fail(err, errno, "pidfd_open(%d)", (int) pid);
        }
        /* The pidfd names the process alive now; if that is a recycled pid, ours is already gone. */
        if (start_time != 0 && process_start_time(pid, &now_start) == 0 && now_start != start_time)
                return 0;
        p.fd = pidfd;
        p.events = POLLIN;
        do
                r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return berth_fail(err, errno, "wait for pid %d", (int) pid);
        if (r == 0)
                return berth_failf(err, ETIMEDOUT, "pid %d did not exit within %d ms", (int) pid, timeout_ms);
        return 0;
}

static int signal_init(const struct container *c, int sig, berth_error *err)
{
        cleanup_close int pidfd = pidfd_open(c->pid, 0);
        uint64_t start_time = 0;

        if (pidfd < 0)
                return berth_fail(err, errno == ESRCH ? ESRCH : errno, "container %s: init pid %d", c->id, (int) c->pid);
        /* Checked after the pidfd exists, so the signal cannot reach a process that recycled the pid. */
        if (process_start_time(c->pid, &start_time) < 0 || (c->start_time && start_time != c->start_time))
                return berth_failf(err, ESRCH, "container %s is not running", c->id);
        if (pidfd_send_signal(pidfd, sig, NULL, 0) < 0)
                return berth_fail(err, errno, "send signal %d to the init (pid %d)", sig, (int) c->pid);
        return 0;
}

int container_kill(const struct runtime_context *ctx, const char *id, int sig, bool all, berth_error *err)
{
        cleanup_container struct container *c = NULL;
        enum container_status status;
        int r;

        if ((r = container_load(ctx, id, &c, err)) < 0 || (r = container_status(c, &status, err)) < 0)
                return r;
        if (all && c->cgroup != NULL) {
                if ((r = cgroup_manager_kill_all(c->cgroup, sig, err)) < 0)
                        return r;
                if (status != CONTAINER_STOPPED)
                        return 0;
        }
        if (status == CONTAINER_STOPPED || status == CONTAINER_CREATING) {
                if (all)
                        return 0;
                return berth_failf(err, ESRCH, "container %s is not running", id);
        }
        return signal_init(c, sig, err);
}

static int set_frozen(const struct runtime_context *ctx, const char *id, bool frozen, berth_error *err)
{
        cleanup_container struct container *c = NULL;
        enum container_status status;
        int r;

        if ((r = load_locked(ctx, id, &c, &status, err)) < 0)
                return r;
        if (frozen && status != CONTAINER_RUNNING && status != CONTAINER_CREATED)
                return berth_failf(err, EINVAL, "container %s is not running (%s)", id, container_status_name(status));
        if (!frozen && status != CONTAINER_PAUSED)
                return berth_failf(err, EINVAL, "container %s is not paused (%s)", id, container_status_name(status));
        if (c->cgroup == NULL)
                return berth_failf(err, ENOENT, "container %s has no cgroup: cannot %s it", id, frozen ? "pause" : "resume");
        return cgroup_manager_freeze(c->cgroup, frozen, err);
}

int container_pause(const struct runtime_context *ctx, const char *id, berth_error *err)
{
        return set_frozen(ctx, id, true, err);
}

int container_resume(const struct runtime_context *ctx, const char *id, berth_error *err)
{
        return set_frozen(ctx, id, false, err);
}

static int remove_state_dir(const struct container *c, berth_error *err)
{
        int r;

        if ((r = container_remove_record(c->state_dirfd, c->state_dir, err)) < 0)
                return r;
        if (rmdir(c->state_dir) < 0 && errno != ENOENT)
                return berth_fail(err, errno, "remove %s", c->state_dir);
        return 0;
}

static int kill_everything(const struct container *c, struct cgroup_manager *m, berth_error *err)
{
        int r;

        if (m != NULL && (r = cgroup_manager_kill_all(m, SIGKILL, err)) < 0)
                return r;
        if (c->pid > 0 && container_init_alive(c)) {
                berth_error local = {0};
                if (signal_init(c, SIGKILL, &local) < 0 && local.code != ESRCH) {
                        berth_error_clear(err);
                        *err = local;
                        return -local.code;
                }
                berth_error_clear(&local);
                if ((r = container_wait_pid_gone(c->pid, c->start_time, 10000, err)) < 0)
                        return r;
        }
        return 0;
}

int container_delete(const struct runtime_context *ctx, const char *id, bool force, berth_error *err)
{
        cleanup_container struct container *c = NULL;
        enum container_status status;
        struct runtime_spec *spec = NULL;
        int r;

        if ((r = load_locked(ctx, id, &c, &status, err)) < 0)
                return r;
        if ((status == CONTAINER_RUNNING || status == CONTAINER_PAUSED) && !force)
                return berth_failf(err, EBUSY, "cannot delete container %s that is not stopped: %s", id,
                                   container_status_name(status));
        /* A created container is deleted without --force, as runc does: its init never ran anything. */
        if (status != CONTAINER_STOPPED && (r = kill_everything(c, c->cgroup, err)) < 0)
                goto out;
        if (c->cgroup != NULL && (r = cgroup_manager_destroy(c->cgroup, err)) < 0)
                goto out;
        spec = c->poststop_hooks ? load_saved_spec(c) : NULL;
        if ((r = remove_state_dir(c, err)) < 0)
                goto out;
        if (spec != NULL && spec->hooks.count[HOOK_POSTSTOP] > 0) {
                cleanup_free char *state = init_hook_state(spec, c->id, c->bundle, 0, "stopped");
                /* runtime-spec: a failing poststop hook is logged and the next one runs; the
                 * deletion has happened already. */
                hooks_run_all(&spec->hooks, HOOK_POSTSTOP, state, ctx->log);
        }
        r = 0;
out:
        spec_free(spec);
        return r;
}
