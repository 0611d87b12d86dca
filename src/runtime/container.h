/* The container lifecycle as the runtime-spec defines it: create, start, kill, delete, plus exec. This is
 * the runtime library's entry point for both front ends (berth-runtime and the berth engine). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runtime/spec.h"
#include "runtime/state.h"

struct create_options {
        const char *id;
        const char *bundle;         /* absolute */
        const char *config_path;    /* crun's --config: NULL for BUNDLE/config.json; relative to the bundle */
        int listen_fds;             /* systemd socket activation (LISTEN_FDS) passed on: fds 3..3+N-1 */
        const char *pid_file;       /* may be NULL */
        const char *console_socket; /* may be NULL */
        bool no_pivot;
        bool no_new_keyring;
        int preserve_fds;           /* fds 3 .. 3+N-1 pass into the container */
        /* `run` in the foreground with process.terminal and no console socket: the master comes back to the
         * caller instead (it proxies the terminal). */
        bool want_terminal_master;
        /* `run`: the caller waits for the init; it becomes a child subreaper so that an init made in two
         * stages is still its child. */
        bool caller_waits;
};

struct created_container {
        pid_t pid;
        int terminal_master; /* -1 unless want_terminal_master and process.terminal */
};

/* Validates the bundle, makes the container (namespaces, cgroup, mounts, pivot_root...) and leaves its init
 * waiting for start. On failure nothing is left behind: no state dir, mount, cgroup or process. */
int container_create(const struct runtime_context *ctx, const struct create_options *opts,
                     struct created_container *out, berth_error *err);

/* Lets the created init run the process (and runs poststart hooks). */
int container_start(const struct runtime_context *ctx, const char *id, berth_error *err);

/* Signals the init, or every process of the container with all. */
int container_kill(const struct runtime_context *ctx, const char *id, int sig, bool all, berth_error *err);

/* Freeze and thaw, under the container's lock with its status checked there. pause: freezes every process
 * (v1 freezer.state, v2 cgroup.freeze) and returns once the kernel reports them frozen; only a created or
 * running container. resume: thaws a paused one (anything else is an error, as runc). */
int container_pause(const struct runtime_context *ctx, const char *id, berth_error *err);
int container_resume(const struct runtime_context *ctx, const char *id, berth_error *err);

/* The container's cgroup through its handle (observe.c). Each takes the handle's lock (unless the caller
 * holds it), checks under it that the record still exists, that the container has a cgroup and that its
 * status allows the operation, then reads or writes the kernel's files.
 *   stats:      runc's stats "data" object (cpu, memory, pids, blkio, hugetlb); created/running/paused.
 *   pids:       the pids in the cgroup (and below it), sorted; also of a stopped, not yet deleted one.
 *   oom_count:  1 when the count of OOM kills grew past *count, else 0; *count becomes the kernel's count.
 *               Also of a stopped container, until delete removes its cgroup.
 *   oom_fd:     an fd that becomes readable on an OOM kill (owned by the handle); created/running/paused.
 *   update:     new limits (`update`); limits not set in resources are left alone; not a stopped one. */
struct cgroup_resources;
int container_stats(struct container *c, json_t **out, berth_error *err);
int container_pids(struct container *c, pid_t **out, size_t *n, berth_error *err);
int container_oom_count(struct container *c, uint64_t *count, berth_error *err);
int container_oom_fd(struct container *c, berth_error *err);
int container_update(struct container *c, const struct cgroup_resources *resources, berth_error *err);

/* Removes a stopped (or, with force, any) container: its processes, cgroup, state; runs poststop hooks. */
int container_delete(const struct runtime_context *ctx, const char *id, bool force, berth_error *err);

/* Waits for a process that is not our child to exit (pidfd), up to timeout_ms (-1: forever). */
int container_wait_pid_gone(pid_t pid, uint64_t start_time, int timeout_ms, berth_error *err);
