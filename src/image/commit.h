/* Turns blobs already in the store into an image: verifies the config, unpacks the layers (checking each
 * diff id), and records the image and its names in one transaction. Used by load, import, and the registry
 * client after it has streamed the manifest's blobs into the store. */
#pragma once

#include "image/manifest.h"
#include "image/store.h"
#include "image/stream.h"

struct image_commit {
        const char *manifest_digest;     /* in the store */
        const char *manifest_media_type;
        const char *config_digest;       /* in the store */
        const struct descriptor *layers; /* in the store, in manifest order */
        size_t n_layers;
        char **names;                    /* normalised names to point at the image (may be NULL) */
        layer_progress_fn progress;      /* NULL, or each layer's unpacking progress, from its threads */
        void *progress_data;
};

/* id_out: the image ID (config digest). The caller holds the store's shared lock. */
int image_commit(struct image_store *s, const struct image_commit *c, char **id_out, berth_error *err);

/* Max size of a manifest or config blob read into memory. */
#define IMAGE_METADATA_MAX (8u << 20)

/* Reads and parses an image's config blob (verified against its digest). */
int image_config_read(struct image_store *s, const char *config_digest, struct image_config *c, berth_error *err);
