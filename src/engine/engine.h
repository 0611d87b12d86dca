/* The engine: containers from images, with docker's lifecycle. It composes the runtime library
 * (src/runtime: create/start/kill/delete/exec, cgroups) and the image store (src/image: images,
 * snapshots) and never re-implements them. There is no daemon: every berth command opens the engine, reads
 * and updates the SQLite database of the image store, and talks to the per-container monitor process
 * (monitor/monitor.c) through files and a unix socket in the container's directory. See docs/engine.md.
 *
 *   ROOT/containers/ID/          config.json (the OCI bundle's config), hostname, hosts, resolv.conf,
 *                                ID-json.log[.N], exit (written by the monitor), attach.sock
 *   ROOT/volumes/NAME/_data      named and anonymous volumes
 *   STATE/ID/                    the runtime's state (STATE: /run/berth/runtime, or ROOT/runtime with --root)
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/log.h"
#include "runtime/state.h"
#include "image/store.h"

#define ENGINE_DEFAULT_STATE_ROOT "/run/berth/runtime"

struct engine {
        struct image_store *store;
        struct berth_log log;
        struct runtime_context rt;
        char *state_root;
        int containers_fd; /* ROOT/containers */
        char *self_exe;    /* berth itself: the monitor's exit command */
        char *monitor_exe; /* berth-monitor */
        char *launch_exe;  /* berth-launch: creates the container, becomes the monitor */
        char *init_exe;    /* berth-init (--init) */
        char *net_exe;     /* berth-net: bridge networking (veth, addresses, berth's nftables table) */
        char *procview_exe; /* berth-procview: the container's /proc view (docs/proc.md) */
        char *root_arg;    /* the --root berth was given, or NULL */
};

/* root: --root (NULL: the store's default); driver: --storage-driver or NULL. Creates the engine's tables
 * on first use. */
int engine_open(const char *root, const char *driver, struct engine **out, berth_error *err);
void engine_close(struct engine *e);
static inline void engine_close_ptr(struct engine **e)
{
        if (*e != NULL)
                engine_close(*e);
}
#define cleanup_engine __attribute__((cleanup(engine_close_ptr)))

enum engine_status {
        ENGINE_CREATED,
        ENGINE_RUNNING,
        ENGINE_PAUSED,
        ENGINE_RESTARTING,
        ENGINE_REMOVING,
        ENGINE_EXITED,
        ENGINE_DEAD,
};
const char *engine_status_name(enum engine_status s); /* docker's State.Status words */
int engine_status_parse(const char *s, enum engine_status *out);

/* One container's record (table engine_containers + containers). */
struct engine_container {
        char *id;
        char *name;        /* without docker's leading "/" */
        char *image_id;    /* sha256:... */
        char *image_ref;   /* what the user typed ("busybox") */
        char *created;     /* RFC 3339 */
        json_t *config;    /* docker's Config (image config merged in) */
        json_t *host_config; /* docker's HostConfig */
        json_t *mounts;    /* docker's Mounts (inspect): resolved volumes, binds, tmpfs */
        enum engine_status status;
        pid_t pid;         /* the init, host pid namespace; 0 when not running */
        uint64_t pid_start;
        pid_t monitor_pid;
        uint64_t monitor_start;
        int exit_code;
        bool oom_killed;
        bool manual_stop;  /* stopped by the user: restart policies (unless-stopped, always) hold back */
        int restart_count;
        char *started_at;  /* "" when never */
        char *finished_at;
        char *error;
};
void engine_container_free(struct engine_container *c);
static inline void engine_container_free_ptr(struct engine_container **c)
{
        if (*c != NULL)
                engine_container_free(*c);
}
#define cleanup_engine_container __attribute__((cleanup(engine_container_free_ptr)))

/* The container's directory, absolute (ROOT/containers/ID). */
char *engine_container_dir(struct engine *e, const char *id);
/* An O_DIRECTORY fd of it. */
int engine_container_dirfd(struct engine *e, const char *id, berth_error *err);

/* docker's label filter value: "KEY" (the label is there) or "KEY=VALUE" (with that value), against a
 * Labels object (NULL: no labels). */
bool engine_labels_match(const json_t *labels, const char *want);

/* docker's prune filters: until (only what was created before it: a time or a duration before now), label
 * (KEY or KEY=VALUE: each one given must match) and label! (none of those given may match). */
struct engine_prune_filter {
        bool has_until;
        double until; /* seconds since the epoch */
        char **labels, **not_labels;
};
/* From "KEY=VALUE" filters (NULL: none). A key other than those (or until where !allow_until), or a time
 * that is not one: EINVAL with docker's message. */
int engine_prune_filter_parse(char *const *filters, bool allow_until, struct engine_prune_filter *out, berth_error *err);
void engine_prune_filter_clear(struct engine_prune_filter *f);
/* Whether something with these labels, created at CREATED (RFC 3339), is to be pruned (f NULL: yes). */
bool engine_prune_filter_match(const struct engine_prune_filter *f, const json_t *labels, const char *created);

/* An unnamed file in the store's tmp directory (O_TMPFILE: gone when closed, whatever happens), read-write,
 * for a stream that must be kept whole before it is used (a tar checked before extraction, an upload). */
int engine_tmpfile(struct engine *e, berth_error *err);

/* Timestamps as stored and shown ("2024-01-02T03:04:05.123456789Z"). */
char *engine_now_rfc3339(void);

/* docker's exit status for a failure of the engine itself (bad flags, unknown image, I/O). */
#define ENGINE_EXIT_ERROR 125

/* The exit code docker gives a failure of berth itself while making a container's process: 127 when the
 * command was not found, 126 when it could not be executed, else 125. */
int engine_exit_code_for_error(const berth_error *err);
