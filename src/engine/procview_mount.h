/* The container's view of /proc (docs/proc.md): a FUSE mount on ROOT/containers/ID/procview served by
 * berth-procview, whose files spec_build binds over the container's /proc/meminfo, /proc/cpuinfo, ... */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "engine/engine.h"
#include "lib/error.h"

#define ENGINE_PROCVIEW_DIR "procview"
/* The seccomp listener berth-procview answers sysinfo(2) on: ENGINE_PROCVIEW_SOCKETS/ID.sock (a unix
 * socket's path must fit 108 bytes: not under the store's root). */
#define ENGINE_PROCVIEW_SOCKETS "/run/berth/procview"

/* The listener's path for container id (malloc'ed). */
char *engine_procview_listener(const char *id);

/* On unless HostConfig says "BerthProcView": false (`--proc-view=false`). */
bool engine_procview_wanted(const json_t *host_config);
/* Mounts FUSE on BUNDLE/procview and starts berth-procview on it through a short-lived child, *spawner,
 * which engine_procview_started() reaps (before stop; its failure is the server's). *spawner is 0 (and
 * nothing is made) when the machine has no /dev/fuse: the container then sees the kernel's files. */
int engine_procview_start(struct engine *e, int dirfd, const char *bundle, pid_t *spawner, berth_error *err);
int engine_procview_started(struct engine *e, pid_t spawner, berth_error *err);
/* Unmounts it and waits for berth-procview to end (kills it after 200 ms); nothing to do is not an error. */
void engine_procview_stop(struct engine *e, int dirfd, const char *bundle);
/* The same by container id (cleanup, rm). */
void engine_procview_release(struct engine *e, const char *id);
