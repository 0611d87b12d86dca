/* The build cache (docs/build.md): a step's key (the chain of its stage's steps so far, the instruction
 * with its values, and for COPY/ADD the digest of its sources' content and metadata) -> the image that
 * step made. Kept in the image store's directory: STORE/build-cache/keys/HEX (the image ID) and
 * STORE/build-cache/images/HEX (an intermediate image the cache keeps: `images` shows it only with -a,
 * `builder prune` removes it). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "image/store.h"
#include "lib/error.h"

/* The image KEY ("sha256:..." of the step) made, when it is still in the store: 0 and *image_id, or
 * -ENOENT (a key whose image is gone is forgotten). */
int build_cache_get(struct image_store *s, const char *key, char **image_id);
/* Records KEY -> IMAGE_ID; HIDDEN: an intermediate image (not the build's result). */
int build_cache_put(struct image_store *s, const char *key, const char *image_id, bool hidden, berth_error *err);
/* Whether the cache keeps IMAGE_ID as an intermediate image. */
bool build_cache_hides(struct image_store *s, const char *image_id);

struct build_cache_prune_report {
        uint64_t entries; /* keys forgotten */
        uint64_t images;  /* intermediate images removed */
        uint64_t reclaimed;
};
/* builder prune: forgets every key and removes the intermediate images the cache kept (an image a container
 * uses, or one that was tagged meanwhile, stays). */
int build_cache_prune(struct image_store *s, struct build_cache_prune_report *rep, berth_error *err);

/* system df's build cache: its records (*entries, those each hears of) and the bytes only it keeps (*size): the
 * layers of its intermediate images that no other image has (each counted once), and the RUN
 * --mount=type=cache directories. each (may be NULL) hears of every such record: an intermediate image
 * (type "regular": its ID, created time, the bytes counted for it) or a cache mount ("exec.cachemount": its
 * directory's name, no time, its bytes). */
struct build_cache_record {
        const char *id;
        const char *type;
        const char *created; /* RFC 3339, or NULL */
        uint64_t size;
};
int build_cache_usage(struct image_store *s, uint64_t *entries, uint64_t *size,
                      void (*each)(const struct build_cache_record *rec, void *data), void *data, berth_error *err);
