/* A new process in a running container (`exec`): it joins the init's namespaces through a pidfd (one
 * setns(2) for all of them), its cgroup, and gets the process config (args, env, user, capabilities,
 * rlimits, ...) plus the container's seccomp profile. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runtime/spec.h"
#include "runtime/state.h"

struct exec_options {
        const char *id;
        const struct spec_process *process;
        const char *console_socket; /* may be NULL */
        const char *pid_file;       /* may be NULL */
        int preserve_fds;
        bool want_terminal_master;  /* foreground with process.terminal: the master comes back to us */
};

struct exec_result {
        pid_t pid;
        int terminal_master; /* -1 unless want_terminal_master */
};

/* Starts the process. Errors before its execve (no such cwd, executable not found, ...) are errors of this
 * call; the caller waits for the process itself (it is our child) unless it detaches. */
int container_exec(const struct runtime_context *ctx, const struct exec_options *opts, struct exec_result *out,
                   berth_error *err);

/* The process of `exec` when given as flags: the container's own process config (from its config.json as
 * created) with args replaced and the flags' changes applied, as runc builds it. */
int exec_default_process(const struct runtime_context *ctx, const char *id, struct spec_process *out,
                         berth_error *err);
