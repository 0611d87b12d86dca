#include "image/flatten.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "image/fsutil.h"
#include "lib/path.h"
#include "lib/util.h"

/* Hardlinks inside one layer stay hardlinks: the first copy of an inode is remembered by its path. */
struct inode_path {
        ino_t ino;
        char *path;
};

struct flattener {
        int rootfd;
        berth_error *err;
        struct inode_path *links;
        size_t n_links, cap_links;
};

static int copy_xattrs(struct flattener *f, int srcfd, int dstfd, const char *name)
{
        char list[65536];
        ssize_t n = flistxattr(srcfd, list, sizeof(list));

        if (n < 0)
                return errno == ENOTSUP ? 0 : berth_fail(f->err, errno, "list xattrs of %s", name);
        for (char *k = list; k < list + n; k += strlen(k) + 1) {
                char value[65536];
                ssize_t v;
                if (str_has_prefix(k, OVERLAY_XATTR_PREFIX))
                        continue;
                v = fgetxattr(srcfd, k, value, sizeof(value));
                if (v < 0)
                        continue;
                if (fsetxattr(dstfd, k, value, (size_t) v, 0) < 0)
                        return berth_fail(f->err, errno, "set xattr %s on %s", k, name);
        }
        return 0;
}

static int copy_owner_mode(struct flattener *f, int fd, const struct stat *st, const char *name)
{
        if (fchown(fd, st->st_uid, st->st_gid) < 0)
                return berth_fail(f->err, errno, "chown %s", name);
        if (fchmod(fd, st->st_mode & 07777) < 0)
                return berth_fail(f->err, errno, "chmod %s", name);
        return 0;
}

static int copy_regular(struct flattener *f, int srcdir, int dstdir, const char *name, const struct stat *st)
{
        cleanup_close int in = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        cleanup_close int out = -1;
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        off_t left = st->st_size;
        int r;

        if (in < 0)
                return berth_fail(f->err, errno, "open %s", name);
        out = openat(dstdir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return berth_fail(f->err, errno, "create %s", name);
        /* copy_file_range: a reflink where the filesystem can, an in-kernel copy otherwise. */
        while (left > 0) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t) left, 0);
                if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
                        char buf[65536];
                        n = read(in, buf, sizeof(buf));
                        if (n > 0 && (r = write_all(out, buf, (size_t) n)) < 0)
                                return berth_fail(f->err, -r, "write %s", name);
                }
                if (n < 0)
                        return berth_fail(f->err, errno, "copy %s", name);
                if (n == 0)
                        break;
                left -= n;
        }
        if ((r = copy_owner_mode(f, out, st, name)) < 0 || (r = copy_xattrs(f, in, out, name)) < 0)
                return r;
        if (futimens(out, ts) < 0)
                return berth_fail(f->err, errno, "set times of %s", name);
        return 0;
}

static int copy_special(struct flattener *f, int srcdir, int dstdir, const char *name, const struct stat *st)
{
        struct timespec ts[2] = {st->st_atim, st->st_mtim};

        if (S_ISLNK(st->st_mode)) {
                char target[4096];
                ssize_t n = readlinkat(srcdir, name, target, sizeof(target) - 1);
                if (n < 0)
                        return berth_fail(f->err, errno, "readlink %s", name);
                target[n] = '\0';
                if (symlinkat(target, dstdir, name) < 0)
                        return berth_fail(f->err, errno, "symlink %s", name);
        } else {
                if (mknodat(dstdir, name, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0)
                        return berth_fail(f->err, errno, "mknod %s", name);
                if (fchmodat(dstdir, name, st->st_mode & 07777, 0) < 0)
                        return berth_fail(f->err, errno, "chmod %s", name);
        }
        if (fchownat(dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_fail(f->err, errno, "chown %s", name);
        if (utimensat(dstdir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_fail(f->err, errno, "set times of %s", name);
        return 0;
}

static const char *linked_path(struct flattener *f, ino_t ino)
{
        for (size_t i = 0; i < f->n_links; i++)
                if (f->links[i].ino == ino)
                        return f->links[i].path;
        return NULL;
}

static void remember_link(struct flattener *f, ino_t ino, const char *path)
{
        if (f->n_links == f->cap_links) {
                f->cap_links = f->cap_links ? 2 * f->cap_links : 64;
                f->links = xrealloc(f->links, f->cap_links * sizeof(*f->links));
        }
        f->links[f->n_links].ino = ino;
        f->links[f->n_links].path = xstrdup(path);
        f->n_links++;
}

static int link_existing(struct flattener *f, const char *target, int dstdir, const char *name)
{
        struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                               .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
        cleanup_close int fd = (int) syscall(SYS_openat2, f->rootfd, target, &how, sizeof(how));

        if (fd < 0)
                return berth_fail(f->err, errno, "hardlink %s to %s", name, target);
        if (linkat(fd, "", dstdir, name, AT_EMPTY_PATH) < 0)
                return berth_fail(f->err, errno, "hardlink %s to %s", name, target);
        return 0;
}

static int apply_dir(struct flattener *f, int srcdir, int dstdir, const char *relpath, int depth);

static int apply_entry(struct flattener *f, int srcdir, int dstdir, const char *relpath, const char *name, int depth)
{
        cleanup_free char *child = relpath[0] ? xasprintf("%s/%s", relpath, name) : xstrdup(name);
        struct stat st, dst;
        bool dst_exists;
        int r;

        if (fstatat(srcdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_fail(f->err, errno, "stat %s", child);
        dst_exists = fstatat(dstdir, name, &dst, AT_SYMLINK_NOFOLLOW) == 0;

        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) /* whiteout */
                return dst_exists ? fs_remove_tree_at(dstdir, name, f->err) : 0;

        if (S_ISDIR(st.st_mode)) {
                cleanup_close int s = -1, d = -1;
                struct timespec ts[2] = {st.st_atim, st.st_mtim};
                char opaque[2];
                bool is_opaque;

                s = openat(srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (s < 0)
                        return berth_fail(f->err, errno, "open %s", child);
                is_opaque = fgetxattr(s, OVERLAY_OPAQUE_XATTR, opaque, sizeof(opaque)) == 1 && opaque[0] == 'y';
                if (dst_exists && !S_ISDIR(dst.st_mode)) {
                        if (unlinkat(dstdir, name, 0) < 0)
                                return berth_fail(f->err, errno, "remove %s", child);
                        dst_exists = false;
                }
                if (!dst_exists && mkdirat(dstdir, name, 0700) < 0)
                        return berth_fail(f->err, errno, "mkdir %s", child);
                d = openat(dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (d < 0)
                        return berth_fail(f->err, errno, "open %s", child);
                if (is_opaque && dst_exists && (r = fs_empty_dir(d, f->err)) < 0)
                        return r;
                if ((r = copy_owner_mode(f, d, &st, child)) < 0 || (r = copy_xattrs(f, s, d, child)) < 0 ||
                    (r = apply_dir(f, s, d, child, depth + 1)) < 0)
                        return r;
                if (futimens(d, ts) < 0)
                        return berth_fail(f->err, errno, "set times of %s", child);
                return 0;
        }

        if (dst_exists && (r = fs_remove_tree_at(dstdir, name, f->err)) < 0)
                return r;
        if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
                const char *first = linked_path(f, st.st_ino);
                if (first != NULL)
                        return link_existing(f, first, dstdir, name);
                remember_link(f, st.st_ino, child);
        }
        if (S_ISREG(st.st_mode))
                return copy_regular(f, srcdir, dstdir, name, &st);
        return copy_special(f, srcdir, dstdir, name, &st);
}

static int apply_dir(struct flattener *f, int srcdir, int dstdir, const char *relpath, int depth)
{
        cleanup_closedir DIR *d = NULL;
        struct dirent *de;
        int r;

        if (depth > 4096)
                return berth_failf(f->err, ELOOP, "layer nested deeper than 4096 directories");
        if ((d = opendir_at(srcdir)) == NULL)
                return berth_fail(f->err, errno, "read directory %s", relpath[0] ? relpath : "/");
        while ((errno = 0, de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if ((r = apply_entry(f, srcdir, dstdir, relpath, de->d_name, depth)) < 0)
                        return r;
        }
        return errno ? berth_fail(f->err, errno, "read directory %s", relpath) : 0;
}

int flatten_apply_layer(int layerfd, int rootfd, berth_error *err)
{
        struct flattener f = {.rootfd = rootfd, .err = err};
        struct stat st;
        int r;

        if (fstat(layerfd, &st) < 0)
                return berth_fail(err, errno, "stat layer");
        r = copy_owner_mode(&f, rootfd, &st, "/");
        if (r == 0)
                r = apply_dir(&f, layerfd, rootfd, "", 0);
        if (r == 0) {
                struct timespec ts[2] = {st.st_atim, st.st_mtim};
                futimens(rootfd, ts);
        }
        for (size_t i = 0; i < f.n_links; i++)
                free(f.links[i].path);
        free(f.links);
        return r;
}
