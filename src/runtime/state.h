/* A container's record under the state root (--root, default /run/berth-runtime): ROOT/ID/state.json (what
 * runc's `state` prints plus what later commands need: the init's start time, the cgroup's paths), ROOT/ID/
 * config.json (the config as created, for exec defaults and poststop hooks) and, while created but not
 * started, ROOT/ID/exec.fifo. Status is derived, never stored: from the init process (alive, same start
 * time, zombie or not), the fifo and the freezer. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/log.h"

struct runtime_context {
        const char *state_root; /* --root */
        const struct berth_log *log;
        bool debug;
        bool rootless; /* not root in the initial user namespace */
        bool no_cgroup; /* crun's --cgroup-manager disabled: containers get no cgroup of their own */
};

enum container_status {
        CONTAINER_CREATING,
        CONTAINER_CREATED,
        CONTAINER_RUNNING,
        CONTAINER_PAUSED,
        CONTAINER_STOPPED,
};

struct cgroup_manager;

/* A container's handle: its record as loaded, and the cgroup manager that owns its cgroup. */
struct container {
        char *id;
        char *state_dir; /* state_root/id */
        int state_dirfd; /* O_DIRECTORY, held locked by container_lock() */
        bool locked;     /* container_lock() was called on this handle */
        bool recorded;   /* state.json exists (false while the container is being created) */
        char *oci_version;
        char *bundle;
        char *rootfs;
        char *created; /* RFC 3339 */
        char *owner;
        pid_t pid;           /* the init, in the runtime's pid namespace; 0 while creating */
        uint64_t start_time; /* of pid, from /proc/PID/stat: a recycled pid is not our container */
        json_t *annotations; /* may be NULL */
        struct cgroup_manager *cgroup; /* the container's cgroup; NULL when it has none. Owned. */
        bool poststart_hooks; /* the saved config has hooks that start / delete must run */
        bool poststop_hooks;
};

/* Container ids: what runc accepts, ^[\w+-\.]+$, at most 1024 bytes, not "." or "..". */
int container_id_validate(const char *id, berth_error *err);

/* Loads ROOT/ID; "container \"ID\" does not exist" (ENOENT) when there is none. */
int container_load(const struct runtime_context *ctx, const char *id, struct container **out, berth_error *err);
void container_free(struct container *c);

/* Writes c's record as ROOT/ID/state.json (atomically) into the state directory dirfd. state.c alone
 * writes and reads state.json; c->cgroup is borrowed. */
int container_save(const struct container *c, int dirfd, berth_error *err);

/* Removes the record's files from the state directory dirfd (state.json, config.json, exec.fifo and
 * leftovers of an interrupted atomic write), not the directory itself. Missing files are no error. */
int container_remove_record(int dirfd, const char *state_dir, berth_error *err);

/* An exclusive flock on the state directory for commands that change the container (start, kill,
 * delete, update, pause, resume, exec); readers (state, list, ps) do not lock. */
int container_lock(struct container *c, berth_error *err);
void container_unlock(struct container *c);

int container_status(const struct container *c, enum container_status *out, berth_error *err);
const char *container_status_name(enum container_status s); /* "created", "running", ... */

/* Whether the init process is still the one we created (alive or zombie, same start time). */
bool container_init_alive(const struct container *c);

/* The state JSON as `berth-runtime state` prints it (runc's fields). New reference. */
json_t *container_state_json(const struct container *c, enum container_status status);

/* Lists the ids under the state root (sorted). */
int container_list_ids(const struct runtime_context *ctx, char ***out, berth_error *err);

static inline void container_free_ptr(struct container **c)
{
        if (*c != NULL)
                container_free(*c);
}
#define cleanup_container __attribute__((cleanup(container_free_ptr)))
