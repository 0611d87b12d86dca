/* The image operations, as engine operations: every front end (berth's command line, the Docker API server)
 * calls these, and each writes docker's events into the journal (engine/events.h), so that no front end
 * writes an event of its own.
 *
 * Two halves, along the line of what they link (as pull.h): tag, rmi and prune need only the image store
 * (images.c, libberth-engine: in every binary); load, import, save, pull and push need libarchive or the
 * registry client (imageio.c, libberth-engine-registry: berth-full, the API server).
 *
 * Each operation takes the store lock it needs (shared to add, exclusive to remove) on e->store. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"
#include "image/gc.h"
#include "image/load.h"
#include "image/import.h"
#include "image/save.h"

/* docker tag SOURCE TARGET: *id_out (may be NULL) the image ID. A `tag` event (the image ID, the
 * familiar target as its name). A target with a digest is refused, as docker refuses it. */
int engine_image_tag(struct engine *e, const char *source, const char *target, char **id_out, berth_error *err);

/* docker rmi REF: rep lists what was untagged and deleted (also on failure: what went before it). An
 * `untag` event per removed name and a `delete` when the image itself went (docker: the image ID as both
 * the ID and the name). */
int engine_image_remove(struct engine *e, const char *ref, bool force, struct removal_report *rep, berth_error *err);

/* docker image prune [-a]: the removals' events, then docker's `prune` event (attribute reclaimed). */
int engine_image_prune(struct engine *e, bool all, struct removal_report *rep, berth_error *err);

/* --- libberth-engine-registry only --- */

/* docker load: a `load` event per image. what: the input's name for messages; platform: load --platform
 * (image/load.h), or NULL. */
int engine_image_load(struct engine *e, int fd, const char *what, const char *platform, struct load_result *res,
                      berth_error *err);

/* docker import: an `import` event (the image ID as ID and name). */
int engine_image_import(struct engine *e, int fd, const struct import_options *o, char **id_out, berth_error *err);

/* docker save of refs (names or IDs) to fd: a `save` event per image (the image ID as ID and name), once the
 * archive is whole. */
int engine_image_save(struct engine *e, char *const *refs, size_t n, enum save_format format, int fd,
                      berth_error *err);

struct registry_options;
struct registry_pull_result;
struct registry_push_result;

/* docker pull: a `pull` event per image pulled (the familiar reference as ID, the repository as name). */
int engine_image_pull(struct engine *e, const char *name, const struct registry_options *o,
                      struct registry_pull_result **results, size_t *n, berth_error *err);
/* docker push: a `push` event per tag pushed (as pull's). */
int engine_image_push(struct engine *e, const char *name, const struct registry_options *o,
                      struct registry_push_result **results, size_t *n, berth_error *err);
