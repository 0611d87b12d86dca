/* Unpacked layers: ROOT/layers/HEX/diff, one per diff id, shared by every image that lists it, with a short
 * name ROOT/l/LINK for overlay mount data. A layer appears by rename of a fully unpacked and verified
 * temporary directory, so a half-unpacked layer is never visible. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "image/store.h"
#include "image/stream.h"

struct layer_job {
        /* in */
        const char *blob_digest; /* the blob in the store */
        const char *diff_id;     /* from the image config's rootfs.diff_ids: checked against the content */
        layer_progress_fn progress; /* NULL, or called as the blob is read while unpacking (image/stream.h) */
        void *progress_data;
        /* out */
        char *link;
        int64_t size;
        bool unpacked;           /* false: it was already there */
};

/* Makes sure every layer is unpacked, up to `parallel` at a time (each one already overlaps decompression
 * and file creation on two threads). Each layer's blob digest and diff id are verified. The caller holds
 * the store's shared lock. */
int layer_ensure_all(struct image_store *s, struct layer_job *jobs, size_t n, unsigned parallel, berth_error *err);
void layer_jobs_clear(struct layer_job *jobs, size_t n);

/* "layers/HEX/diff" relative to the store root. */
char *layer_diff_relpath(const char *diff_id);
/* Absolute "ROOT/l/LINK". */
char *layer_link_path(struct image_store *s, const char *link);

/* Removes a layer that no image uses (caller holds the exclusive lock and checked that). */
int layer_remove(struct image_store *s, const char *diff_id, berth_error *err);

/* OCI ChainID: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). */
void layer_chain_id(const char *parent_chain, const char *diff_id, char out[DIGEST_STRING_LEN + 1]);
