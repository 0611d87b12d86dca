/* Blob uploads (distribution spec, "Pushing blobs"): HEAD to skip what the repository has, a cross-repository
 * mount when the blob is known to be in another repository of the registry, else POST for an upload session
 * and either one PUT with the whole blob (monolithic) or PATCH chunks then a closing PUT (chunked). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "image/manifest.h"
#include "registry/session.h"
#include "image/store.h"

#define UPLOAD_DEFAULT_CHUNK (16u << 20)

enum upload_outcome { UPLOAD_EXISTED, UPLOAD_MOUNTED, UPLOAD_PUSHED };

/* path: the target repository ("app"); report: progress events for this blob (layers). *mounted_from is
 * set (newly allocated) for UPLOAD_MOUNTED. */
int registry_upload_blob(struct registry_session *s, struct image_store *store, const char *path,
                         const struct descriptor *d, bool report, enum upload_outcome *outcome, char **mounted_from,
                         berth_error *err);
/* The same with the mount source looked up already (blob_sources_find; NULL: none): what the push's upload
 * threads call, since they do not touch the store's database. */
int registry_upload_blob_hinted(struct registry_session *s, struct image_store *store, const char *path,
                                const struct descriptor *d, bool report, const char *hint,
                                enum upload_outcome *outcome, char **mounted_from, berth_error *err);
