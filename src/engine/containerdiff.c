#include "engine/containerdiff.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "image/blob.h"
#include "lib/cleanup.h"
#include "image/commit.h"
#include "image/changes.h"
#include "engine/db.h"
#include "image/fsutil.h"
#include "image/gc.h"
#include "image/imagedb.h"
#include "lib/json.h"
#include "image/layer.h"
#include "engine/reconcile.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/snapshot.h"
#include "lib/util.h"

/* Mount points the runtime made in the container's layer (the files berth bind-mounts, the targets of
 * volumes and binds): docker keeps them out of diff and commit (its "init" layer). Only empty ones: a file
 * the container wrote there is its own. */
bool engine_layer_is_mount_point(const json_t *mounts, const char *path, const struct stat *st)
{
        static const char *const managed[] = {"etc/hostname", "etc/hosts", "etc/resolv.conf", "sbin/docker-init"};
        size_t i;
        json_t *v;

        if (!((S_ISREG(st->st_mode) && st->st_size == 0) || S_ISDIR(st->st_mode)))
                return false;
        for (i = 0; i < ARRAY_SIZE(managed); i++)
                if (strcmp(path, managed[i]) == 0)
                        return true;
        json_array_foreach(mounts, i, v) {
                const char *d = json_string_value(json_object_get(v, "Destination"));
                if (d != NULL && d[0] == '/' && strcmp(d + 1, path) == 0)
                        return true;
        }
        return false;
}

bool engine_layer_is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

bool engine_layer_is_opaque(int dirfd, const char *name)
{
        char v[2] = {0};
        char path[64];
        cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return false;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        return getxattr(path, OVERLAY_OPAQUE_XATTR, v, 1) == 1 && v[0] == 'y';
}

/* The image's layer directories, top first. */
static int open_layers(struct engine *e, const char *image_id, int **fds, size_t *n, berth_error *err)
{
        cleanup_image_record struct image_record rec = {0};
        int r;

        if ((r = imagedb_get(e->store, image_id, &rec, err)) < 0)
                return r;
        *fds = xzalloc((rec.n_layers + 1) * sizeof(int));
        *n = 0;
        for (size_t i = rec.n_layers; i-- > 0;) {
                cleanup_free char *rel = layer_diff_relpath(rec.layers[i].diff_id);
                int fd = openat(e->store->rootfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd >= 0)
                        (*fds)[(*n)++] = fd;
        }
        return 0;
}

static bool in_lower(const int *layers, size_t n, const char *path)
{
        for (size_t i = 0; i < n; i++) {
                struct stat st;
                if (fstatat(layers[i], path, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        return !engine_layer_is_whiteout(&st);
        }
        return false;
}

struct walk {
        const json_t *mounts;
        const int *layers;
        size_t n_layers;
        struct engine_change *list;
        size_t n;
};

static void add_change(struct walk *w, char kind, const char *path)
{
        w->list = xrealloc(w->list, (w->n + 1) * sizeof(*w->list));
        w->list[w->n].kind = kind;
        w->list[w->n].path = xasprintf("/%s", path);
        w->n++;
}

/* *skipped: a mount point was left out here (a directory holding only those is not a change of its own). */
static int walk_upper(struct walk *w, int dirfd, const char *prefix, bool *skipped, berth_error *err)
{
        cleanup_closedir DIR *d = opendir_at(dirfd);
        struct dirent *de;

        if (d == NULL)
                return berth_fail(err, errno, "read %s", prefix);
        while ((de = readdir(d)) != NULL) {
                cleanup_free char *path = NULL;
                struct stat st;
                size_t mark;
                bool inner_skipped = false;
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                path = *prefix ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
                if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_fail(err, errno, "stat %s", path);
                if (engine_layer_is_whiteout(&st)) {
                        add_change(w, 'D', path);
                        continue;
                }
                if (engine_layer_is_mount_point(w->mounts, path, &st) && !in_lower(w->layers, w->n_layers, path)) {
                        *skipped = true;
                        continue;
                }
                mark = w->n;
                add_change(w, in_lower(w->layers, w->n_layers, path) ? 'C' : 'A', path);
                if (S_ISDIR(st.st_mode)) {
                        cleanup_close int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        int r;
                        if (sub < 0)
                                return berth_fail(err, errno, "open %s", path);
                        if ((r = walk_upper(w, sub, path, &inner_skipped, err)) < 0)
                                return r;
                        /* Only mount points under it: the runtime made the directory, not the container. */
                        if (inner_skipped && w->n == mark + 1) {
                                free(w->list[mark].path);
                                w->n = mark;
                                *skipped = true;
                        }
                }
        }
        return 0;
}

static int compare_changes(const void *a, const void *b)
{
        return strcmp(((const struct engine_change *) a)->path, ((const struct engine_change *) b)->path);
}

void engine_changes_free(struct engine_change *c, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(c[i].path);
        free(c);
}

int engine_container_upper_fd(struct engine *e, const char *id, berth_error *err)
{
        cleanup_free char *rel = xasprintf("snapshots/%s/upper", id);
        int fd;

        if (strcmp(e->store->driver, "overlay") != 0)
                return berth_failf(err, EOPNOTSUPP, "diff and commit need the overlay storage driver (this store uses %s)",
                                   e->store->driver);
        fd = openat(e->store->rootfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return berth_fail(err, errno, "open %s/%s", e->store->root, rel);
        return fd;
}

int engine_container_changes(struct engine *e, const char *id, struct engine_change **out, size_t *n, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_close int upper = -1;
        struct walk w = {0};
        int *layers = NULL, r;
        size_t n_layers = 0;

        if ((r = engine_db_get(e, id, &c, err)) < 0 || (upper = engine_container_upper_fd(e, id, err)) < 0)
                return r < 0 ? r : upper;
        if ((r = open_layers(e, c->image_id, &layers, &n_layers, err)) < 0)
                return r;
        w.layers = layers;
        w.n_layers = n_layers;
        w.mounts = c->mounts;
        {
                bool skipped = false;
                r = walk_upper(&w, upper, "", &skipped, err);
        }
        for (size_t i = 0; i < n_layers; i++)
                close(layers[i]);
        free(layers);
        if (r < 0) {
                engine_changes_free(w.list, w.n);
                return r;
        }
        qsort(w.list, w.n, sizeof(*w.list), compare_changes);
        *out = w.list;
        *n = w.n;
        return 0;
}

/* ---- commit ---- */

