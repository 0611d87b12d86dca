/* Where blobs came from: for each blob digest, the registries and repositories it was pulled from or pushed
 * to. A push to another repository of the same registry asks for a cross-repository mount from one of them
 * (distribution spec: POST /v2/NAME/blobs/uploads/?mount=DIGEST&from=REPO) instead of uploading the bytes.
 *
 * Stored in the image store's database, table registry_blob_sources, created by this file's own migration
 * (meta key "registry_schema"); the image store's schema is untouched. Rows are hints: a blob removed
 * locally or remotely only makes the mount fail, and the push then uploads. */
#pragma once

#include "image/store.h"

/* Creates the table when missing (once per store). */
int blob_sources_migrate(struct image_store *s, berth_error *err);
/* Records digests as present in registry/repository ("127.0.0.1:5000", "library/busybox"). */
int blob_sources_record(struct image_store *s, const char *registry, const char *repository, char *const *digests,
                        berth_error *err);
/* The most recently recorded repository of registry, other than exclude, holding the digest; *out NULL when
 * none. */
int blob_sources_find(struct image_store *s, const char *registry, const char *digest, const char *exclude,
                      char **out, berth_error *err);
