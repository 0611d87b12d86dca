#include "image/digest.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/* nettle's SHA-256: the same library the runtime's seccomp cache uses (one implementation for the whole
 * project), static, with SHA-NI picked at run time (Debian builds nettle "fat"): as fast as libcrypto's
 * here (1.3-1.4 GB/s both), without loading libcrypto into every `berth` command. */
struct digest_ctx {
        struct sha256_ctx sha;
};

struct digest_ctx *digest_new(void)
{
        struct digest_ctx *ctx = xzalloc(sizeof(*ctx));

        sha256_init(&ctx->sha);
        return ctx;
}

void digest_update(struct digest_ctx *ctx, const void *data, size_t len)
{
        if (len > 0)
                sha256_update(&ctx->sha, len, data);
}

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
        static const char hex[] = "0123456789abcdef";

        for (size_t i = 0; i < n; i++) {
                out[2 * i] = hex[in[i] >> 4];
                out[2 * i + 1] = hex[in[i] & 15];
        }
        out[2 * n] = '\0';
}

void digest_final(struct digest_ctx *ctx, char out[DIGEST_STRING_LEN + 1])
{
        unsigned char md[SHA256_DIGEST_SIZE];

        /* sha256_digest also re-initialises the context for the next use, as callers expect. */
        sha256_digest(&ctx->sha, sizeof(md), md);
        memcpy(out, "sha256:", 7);
        hex_encode(md, sizeof(md), out + 7);
}

void digest_free(struct digest_ctx *ctx)
{
        free(ctx);
}

void digest_buffer(const void *data, size_t len, char out[DIGEST_STRING_LEN + 1])
{
        struct sha256_ctx sha;
        unsigned char md[SHA256_DIGEST_SIZE];

        sha256_init(&sha);
        sha256_update(&sha, len, data);
        sha256_digest(&sha, sizeof(md), md);
        memcpy(out, "sha256:", 7);
        hex_encode(md, sizeof(md), out + 7);
}

bool digest_is_valid(const char *digest)
{
        if (digest == NULL || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != DIGEST_STRING_LEN)
                return false;
        for (const char *p = digest + 7; *p != '\0'; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

int digest_check(const char *digest, const char *what, berth_error *err)
{
        if (digest == NULL)
                return berth_failf(err, EINVAL, "%s: missing digest", what);
        if (strncmp(digest, "sha256:", 7) != 0 && strchr(digest, ':') != NULL)
                return berth_failf(err, ENOTSUP, "%s: unsupported digest algorithm in %.80s (only sha256)", what,
                                   digest);
        if (!digest_is_valid(digest))
                return berth_failf(err, EINVAL, "%s: invalid digest %.80s", what, digest);
        return 0;
}
