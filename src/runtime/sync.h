/* The channel between the runtime (parent) and the container's init while the container is being made: a
 * SOCK_SEQPACKET socketpair, one message per step, so that each side knows exactly where the other is and
 * the init's errors reach the parent as text (the parent prints them and removes what was made). */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"

enum sync_message_type {
        SYNC_GO = 1,          /* parent -> init: id maps written, cgroup joined: go on */
        SYNC_USERNS_READY,    /* init -> parent: I unshared a user namespace: write my id maps */
        SYNC_USERNS_MAPPED,   /* parent -> init */
        SYNC_CHILD_PID,       /* init (stage 1) -> parent: the pid of the process that becomes the init */
        SYNC_HOOKS_REQUEST,   /* init -> parent: runtime environment made, run prestart/createRuntime hooks */
        SYNC_HOOKS_DONE,      /* parent -> init */
        SYNC_CREATED,         /* init -> parent: ready, waiting for start */
        SYNC_SECCOMP_LISTENER, /* init/exec child -> parent: the seccomp notify fd rides along (SCM_RIGHTS) */
        SYNC_ERROR,           /* init -> parent: text is the message, value the errno */
};

struct sync_message {
        uint32_t type;
        int32_t value;  /* errno for SYNC_ERROR, a pid for SYNC_CHILD_PID */
        char text[4000];
        int fd;         /* received with the message, or -1 (not part of the wire format) */
};

int sync_send(int fd, enum sync_message_type type, int32_t value, const char *text, berth_error *err);
/* A message that carries an fd. */
int sync_send_fd(int fd, enum sync_message_type type, int passed_fd, berth_error *err);
/* Waits for a message of the expected type; a SYNC_ERROR instead becomes err (the init's own message);
 * EOF means the peer died before answering. */
int sync_expect(int fd, enum sync_message_type expected, int32_t *value, berth_error *err);
/* Receives any message. Returns 0 and fills *msg, or -errno (-EPIPE on EOF). */
int sync_receive(int fd, struct sync_message *msg, berth_error *err);

/* From the init: report err to the parent and exit. Never returns. */
void sync_fail_and_exit(int fd, const berth_error *err) __attribute__((noreturn));

/* Passing fds over unix sockets (console master, seccomp listener): one fd per message. */
int fd_send(int sock, int fd, const void *payload, size_t payload_len, berth_error *err);
int fd_receive(int sock, int *fd_out, berth_error *err);
