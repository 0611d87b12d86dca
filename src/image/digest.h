/* SHA-256 digests as OCI writes them ("sha256:" + 64 lowercase hex), computed with OpenSSL's libcrypto
 * (SHA-NI/AVX2 code paths: hashing must never be what limits a layer unpack). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

#define DIGEST_HEX_LEN 64
#define DIGEST_STRING_LEN (7 + DIGEST_HEX_LEN) /* "sha256:" + hex */

struct digest_ctx;

/* A running SHA-256. new never fails (aborts on OOM like xmalloc). */
struct digest_ctx *digest_new(void);
void digest_update(struct digest_ctx *ctx, const void *data, size_t len);
/* Writes "sha256:<hex>" (DIGEST_STRING_LEN + 1 bytes) and resets the context for reuse. */
void digest_final(struct digest_ctx *ctx, char out[DIGEST_STRING_LEN + 1]);
void digest_free(struct digest_ctx *ctx);
static inline void digest_free_ptr(struct digest_ctx **c)
{
        if (*c != NULL)
                digest_free(*c);
}
#define cleanup_digest __attribute__((cleanup(digest_free_ptr)))

/* One-shot digest of a buffer. */
void digest_buffer(const void *data, size_t len, char out[DIGEST_STRING_LEN + 1]);

/* True for "sha256:" followed by exactly 64 lowercase hex digits: the only algorithm berth stores (the OCI
 * image spec registers sha512 too; a blob named with it is refused with a clear message). */
bool digest_is_valid(const char *digest);
/* Validates and fails with "invalid digest ..." naming what held it. */
int digest_check(const char *digest, const char *what, berth_error *err);
/* The hex part of a valid digest. */
static inline const char *digest_hex(const char *digest)
{
        return digest + 7;
}
