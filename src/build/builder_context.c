/* The build context (builder_internal.h): a directory is used where it lies; a tar archive (plain or
 * compressed), given as a file or on stdin ("-"), is extracted into a directory of the store's tmp, with the
 * same checks as `cp -` (complete, nothing outside); anything else on stdin is the Dockerfile, with an empty
 * context (docker's `build - < Dockerfile`). The Dockerfile (-f) is then a path inside an extracted context. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/builder_internal.h"
#include "engine/copy.h"
#include "image/fsutil.h"
#include "lib/cleanup.h"
#include "lib/util.h"

/* A tar, or a compressed stream libarchive reads (gzip, bzip2, xz, zstd). */
bool build_is_archive(int fd)
{
        unsigned char head[512];
        ssize_t n = pread(fd, head, sizeof(head), 0);

        if (n < 6)
                return false;
        if ((head[0] == 0x1f && head[1] == 0x8b) || memcmp(head, "BZh", 3) == 0 || memcmp(head, "\xfd" "7zXZ\0", 6) == 0 ||
            memcmp(head, "\x28\xb5\x2f\xfd", 4) == 0)
                return true;
        return n >= 262 && memcmp(head + 257, "ustar", 5) == 0;
}

/* Stdin into an unnamed file of the store's tmp: the extraction reads its input twice. */
static int stage_stdin(struct build *b, berth_error *err)
{
        cleanup_free char *dir = xasprintf("%s/tmp", b->e->store->root);
        int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        char buf[65536];
        ssize_t n;

        if (fd < 0)
                return berth_fail(err, errno, "a temporary file in %s", dir);
        while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
                if (write_all(fd, buf, (size_t) n) < 0) {
                        int e = errno;
                        close(fd);
                        return berth_fail(err, e, "stage the build context from stdin");
                }
        if (n < 0) {
                int e = errno;
                close(fd);
                return berth_fail(err, e, "read the build context from stdin");
        }
        return fd;
}

int build_context_open(struct build *b, berth_error *err)
{
        const char *ctx = b->o->context;
        cleanup_close int staged = -1, tmpfd = -1;
        struct stat st;
        int r;

        if (strcmp(ctx, "-") != 0 && stat(ctx, &st) == 0 && S_ISDIR(st.st_mode)) {
                b->context_path = xstrdup(ctx);
                b->dockerfile_path = b->o->dockerfile ? xstrdup(b->o->dockerfile) : xasprintf("%s/Dockerfile", ctx);
                b->context_fd = open(ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                return b->context_fd < 0 ? berth_fail(err, errno, "the build context %s", ctx) : 0;
        }
        if (strcmp(ctx, "-") == 0)
                staged = stage_stdin(b, err);
        else
                staged = open(ctx, O_RDONLY | O_CLOEXEC);
        if (staged < 0)
                return strcmp(ctx, "-") == 0 ? staged : berth_fail(err, errno, "the build context %s", ctx);
        if ((r = store_tmpdir(b->e->store, "build-context", &b->tmp_rel, err)) < 0)
                return r;
        tmpfd = openat(b->e->store->rootfd, b->tmp_rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tmpfd < 0 || mkdirat(tmpfd, "context", 0700) < 0)
                return berth_fail(err, errno, "make %s/context", b->tmp_rel);
        b->context_path = xasprintf("%s/%s/context", b->e->store->root, b->tmp_rel);
        if (build_is_archive(staged)) {
                cleanup_close int cfd = openat(tmpfd, "context", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (cfd < 0)
                        return berth_fail(err, errno, "open %s", b->context_path);
                if ((r = engine_copy_tar_extract(staged, cfd, "/", true, err)) < 0)
                        return berth_error_prefix(err, "the build context %s: ", ctx);
                b->dockerfile_path = xasprintf("%s/%s", b->context_path, b->o->dockerfile ? b->o->dockerfile : "Dockerfile");
        } else if (strcmp(ctx, "-") == 0) {
                /* A Dockerfile on stdin: it stands beside the (empty) context, not in it. */
                cleanup_free char *text = NULL;
                size_t len = 0;
                if (b->o->dockerfile != NULL)
                        return berth_failf(err, EINVAL, "-f cannot be used with a Dockerfile on stdin");
                if (lseek(staged, 0, SEEK_SET) < 0)
                        return berth_fail(err, errno, "read the Dockerfile from stdin");
                if ((r = read_fd(staged, "stdin", &text, &len, err)) < 0)
                        return r;
                if ((r = write_file_atomic_at(tmpfd, "Dockerfile", text, len, 0600, false, err)) < 0)
                        return r;
                b->dockerfile_path = xasprintf("%s/%s/Dockerfile", b->e->store->root, b->tmp_rel);
        } else {
                return berth_failf(err, EINVAL, "the build context %s is neither a directory nor a tar archive", ctx);
        }
        b->context_fd = open(b->context_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return b->context_fd < 0 ? berth_fail(err, errno, "open %s", b->context_path) : 0;
}

void build_context_close(struct build *b)
{
        if (b->context_fd >= 0) {
                close(b->context_fd);
                b->context_fd = -1;
        }
        if (b->tmp_rel != NULL) {
                berth_error ignored = {0};
                fs_remove_tree_at(b->e->store->rootfd, b->tmp_rel, &ignored);
                berth_error_clear(&ignored);
        }
        free(b->tmp_rel);
        free(b->context_path);
        free(b->dockerfile_path);
        b->tmp_rel = b->context_path = b->dockerfile_path = NULL;
}
