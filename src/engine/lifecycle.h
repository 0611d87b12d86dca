/* A container's life after create: start (the monitor), stop, kill, restart, pause, wait, the monitor's
 * exit command (cleanup: records, restart policy, --rm), removal. docker's semantics and words. */
#pragma once

#include <stdbool.h>

#include "engine/engine.h"

struct engine_start_options {
        /* The monitor's end of a SOCK_SEQPACKET socketpair whose other end the caller keeps: attached from
         * the first byte (run, start -a). -1: none. */
        int attach_fd;
};

/* Starts a created or exited container: mounts its root filesystem, writes config.json, forks the process
 * that becomes its monitor (which creates and starts the container through the runtime library, then
 * execs berth-monitor), and records it running. The caller runs from a protected binary (exe_protect.h).
 * *already: it was running (docker start is then a no-op). */
int engine_container_start(struct engine *e, const char *id, const struct engine_start_options *opts, bool *already,
                           berth_error *err);

/* The container's status as the kernel and the monitor show it, folded into the record (exit file, dead
 * monitor, dead init). Writes the record when it changed. */
int engine_container_refresh(struct engine *e, struct engine_container *c, berth_error *err);
/* engine_db_get + refresh. */
int engine_container_load(struct engine *e, const char *id, struct engine_container **out, berth_error *err);

/* docker stop: the stop signal, up to timeout seconds (-1: the container's StopTimeout or 10), then SIGKILL;
 * returns once the monitor has recorded the exit. Marks the container stopped by the user. */
int engine_container_stop(struct engine *e, const char *id, int timeout, berth_error *err);
int engine_container_kill(struct engine *e, const char *id, int sig, berth_error *err);
int engine_container_restart(struct engine *e, const char *id, int timeout, berth_error *err);
int engine_container_pause(struct engine *e, const char *id, bool pause, berth_error *err);

/* Blocks until the container is not running; its exit code. */
int engine_container_wait(struct engine *e, const char *id, int *exit_code, berth_error *err);

/* rm [-f] [-v]. A running container needs force (docker's message otherwise). */
int engine_container_remove(struct engine *e, const char *id, bool force, bool volumes, berth_error *err);

/* The monitor's exit command: folds the exit into the record, deletes the runtime's container and
 * unmounts the root filesystem, then removes the container (--rm) or restarts it (restart policy). */
int engine_container_cleanup(struct engine *e, const char *id, berth_error *err);

/* After a foreground run's exit (the client cleans up): the same without the restart policy. */
int engine_container_finish(struct engine *e, const char *id, bool remove, berth_error *err);

/* The stop signal of a container (Config.StopSignal, default SIGTERM). */
int engine_stop_signal(const struct engine_container *c);

