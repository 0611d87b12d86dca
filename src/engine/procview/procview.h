/* berth-procview's two processes (docs/proc.md): the supervisor holds the FUSE connection and the seccomp
 * listeners; the worker (its child) reads and answers the FUSE requests and the sysinfo calls. A worker that
 * dies is replaced and the new one answers what it had not: a reader never sees the connection fail. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "engine/procview/view.h"

/* Memory the supervisor shares with its workers (MAP_SHARED, made before the first fork): the connection's
 * FUSE_INIT and the request the worker is answering. The worker reads each request from /dev/fuse straight
 * into the slot and clears its header when the reply is written; a restarted worker finds there what its
 * predecessor had not answered. */
#define PROCVIEW_MSG_MAX ((256 * 4096) + 4096)
struct procview_shared {
        uint32_t init_len;
        char init[4096];
        uint32_t tries;      /* workers that died with the slot's request */
        uint64_t tries_unique;
        char slot[PROCVIEW_MSG_MAX];
};

struct procview_options {
        int fuse_fd;         /* /dev/fuse, mounted by the engine */
        int seccomp_fd;      /* listening socket of the seccomp listener (runtime-spec listenerPath), or -1 */
        const char *dir;     /* the mount point (for messages and ps) */
        double started;      /* CLOCK_BOOTTIME seconds: the container's start */
        unsigned delay_ms;   /* tests: the worker waits this long before each open */
        struct procview_shared *shared;
};

/* sysinfo(2) notifications go to the worker as requests of this opcode (no FUSE opcode is that high):
 * header only, pid the caller's. The worker answers with a fuse_out_header and a struct sysinfo, or an error
 * (the supervisor then lets the kernel's sysinfo run). */
#define PROCVIEW_OP_SYSINFO 0x7f000001u

/* The supervisor's loop: returns when the mount is gone (the kernel says ENODEV). */
int procview_supervise(const struct procview_options *o, berth_error *err);
/* The worker's loop on its end of the supervisor's socket; returns when the supervisor is gone. */
int procview_worker_main(const struct procview_options *o, int sock);
