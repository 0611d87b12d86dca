/* Images as docker shows them (imageinfo.c): the inspect document and the list's entries, for both front
 * ends (berth inspect / images, and the API's /images/{name}/json and /images/json). */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* "docker.io/library/busybox:latest" -> repository "busybox", tag "latest" (<none> when it has none). */
void engine_image_split_name(const char *stored, char **repository, char **tag);
/* "busybox:latest" */
char *engine_image_display_name(const char *stored);

/* docker's image inspect document (Id, RepoTags, RepoDigests, Config, RootFS, GraphDriver, ...) of the image
 * with ID id. */
json_t *engine_image_inspect_id(struct image_store *s, const char *id, berth_error *err);
/* REF: a name, an ID or an ID prefix ("No such image: X"). */
int engine_image_inspect(struct engine *e, const char *ref, json_t **out, berth_error *err);
/* docker's image list (types.ImageSummary: Id, ParentId, RepoTags, RepoDigests, Created, Size, SharedSize,
 * Labels, Containers), newest first as the store lists them. */
int engine_image_summaries(struct engine *e, json_t **out, berth_error *err);

/* docker's image history: the config's history entries, newest first. The newest is the image itself (its
 * ID and names), the others "<missing>" as docker shows them; a non-empty entry gets its layer's unpacked
 * size, an empty one 0. REF: a name, an ID or an ID prefix. */
struct engine_history_entry {
        char *id;
        char *created; /* RFC 3339 as the config has it, or NULL */
        char *created_by;
        char *comment;
        int64_t size;
        char **tags; /* the image's names on the newest entry, else NULL */
};
int engine_image_history(struct image_store *s, const char *ref, struct engine_history_entry **out, size_t *n,
                         berth_error *err);
void engine_image_history_free(struct engine_history_entry *h, size_t n);
