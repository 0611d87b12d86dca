/* berth-procview's two processes (docs/proc.md): the worker reads and answers the FUSE requests and the
 * sysinfo calls; the supervisor only holds what the worker holds (the FUSE connection, the seccomp listeners)
 * and forks a new worker when it dies, which answers what the dead one had not. When the supervisor dies, the
 * worker forks a new supervisor. Either may be killed without a reader seeing the connection fail. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "engine/procview/view.h"

/* The sysinfo(2) call the worker is answering (a seccomp notification), kept in shared memory until answered:
 * a worker that dies with it leaves it for the next. */
struct procview_notif {
        uint32_t busy;     /* 1 from its receipt until its answer */
        uint32_t listener; /* index in the listener table */
        uint64_t id, addr; /* the notification's id, sysinfo's buffer in the caller */
        int32_t pid;       /* the caller */
        uint32_t tries;    /* workers that died with it */
};

/* Memory the supervisor shares with its workers (MAP_SHARED, made before the first fork): the connection's
 * FUSE_INIT, the FUSE request and the sysinfo call the worker is answering. The worker reads each request
 * from /dev/fuse straight into the slot and clears its header when the reply is written; a restarted worker
 * finds there what its predecessor had not answered. */
#define PROCVIEW_MSG_MAX ((256 * 4096) + 4096)
struct procview_shared {
        uint32_t init_len;
        char init[4096];
        uint32_t tries;      /* workers that died with the slot's request */
        uint64_t tries_unique;
        struct procview_notif notif;
        char slot[PROCVIEW_MSG_MAX];
};

struct procview_options {
        int fuse_fd;         /* /dev/fuse, mounted by the engine */
        int seccomp_fd;      /* listening socket of the seccomp listeners (runtime-spec listenerPath), or -1 */
        const char *dir;     /* the mount point, ROOT/procview (for messages and ps) */
        unsigned delay_ms;   /* tests: the worker waits this long before each open and sysinfo */
        struct procview_shared *shared;
};

/* The seccomp listeners (each container's init's, each exec's), by index: both processes hold every one at the
 * same index (the worker accepts them and sends each to the supervisor), so that either can carry on alone. */
#define PROCVIEW_MAX_LISTENERS 1024
struct procview_listeners {
        int fd[PROCVIEW_MAX_LISTENERS]; /* -1: free */
};

/* Messages from the worker to the supervisor (SOCK_SEQPACKET): a listener to hold (its fd by SCM_RIGHTS), one
 * to close, and the end (the connection ended: unmounted). */
enum { PROCVIEW_MSG_ADD = 1, PROCVIEW_MSG_DROP, PROCVIEW_MSG_BYE };
struct procview_msg {
        uint32_t op, index;
};

/* The supervisor: holds the connection, the listening socket and every listener, and forks a worker again
 * when it dies; returns 0 when the worker saw the connection end. sock: its end of a worker's socket (the
 * worker made this supervisor after the last one died), or -1 to start a worker. */
int procview_supervise(const struct procview_options *o, struct procview_listeners *l, int sock, berth_error *err);
/* The worker: serves FUSE requests and sysinfo calls; when its supervisor dies it forks another. Returns when
 * the connection ended (0) or on an error. */
int procview_worker_main(const struct procview_options *o, struct procview_listeners *l, int sock);
