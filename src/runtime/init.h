/* The container's init: the process the runtime clones, which makes the container from the inside and
 * waits on exec.fifo until `start`, then executes process.args. Shared between create.c (the parent's
 * side of the protocol in sync.h) and init.c (the child's). */
#pragma once

#include <stdbool.h>

#include "runtime/container.h"
#include "runtime/spec.h"
#include "runtime/state.h"

struct cgroup_manager;
struct seccomp_filter;

struct init_config {
        const struct runtime_context *ctx;
        const struct create_options *opts;
        const struct runtime_spec *spec;
        struct cgroup_manager *cgroup;         /* may be NULL */
        const struct seccomp_filter *seccomp;  /* may be NULL */
        const int *idmapped_trees;             /* idmap.h; may be NULL */
        const char *state_dir;
        int sync_fd;     /* the init's end of the socketpair */
        int fifo_fd;     /* exec.fifo, O_RDWR: start writes a byte into it */
        int console_fd;  /* where the pty master goes: --console-socket or the caller; -1 without terminal */
        bool two_stages; /* namespaces_single_clone() said no */
        bool in_user_namespace;
        bool privileged_parent; /* the runtime is root in the initial user namespace */
};

/* The cloned child's entry point; never returns. */
void init_main(const struct init_config *ic) __attribute__((noreturn));

/* The state JSON hooks get on stdin (runtime-spec "state"): status, pid (host view), bundle, annotations. */
char *init_hook_state(const struct runtime_spec *spec, const char *id, const char *bundle, pid_t pid,
                      const char *status);
