#include "lib/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"

#define MAX_SYMLINKS 40

void proc_fd_path(int fd, char buf[PROC_FD_PATH_MAX])
{
        snprintf(buf, PROC_FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

char *path_clean(const char *path)
{
        size_t len = strlen(path);
        bool absolute = path[0] == '/';
        char *out = xmalloc(len + 2);
        size_t o = 0;
        const char *p = path;

        if (absolute)
                out[o++] = '/';
        while (*p != '\0') {
                const char *start, *end;
                size_t n;

                while (*p == '/')
                        p++;
                start = p;
                while (*p != '\0' && *p != '/')
                        p++;
                end = p;
                n = (size_t) (end - start);
                if (n == 0 || (n == 1 && start[0] == '.'))
                        continue;
                if (n == 2 && start[0] == '.' && start[1] == '.') {
                        size_t floor = absolute ? 1 : 0;
                        if (o > floor) {
                                /* Drop the last component, unless it is itself a ".." of a relative path. */
                                size_t last = o;
                                while (last > floor && out[last - 1] != '/')
                                        last--;
                                if (!absolute && o - last == 2 && out[last] == '.' && out[last + 1] == '.') {
                                        out[o++] = '/';
                                        out[o++] = '.';
                                        out[o++] = '.';
                                        continue;
                                }
                                o = last > floor ? last - 1 : floor;
                                continue;
                        }
                        if (absolute)
                                continue; /* "/.." is "/" */
                        if (o > 0)
                                out[o++] = '/';
                        out[o++] = '.';
                        out[o++] = '.';
                        continue;
                }
                if (o > 0 && out[o - 1] != '/')
                        out[o++] = '/';
                memcpy(out + o, start, n);
                o += n;
        }
        if (o == 0)
                out[o++] = '.';
        out[o] = '\0';
        return out;
}

static int openat2_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        /* EAGAIN: a concurrent rename or mount raced the lookup; the kernel asks us to try again. */
        for (int attempt = 0; attempt < 32; attempt++) {
                fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
                if (fd >= 0 || errno != EAGAIN)
                        break;
        }
        return fd < 0 ? -errno : fd;
}

int path_open_in_root(int rootfd, const char *path, int flags, mode_t mode, berth_error *err)
{
        int fd = openat2_in_root(rootfd, path, flags, mode);

        /* The walk also takes a path longer than PATH_MAX (a layer's deep tree, as docker unpacks it): one
         * component per openat, where openat2 refuses the whole string. */
        if (fd == -ENOSYS || (fd == -ENAMETOOLONG && strlen(path) >= PATH_MAX))
                return path_open_in_root_walk(rootfd, path, flags, mode, err);
        if (fd < 0)
                return berth_fail(err, -fd, "open %s inside the root", path);
        return fd;
}

/* One directory level of the walk: the fd of a resolved component and its depth below the root. */
struct walk_level {
        int fd;
};

struct walk {
        struct walk_level *levels; /* levels[0] is the root (borrowed fd, never closed) */
        size_t depth;              /* index of the current directory */
        size_t capacity;
};

static void walk_pop(struct walk *w)
{
        if (w->depth > 0) {
                close(w->levels[w->depth].fd);
                w->depth--;
        }
}

static void walk_reset(struct walk *w)
{
        while (w->depth > 0)
                walk_pop(w);
}

static void walk_push(struct walk *w, int fd)
{
        if (w->depth + 1 >= w->capacity) {
                w->capacity = w->capacity ? w->capacity * 2 : 16;
                w->levels = xrealloc(w->levels, w->capacity * sizeof(*w->levels));
        }
        w->levels[++w->depth].fd = fd;
}

static int walk_current(struct walk *w)
{
        return w->levels[w->depth].fd;
}

int path_open_in_root_walk(int rootfd, const char *path, int flags, mode_t mode, berth_error *err)
{
        struct walk w = {0};
        cleanup_free char *pending = xstrdup(path); /* what is left to resolve; grows with symlink targets */
        int links = 0, result = -1;
        char *cursor = pending;

        w.capacity = 16;
        w.levels = xmalloc(w.capacity * sizeof(*w.levels));
        w.levels[0].fd = rootfd; /* borrowed: walk_pop never goes below depth 0 */

        for (;;) {
                char *component, *slash;
                bool last;
                int fd;
                struct stat st;

                while (*cursor == '/')
                        cursor++;
                if (*cursor == '\0') {
                        /* The path named the current directory itself ("", "/", "a/."): open it. */
                        fd = openat(walk_current(&w), ".", (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC, 0);
                        result = fd < 0 ? berth_fail(err, errno, "open %s inside the root", path) : fd;
                        break;
                }
                component = cursor;
                slash = strchr(cursor, '/');
                if (slash != NULL) {
                        *slash = '\0';
                        cursor = slash + 1;
                } else {
                        cursor += strlen(cursor);
                }
                last = slash == NULL || cursor[strspn(cursor, "/")] == '\0';

                if (strcmp(component, ".") == 0)
                        continue;
                if (strcmp(component, "..") == 0) {
                        walk_pop(&w); /* clamps at the root: ".." of "/" is "/" */
                        if (last) {
                                fd = openat(walk_current(&w), ".", (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC, 0);
                                result = fd < 0 ? berth_fail(err, errno, "open %s inside the root", path) : fd;
                                break;
                        }
                        continue;
                }

                fd = openat(walk_current(&w), component, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                        if (errno == ENOENT && last && (flags & O_CREAT)) {
                                fd = openat(walk_current(&w), component, flags | O_NOFOLLOW | O_CLOEXEC, mode);
                                result = fd < 0 ? berth_fail(err, errno, "create %s inside the root", path) : fd;
                                break;
                        }
                        result = berth_fail(err, errno, "open %s inside the root", path);
                        break;
                }
                if (fstat(fd, &st) < 0) {
                        result = berth_fail(err, errno, "stat %s inside the root", path);
                        close(fd);
                        break;
                }
                if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
                        char *rest;

                        close(fd);
                        if (n < 0) {
                                result = berth_fail(err, errno, "readlink %s inside the root", component);
                                break;
                        }
                        target[n] = '\0';
                        if (++links > MAX_SYMLINKS) {
                                result = berth_fail(err, ELOOP, "open %s inside the root", path);
                                break;
                        }
                        /* Splice the target in front of what remains; an absolute target restarts at the root. */
                        rest = xasprintf("%s/%s", target, cursor);
                        free(pending);
                        pending = rest;
                        cursor = pending;
                        if (target[0] == '/')
                                walk_reset(&w);
                        continue;
                }
                if (last) {
                        if (flags & O_PATH) {
                                result = fd;
                        } else {
                                /* Re-open with the caller's flags; O_NOFOLLOW turns a swapped-in symlink
                                 * into ELOOP instead of an escape. */
                                close(fd);
                                fd = openat(walk_current(&w), component, (flags & ~O_CREAT) | O_NOFOLLOW | O_CLOEXEC);
                                result = fd < 0 ? berth_fail(err, errno, "open %s inside the root", path) : fd;
                        }
                        if (result >= 0 && (flags & O_CREAT) && (flags & O_EXCL)) {
                                close(result);
                                result = berth_fail(err, EEXIST, "create %s inside the root", path);
                        }
                        break;
                }
                if (!S_ISDIR(st.st_mode)) {
                        close(fd);
                        result = berth_fail(err, ENOTDIR, "open %s inside the root", path);
                        break;
                }
                walk_push(&w, fd);
        }
        walk_reset(&w);
        free(w.levels);
        return result;
}

/* When a component exists but cannot be opened as a directory through the root, it may be a dangling
 * symlink ("/a -> /nonexistent"): then what it names is created, inside the root, as the kernel would
 * follow it there. */
static int mkdir_symlink_target(int rootfd, int parent, const char *name, const char *prefix, int depth,
                                berth_error *err);

static int mkdir_in_root(int rootfd, const char *path, mode_t mode, int depth, berth_error *err)
{
        cleanup_free char *clean = path_clean(path);
        cleanup_close int parent = -1;
        char *p, *end;
        int fd;

        if (depth > MAX_SYMLINKS)
                return berth_fail(err, ELOOP, "mkdir %s inside the root", path);
        fd = openat2_in_root(rootfd, clean, O_PATH | O_DIRECTORY, 0);
        if (fd >= 0)
                return fd;
        /* Longer than PATH_MAX: made level by level below (path_open_in_root walks each prefix). */
        if (fd != -ENOENT && fd != -ENOSYS && !(fd == -ENAMETOOLONG && strlen(clean) >= PATH_MAX))
                return berth_fail(err, -fd, "open directory %s inside the root", path);

        parent = dup(rootfd);
        if (parent < 0)
                return berth_fail(err, errno, "dup root fd");
        p = clean;
        while (*p == '/')
                p++;
        end = p;
        while (*end != '\0') {
                cleanup_free char *prefix = NULL;
                const char *name;
                char saved;

                while (*end != '\0' && *end != '/')
                        end++;
                saved = *end;
                *end = '\0';
                prefix = xstrdup(clean);
                name = strrchr(prefix, '/');
                name = name ? name + 1 : prefix;
                *end = saved;

                fd = path_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0, NULL);
                if (fd == -ENOENT) {
                        if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
                                return berth_fail(err, errno, "mkdir %s inside the root", prefix);
                        fd = path_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0, NULL);
                        if (fd == -ENOENT) {
                                int r = mkdir_symlink_target(rootfd, parent, name, prefix, depth, err);
                                if (r < 0)
                                        return r;
                                fd = path_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0, NULL);
                        }
                }
                if (fd < 0)
                        return berth_fail(err, -fd, "open directory %s inside the root", prefix);
                close(parent);
                parent = fd;
                while (*end == '/')
                        end++;
        }
        return steal_fd(&parent);
}

static int mkdir_symlink_target(int rootfd, int parent, const char *name, const char *prefix, int depth,
                                berth_error *err)
{
        char target[PATH_MAX];
        cleanup_free char *full = NULL, *dir = NULL;
        ssize_t n = readlinkat(parent, name, target, sizeof(target) - 1);
        const char *slash;
        int fd;

        if (n < 0)
                return berth_fail(err, errno == EINVAL ? ENOTDIR : errno, "mkdir %s inside the root", prefix);
        target[n] = '\0';
        if (target[0] == '/') {
                full = xstrdup(target);
        } else {
                slash = strrchr(prefix, '/');
                dir = slash ? xstrndup(prefix, (size_t) (slash - prefix)) : xstrdup("");
                full = xasprintf("%s/%s", dir, target);
        }
        fd = mkdir_in_root(rootfd, full, 0755, depth + 1, err);
        if (fd < 0)
                return fd;
        close(fd);
        return 0;
}

int path_mkdir_in_root(int rootfd, const char *path, mode_t mode, berth_error *err)
{
        return mkdir_in_root(rootfd, path, mode, 0, err);
}

int path_ensure_in_root(int rootfd, const char *path, bool directory, mode_t mode, berth_error *err)
{
        cleanup_free char *clean = path_clean(path);
        int fd;

        fd = openat2_in_root(rootfd, clean, O_PATH, 0);
        if (fd >= 0)
                return fd;
        if (fd == -ENAMETOOLONG && strlen(clean) >= PATH_MAX)
                fd = path_open_in_root_walk(rootfd, clean, O_PATH, 0, NULL);
        if (fd >= 0)
                return fd;
        if (fd != -ENOENT && fd != -ENOSYS)
                return berth_fail(err, -fd, "open %s inside the root", path);
        if (directory)
                return path_mkdir_in_root(rootfd, clean, mode, err);

        for (int hops = 0;; hops++) {
                cleanup_free char *dir = NULL;
                cleanup_close int parent = -1;
                char target[PATH_MAX];
                const char *base = strrchr(clean, '/');
                ssize_t n;
                int r;

                if (base == NULL) {
                        dir = xstrdup(".");
                        base = clean;
                } else {
                        dir = xstrndup(clean, (size_t) (base - clean));
                        base++;
                        if (dir[0] == '\0') {
                                free(dir);
                                dir = xstrdup("/");
                        }
                }
                parent = path_mkdir_in_root(rootfd, dir, 0755, err);
                if (parent < 0)
                        return parent;
                /* A dangling symlink (an image's /etc/resolv.conf -> /run/...): the file is made where it
                 * points, resolved inside the root, as runc and crun do. */
                n = readlinkat(parent, base, target, sizeof(target) - 1);
                if (n >= 0) {
                        cleanup_free char *next = NULL;
                        if (hops >= MAX_SYMLINKS)
                                return berth_fail(err, ELOOP, "create %s inside the root", path);
                        target[n] = '\0';
                        next = target[0] == '/' ? path_clean(target) : xasprintf("%s/%s", dir, target);
                        free(clean);
                        clean = path_clean(next);
                        continue;
                }
                r = openat(parent, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
                if (r < 0 && errno != EEXIST)
                        return berth_fail(err, errno, "create %s inside the root", path);
                if (r >= 0)
                        close(r);
                return path_open_in_root(rootfd, clean, O_PATH, 0, err);
        }
}
