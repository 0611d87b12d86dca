/* commit: the container's layer (its overlay upper dir) as a tar blob, then a new image. Needs libarchive,
 * so it lives apart from diff: only berth-full links it. */
#include "engine/containerdiff.h"

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

#include "image/blob.h"
#include "engine/events.h"
#include "lib/cleanup.h"
#include "image/commit.h"
#include "image/changes.h"
#include "engine/db.h"
#include "image/fsutil.h"
#include "image/gc.h"
#include "image/imagedb.h"
#include "lib/json.h"
#include "image/layer.h"
#include "engine/lifecycle.h"
#include "image/manifest.h"
#include "image/platform.h"
#include "image/reference.h"
#include "image/snapshot.h"
#include "lib/util.h"

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
        cleanup_closedir DIR *d = opendir_at(dirfd);
        struct dirent *de;

        if (d == NULL)
                return berth_fail(err, errno, "read %s", prefix);
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
                if (engine_layer_is_mount_point(mounts, name, &st))
                        continue;
                if (engine_layer_is_whiteout(&st)) {
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
                        if (engine_layer_is_opaque(dirfd, de->d_name)) {
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
        cleanup_close int upper = engine_container_upper_fd(e, id, err);
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

/* The builder's history entries, each stamped with the time unless it has one. */
static void append_history(json_t *history, const json_t *entries, const char *now)
{
        const json_t *h;
        size_t i;

        json_array_foreach(entries, i, h) {
                json_t *copy = json_deep_copy(h);
                if (json_object_get(copy, "created") == NULL)
                        json_object_set_new(copy, "created", json_string(now));
                json_array_append_new(history, copy);
        }
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
        if (req->image_config != NULL) {
                json_object_set_new(doc, "config", json_deep_copy(req->image_config));
        } else {
                for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                        copy_member(config, c->config, keys[i]);
                for (char **ch = req->changes; ch && *ch; ch++)
                        if ((r = image_change_apply(config, *ch, err)) < 0)
                                return r;
        }
        json_object_set_new(doc, "created", json_string(now));
        if (req->author != NULL)
                json_object_set_new(doc, "author", json_string(req->author));
        json_array_append_new(json_object_get(json_object_get(doc, "rootfs"), "diff_ids"), json_string(diff_id));
        history = json_object_get(doc, "history");
        if (!json_is_array(history)) {
                history = json_array();
                json_object_set_new(doc, "history", history);
        }
        if (req->history != NULL)
                append_history(history, req->history, now);
        else
                json_array_append_new(history, json_pack("{s:s,s:s,s:s}", "created", now, "created_by", "berth commit",
                                                         "comment", req->message ? req->message : ""));
        /* docker's image Comment: the commit's message in the config's own "comment" (the parent's goes). */
        if (req->history == NULL && req->message != NULL && *req->message != '\0')
                json_object_set_new(doc, "comment", json_string(req->message));
        else
                json_object_del(doc, "comment");
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
        /* docker: a container event, with the new image's ID and reference. */
        engine_event_container(e, c, "commit",
                               json_pack("{s:s,s:s,s:s}", "comment", req->message ? req->message : "", "imageID", *image_id,
                                         "imageRef", req->reference ? req->reference : ""));
        return 0;
fail:
        store_discard_unreferenced(e->store);
        return r;
}

/* A config blob for PARENT's layers (or none) with IMAGE_CONFIG and HISTORY appended, as the builder's
 * metadata-only steps make. */
static int derive_config(struct engine *e, const char *parent, const json_t *image_config, const json_t *history,
                         const char *author, char digest[DIGEST_STRING_LEN + 1], size_t *size, berth_error *err)
{
        cleanup_config struct image_config ic = {0};
        cleanup_free char *now = engine_now_rfc3339(), *text = NULL;
        json_t *doc, *h;
        int r;

        if (parent != NULL) {
                if ((r = image_config_read(e->store, parent, &ic, err)) < 0)
                        return r;
                doc = ic.json;
        } else {
                /* FROM scratch: the platform berth runs on, no layer. */
                cleanup_platform struct platform host = {0};
                platform_host(&host);
                ic.json = doc = json_pack("{s:s,s:s,s:{s:s,s:[]},s:[]}", "architecture", host.arch, "os", host.os,
                                          "rootfs", "type", "layers", "diff_ids", "history");
                if (host.variant != NULL)
                        json_object_set_new(doc, "variant", json_string(host.variant));
        }
        json_object_set_new(doc, "config", json_deep_copy(image_config));
        json_object_set_new(doc, "created", json_string(now));
        if (author != NULL)
                json_object_set_new(doc, "author", json_string(author));
        h = json_object_get(doc, "history");
        if (!json_is_array(h)) {
                h = json_array();
                json_object_set_new(doc, "history", h);
        }
        append_history(h, history, now);
        text = json_to_string(doc);
        *size = strlen(text);
        return store_blob_put(e->store, text, strlen(text), digest, err);
}

int engine_image_derive(struct engine *e, const char *parent, const json_t *image_config, const json_t *history,
                        const char *author, char **image_id, berth_error *err)
{
        cleanup_image_record struct image_record rec = {0};
        cleanup_free char *manifest = NULL;
        cleanup_free struct descriptor *layers = NULL;
        char config[DIGEST_STRING_LEN + 1], manifest_digest[DIGEST_STRING_LEN + 1];
        size_t config_size = 0;
        int r;

        if (parent != NULL && (r = imagedb_get(e->store, parent, &rec, err)) < 0)
                return r;
        if ((r = derive_config(e, parent, image_config, history, author, config, &config_size, err)) < 0)
                goto fail;
        layers = xzalloc((rec.n_layers + 1) * sizeof(*layers));
        for (size_t i = 0; i < rec.n_layers; i++)
                layers[i] = (struct descriptor){.media_type = rec.layers[i].media_type, .digest = rec.layers[i].blob_digest,
                                                .size = rec.layers[i].blob_size};
        {
                struct descriptor cd = {.media_type = MEDIA_OCI_CONFIG, .digest = config, .size = (int64_t) config_size};
                manifest = image_manifest_build_oci(&cd, layers, rec.n_layers);
        }
        if ((r = store_blob_put(e->store, manifest, strlen(manifest), manifest_digest, err)) < 0)
                goto fail;
        {
                struct image_commit ic = {
                        .manifest_digest = manifest_digest, .manifest_media_type = MEDIA_OCI_MANIFEST,
                        .config_digest = config, .layers = layers, .n_layers = rec.n_layers, .names = NULL,
                };
                if ((r = image_commit(e->store, &ic, image_id, err)) < 0)
                        goto fail;
        }
        return 0;
fail:
        store_discard_unreferenced(e->store);
        return r;
}
