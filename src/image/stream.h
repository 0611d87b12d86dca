/* A layer blob as a stream of uncompressed tar bytes: reads the blob fd, hashes the compressed bytes (the
 * blob digest), decompresses (gzip with ISA-L's igzip, zstd with libzstd, or plain tar, detected from the
 * magic bytes as containerd does), and hashes the uncompressed bytes (the diff id) in one pass.
 *
 * The read, hash and inflate run in a producer thread and hand 1 MiB buffers to the consumer (the tar
 * parser that writes files), so that on two cores decompression and file creation overlap. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "image/digest.h"
#include "lib/error.h"

enum layer_compression { LAYER_COMPRESSION_NONE, LAYER_COMPRESSION_GZIP, LAYER_COMPRESSION_ZSTD };

struct layer_stream;

/* Starts the producer on fd (borrowed: it must stay open until layer_stream_close). */
int layer_stream_open(int fd, struct layer_stream **out, berth_error *err);

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
