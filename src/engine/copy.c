#include "engine/copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "engine/create.h"
#include "lib/json.h"
#include "engine/db.h"
#include "engine/reconcile.h"
#include "lib/path.h"
#include "image/snapshot.h"
#include "lib/util.h"

static int copy_data(int from, int to, berth_error *err, const char *what)
{
        for (;;) {
                ssize_t n = copy_file_range(from, NULL, to, NULL, 1 << 30, 0);
                if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
                        n = sendfile(to, from, NULL, 1 << 30);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return berth_fail(err, errno, "copy %s", what);
                if (n == 0)
                        return 0;
        }
}

static int copy_entry(int sdir, const char *sname, int ddir, const char *dname, bool archive, berth_error *err);

static int copy_dir_contents(int sfd, int dfd, bool archive, berth_error *err)
{
        cleanup_closedir DIR *d = opendir_at(sfd);
        struct dirent *de;
        int r;

        if (d == NULL)
                return berth_fail(err, errno, "read directory");
        while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if ((r = copy_entry(sfd, de->d_name, dfd, de->d_name, archive, err)) < 0)
                        return r;
        }
        return 0;
}

/* Makes ddir/dname the same kind of entry as sdir/sname, never following a symlink on either side. */
static int copy_entry(int sdir, const char *sname, int ddir, const char *dname, bool archive, berth_error *err)
{
        struct stat st, old;
        struct timespec times[2];
        int r = 0;

        if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_fail(err, errno, "stat %s", sname);
        /* Something else of that name is replaced (a directory is merged into one). */
        if (fstatat(ddir, dname, &old, AT_SYMLINK_NOFOLLOW) == 0 && !(S_ISDIR(old.st_mode) && S_ISDIR(st.st_mode)) &&
            unlinkat(ddir, dname, S_ISDIR(old.st_mode) ? AT_REMOVEDIR : 0) < 0)
                return berth_fail(err, errno, "replace %s", dname);
        if (S_ISDIR(st.st_mode)) {
                cleanup_close int sfd = -1, dfd = -1;
                if (mkdirat(ddir, dname, 0700) < 0 && errno != EEXIST)
                        return berth_fail(err, errno, "mkdir %s", dname);
                sfd = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                dfd = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sfd < 0 || dfd < 0)
                        return berth_fail(err, errno, "open %s", dname);
                if ((r = copy_dir_contents(sfd, dfd, archive, err)) < 0)
                        return r;
        } else if (S_ISREG(st.st_mode)) {
                cleanup_close int sfd = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                cleanup_close int dfd = openat(ddir, dname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (sfd < 0 || dfd < 0)
                        return berth_fail(err, errno, "open %s", dname);
                if ((r = copy_data(sfd, dfd, err, dname)) < 0)
                        return r;
        } else if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(sdir, sname, target, sizeof(target) - 1);
                if (n < 0)
                        return berth_fail(err, errno, "readlink %s", sname);
                target[n] = '\0';
                if (symlinkat(target, ddir, dname) < 0)
                        return berth_fail(err, errno, "symlink %s", dname);
        } else if (mknodat(ddir, dname, st.st_mode, st.st_rdev) < 0) {
                return berth_fail(err, errno, "mknod %s", dname);
        }
        if (fchownat(ddir, dname, archive ? st.st_uid : 0, archive ? st.st_gid : 0, AT_SYMLINK_NOFOLLOW) < 0 &&
            errno != EPERM)
                return berth_fail(err, errno, "chown %s", dname);
        if (!S_ISLNK(st.st_mode) && fchmodat(ddir, dname, st.st_mode & 07777, 0) < 0)
                return berth_fail(err, errno, "chmod %s", dname);
        times[0] = st.st_atim;
        times[1] = st.st_mtim;
        utimensat(ddir, dname, times, AT_SYMLINK_NOFOLLOW);
        return 0;
}

/* "dir/name" -> parent "dir" and base "name"; "/." or "/" at the end means the directory's contents. */
struct split {
        char *parent, *base;
        bool contents;
        bool trailing_slash;
};

static void split_path(const char *path, struct split *s)
{
        cleanup_free char *copy = xstrdup(path);
        size_t n = strlen(copy);

        s->contents = n >= 2 && strcmp(copy + n - 2, "/.") == 0;
        s->trailing_slash = n > 1 && copy[n - 1] == '/';
        while (n > 1 && (copy[n - 1] == '/' || (copy[n - 1] == '.' && copy[n - 2] == '/')))
                copy[--n] = '\0';
        {
                cleanup_free char *a = xstrdup(copy), *b = xstrdup(copy);
                s->parent = xstrdup(dirname(a));
                s->base = xstrdup(basename(b));
        }
}

static void split_clear(struct split *s)
{
        free(s->parent);
        free(s->base);
}

/* Copies source (sparent/sbase) to the destination path as docker does. dst_dir_fd resolves a directory of
 * the destination side (in the container's root, or the host's). */
static int copy_with_docker_rules(int sparent, const struct split *src, int (*open_dst)(void *ctx, const char *path,
                                                                                          bool create_dir, berth_error *err),
                                  void *ctx, const char *dst, bool archive, berth_error *err)
{
        struct split d = {0};
        struct stat st;
        cleanup_close int dstdir = -1, dstparent = -1;
        int r;

        if (fstatat(sparent, src->base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_fail(err, errno, "Could not find the file %s/%s", src->parent, src->base);
        split_path(dst, &d);
        /* An existing directory receives the source under its own name (or its contents with SRC/.). */
        dstdir = open_dst(ctx, dst, false, NULL);
        if (dstdir >= 0) {
                if (src->contents && S_ISDIR(st.st_mode)) {
                        cleanup_close int sfd = openat(sparent, src->base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        r = sfd < 0 ? berth_fail(err, errno, "open %s", src->base) : copy_dir_contents(sfd, dstdir, archive, err);
                } else {
                        r = copy_entry(sparent, src->base, dstdir, src->base, archive, err);
                }
                split_clear(&d);
                return r;
        }
        if (d.trailing_slash && !S_ISDIR(st.st_mode)) {
                split_clear(&d);
                return berth_failf(err, ENOENT, "no such directory: %s", dst);
        }
        dstparent = open_dst(ctx, d.parent, false, err);
        if (dstparent < 0) {
                split_clear(&d);
                return dstparent;
        }
        r = copy_entry(sparent, src->base, dstparent, d.base, archive, err);
        split_clear(&d);
        return r;
}

struct root_ctx {
        int rootfd;
};

static int open_in_container(void *ctx, const char *path, bool create, berth_error *err)
{
        struct root_ctx *c = ctx;
        (void) create;
        return path_open_in_root(c->rootfd, path, O_RDONLY | O_DIRECTORY, 0, err);
}

static int open_on_host(void *ctx, const char *path, bool create, berth_error *err)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        (void) ctx;
        (void) create;
        if (fd < 0)
                return berth_fail(err, errno, "open %s", path);
        return fd;
}

/* The container's rootfs, mounted for the copy when the container is not running. */
int engine_copy_mount_root(struct engine *e, const char *id, bool *mounted_here, int *rootfd, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        struct snapshot_paths p = {0};
        int r;

        if ((r = engine_container_load(e, id, &c, err)) < 0)
                return r;
        *mounted_here = !snapshot_is_mounted(e->store, id);
        if ((r = snapshot_mount(e->store, id, 0, &p, err)) < 0)
                return r;
        *rootfd = open(p.merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = *rootfd < 0 ? berth_fail(err, errno, "open %s", p.merged) : 0;
        snapshot_paths_clear(&p);
        return r;
}

void engine_copy_unmount_root(struct engine *e, const char *id, bool mounted_here)
{
        berth_error ignored = {0};

        if (mounted_here)
                snapshot_unmount(e->store, id, &ignored);
        berth_error_clear(&ignored);
}

int engine_copy_from_container(struct engine *e, const char *id, const char *src, const char *dst, bool archive,
                               berth_error *err)
{
        struct split s = {0};
        struct root_ctx ctx = {.rootfd = -1};
        bool mounted = false;
        int r, parent = -1;

        if ((r = engine_copy_mount_root(e, id, &mounted, &ctx.rootfd, err)) < 0)
                return r;
        split_path(src, &s);
        parent = path_open_in_root(ctx.rootfd, s.parent, O_RDONLY | O_DIRECTORY, 0, err);
        if (parent < 0)
                r = berth_error_prefix(err, "Could not find the file %s in container %s: ", src, id);
        else
                r = copy_with_docker_rules(parent, &s, open_on_host, NULL, dst, archive, err);
        if (parent >= 0)
                close(parent);
        split_clear(&s);
        close(ctx.rootfd);
        engine_copy_unmount_root(e, id, mounted);
        return r;
}

int engine_copy_to_container(struct engine *e, const char *id, const char *src, const char *dst, bool archive,
                             berth_error *err)
{
        struct split s = {0};
        struct root_ctx ctx = {.rootfd = -1};
        bool mounted = false;
        int r, parent;

        split_path(src, &s);
        parent = open(s.parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent < 0) {
                r = berth_fail(err, errno, "open %s", s.parent);
                split_clear(&s);
                return r;
        }
        if ((r = engine_copy_mount_root(e, id, &mounted, &ctx.rootfd, err)) == 0) {
                r = copy_with_docker_rules(parent, &s, open_in_container, &ctx, dst, archive, err);
                close(ctx.rootfd);
                engine_copy_unmount_root(e, id, mounted);
        }
        close(parent);
        split_clear(&s);
        return r;
}

static bool dir_is_empty(int fd)
{
        cleanup_closedir DIR *d = opendir_at(fd);
        struct dirent *de;

        if (d == NULL)
                return false;
        while ((de = readdir(d)) != NULL)
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        return false;
        return true;
}

int engine_populate_volumes(struct engine *e, const struct engine_container *c, const char *rootfs, berth_error *err)
{
        cleanup_close int rootfd = -1;
        size_t i;
        json_t *v;
        int r;

        json_array_foreach(c->mounts, i, v) {
                const char *type = json_string_value(json_object_get(v, "Type"));
                const char *name = json_string_value(json_object_get(v, "Name"));
                const char *dest = json_string_value(json_object_get(v, "Destination"));
                const char *mode = json_string_value(json_object_get(v, "Mode"));
                cleanup_free char *data = NULL;
                cleanup_close int src = -1, dst = -1;
                if (type == NULL || strcmp(type, "volume") != 0 || name == NULL || dest == NULL ||
                    (mode != NULL && strstr(mode, "nocopy") != NULL))
                        continue;
                if (rootfd < 0 && (rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                        return berth_fail(err, errno, "open %s", rootfs);
                src = path_open_in_root(rootfd, dest, O_RDONLY | O_DIRECTORY, 0, NULL);
                if (src < 0)
                        continue; /* nothing there in the image */
                data = engine_volume_path(e, name);
                dst = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dst < 0)
                        return berth_fail(err, errno, "open volume %s", name);
                if (!dir_is_empty(dst) || dir_is_empty(src))
                        continue;
                if ((r = copy_dir_contents(src, dst, true, err)) < 0)
                        return berth_error_prefix(err, "copy %s into volume %s: ", dest, name);
        }
        return 0;
}
