/* start: mounting a container's root filesystem, writing its config.json and forking the process that
 * becomes its monitor (launch.c). Reads the container through reconcile.h; calls nothing of lifecycle.c. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "engine/engine.h"

struct engine_start_options {
        /* The monitor's end of a SOCK_SEQPACKET socketpair whose other end the caller keeps: attached from
         * the first byte (run, start -a). -1: none. */
        int attach_fd;
        /* Out, when not NULL: the monitor's pid (our child; run in the foreground reaps it). */
        pid_t *monitor_pid;
};

/* Starts a created or exited container: mounts its root filesystem, writes config.json, forks the process
 * that becomes its monitor (which creates and starts the container through the runtime library, then
 * execs berth-monitor), and records it running. The caller runs from a protected binary (exe_protect.h).
 * *already: it was running (docker start is then a no-op). */
int engine_container_start(struct engine *e, const char *id, const struct engine_start_options *opts, bool *already,
                           berth_error *err);
