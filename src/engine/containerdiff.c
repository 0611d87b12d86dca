#include "containerdiff.h"

#include <archive.h>
#include <archive_entry.h>
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

#include "blob.h"
#include "cleanup.h"
#include "commit.h"
#include "changes.h"
#include "db.h"
#include "fsutil.h"
#include "gc.h"
#include "imagedb.h"
#include "json.h"
#include "layer.h"
#include "lifecycle.h"
#include "manifest.h"
#include "reference.h"
#include "snapshot.h"
#include "util.h"

/* Mount points the runtime made in the container's layer (the files berth bind-mounts, the targets of
 * volumes and binds): docker keeps them out of diff and commit (its "init" layer). Only empty ones: a file
 * the container wrote there is its own. */
static bool is_mount_point(const json_t *mounts, const char *path, const struct stat *st)
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

static bool is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dirfd, const char *name)
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
                        return !is_whiteout(&st);
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
        cleanup_closedir DIR *d = NULL;
        int dupfd = dup(dirfd);
        struct dirent *de;

        if (dupfd < 0 || (d = fdopendir(dupfd)) == NULL) {
                if (dupfd >= 0)
                        close(dupfd);
                return berth_fail(err, errno, "read %s", prefix);
        }
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
                if (is_whiteout(&st)) {
                        add_change(w, 'D', path);
                        continue;
                }
                if (is_mount_point(w->mounts, path, &st) && !in_lower(w->layers, w->n_layers, path)) {
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

static int open_upper(struct engine *e, const char *id, berth_error *err)
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

        if ((r = engine_db_get(e, id, &c, err)) < 0 || (upper = open_upper(e, id, err)) < 0)
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

struct tar_out {
        struct blob_writer *w;
        berth_error *err;
        int failed;
};

static la_ssize_t tar_write(struct archive *a, void *data, const void *buf, size_t len)
{
        struct tar_out *t = data;

        (void) a;
        if (blob_writer_write(t->w, buf, len, t->err) < 0) {
                t->failed = 1;
                return -1;
        }
        return (la_ssize_t) len;
}

static void entry_from_stat(struct archive_entry *ae, const char *name, const struct stat *st)
{
        archive_entry_set_pathname(ae, name);
        archive_entry_set_mode(ae, st->st_mode);
        archive_entry_set_uid(ae, st->st_uid);
        archive_entry_set_gid(ae, st->st_gid);
        archive_entry_set_mtime(ae, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
        if (S_ISREG(st->st_mode))
                archive_entry_set_size(ae, st->st_size);
        if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
                archive_entry_set_rdev(ae, st->st_rdev);
}

static int add_empty_file(struct archive *a, const char *name)
{
        struct archive_entry *ae = archive_entry_new();
        int r;

        archive_entry_set_pathname(ae, name);
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        archive_entry_set_size(ae, 0);
        r = archive_write_header(a, ae);
        archive_entry_free(ae);
        return r == ARCHIVE_OK ? 0 : -EIO;
}

static int add_tree(struct archive *a, int dirfd, const char *prefix, const json_t *mounts, berth_error *err)
{
        cleanup_closedir DIR *d = NULL;
        int dupfd = dup(dirfd);
        struct dirent *de;

        if (dupfd < 0 || (d = fdopendir(dupfd)) == NULL) {
                if (dupfd >= 0)
                        close(dupfd);
                return berth_fail(err, errno, "read %s", prefix);
        }
        while ((de = readdir(d)) != NULL) {
                cleanup_free char *name = NULL;
                struct archive_entry *ae;
                struct stat st;
                int r = 0;
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                name = *prefix ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
                if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_fail(err, errno, "stat %s", name);
                if (is_mount_point(mounts, name, &st))
                        continue;
                if (is_whiteout(&st)) {
                        /* overlay's whiteout is the OCI layer's .wh.NAME */
                        cleanup_free char *wh = *prefix ? xasprintf("%s/.wh.%s", prefix, de->d_name) : xasprintf(".wh.%s", de->d_name);
                        if (add_empty_file(a, wh) < 0)
                                return berth_failf(err, EIO, "tar %s: %s", wh, archive_error_string(a));
                        continue;
                }
                ae = archive_entry_new();
                entry_from_stat(ae, name, &st);
                if (S_ISLNK(st.st_mode)) {
                        char target[4096];
                        ssize_t n = readlinkat(dirfd, de->d_name, target, sizeof(target) - 1);
                        if (n >= 0) {
                                target[n] = '\0';
                                archive_entry_set_symlink(ae, target);
                        }
                }
                if (archive_write_header(a, ae) != ARCHIVE_OK)
                        r = berth_failf(err, EIO, "tar %s: %s", name, archive_error_string(a));
                archive_entry_free(ae);
                if (r < 0)
                        return r;
                if (S_ISREG(st.st_mode) && st.st_size > 0) {
                        cleanup_close int fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                        char buf[65536];
                        ssize_t n;
                        if (fd < 0)
                                return berth_fail(err, errno, "open %s", name);
                        while ((n = read(fd, buf, sizeof(buf))) > 0)
                                if (archive_write_data(a, buf, (size_t) n) < 0)
                                        return berth_failf(err, EIO, "tar %s: %s", name, archive_error_string(a));
                        if (n < 0)
                                return berth_fail(err, errno, "read %s", name);
                }
                if (S_ISDIR(st.st_mode)) {
                        cleanup_close int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0)
                                return berth_fail(err, errno, "open %s", name);
                        if (is_opaque(dirfd, de->d_name)) {
                                cleanup_free char *opq = xasprintf("%s/.wh..wh..opq", name);
                                if (add_empty_file(a, opq) < 0)
                                        return berth_failf(err, EIO, "tar %s", opq);
                        }
                        if ((r = add_tree(a, sub, name, mounts, err)) < 0)
                                return r;
                }
        }
        return 0;
}

/* The container's layer as an uncompressed tar blob: its digest is also the diff id. */
static int write_layer(struct engine *e, const char *id, const json_t *mounts, char digest[DIGEST_STRING_LEN + 1],
                       int64_t *size, berth_error *err)
{
        cleanup_close int upper = open_upper(e, id, err);
        struct tar_out t = {.err = err};
        struct archive *a;
        int r;

        if (upper < 0)
                return upper;
        if ((r = blob_writer_open(e->store, NULL, -1, &t.w, err)) < 0)
                return r;
        a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        archive_write_set_bytes_in_last_block(a, 1);
        if (archive_write_open(a, &t, NULL, tar_write, NULL) != ARCHIVE_OK) {
                r = berth_failf(err, EIO, "tar: %s", archive_error_string(a));
                goto fail;
        }
        if ((r = add_tree(a, upper, "", mounts, err)) < 0)
                goto fail;
        if (archive_write_close(a) != ARCHIVE_OK || t.failed) {
                r = t.failed ? -err->code : berth_failf(err, EIO, "tar: %s", archive_error_string(a));
                goto fail;
        }
        archive_write_free(a);
        *size = (int64_t) blob_writer_size(t.w);
        return blob_writer_commit(t.w, digest, err);
fail:
        archive_write_free(a);
        blob_writer_abort(t.w);
        return r;
}

static void copy_member(json_t *to, json_t *from, const char *key)
{
        json_t *v = json_object_get(from, key);
        if (v != NULL && !json_is_null(v))
                json_object_set(to, key, v);
}

static int build_config(struct engine *e, const struct engine_container *c, const struct engine_commit_request *req,
                        const char *diff_id, char digest[DIGEST_STRING_LEN + 1], size_t *size, berth_error *err)
{
        static const char *const keys[] = {"Cmd", "Entrypoint", "Env", "WorkingDir", "User", "Labels", "Volumes",
                                           "StopSignal", "Hostname"};
        cleanup_config struct image_config ic = {0};
        cleanup_free char *now = engine_now_rfc3339(), *text = NULL;
        json_t *doc, *config, *history;
        int r;

        if ((r = image_config_read(e->store, c->image_id, &ic, err)) < 0)
                return r;
        doc = ic.json;
        config = json_object_get(doc, "config");
        if (!json_is_object(config)) {
                config = json_object();
                json_object_set_new(doc, "config", config);
        }
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                copy_member(config, c->config, keys[i]);
        for (char **ch = req->changes; ch && *ch; ch++)
                if ((r = image_change_apply(config, *ch, err)) < 0)
                        return r;
        json_object_set_new(doc, "created", json_string(now));
        if (req->author != NULL)
                json_object_set_new(doc, "author", json_string(req->author));
        json_array_append_new(json_object_get(json_object_get(doc, "rootfs"), "diff_ids"), json_string(diff_id));
        history = json_object_get(doc, "history");
        if (!json_is_array(history)) {
                history = json_array();
                json_object_set_new(doc, "history", history);
        }
        json_array_append_new(history, json_pack("{s:s,s:s,s:s}", "created", now, "created_by", "berth commit",
                                                 "comment", req->message ? req->message : ""));
        text = json_to_string(doc);
        *size = strlen(text);
        return store_blob_put(e->store, text, strlen(text), digest, err);
}

int engine_container_commit(struct engine *e, const char *id, const struct engine_commit_request *req, char **image_id,
                            berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_image_record struct image_record rec = {0};
        cleanup_image_ref struct image_ref ref = {0};
        cleanup_free char *name = NULL, *manifest = NULL;
        cleanup_free struct descriptor *layers = NULL;
        char layer[DIGEST_STRING_LEN + 1], config[DIGEST_STRING_LEN + 1], manifest_digest[DIGEST_STRING_LEN + 1];
        char *names[2] = {NULL, NULL};
        bool paused = false;
        int64_t layer_size = 0;
        size_t config_size = 0;
        int r;

        if (req->reference != NULL) {
                if ((r = image_ref_parse(req->reference, true, &ref, err)) < 0)
                        return r;
                name = image_ref_string(&ref);
                names[0] = name;
        }
        if ((r = engine_container_load(e, id, &c, err)) < 0 || (r = imagedb_get(e->store, c->image_id, &rec, err)) < 0)
                return r;
        /* docker commit pauses a running container so that its layer is read at one moment. */
        if (req->pause && c->status == ENGINE_RUNNING) {
                if ((r = engine_container_pause(e, id, true, err)) < 0)
                        return r;
                paused = true;
        }
        r = write_layer(e, id, c->mounts, layer, &layer_size, err);
        if (paused) {
                berth_error ignored = {0};
                engine_container_pause(e, id, false, &ignored);
                berth_error_clear(&ignored);
        }
        if (r < 0 || (r = build_config(e, c, req, layer, config, &config_size, err)) < 0)
                goto fail;
        layers = xzalloc((rec.n_layers + 1) * sizeof(*layers));
        for (size_t i = 0; i < rec.n_layers; i++)
                layers[i] = (struct descriptor){.media_type = rec.layers[i].media_type, .digest = rec.layers[i].blob_digest,
                                                .size = rec.layers[i].blob_size};
        layers[rec.n_layers] = (struct descriptor){.media_type = MEDIA_OCI_LAYER, .digest = layer, .size = layer_size};
        {
                struct descriptor cd = {.media_type = MEDIA_OCI_CONFIG, .digest = config, .size = (int64_t) config_size};
                manifest = image_manifest_build_oci(&cd, layers, rec.n_layers + 1);
        }
        if ((r = store_blob_put(e->store, manifest, strlen(manifest), manifest_digest, err)) < 0)
                goto fail;
        {
                struct image_commit ic = {
                        .manifest_digest = manifest_digest, .manifest_media_type = MEDIA_OCI_MANIFEST,
                        .config_digest = config, .layers = layers, .n_layers = rec.n_layers + 1,
                        .names = req->reference ? names : NULL,
                };
                if ((r = image_commit(e->store, &ic, image_id, err)) < 0)
                        goto fail;
        }
        return 0;
fail:
        store_discard_unreferenced(e->store);
        return r;
}
