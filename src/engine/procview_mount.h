/* The containers' view of /proc (docs/proc.md): one FUSE mount per store, ROOT/procview, served by one
 * berth-procview for every container of the store (each reader gets its own cgroup's files), started by the
 * first container that wants it and kept; spec_build binds its files over the container's /proc/meminfo,
 * /proc/cpuinfo, ... */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "engine/engine.h"
#include "lib/error.h"

#define ENGINE_PROCVIEW_DIR "procview"
/* The seccomp listener berth-procview answers sysinfo(2) on: ROOT/procview.sock, or where that does not fit a
 * unix socket's 108 bytes, ENGINE_PROCVIEW_SOCKETS/DEV-INO.sock, named after the store's root directory. */
#define ENGINE_PROCVIEW_SOCKETS "/run/berth/procview"

/* The store's listener path (malloc'ed). */
char *engine_procview_listener(struct engine *e);

/* On unless HostConfig says "BerthProcView": false (`--proc-view=false`). */
bool engine_procview_wanted(const json_t *host_config);
/* Makes sure berth-procview serves ROOT/procview, starting it if it is not running (once per store, not
 * per container: the check is two fcntl calls). *available is false (nothing is made) when the machine has
 * no /dev/fuse: containers then see the kernel's files. */
int engine_procview_ensure(struct engine *e, bool *available, berth_error *err);
/* Removes what an older berth left for container id (a view of its own, ROOT/containers/ID/procview, and
 * its server); nothing to do is not an error. */
void engine_procview_release(struct engine *e, const char *id);
