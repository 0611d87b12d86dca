/* `run`: create, attach from the first byte, start, wait, and --rm, as one operation (run.c). The front end
 * fills the options (docker's Config/HostConfig, validated by create) and prints the result; the sequence
 * and its clean-up on every path are here. */
#pragma once

#include <stdbool.h>

#include "engine/create.h"
#include "engine/engine.h"

struct engine_run_options {
        struct engine_create_request create; /* image, name, Config, HostConfig (AutoRemove: --rm) */
        bool detach;                         /* -d: start and return the id */
        bool sig_proxy;                      /* forward our signals to the container (no tty) */
        bool attach_stdin, attach_stdout, attach_stderr; /* the foreground streams (docker's -a) */
        const char *detach_keys;             /* --detach-keys (engine/attach.h); NULL: ctrl-p,ctrl-q */
        /* Called once the container exists, before it starts (--cidfile); may be NULL. */
        void (*created)(const char *id, void *data);
        void *created_data;
};

struct engine_run_result {
        char *id;      /* the container, once created (NULL when create failed) */
        int exit_code; /* the container's exit code; on failure docker's code for it (125, 126, 127) */
        bool detached; /* the user detached (ctrl-p ctrl-q): the container goes on */
};
void engine_run_result_clear(struct engine_run_result *r);

/* Creates the container and starts it; in the foreground attaches our stdio to it from its first byte,
 * waits for its exit and (when the client is the one to clean up: no restart policy) records the exit and
 * removes it with AutoRemove. A failed start of an AutoRemove container removes it. Returns 0 with
 * res->exit_code the container's, or a negative errno with err set and res->exit_code docker's code. */
int engine_container_run(struct engine *e, const struct engine_run_options *opts, struct engine_run_result *res,
                         berth_error *err);

/* start -a [-i]: starts a created or exited container with this client attached from its first byte (or,
 * when it runs already, attaches through its socket), until it exits or the user detaches. Same result
 * convention as run. */
int engine_container_start_attached(struct engine *e, const char *id, bool interactive, const char *detach_keys,
                                    struct engine_run_result *res, berth_error *err);

/* A builder's step (src/build): starts a created container and waits for its exit (res->exit_code), its
 * output on our stdout/stderr when OUTPUT, else dropped; no stdin; our SIGINT/SIGTERM go to it. */
int engine_container_run_step(struct engine *e, const char *id, bool output, struct engine_run_result *res,
                              berth_error *err);

struct engine_attach_options {
        bool no_stdin;  /* --no-stdin: output only */
        bool sig_proxy; /* forward our signals to the container (no tty) */
        const char *detach_keys; /* --detach-keys; NULL: ctrl-p,ctrl-q */
};

/* attach: this client to a running container's stdio through its monitor's socket, until it exits or the
 * user detaches. Refused for a container that is not running (docker's message). Same result convention
 * as run. */
int engine_container_attach(struct engine *e, const char *ref, const struct engine_attach_options *opts,
                            struct engine_run_result *res, berth_error *err);
