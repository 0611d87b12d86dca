/* A container's life after create: start (the monitor), stop, kill, restart, pause, wait, the monitor's
 * exit command (cleanup: records, restart policy, --rm), removal. docker's semantics and words. */
#pragma once

#include <stdbool.h>

#include "engine/engine.h"
#include "engine/launch.h"
#include "engine/reconcile.h"

/* docker stop: the stop signal, up to timeout seconds (-1: the container's StopTimeout or 10), then SIGKILL;
 * returns once the monitor has recorded the exit. Marks the container stopped by the user. */
int engine_container_stop(struct engine *e, const char *id, int timeout, berth_error *err);
int engine_container_kill(struct engine *e, const char *id, int sig, berth_error *err);
int engine_container_restart(struct engine *e, const char *id, int timeout, berth_error *err);
int engine_container_pause(struct engine *e, const char *id, bool pause, berth_error *err);

/* start as dockerd does it for its API: engine_container_start, and a container with AutoRemove that fails to
 * start is removed (its removal is what docker's client waits for). */
int engine_container_start_or_remove(struct engine *e, const char *id, const struct engine_start_options *opts,
                                     bool *already, berth_error *err);

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
