/* Blob downloads into the image store: several at once (libcurl multi, a bounded number in flight), each
 * streamed into a blob_writer that hashes as it writes; a blob already stored is skipped. A connection
 * that breaks mid-blob is resumed with a Range request where the registry honours it (started over where it
 * does not), resets and 5xx answers are retried with backoff, redirects to blob storage are followed, and
 * a blob whose size or digest is not what the manifest says is refused: nothing of it is stored. */
#pragma once

#include <stdbool.h>

#include "image/manifest.h"
#include "registry/session.h"
#include "image/store.h"

struct fetch_item {
        const struct descriptor *desc;
        bool layer;   /* reported as a layer (progress); the config is fetched silently */
        bool present; /* out: it was already in the store */
};

/* path: the repository path ("library/busybox"); scope: the token scope for it. */
int registry_fetch_blobs(struct registry_session *s, struct image_store *store, const char *path, const char *scope,
                         struct fetch_item *items, size_t n, berth_error *err);
