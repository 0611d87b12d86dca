/* Reconciling a container's record with what the kernel, the runtime and the monitor show: the init's and
 * the monitor's processes (pid + start time), the monitor's exit file, the runtime's record, the cgroup's
 * OOM count. Every operation reads a container through engine_container_load; nothing here starts, stops
 * or removes anything (lifecycle.c and launch.c do, on top of this). */
#include "engine/reconcile.h"
#include "engine/volumes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "engine/db.h"
#include "engine/events.h"
#include "engine/monitor/protocol.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "runtime/container.h"

bool engine_process_alive(pid_t pid, uint64_t start)
{
        char state = 0;
        uint64_t now = 0;

        if (pid <= 0 || process_stat_info(pid, &state, &now) < 0)
                return false;
        return (start == 0 || now == start) && state != 'Z' && state != 'X';
}

static bool monitor_alive(const struct engine_container *c)
{
        return engine_process_alive(c->monitor_pid, c->monitor_start);
}

bool engine_container_read_exit(struct engine *e, const char *id, int *code, char **finished)
{
        cleanup_free char *path = xasprintf("%s/%s", id, MONITOR_EXIT_FILE);
        cleanup_free char *text = NULL;
        char when[64] = "";

        if (read_file_at(e->containers_fd, path, &text, NULL, NULL) < 0)
                return false;
        if (sscanf(text, "%d %63s", code, when) < 1)
                return false;
        *finished = xstrdup(when);
        return true;
}

/* Whether the container's cgroup saw an OOM kill (read before the runtime removes the cgroup). */
static bool oom_killed(struct engine *e, const char *id)
{
        cleanup_container struct container *rc = NULL;
        uint64_t count = 0;

        return container_load(&e->rt, id, &rc, NULL) == 0 && container_oom_count(rc, &count, NULL) > 0;
}

static void set_string(char **field, const char *value)
{
        free(*field);
        *field = xstrdup(value);
}

/* The end of one run is folded by whoever sees it first (the monitor's exit command, a client that cleans
 * up itself, or any command refreshing the record), possibly twice at once: the marker file, made with
 * O_EXCL and removed at the next start, lets exactly one of them record oom and die. */
static void record_die_event(struct engine *e, struct engine_container *c)
{
        cleanup_free char *path = xasprintf("%s/%s", c->id, ENGINE_DIE_MARKER);
        int fd = openat(e->containers_fd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        char code[16];

        if (fd < 0)
                return;
        close(fd);
        if (c->oom_killed)
                engine_event_container(e, c, "oom", NULL);
        snprintf(code, sizeof(code), "%d", c->exit_code);
        engine_event_container(e, c, "die", json_pack("{s:s}", "exitCode", code));
        engine_volume_events(e, c, "unmount");
}

/* The record's fields for the end of a run; whether it was running (and so owes a die event). */
static bool fold_exit_state(struct engine *e, struct engine_container *c, int code, const char *finished)
{
        bool was_running = c->status != ENGINE_EXITED && c->status != ENGINE_DEAD && c->status != ENGINE_CREATED;

        c->status = ENGINE_EXITED;
        c->exit_code = code;
        c->pid = 0;
        c->pid_start = 0;
        set_string(&c->finished_at, finished);
        if (!c->oom_killed)
                c->oom_killed = oom_killed(e, c->id);
        return was_running;
}

void engine_container_fold_exit(struct engine *e, struct engine_container *c, int code, const char *finished)
{
        if (fold_exit_state(e, c, code, finished))
                record_die_event(e, c);
}

/* A container whose runtime record exists but whose row never heard of it (berth killed between the
 * monitor's start and the record's update). Only while nobody holds the container's lock: a start holds it
 * from before the runtime's create until its own record of the run (with the monitor) is written, and a
 * reader adopting in that window would record a run without its monitor, whose end it would then take for
 * a dead monitor's (255). *lock_fd: the lock taken (held by the caller until its write), or -1 when the
 * caller holds it already (caller_locked). */
static bool adopt_runtime_container(struct engine *e, struct engine_container *c, bool caller_locked, int *lock_fd)
{
        cleanup_container struct container *rc = NULL;

        if (!caller_locked) {
                *lock_fd = openat(e->containers_fd, c->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (*lock_fd < 0 || flock(*lock_fd, LOCK_EX | LOCK_NB) < 0)
                        return false; /* a start (or stop, rm) is at work: its own record comes */
        }
        if (container_load(&e->rt, c->id, &rc, NULL) < 0 || rc->pid <= 0 || !container_init_alive(rc))
                return false;
        c->status = ENGINE_RUNNING;
        c->pid = rc->pid;
        c->pid_start = rc->start_time;
        return true;
}

/* The exit of a run whose init is gone: the monitor's exit file, else (the monitor gone too) docker's "dead
 * monitor" code. False while the monitor lives and has not written it yet. The file is read once more
 * after the monitor is seen gone: it writes the file and then exits, so a first read can miss it and the
 * second cannot. */
static bool read_end_of_run(struct engine *e, const struct engine_container *c, int *code, char **finished,
                            bool *monitor_lost)
{
        *monitor_lost = false;
        if (engine_container_read_exit(e, c->id, code, finished))
                return true;
        if (monitor_alive(c))
                return false; /* the init is gone; the monitor is about to say how */
        if (engine_container_read_exit(e, c->id, code, finished))
                return true;
        *code = 255;
        *finished = engine_now_rfc3339();
        *monitor_lost = true;
        return true;
}

/* One look at the kernel for the row as read: the new state folded into *c (no event yet). Whether it
 * changed, and whether the change ends a run (a die event to record once the row is written). */
static bool fold_once(struct engine *e, struct engine_container *c, bool caller_locked, int *lock_fd, bool *ends_run)
{
        cleanup_free char *finished = NULL;
        bool monitor_lost = false;
        int code = 0;

        *ends_run = false;
        switch (c->status) {
        case ENGINE_CREATED:
                return adopt_runtime_container(e, c, caller_locked, lock_fd);
        case ENGINE_RESTARTING:
                if (monitor_alive(c))
                        return false;
                c->status = ENGINE_EXITED;
                return true;
        case ENGINE_RUNNING:
        case ENGINE_PAUSED:
        case ENGINE_REMOVING:
                if (engine_process_alive(c->pid, c->pid_start))
                        return false;
                if (!read_end_of_run(e, c, &code, &finished, &monitor_lost))
                        return false;
                if (c->status == ENGINE_REMOVING && !monitor_lost)
                        return false; /* rm folds it itself */
                *ends_run = fold_exit_state(e, c, code, finished);
                if (monitor_lost)
                        set_string(&c->error, "the container's monitor exited before the container");
                return true;
        default:
                return false;
        }
}

/* Readers (ps, inspect, stats) refresh without the container's lock, so a writer (the monitor's exit
 * command, a restart, a start) may change the row between this read and the write: the write is a
 * compare-and-swap on the run that was read, and on a miss the row is read again and looked at anew. The
 * die event is recorded only by the one whose write went in. */
static int refresh(struct engine *e, struct engine_container *c, bool caller_locked, berth_error *err)
{
        for (int attempt = 0; attempt < 8; attempt++) {
                cleanup_close int lock_fd = -1;
                struct engine_run_key was = { c->status, c->pid, c->monitor_pid, c->monitor_start };
                cleanup_error berth_error reread_err = { 0 };
                struct engine_container *fresh = NULL;
                struct engine_container swap;
                bool ends_run = false;
                bool updated = false;
                int r;

                if (!fold_once(e, c, caller_locked, &lock_fd, &ends_run))
                        return 0;
                if ((r = engine_db_update_state_if(e, c, &was, &updated, err)) < 0)
                        return r;
                if (updated) {
                        if (ends_run)
                                record_die_event(e, c);
                        return 0;
                }
                if ((r = engine_db_get(e, c->id, &fresh, &reread_err)) < 0) {
                        if (r == -ENOENT)
                                return 0; /* removed meanwhile: what was read stands for this reader */
                        return berth_failf(err, -r, "%s", berth_error_message(&reread_err));
                }
                swap = *c;
                *c = *fresh;
                *fresh = swap;
                engine_container_free(fresh);
        }
        return 0; /* the row keeps changing under us: what was read last stands */
}

int engine_container_refresh(struct engine *e, struct engine_container *c, berth_error *err)
{
        return refresh(e, c, false, err);
}

static int load(struct engine *e, const char *id, bool caller_locked, struct engine_container **out, berth_error *err)
{
        struct engine_container *c = NULL;
        int r;

        if ((r = engine_db_get(e, id, &c, err)) < 0)
                return r;
        if ((r = refresh(e, c, caller_locked, err)) < 0) {
                engine_container_free(c);
                return r;
        }
        *out = c;
        return 0;
}

int engine_container_load(struct engine *e, const char *id, struct engine_container **out, berth_error *err)
{
        return load(e, id, false, out, err);
}

int engine_container_load_locked(struct engine *e, const char *id, struct engine_container **out, berth_error *err)
{
        return load(e, id, true, out, err);
}
