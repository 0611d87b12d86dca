/* Images as docker shows them (imageinfo.c): the inspect document and the list's entries, for both front
 * ends (berth inspect / images, and the API's /images/{name}/json and /images/json). */
#pragma once

#include <jansson.h>

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
