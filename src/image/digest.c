#include "digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct digest_ctx {
        EVP_MD_CTX *md;
};

static void digest_init(struct digest_ctx *ctx)
{
        /* EVP_sha256() is the implementation-agnostic handle; it picks SHA-NI when the CPU has it. */
        if (EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1)
                abort(); /* only fails on allocation failure inside OpenSSL */
}

struct digest_ctx *digest_new(void)
{
        struct digest_ctx *ctx = xzalloc(sizeof(*ctx));

        ctx->md = EVP_MD_CTX_new();
        if (ctx->md == NULL)
                abort();
        digest_init(ctx);
        return ctx;
}

void digest_update(struct digest_ctx *ctx, const void *data, size_t len)
{
        if (len > 0 && EVP_DigestUpdate(ctx->md, data, len) != 1)
                abort();
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
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        if (EVP_DigestFinal_ex(ctx->md, md, &n) != 1 || n != 32)
                abort();
        memcpy(out, "sha256:", 7);
        hex_encode(md, n, out + 7);
        digest_init(ctx);
}

void digest_free(struct digest_ctx *ctx)
{
        EVP_MD_CTX_free(ctx->md);
        free(ctx);
}

void digest_buffer(const void *data, size_t len, char out[DIGEST_STRING_LEN + 1])
{
        unsigned char md[32];

        if (EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL) != 1)
                abort();
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
