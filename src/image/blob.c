#include "image/blob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/path.h"
#include "lib/util.h"

#define BLOB_WRITE_BUFFER (1u << 20)

struct blob_writer {
        struct image_store *store;
        int fd;
        char *tmpname; /* only when O_TMPFILE is not supported */
        struct digest_ctx *digest;
        char *expected;
        int64_t expected_size;
        uint64_t size;
        unsigned char *buf; /* writes are batched: archives hand out 10 KiB pieces */
        size_t buffered;
};

char *store_blob_relpath(const char *digest)
{
        return xasprintf("blobs/sha256/%s", digest_hex(digest));
}

int blob_writer_open(struct image_store *s, const char *expected_digest, int64_t expected_size,
                     struct blob_writer **out, berth_error *err)
{
        struct blob_writer *w;
        int r;

        if (expected_digest != NULL && (r = digest_check(expected_digest, "blob", err)) < 0)
                return r;
        w = xzalloc(sizeof(*w));
        w->store = s;
        w->expected = expected_digest ? xstrdup(expected_digest) : NULL;
        w->expected_size = expected_size;
        w->fd = openat(s->rootfd, "blobs/sha256", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
        if (w->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
                /* Filesystems without O_TMPFILE: a named temporary file that stale-tmp cleanup removes. */
                uint64_t start = 0;
                process_start_time(getpid(), &start);
                for (int i = 0; i < 100 && w->fd < 0; i++) {
                        free(w->tmpname);
                        w->tmpname = xasprintf("tmp/%d-%llu-blob-%d-%ld", (int) getpid(), (unsigned long long) start, i,
                                               (long) random());
                        w->fd = openat(s->rootfd, w->tmpname, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
                }
        }
        if (w->fd < 0) {
                r = berth_fail(err, errno, "create a blob in %s/blobs/sha256", s->root);
                blob_writer_abort(w);
                return r;
        }
        w->digest = digest_new();
        w->buf = xmalloc(BLOB_WRITE_BUFFER);
        *out = w;
        return 0;
}

static int flush_buffer(struct blob_writer *w, berth_error *err)
{
        int r;

        if (w->buffered == 0)
                return 0;
        if ((r = write_all(w->fd, w->buf, w->buffered)) < 0)
                return berth_fail(err, -r, "write blob");
        w->buffered = 0;
        return 0;
}

int blob_writer_write(struct blob_writer *w, const void *data, size_t len, berth_error *err)
{
        int r;

        digest_update(w->digest, data, len);
        w->size += len;
        if (w->expected_size >= 0 && w->size > (uint64_t) w->expected_size)
                return berth_failf(err, EFBIG, "blob %s: more data than the %lld bytes announced",
                                   w->expected ? w->expected : "", (long long) w->expected_size);
        if (len >= BLOB_WRITE_BUFFER) {
                if ((r = flush_buffer(w, err)) < 0)
                        return r;
                if ((r = write_all(w->fd, data, len)) < 0)
                        return berth_fail(err, -r, "write blob");
                return 0;
        }
        if (w->buffered + len > BLOB_WRITE_BUFFER && (r = flush_buffer(w, err)) < 0)
                return r;
        memcpy(w->buf + w->buffered, data, len);
        w->buffered += len;
        return 0;
}

uint64_t blob_writer_size(const struct blob_writer *w)
{
        return w->size;
}

void blob_writer_abort(struct blob_writer *w)
{
        if (w == NULL)
                return;
        if (w->fd >= 0)
                close(w->fd);
        if (w->tmpname != NULL)
                unlinkat(w->store->rootfd, w->tmpname, 0);
        if (w->digest != NULL)
                digest_free(w->digest);
        free(w->tmpname);
        free(w->expected);
        free(w->buf);
        free(w);
}

static int link_blob(struct blob_writer *w, const char *digest, berth_error *err)
{
        cleanup_free char *rel = store_blob_relpath(digest);

        if (w->tmpname != NULL) {
                /* rename replaces an identical blob that a concurrent writer linked first: harmless. */
                if (renameat(w->store->rootfd, w->tmpname, w->store->rootfd, rel) < 0)
                        return berth_fail(err, errno, "store blob %s", digest);
                free(w->tmpname);
                w->tmpname = NULL;
                return 0;
        }
        char fdpath[PROC_FD_PATH_MAX];
        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", w->fd);
        if (linkat(AT_FDCWD, fdpath, w->store->rootfd, rel, AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST)
                return berth_fail(err, errno, "store blob %s", digest);
        return 0;
}

int blob_writer_commit(struct blob_writer *w, char digest_out[DIGEST_STRING_LEN + 1], berth_error *err)
{
        char digest[DIGEST_STRING_LEN + 1];
        int r;

        if ((r = flush_buffer(w, err)) < 0)
                goto out;
        digest_final(w->digest, digest);
        if (w->expected_size >= 0 && w->size != (uint64_t) w->expected_size) {
                r = berth_failf(err, EBADMSG, "blob %s: size mismatch: %llu bytes, expected %lld",
                                w->expected ? w->expected : digest, (unsigned long long) w->size,
                                (long long) w->expected_size);
                goto out;
        }
        if (w->expected != NULL && strcmp(w->expected, digest) != 0) {
                r = berth_failf(err, EBADMSG, "blob %s: digest mismatch: content has %s", w->expected, digest);
                goto out;
        }
        if (store_blob_exists(w->store, digest)) {
                memcpy(digest_out, digest, sizeof(digest));
                r = 0;
                goto out;
        }
        /* The data is on disk before the name is: a crash never leaves a name with missing content. */
        if (fsync(w->fd) < 0) {
                r = berth_fail(err, errno, "fsync blob %s", digest);
                goto out;
        }
        if ((r = link_blob(w, digest, err)) < 0)
                goto out;
        memcpy(digest_out, digest, sizeof(digest));
out:
        blob_writer_abort(w);
        return r;
}

bool store_blob_exists(struct image_store *s, const char *digest)
{
        cleanup_free char *rel = NULL;
        struct stat st;

        if (!digest_is_valid(digest))
                return false;
        rel = store_blob_relpath(digest);
        return fstatat(s->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int64_t store_blob_size(struct image_store *s, const char *digest)
{
        cleanup_free char *rel = NULL;
        struct stat st;

        if (!digest_is_valid(digest))
                return -EINVAL;
        rel = store_blob_relpath(digest);
        if (fstatat(s->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return st.st_size;
}

int store_blob_open(struct image_store *s, const char *digest, berth_error *err)
{
        cleanup_free char *rel = NULL;
        int fd, r;

        if ((r = digest_check(digest, "blob", err)) < 0)
                return r;
        rel = store_blob_relpath(digest);
        fd = openat(s->rootfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return berth_fail(err, errno, "blob %s", digest);
        return fd;
}

int store_blob_read(struct image_store *s, const char *digest, size_t max, char **out, size_t *len,
                    berth_error *err)
{
        cleanup_close int fd = store_blob_open(s, digest, err);
        cleanup_free char *data = NULL;
        char actual[DIGEST_STRING_LEN + 1];
        struct stat st;
        size_t n;
        int r;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return berth_fail(err, errno, "blob %s", digest);
        if ((uint64_t) st.st_size > max)
                return berth_failf(err, EFBIG, "blob %s: %lld bytes, more than the %zu allowed here", digest,
                                   (long long) st.st_size, max);
        if ((r = read_fd(fd, digest, &data, &n, err)) < 0)
                return r;
        digest_buffer(data, n, actual);
        if (strcmp(actual, digest) != 0)
                return berth_failf(err, EBADMSG, "blob %s is corrupt: its content has digest %s", digest, actual);
        *out = steal_pointer(&data);
        if (len != NULL)
                *len = n;
        return 0;
}

int store_blob_put(struct image_store *s, const void *data, size_t len, char digest_out[DIGEST_STRING_LEN + 1],
                   berth_error *err)
{
        struct blob_writer *w;
        char digest[DIGEST_STRING_LEN + 1];
        int r;

        digest_buffer(data, len, digest);
        if (store_blob_exists(s, digest)) {
                memcpy(digest_out, digest, sizeof(digest));
                return 0;
        }
        if ((r = blob_writer_open(s, digest, (int64_t) len, &w, err)) < 0)
                return r;
        if ((r = blob_writer_write(w, data, len, err)) < 0) {
                blob_writer_abort(w);
                return r;
        }
        return blob_writer_commit(w, digest_out, err);
}

int store_blob_verify(struct image_store *s, const char *digest, berth_error *err)
{
        cleanup_close int fd = store_blob_open(s, digest, err);
        cleanup_digest struct digest_ctx *ctx = NULL;
        cleanup_free unsigned char *buf = NULL;
        char actual[DIGEST_STRING_LEN + 1];
        ssize_t n;

        if (fd < 0)
                return fd;
        ctx = digest_new();
        buf = xmalloc(BLOB_WRITE_BUFFER);
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        while ((n = read(fd, buf, BLOB_WRITE_BUFFER)) > 0)
                digest_update(ctx, buf, (size_t) n);
        if (n < 0)
                return berth_fail(err, errno, "read blob %s", digest);
        digest_final(ctx, actual);
        if (strcmp(actual, digest) != 0)
                return berth_failf(err, EBADMSG, "blob %s is corrupt: its content has digest %s", digest, actual);
        return 0;
}

int store_blob_remove(struct image_store *s, const char *digest, berth_error *err)
{
        cleanup_free char *rel = NULL;

        if (!digest_is_valid(digest))
                return berth_failf(err, EINVAL, "invalid digest %s", digest);
        rel = store_blob_relpath(digest);
        if (unlinkat(s->rootfd, rel, 0) < 0 && errno != ENOENT)
                return berth_fail(err, errno, "remove blob %s", digest);
        return 0;
}
