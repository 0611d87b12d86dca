/* Volumes (volumes.c): named and anonymous volumes under ROOT/volumes/NAME/_data, their records, and the
 * container's mount list resolved from docker's Binds, Mounts, Tmpfs and the image's Volumes. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"

struct engine_volume {
        char *name;
        char *created;
        json_t *labels;
        bool anonymous;
};
void engine_volume_clear(struct engine_volume *v);

int engine_resolve_mounts(struct engine *e, const char *id, json_t *config, json_t *host_config, json_t **mounts,
                          berth_error *err);
/* Creates the volumes of a resolved mount list and links them to the container (in the caller's
 * transaction). */
int engine_record_mount_volumes(struct engine *e, const char *id, const json_t *mounts, berth_error *err);
int engine_volume_create(struct engine *e, const char *name, json_t *labels, bool anonymous, berth_error *err);
int engine_volume_remove(struct engine *e, const char *name, bool force, berth_error *err);
char *engine_volume_path(struct engine *e, const char *name);
bool engine_volume_name_is_valid(const char *name);

/* docker's volume events of a container's run: "mount" for each volume it has at its start (container,
 * destination, driver, propagation, read/write), "unmount" for each at its end (container, driver). */
void engine_volume_events(struct engine *e, const struct engine_container *c, const char *action);

/* docker's volume object (volume inspect, the API's /volumes): CreatedAt, Driver, Labels, Mountpoint, Name,
 * Options, Scope. */
json_t *engine_volume_json(struct engine *e, const struct engine_volume *v);

/* volume ls / inspect. */
int engine_volume_list(struct engine *e, struct engine_volume **out, size_t *n, berth_error *err);
int engine_volume_get(struct engine *e, const char *name, struct engine_volume *out, berth_error *err);
/* volume ls --filter (and the API's): keeps in list (*n shrinks) the volumes that match docker's filters,
 * "KEY=VALUE": name (a substring of the name), label (KEY or KEY=VALUE; every one given must match), dangling
 * (true: no container uses it; false: one does), driver (local). Values of one key are ORed, keys ANDed. An
 * unknown key or a bad dangling value: EINVAL with docker's message, the list untouched. */
int engine_volume_filter(struct engine *e, struct engine_volume *list, size_t *n, char *const *filters, berth_error *err);
/* volume rm: refused while a container uses it (docker's "volume is in use" message). */
int engine_volume_rm(struct engine *e, const char *name, bool force, berth_error *err);
/* volume prune: unused anonymous volumes (every unused one with all, docker 23+) that f lets through (label
 * and label!; NULL: all). *names: the removed ones
 * (NULL-terminated); *reclaimed: the bytes their files held. A destroy event per volume, then docker's prune
 * event (reclaimed). */
int engine_volume_prune(struct engine *e, bool all, const struct engine_prune_filter *f, char ***names, uint64_t *reclaimed,
                        berth_error *err);
