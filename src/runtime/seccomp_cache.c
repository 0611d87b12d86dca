/* The cache of compiled seccomp filters. Compiling Docker's profile with libseccomp takes milliseconds, a
 * large share of a container's start (crun keeps such a cache too, .cache/seccomp); the program for a
 * given profile never changes for a given libseccomp, so it is kept on disk, one file per profile:
 *
 *   CACHE_DIR/<sha256 hex>:  struct seccomp_cache_header, then n_insns struct sock_filter
 *
 * The key is SHA-256 (nettle) over a format tag, the libseccomp version, the native architecture and the
 * profile's canonical JSON. A cryptographic hash because a collision would not be a miss but the wrong
 * filter in a container. Entries are written with a temporary file and rename(2), so a reader sees a whole
 * entry or none; each is verified on read (magic, version, key, size, digest of the program) and anything
 * else is treated as a miss: the caller compiles and rewrites it. */
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "runtime/seccomp_internal.h"
#include "lib/util.h"

/* Bumped whenever the way berth compiles a profile changes (libseccomp attributes, rule layout): entries
 * written by an older berth then simply miss. */
#define SECCOMP_CACHE_FORMAT "berth-seccomp-bpf/1 optimize=2"

static void sha256(const void *data, size_t len, uint8_t out[SECCOMP_CACHE_KEY_SIZE])
{
        struct sha256_ctx ctx;

        sha256_init(&ctx);
        sha256_update(&ctx, len, data);
        sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

_Static_assert(sizeof(struct seccomp_cache_header) % sizeof(struct sock_filter) == 0,
               "the program must start on an instruction boundary");

void seccomp_cache_key(const struct seccomp_profile *p, uint8_t key[SECCOMP_CACHE_KEY_SIZE])
{
        const struct scmp_version *v = seccomp_version();
        /* The listener's path and metadata are not in the program: a profile that notifies (the engine's
         * sysinfo, docs/proc.md) names a socket per container and would otherwise never hit the cache. They
         * are taken out for the key and put back. */
        json_t *path = json_incref(json_object_get(p->section, "listenerPath"));
        json_t *metadata = json_incref(json_object_get(p->section, "listenerMetadata"));
        cleanup_free char *canonical = NULL;
        cleanup_free char *input = NULL;

        json_object_del(p->section, "listenerPath");
        json_object_del(p->section, "listenerMetadata");
        /* Compact, keys sorted: the same profile gives the same text whatever order its keys were in. */
        canonical = json_dumps(p->section, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        if (path != NULL)
                json_object_set_new(p->section, "listenerPath", path);
        if (metadata != NULL)
                json_object_set_new(p->section, "listenerMetadata", metadata);

        if (canonical == NULL)
                abort(); /* json_dumps fails only on allocation failure */
        input = xasprintf("%s\n%u.%u.%u\n%#x\n%s", SECCOMP_CACHE_FORMAT, v->major, v->minor, v->micro,
                          seccomp_arch_native(), canonical);
        sha256(input, strlen(input), key);
}

void seccomp_cache_key_hex(const uint8_t key[SECCOMP_CACHE_KEY_SIZE], char out[SECCOMP_CACHE_KEY_HEX + 1])
{
        static const char hex[] = "0123456789abcdef";

        for (size_t i = 0; i < SECCOMP_CACHE_KEY_SIZE; i++) {
                out[2 * i] = hex[key[i] >> 4];
                out[2 * i + 1] = hex[key[i] & 0xf];
        }
        out[SECCOMP_CACHE_KEY_HEX] = '\0';
}

/* Everything that makes an entry trustworthy; any failure is a miss. */
static bool entry_is_valid(const char *data, size_t len, const uint8_t key[SECCOMP_CACHE_KEY_SIZE])
{
        struct seccomp_cache_header h;
        uint8_t digest[SECCOMP_CACHE_KEY_SIZE];
        size_t body;

        if (len < sizeof(h) || len % sizeof(struct sock_filter) != 0)
                return false;
        memcpy(&h, data, sizeof(h));
        body = len - sizeof(h);
        if (memcmp(h.magic, SECCOMP_CACHE_MAGIC, sizeof(h.magic)) != 0 || h.version != SECCOMP_CACHE_VERSION ||
            memcmp(h.key, key, SECCOMP_CACHE_KEY_SIZE) != 0 || h.n_insns == 0 || h.n_insns > BPF_MAXINSNS ||
            (size_t) h.n_insns * sizeof(struct sock_filter) != body)
                return false;
        sha256(data + sizeof(h), body, digest);
        return memcmp(digest, h.body_sha256, sizeof(digest)) == 0;
}

int seccomp_cache_load(const char *cache_dir, const uint8_t key[SECCOMP_CACHE_KEY_SIZE], struct sock_filter **insns,
                       size_t *n_insns)
{
        char name[SECCOMP_CACHE_KEY_HEX + 1];
        cleanup_free char *path = NULL, *data = NULL;
        cleanup_close int fd = -1;
        struct stat st;
        size_t body;

        seccomp_cache_key_hex(key, name);
        path = xasprintf("%s/%s", cache_dir, name);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return 0;
        /* Bounded before reading: a header and at most BPF_MAXINSNS instructions. */
        if (st.st_size < (off_t) sizeof(struct seccomp_cache_header) ||
            st.st_size > (off_t) (sizeof(struct seccomp_cache_header) + BPF_MAXINSNS * sizeof(struct sock_filter)))
                return 0;
        data = xmalloc((size_t) st.st_size);
        if (read_all(fd, data, (size_t) st.st_size) != st.st_size)
                return 0;
        if (!entry_is_valid(data, (size_t) st.st_size, key))
                return 0;
        body = (size_t) st.st_size - sizeof(struct seccomp_cache_header);
        *insns = xmalloc(body);
        memcpy(*insns, data + sizeof(struct seccomp_cache_header), body);
        *n_insns = body / sizeof(struct sock_filter);
        return 1;
}

/* mkdir -p, the last component 0700: the programs say what a container may do, not a secret, but nobody
 * else has a reason to write there. */
static int make_cache_dir(const char *cache_dir, berth_error *err)
{
        cleanup_free char *path = xstrdup(cache_dir);

        for (char *p = path + 1; *p != '\0'; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        return berth_fail(err, errno, "create %s", path);
                *p = '/';
        }
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return berth_fail(err, errno, "create the seccomp cache %s", path);
        return 0;
}

int seccomp_cache_store(const char *cache_dir, const uint8_t key[SECCOMP_CACHE_KEY_SIZE],
                        const struct sock_filter *insns, size_t n_insns, berth_error *err)
{
        struct seccomp_cache_header h = {.version = SECCOMP_CACHE_VERSION, .n_insns = (uint32_t) n_insns};
        size_t body = n_insns * sizeof(struct sock_filter);
        char name[SECCOMP_CACHE_KEY_HEX + 1];
        cleanup_free char *data = NULL;
        cleanup_close int dirfd = -1;
        int r;

        if (n_insns == 0 || n_insns > BPF_MAXINSNS)
                return berth_failf(err, EINVAL, "seccomp cache: a program of %zu instructions", n_insns);
        if ((r = make_cache_dir(cache_dir, err)) < 0)
                return r;
        dirfd = open(cache_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return berth_fail(err, errno, "open the seccomp cache %s", cache_dir);
        memcpy(h.magic, SECCOMP_CACHE_MAGIC, sizeof(h.magic));
        memcpy(h.key, key, SECCOMP_CACHE_KEY_SIZE);
        sha256(insns, body, h.body_sha256);
        data = xmalloc(sizeof(h) + body);
        memcpy(data, &h, sizeof(h));
        memcpy(data + sizeof(h), insns, body);
        seccomp_cache_key_hex(key, name);
        /* No fsync: an entry lost or truncated by a crash fails verification and is compiled again. */
        if ((r = write_file_atomic_at(dirfd, name, data, sizeof(h) + body, 0600, false, err)) < 0)
                return berth_error_prefix(err, "seccomp cache: ");
        return 0;
}
