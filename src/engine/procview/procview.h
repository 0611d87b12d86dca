/* berth-procview's two processes (docs/proc.md): the supervisor holds the FUSE connection and every request
 * until it is answered; the worker (its child) computes the answers. A worker that dies is replaced and is
 * sent again what it had not answered: a reader in the container never sees the connection fail. */
#pragma once

#include <stdbool.h>

#include "engine/procview/view.h"

struct procview_options {
        int fuse_fd;         /* /dev/fuse, mounted by the engine */
        const char *dir;     /* the mount point (for messages and ps) */
        double started;      /* CLOCK_BOOTTIME seconds: the container's start */
        unsigned delay_ms;   /* tests: the worker waits this long before each open */
};

/* The supervisor's loop: returns when the mount is gone (the kernel says ENODEV). */
int procview_supervise(const struct procview_options *o, berth_error *err);
/* The worker's loop on its end of the supervisor's socket; returns when the supervisor is gone. */
int procview_worker_main(const struct procview_options *o, int sock);
