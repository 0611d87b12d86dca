/* A layer blob as a stream of uncompressed tar bytes: reads the blob fd, hashes the compressed bytes (the
 * blob digest), decompresses (gzip with ISA-L's igzip, zstd with libzstd, xz and bzip2 with libarchive's
 * filters, or plain tar, detected from the magic bytes as docker's DecompressStream does), and hashes the uncompressed bytes (the diff id) in one pass.
 *
 * The read, hash and inflate run in a producer thread and hand 1 MiB buffers to the consumer (the tar
 * parser that writes files), so that on two cores decompression and file creation overlap. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "image/digest.h"
#include "image/store.h"
#include "lib/error.h"

enum layer_compression {
        LAYER_COMPRESSION_NONE,
        LAYER_COMPRESSION_GZIP,
        LAYER_COMPRESSION_ZSTD,
        LAYER_COMPRESSION_XZ,    /* libarchive's xz filter (liblzma): docker load/import and pulls take them */
        LAYER_COMPRESSION_BZIP2, /* libarchive's bzip2 filter (libbz2) */
};
/* Whether a layer compressed so has an OCI media type (gzip, zstd, none); xz and bzip2 do not: the store
 * keeps such a layer uncompressed (layer_blob_decompress). */
#define LAYER_COMPRESSION_HAS_MEDIA_TYPE(c) ((c) != LAYER_COMPRESSION_XZ && (c) != LAYER_COMPRESSION_BZIP2)

struct layer_stream;

/* Starts the producer on fd (borrowed: it must stay open until layer_stream_close). */
int layer_stream_open(int fd, struct layer_stream **out, berth_error *err);
/* Called from the producer thread after each read with the compressed bytes read so far (docker's
 * "Extracting" counts those). */
typedef void (*layer_progress_fn)(void *data, const char *blob_digest, uint64_t compressed_done);
/* layer_stream_open with progress: fn(data, blob_digest, done) after each read of the blob. */
int layer_stream_open_progress(int fd, layer_progress_fn fn, void *data, const char *blob_digest,
                               struct layer_stream **out, berth_error *err);

/* The next chunk of uncompressed bytes, valid until the next call. Returns its length, 0 at the end of the
 * stream, or -errno with err set (corrupt input, read error). */
ssize_t layer_stream_next(struct layer_stream *s, const void **buf, berth_error *err);

/* Reads what is left (a tar parser stops at the end-of-archive blocks; the diff id covers every byte) and
 * reports the digests and sizes. Fails if the stream was corrupt or truncated. */
struct layer_stream_result {
        char compressed_digest[DIGEST_STRING_LEN + 1];
        char uncompressed_digest[DIGEST_STRING_LEN + 1];
        uint64_t compressed_size;
        uint64_t uncompressed_size;
        enum layer_compression compression;
};
int layer_stream_finish(struct layer_stream *s, struct layer_stream_result *result, berth_error *err);

/* Stops the producer (if still running) and frees everything. Safe after a failure. */
void layer_stream_close(struct layer_stream *s);

const char *layer_compression_name(enum layer_compression c);

/* The magic bytes' compression (buf: the first bytes of a blob, at least 6 for xz). */
enum layer_compression layer_compression_sniff(const unsigned char *buf, size_t len);

/* A layer blob compressed with what has no OCI media type (xz, bzip2) written again uncompressed: out is the
 * new blob's digest, which is the layer's diff id (verified), *size its size. The compressed blob stays until
 * the next garbage collection (rmi, prune) takes it: nothing references it. */
int layer_blob_decompress(struct image_store *s, const char *digest, char out[DIGEST_STRING_LEN + 1], int64_t *size,
                          berth_error *err);
