/* Operations on a container after create: stop, kill, restart, pause, wait, removal, and the monitor's exit
 * command (cleanup: the exit recorded, --rm, the restart policy). Reads containers through reconcile.c and
 * starts them through launch.c; neither calls back here. */
#include "engine/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "engine/network.h"
#include "runtime/container.h"
#include "engine/create.h"
#include "engine/db.h"
#include "engine/events.h"
#include "engine/hostconfig.h"
#include "engine/monitor/protocol.h"
#include "image/snapshot.h"
#include "engine/procview_mount.h"
#include "lib/util.h"

int engine_stop_signal(const struct engine_container *c)
{
        const char *s = json_string_value(json_object_get(c->config, "StopSignal"));
        int sig;

        if (s != NULL && *s && signal_parse(s, &sig) == 0)
                return sig;
        return SIGTERM;
}

static bool is_running(const struct engine_container *c)
{
        return c->status == ENGINE_RUNNING || c->status == ENGINE_PAUSED || c->status == ENGINE_RESTARTING;
}

/* Waits until the monitor has recorded the exit (its exit file) or is gone, then until it has finished its
 * exit command (the same pid). */
static void wait_monitor_done(const struct engine_container *c, int timeout_ms)
{
        if (c->monitor_pid > 0)
                (void) container_wait_pid_gone(c->monitor_pid, c->monitor_start, timeout_ms, NULL);
}

static void kill_event(struct engine *e, const struct engine_container *c, int sig)
{
        char s[16];

        snprintf(s, sizeof(s), "%d", sig);
        engine_event_container(e, c, "kill", json_pack("{s:s}", "signal", s));
}

int engine_container_kill(struct engine *e, const char *id, int sig, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        int r;

        if ((r = engine_container_load(e, id, &c, err)) < 0)
                return r;
        if (!is_running(c))
                return berth_failf(err, EINVAL, "cannot kill container: %s: Container %s is not running", id, c->id);
        /* docker: a killed container is not restarted by its policy. */
        c->manual_stop = true;
        if ((r = engine_db_update_state(e, c, err)) < 0)
                return r;
        r = container_kill(&e->rt, c->id, sig, c->status == ENGINE_PAUSED && sig == SIGKILL, err);
        if (r == 0 || r == -ESRCH)
                kill_event(e, c, sig);
        if (r == -ESRCH) {
                berth_error_clear(err);
                return 0;
        }
        return r;
}

int engine_container_stop(struct engine *e, const char *id, int timeout, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        berth_error ignored = {0};
        int r;

        if ((r = engine_container_load(e, id, &c, err)) < 0)
                return r;
        if (!is_running(c))
                return 0;
        c->manual_stop = true;
        if ((r = engine_db_update_state(e, c, err)) < 0)
                return r;
        if (timeout < 0) {
                json_t *t = json_object_get(c->config, "StopTimeout");
                timeout = json_is_integer(t) ? (int) json_integer_value(t) : 10;
        }
        if (c->status == ENGINE_RUNNING && c->pid > 0) {
                kill_event(e, c, engine_stop_signal(c));
                container_kill(&e->rt, c->id, engine_stop_signal(c), false, &ignored);
                berth_error_clear(&ignored);
                if (timeout > 0 && container_wait_pid_gone(c->pid, c->pid_start, timeout * 1000, &ignored) == 0)
                        goto stopped;
                berth_error_clear(&ignored);
        }
        /* Past the timeout (or paused, or restarting): SIGKILL to everything in the cgroup (thawed first). */
        kill_event(e, c, SIGKILL);
        container_kill(&e->rt, c->id, SIGKILL, true, &ignored);
        berth_error_clear(&ignored);
        if (c->pid > 0)
                container_wait_pid_gone(c->pid, c->pid_start, 10000, &ignored);
        berth_error_clear(&ignored);
stopped:
        wait_monitor_done(c, 10000);
        engine_event_container(e, c, "stop", NULL);
        return 0;
}

int engine_container_restart(struct engine *e, const char *id, int timeout, berth_error *err)
{
        bool already = false;
        int r;

        cleanup_engine_container struct engine_container *c = NULL;

        if ((r = engine_container_stop(e, id, timeout, err)) < 0 || (r = engine_container_start(e, id, NULL, &already, err)) < 0)
                return r;
        if (engine_db_get(e, id, &c, NULL) == 0)
                engine_event_container(e, c, "restart", NULL);
        return 0;
}

int engine_container_pause(struct engine *e, const char *id, bool pause, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        int r;

        if ((r = engine_container_load(e, id, &c, err)) < 0)
                return r;
        if (pause && c->status == ENGINE_PAUSED)
                return berth_failf(err, EINVAL, "Container %s is already paused", c->id);
        if (!pause && c->status != ENGINE_PAUSED)
                return berth_failf(err, EINVAL, "Container %s is not paused", c->id);
        if (c->status != ENGINE_RUNNING && c->status != ENGINE_PAUSED)
                return berth_failf(err, EINVAL, "Container %s is not running", c->id);
        /* The runtime freezes under the container's lock, with its status checked there. */
        if ((r = pause ? container_pause(&e->rt, c->id, err) : container_resume(&e->rt, c->id, err)) < 0)
                return r;
        c->status = pause ? ENGINE_PAUSED : ENGINE_RUNNING;
        if ((r = engine_db_update_state(e, c, err)) < 0)
                return r;
        engine_event_container(e, c, pause ? "pause" : "unpause", NULL);
        return 0;
}

int engine_container_start_or_remove(struct engine *e, const char *id, const struct engine_start_options *opts,
                                     bool *already, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        int r = engine_container_start(e, id, opts, already, err);

        if (r < 0 && engine_container_load(e, id, &c, NULL) == 0 &&
            json_is_true(json_object_get(c->host_config, "AutoRemove"))) {
                berth_error ignored = {0};
                engine_container_remove(e, id, true, true, &ignored);
                berth_error_clear(&ignored);
        }
        return r;
}

int engine_container_wait(struct engine *e, const char *id, int *exit_code, berth_error *err)
{
        for (;;) {
                cleanup_engine_container struct engine_container *c = NULL;
                int r;

                if ((r = engine_container_load(e, id, &c, err)) < 0)
                        return r;
                if (c->status == ENGINE_EXITED || c->status == ENGINE_DEAD) {
                        *exit_code = c->exit_code;
                        return 0;
                }
                if (c->status == ENGINE_RUNNING && engine_process_alive(c->pid, c->pid_start))
                        (void) container_wait_pid_gone(c->pid, c->pid_start, -1, NULL);
                else
                        usleep(10000);
        }
}

static int lock_dir(struct engine *e, const char *id, int *fd)
{
        *fd = openat(e->containers_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (*fd < 0)
                return -errno;
        while (flock(*fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return -errno;
        return 0;
}

/* The runtime's container and the mounted rootfs of a container that has stopped. */
static void release_runtime(struct engine *e, const char *id)
{
        berth_error ignored = {0};

        container_delete(&e->rt, id, true, &ignored);
        berth_error_clear(&ignored);
        engine_network_release(e, id);
        engine_procview_release(e, id);
        snapshot_unmount(e->store, id, &ignored);
        berth_error_clear(&ignored);
}

int engine_container_remove(struct engine *e, const char *id, bool force, bool volumes, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_close int lockfd = -1;
        int r;

        if ((r = engine_container_load(e, id, &c, err)) < 0)
                return r;
        if (is_running(c) || c->status == ENGINE_REMOVING) {
                if (!force && c->status != ENGINE_REMOVING)
                        return berth_failf(err, EBUSY,
                                           "cannot remove container \"/%s\": container is %s: stop the container before "
                                           "removing or force remove",
                                           c->name, engine_status_name(c->status));
                c->status = ENGINE_REMOVING;
                c->manual_stop = true;
                if ((r = engine_db_update_state(e, c, err)) < 0)
                        return r;
                /* Kills everything in the container's cgroup and removes it; the monitor then records the exit
                 * and its exit command sees "removing" and leaves the rest to us. */
                release_runtime(e, c->id);
                wait_monitor_done(c, 10000);
        }
        if ((r = lock_dir(e, c->id, &lockfd)) < 0 && r != -ENOENT)
                return berth_fail(err, -r, "lock container %s", c->id);
        {
                /* Removed meanwhile by another rm: what was asked is done. */
                cleanup_engine_container struct engine_container *now = NULL;
                if ((r = engine_db_get(e, c->id, &now, err)) == -ENOENT) {
                        berth_error_clear(err);
                        return 0;
                }
                if (r < 0)
                        return r;
        }
        release_runtime(e, c->id);
        return engine_container_remove_files(e, c->id, volumes, err);
}

/* Folds the monitor's exit file and releases what the stopped container held. The caller holds the lock.
 * A container about to be removed is not written back (one transaction less on run --rm). */
static int record_exit(struct engine *e, struct engine_container *c, bool removing, berth_error *err)
{
        cleanup_free char *finished = NULL;
        bool rm_in_progress = c->status == ENGINE_REMOVING;
        int code = 0;

        if (engine_container_read_exit(e, c->id, &code, &finished))
                engine_container_fold_exit(e, c, code, finished);
        else if (!rm_in_progress)
                engine_container_fold_exit(e, c, 255, "");
        release_runtime(e, c->id);
        /* An rm -f that stopped the container removes it too: the caller leaves it alone. */
        if (rm_in_progress)
                c->status = ENGINE_REMOVING;
        if (rm_in_progress || removing)
                return 0;
        return engine_db_update_state(e, c, err);
}

int engine_container_finish(struct engine *e, const char *id, bool remove, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_close int lockfd = -1;
        int r;

        if (lock_dir(e, id, &lockfd) < 0 || engine_db_get(e, id, &c, NULL) < 0)
                return 0; /* removed meanwhile */
        if ((r = record_exit(e, c, remove, err)) < 0)
                return r;
        if (remove && c->status != ENGINE_REMOVING)
                return engine_container_remove_files(e, id, true, err);
        return 0;
}

int engine_container_cleanup(struct engine *e, const char *id, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_close int lockfd = -1;
        bool already = false;
        int r;

        if (lock_dir(e, id, &lockfd) < 0 || engine_db_get(e, id, &c, NULL) < 0)
                return 0;
        if ((r = record_exit(e, c, json_is_true(json_object_get(c->host_config, "AutoRemove")), err)) < 0)
                return r;
        if (c->status == ENGINE_REMOVING)
                return 0;
        if (json_is_true(json_object_get(c->host_config, "AutoRemove")))
                return engine_container_remove_files(e, id, true, err);
        if (!engine_restart_wanted(c->host_config, c->exit_code, c->restart_count, c->manual_stop))
                return 0;
        c->status = ENGINE_RESTARTING;
        c->restart_count++;
        if ((r = engine_db_update_state(e, c, err)) < 0)
                return r;
        close(steal_fd(&lockfd));
        /* docker's back-off: 100 ms, doubled per restart, at most a minute. */
        {
                long ms = engine_restart_delay_ms(c->restart_count);
                struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
                nanosleep(&ts, NULL);
        }
        {
                cleanup_engine_container struct engine_container *now = NULL;
                /* A stop or rm during the back-off wins. The row stays "restarting" until the start makes it
                 * "running" (or "exited" when the start fails): an "exited" in between would show a finished
                 * container whose restart count and exit code are about to change. The start accepts it, and
                 * its reconcile keeps it, since this process is the container's monitor (its exit command). */
                if (engine_db_get(e, id, &now, NULL) < 0 || now->status != ENGINE_RESTARTING || now->manual_stop)
                        return 0;
        }
        return engine_container_start(e, id, NULL, &already, err);
}
