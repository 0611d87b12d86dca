/* The engine's records in the image store's database (schema in docs/engine.md). The containers table of
 * the store holds (id, image_id, name, created) so that rmi refuses an image a container uses; the
 * engine's own table holds the rest, one row per container. */
#pragma once

#include "engine/engine.h"
#include "engine/volumes.h"

/* Creates the engine's tables when missing (one read when they exist). */
int engine_db_init(struct engine *e, berth_error *err);

/* Inserts both rows (inside the caller's transaction). A name in use fails with EEXIST and docker's
 * "Conflict. The container name ..." message. */
int engine_db_insert(struct engine *e, const struct engine_container *c, berth_error *err);

/* Loads the record of a full id. */
int engine_db_get(struct engine *e, const char *id, struct engine_container **out, berth_error *err);

/* docker's lookup: a full id, a name (with or without "/"), or a unique id prefix. ENOENT: "No such
 * container: REF". */
int engine_db_resolve(struct engine *e, const char *ref, char **id_out, berth_error *err);

/* Every container, newest first. */
int engine_db_list(struct engine *e, struct engine_container ***out, size_t *n, berth_error *err);
void engine_container_list_free(struct engine_container **list, size_t n);

/* Writes the state columns (status, pids, exit code, times, restart count, manual stop, error). */
int engine_db_update_state(struct engine *e, const struct engine_container *c, berth_error *err);

/* The run a reader saw: the row's status, init and monitor. */
struct engine_run_key {
        enum engine_status status;
        pid_t pid;
        pid_t monitor_pid;
        uint64_t monitor_start;
};
/* The same, only while the row still holds the run `was` (compare and swap): *updated is false when a
 * writer changed it first, and nothing was written. */
int engine_db_update_state_if(struct engine *e, const struct engine_container *c, const struct engine_run_key *was,
                              bool *updated, berth_error *err);

/* Removes both rows (the snapshot row is the snapshot's). */
int engine_db_delete(struct engine *e, const char *id, berth_error *err);

int engine_db_rename(struct engine *e, const char *id, const char *name, berth_error *err);
/* update: the container's HostConfig replaced. */
int engine_db_update_host_config(struct engine *e, const char *id, const json_t *host_config, berth_error *err);

/* Volumes. */
int engine_db_volume_get(struct engine *e, const char *name, struct engine_volume *out, berth_error *err);
int engine_db_volume_put(struct engine *e, const struct engine_volume *v, berth_error *err);
int engine_db_volume_list(struct engine *e, struct engine_volume **out, size_t *n, berth_error *err);
int engine_db_volume_delete(struct engine *e, const char *name, berth_error *err);
/* Containers that mount the volume. */
int engine_db_volume_users(struct engine *e, const char *name, char ***ids, berth_error *err);
int engine_db_volume_use(struct engine *e, const char *container_id, const char *name, const char *destination,
                         berth_error *err);
