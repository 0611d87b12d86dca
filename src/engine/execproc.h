/* `exec`: a new process in a running container, through the runtime library's container_exec (it joins the
 * init's namespaces and cgroup, and gets the container's seccomp profile). The process starts from the
 * container's own process config (env, user, cwd, capabilities, rlimits), with docker exec's changes. It is
 * berth's child: the caller waits for it (foreground) or leaves it (-d). The caller runs from a protected
 * binary (exe_protect.h). */
#pragma once

#include <stdbool.h>

#include "engine/engine.h"

struct engine_exec_request {
        char **argv;
        char **env;          /* "KEY=VALUE", added to (or replacing) the container's */
        const char *user;    /* NULL: the container's */
        const char *workdir; /* NULL: the container's */
        bool tty, interactive, detach, privileged;
        /* docker's --detach-keys (engine/attach.h's syntax); NULL: ctrl-p,ctrl-q. They apply to an interactive
         * terminal session (tty and interactive, not detach): the sequence on our stdin detaches, the process
         * runs on with its terminal held by a small process of ours until it ends. Refused otherwise. */
        const char *detach_keys;
};

/* *exit_code: the process's exit code (128+N after signal N); 0 with detach or after the detach sequence.
 * Events: exec_create, exec_start, exec_die (exitCode), each with docker's execID (a new ID per exec). */
int engine_container_exec(struct engine *e, const char *id, const struct engine_exec_request *req, int *exit_code,
                          berth_error *err);

/* Starts the process with stdin from /dev/null and stdout and stderr to out_fd, and returns its pid (our child,
 * for waitpid) without waiting: a health probe. tty, interactive and detach are ignored. */
int engine_container_exec_spawn(struct engine *e, const char *id, const struct engine_exec_request *req, int out_fd,
                                pid_t *pid, berth_error *err);

/* The Docker API's exec create: the container (a name, an ID or a prefix) is running and a command is given;
 * *container_id its full ID. EBUSY (409) when not running or paused. The exec itself is `berth exec`'s. */
int engine_exec_check(struct engine *e, const char *ref, char **argv, char **container_id, berth_error *err);
