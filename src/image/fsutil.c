#include "image/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"

/* Depth-first removal through directory fds: every open is O_NOFOLLOW|O_DIRECTORY relative to its
 * parent, so a symlink swapped in for a directory is unlinked instead of followed. */
static int remove_children(int dfd, int depth, berth_error *err)
{
        cleanup_closedir DIR *d = NULL;
        struct dirent *de;

        if (depth > 4096)
                return berth_failf(err, ELOOP, "remove tree: nesting deeper than 4096 levels");
        if ((d = opendir_at(dfd)) == NULL)
                return berth_fail(err, errno, "remove tree: read directory");
        while ((errno = 0, de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) {
                        cleanup_close int child = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (child >= 0) {
                                struct stat st, pst;
                                int r;
                                /* Do not descend into another filesystem (a mount point inside). */
                                if (fstat(child, &st) == 0 && fstat(dfd, &pst) == 0 && st.st_dev != pst.st_dev)
                                        return berth_fail(err, EBUSY, "remove %s", de->d_name);
                                if ((r = remove_children(child, depth + 1, err)) < 0)
                                        return r;
                                if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                                        return berth_fail(err, errno, "remove directory %s", de->d_name);
                                continue;
                        }
                        if (errno != ENOTDIR && errno != ELOOP && errno != ENOENT)
                                return berth_fail(err, errno, "open %s", de->d_name);
                }
                if (unlinkat(dfd, de->d_name, 0) < 0 && errno != ENOENT)
                        return berth_fail(err, errno, "remove %s", de->d_name);
        }
        if (errno != 0)
                return berth_fail(err, errno, "read directory");
        return 0;
}

int fs_empty_dir(int dirfd, berth_error *err)
{
        return remove_children(dirfd, 0, err);
}

int fs_remove_tree_at(int dirfd, const char *name, berth_error *err)
{
        cleanup_close int fd = -1;
        int r;

        if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR && errno != EPERM)
                return berth_fail(err, errno, "remove %s", name);
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : berth_fail(err, errno, "open %s", name);
        if ((r = remove_children(fd, 0, err)) < 0)
                return berth_error_prefix(err, "remove %s: ", name);
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return berth_fail(err, errno, "remove directory %s", name);
        return 0;
}

static int tree_size(int dfd, uint64_t *total, int depth, berth_error *err)
{
        cleanup_closedir DIR *d = opendir_at(dfd);
        struct dirent *de;

        if (d == NULL)
                return berth_fail(err, errno, "tree size: read directory");
        while ((de = readdir(d)) != NULL) {
                struct stat st;
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISREG(st.st_mode)) {
                        *total += (uint64_t) st.st_size;
                } else if (S_ISDIR(st.st_mode) && depth < 4096) {
                        cleanup_close int child = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        int r;
                        if (child >= 0 && (r = tree_size(child, total, depth + 1, err)) < 0)
                                return r;
                }
        }
        return 0;
}

int fs_tree_size_at(int dirfd, const char *name, uint64_t *out, berth_error *err)
{
        cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        *out = 0;
        if (fd < 0)
                return berth_fail(err, errno, "open %s", name);
        return tree_size(fd, out, 0, err);
}
