/* berth-procview's two processes (docs/proc.md): the supervisor holds the FUSE connection and every request
 * until it is answered; the worker (its child) computes the answers. A worker that dies is replaced and is
 * sent again what it had not answered: a reader in the container never sees the connection fail. */
#pragma once

#include <stdbool.h>

#include "engine/procview/view.h"

struct procview_options {
        int fuse_fd;         /* /dev/fuse, mounted by the engine */
        int seccomp_fd;      /* listening socket of the seccomp listener (runtime-spec listenerPath), or -1 */
        const char *dir;     /* the mount point (for messages and ps) */
        double started;      /* CLOCK_BOOTTIME seconds: the container's start */
        unsigned delay_ms;   /* tests: the worker waits this long before each open */
};

/* sysinfo(2) notifications go to the worker as requests of this opcode (no FUSE opcode is that high):
 * header only, pid the caller's. The worker answers with a fuse_out_header and a struct sysinfo, or an error
 * (the supervisor then lets the kernel's sysinfo run). */
#define PROCVIEW_OP_SYSINFO 0x7f000001u

/* The supervisor's loop: returns when the mount is gone (the kernel says ENODEV). */
int procview_supervise(const struct procview_options *o, berth_error *err);
/* The worker's loop on its end of the supervisor's socket; returns when the supervisor is gone. */
int procview_worker_main(const struct procview_options *o, int sock);
