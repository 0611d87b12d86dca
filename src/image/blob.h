/* Content-addressed blobs (ROOT/blobs/sha256/HEX). A blob enters the store only through a blob_writer,
 * which hashes every byte as it is written and links the file under its name only when the digest (and
 * size, when known) match: a registry client streams a download into a writer and never holds it whole.
 * The file is an O_TMPFILE until the commit, so a process killed mid-write leaves nothing behind. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "image/digest.h"
#include "image/store.h"

struct blob_writer;

/* expected_digest: the digest the blob must have, or NULL to take the one computed (archives name members
 * by path only). expected_size: -1 when unknown. */
int blob_writer_open(struct image_store *s, const char *expected_digest, int64_t expected_size,
                     struct blob_writer **out, berth_error *err);
int blob_writer_write(struct blob_writer *w, const void *data, size_t len, berth_error *err);
/* Bytes written so far (a registry client resumes or reports progress from it). */
uint64_t blob_writer_size(const struct blob_writer *w);
/* Verifies, fsyncs and links the blob; writes its digest to digest_out. The writer is freed either way. An
 * identical blob already present is success. */
int blob_writer_commit(struct blob_writer *w, char digest_out[DIGEST_STRING_LEN + 1], berth_error *err);
/* Drops an unfinished blob (nothing was linked). */
void blob_writer_abort(struct blob_writer *w);

/* Cheap presence test (one fstatat), for a client deciding whether to fetch. */
bool store_blob_exists(struct image_store *s, const char *digest);
/* Size of a present blob, or -errno. */
int64_t store_blob_size(struct image_store *s, const char *digest);
/* An O_RDONLY fd of the blob. */
int store_blob_open(struct image_store *s, const char *digest, berth_error *err);
/* Reads a small blob (manifest, config) whole and checks its digest: a file changed on disk is refused. */
int store_blob_read(struct image_store *s, const char *digest, size_t max, char **out, size_t *len,
                    berth_error *err);
/* Adds a small blob held in memory (a manifest or config berth wrote itself). */
int store_blob_put(struct image_store *s, const void *data, size_t len, char digest_out[DIGEST_STRING_LEN + 1],
                   berth_error *err);
/* Re-hashes a blob file; -EBADMSG (with err naming both digests) when it no longer matches its name. */
int store_blob_verify(struct image_store *s, const char *digest, berth_error *err);
int store_blob_remove(struct image_store *s, const char *digest, berth_error *err);

/* "blobs/sha256/HEX" relative to the store root. */
char *store_blob_relpath(const char *digest);
