/* Image records in the store's database: what an image is made of, and the names that point at it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/store.h"

struct image_layer_record {
        char *diff_id;     /* sha256 of the uncompressed tar: names the unpacked layer */
        char *chain_id;    /* OCI ChainID up to this layer */
        char *blob_digest; /* the (compressed) blob as the manifest lists it */
        char *media_type;
        int64_t blob_size;
        int64_t size;      /* unpacked bytes (from layers) */
        char *link;        /* ROOT/l/<link> */
};

struct image_record {
        char *id; /* config digest: docker's image ID */
        char *manifest_digest;
        char *manifest_media_type;
        char *created;
        int64_t size;
        int64_t loaded;
        char *architecture;
        char *os;
        char **names; /* normalised references, sorted (NULL-terminated, may be empty) */
        struct image_layer_record *layers;
        size_t n_layers;
};

void image_record_clear(struct image_record *rec);
void image_records_free(struct image_record *recs, size_t n);
#define cleanup_image_record __attribute__((cleanup(image_record_clear)))

/* Adds the image (and its layer list) when absent, and points rec->names at it, in one transaction; an
 * image already present keeps its record and gains the names. */
int imagedb_put(struct image_store *s, const struct image_record *rec, berth_error *err);
/* Points a name (normalised "domain/path:tag") at an image, moving it from another image if needed. Tells
 * whether the name moved (the old image may be left dangling). */
int imagedb_tag(struct image_store *s, const char *name, const char *image_id, berth_error *err);
/* Removes a name; -ENOENT when absent. */
int imagedb_untag(struct image_store *s, const char *name, berth_error *err);

int imagedb_get(struct image_store *s, const char *id, struct image_record *rec, berth_error *err);
/* Every image, newest first (docker's order for `images`). */
int imagedb_list(struct image_store *s, struct image_record **recs, size_t *n, berth_error *err);

/* Finds an image as docker does: a name ("busybox", "busybox:1.35", "localhost/x@sha256:<manifest>"), a full
 * ID ("sha256:<hex>"), or a unique ID prefix (at least 1 hex digit, as docker accepts). Fails with ENOENT
 * "No such image: X" or EINVAL for an ambiguous prefix. name_out (optional): the normalised name matched, when
 * the reference was a name. */
int imagedb_resolve(struct image_store *s, const char *ref, char **id_out, char **name_out, berth_error *err);

/* Containers (engine's table) and snapshots that use an image. */
int imagedb_users(struct image_store *s, const char *id, int64_t *containers, int64_t *snapshots,
                  berth_error *err);
/* Deletes an image's record (names, layer list). Fails with EBUSY if a container or snapshot uses it. */
int imagedb_delete(struct image_store *s, const char *id, berth_error *err);

/* Layers that no image references any more, and the blobs no image lists (for removal under the
 * exclusive lock). */
int imagedb_unused_layers(struct image_store *s, char ***diff_ids, berth_error *err);
int imagedb_blob_in_use(struct image_store *s, const char *digest, bool *used, berth_error *err);

/* Layer records. */
int imagedb_layer_get(struct image_store *s, const char *diff_id, char **link, int64_t *size, berth_error *err);
int imagedb_layer_put(struct image_store *s, const char *diff_id, const char *link, int64_t size, berth_error *err);
int imagedb_layer_delete(struct image_store *s, const char *diff_id, berth_error *err);
int imagedb_layer_list(struct image_store *s, char ***diff_ids, berth_error *err);
