#include "image/gc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/blob.h"
#include "lib/cleanup.h"
#include "image/commit.h"
#include "image/fsutil.h"
#include "image/imagedb.h"
#include "image/layer.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "lib/util.h"

void removal_report_clear(struct removal_report *r)
{
        strv_free(r->untagged);
        strv_free(r->deleted);
        memset(r, 0, sizeof(*r));
}

static void report_init(struct removal_report *r)
{
        if (r->untagged == NULL)
                r->untagged = xzalloc(sizeof(char *));
        if (r->deleted == NULL)
                r->deleted = xzalloc(sizeof(char *));
}

static char *familiar(const char *stored)
{
        const char *slash = strrchr(stored, '/');
        const char *sep = strpbrk(slash ? slash : stored, ":@");
        cleanup_free char *repo = sep ? xstrndup(stored, (size_t) (sep - stored)) : xstrdup(stored);
        cleanup_free char *fam = reference_familiar_name(repo);
        return xasprintf("%s%s", fam, sep ? sep : "");
}

static int delete_image(struct image_store *s, const struct image_record *rec, struct removal_report *rep,
                        berth_error *err)
{
        int r;

        for (char **n = rec->names; *n; n++) {
                cleanup_free char *f = familiar(*n);
                rep->untagged = strv_append(rep->untagged, f);
        }
        if ((r = imagedb_delete(s, rec->id, err)) < 0)
                return r;
        rep->deleted = strv_append(rep->deleted, rec->id);
        return 0;
}

int image_remove(struct image_store *s, const char *ref, bool force, struct removal_report *rep, berth_error *err)
{
        cleanup_free char *id = NULL, *name = NULL;
        cleanup_image_record struct image_record rec = {0};
        int64_t containers = 0, snapshots = 0;
        uint64_t reclaimed = 0;
        int r;

        report_init(rep);
        if ((r = imagedb_resolve(s, ref, &id, &name, err)) < 0 || (r = imagedb_get(s, id, &rec, err)) < 0)
                return r;
        if ((r = imagedb_users(s, id, &containers, &snapshots, err)) < 0)
                return r;
        if (containers > 0)
                return berth_failf(err, EBUSY,
                                   "conflict: unable to remove repository reference \"%s\" (must force) - image %.12s is being used by %lld container(s)",
                                   ref, digest_hex(id), (long long) containers);
        if (name != NULL && strv_length(rec.names) > 1) {
                /* One of several names: only the name goes. */
                cleanup_free char *f = familiar(name);
                if ((r = imagedb_untag(s, name, err)) < 0)
                        return r;
                rep->untagged = strv_append(rep->untagged, f);
                return 0;
        }
        if (name == NULL && strv_length(rec.names) > 1 && !force)
                return berth_failf(err, EBUSY,
                                   "conflict: unable to delete %.12s (must be forced) - image is referenced in multiple repositories",
                                   digest_hex(id));
        if (snapshots > 0)
                return berth_failf(err, EBUSY, "conflict: unable to delete %.12s - image is mounted (berth image unmount)",
                                   digest_hex(id));
        if ((r = delete_image(s, &rec, rep, err)) < 0)
                return r;
        r = store_collect_garbage(s, &reclaimed, err);
        rep->reclaimed += reclaimed;
        return r;
}

int image_prune(struct image_store *s, bool all, struct removal_report *rep, berth_error *err)
{
        struct image_record *recs = NULL;
        size_t n = 0;
        uint64_t reclaimed = 0;
        int r;

        report_init(rep);
        if ((r = imagedb_list(s, &recs, &n, err)) < 0)
                return r;
        for (size_t i = 0; i < n && r == 0; i++) {
                int64_t containers = 0, snapshots = 0;
                if (!all && recs[i].names[0] != NULL)
                        continue;
                if ((r = imagedb_users(s, recs[i].id, &containers, &snapshots, err)) < 0)
                        break;
                if (containers > 0 || snapshots > 0)
                        continue;
                r = delete_image(s, &recs[i], rep, err);
        }
        image_records_free(recs, n);
        if (r < 0)
                return r;
        r = store_collect_garbage(s, &reclaimed, err);
        rep->reclaimed += reclaimed;
        return r;
}

static int remove_unused_layers(struct image_store *s, uint64_t *reclaimed, berth_error *err)
{
        cleanup_strv char **unused = NULL;
        int r;

        if ((r = imagedb_unused_layers(s, &unused, err)) < 0)
                return r;
        for (char **d = unused; *d; d++) {
                int64_t size = 0;
                imagedb_layer_get(s, *d, NULL, &size, NULL);
                if ((r = layer_remove(s, *d, err)) < 0)
                        return r;
                *reclaimed += (uint64_t) size;
        }
        return 0;
}

/* Calls fn for each entry name of a store directory. */
static int for_each_entry(struct image_store *s, const char *dir, int (*fn)(struct image_store *, const char *, void *, berth_error *),
                          void *data, berth_error *err)
{
        cleanup_closedir DIR *d = NULL;
        struct dirent *de;
        int fd = openat(s->rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return berth_fail(err, errno, "open %s/%s", s->root, dir);
        d = fdopendir(fd);
        if (d == NULL) {
                close(fd);
                return berth_fail(err, errno, "open %s/%s", s->root, dir);
        }
        while ((de = readdir(d)) != NULL) {
                int r;
                if (de->d_name[0] == '.')
                        continue;
                if ((r = fn(s, de->d_name, data, err)) < 0)
                        return r;
        }
        return 0;
}

static int gc_blob(struct image_store *s, const char *hex, void *data, berth_error *err)
{
        uint64_t *reclaimed = data;
        cleanup_free char *digest = xasprintf("sha256:%s", hex);
        bool used = false;
        int64_t size;
        int r;

        if (!digest_is_valid(digest))
                return 0; /* not ours; system check reports it */
        if ((r = imagedb_blob_in_use(s, digest, &used, err)) < 0)
                return r;
        if (used)
                return 0;
        size = store_blob_size(s, digest);
        if ((r = store_blob_remove(s, digest, err)) < 0)
                return r;
        *reclaimed += size > 0 ? (uint64_t) size : 0;
        return 0;
}

static int gc_layer_dir(struct image_store *s, const char *hex, void *data, berth_error *err)
{
        cleanup_free char *digest = xasprintf("sha256:%s", hex);
        cleanup_free char *rel = xasprintf("layers/%s", hex);
        int r = imagedb_layer_get(s, digest, NULL, NULL, err);

        if (r == 0 || r != -ENOENT)
                return r;
        /* A layer directory without a record: left by a load killed between rename and commit. */
        return fs_remove_tree_at(s->rootfd, rel, err);
}

static int gc_link(struct image_store *s, const char *name, void *data, berth_error *err)
{
        cleanup_free char *rel = xasprintf("l/%s", name);
        struct stat st;

        if (strcmp(name, "empty") == 0)
                return 0;
        if (fstatat(s->rootfd, rel, &st, 0) < 0 && errno == ENOENT && unlinkat(s->rootfd, rel, 0) < 0 && errno != ENOENT)
                return berth_fail(err, errno, "remove %s/%s", s->root, rel);
        return 0;
}

int store_collect_garbage(struct image_store *s, uint64_t *reclaimed, berth_error *err)
{
        int r;

        *reclaimed = 0;
        if ((r = remove_unused_layers(s, reclaimed, err)) < 0 ||
            (r = for_each_entry(s, "blobs/sha256", gc_blob, reclaimed, err)) < 0 ||
            (r = for_each_entry(s, "layers", gc_layer_dir, NULL, err)) < 0)
                return r;
        return for_each_entry(s, "l", gc_link, NULL, err);
}

struct check_ctx {
        check_report_fn report;
        void *data;
        uint64_t problems, blobs;
};

static int check_blob(struct image_store *s, const char *hex, void *data, berth_error *err)
{
        struct check_ctx *c = data;
        cleanup_free char *digest = xasprintf("sha256:%s", hex);
        berth_error e = {0};

        c->blobs++;
        if (!digest_is_valid(digest)) {
                c->report(c->data, "blobs/sha256/%s: not a blob name", hex);
                c->problems++;
                return 0;
        }
        if (store_blob_verify(s, digest, &e) < 0) {
                c->report(c->data, "%s", berth_error_message(&e));
                c->problems++;
        }
        berth_error_clear(&e);
        return 0;
}

static void check_image(struct image_store *s, const struct image_record *rec, struct check_ctx *c)
{
        cleanup_config struct image_config cfg = {0};
        berth_error e = {0};

        if (image_config_read(s, rec->id, &cfg, &e) < 0) {
                c->report(c->data, "image %s: config: %s", rec->id, berth_error_message(&e));
                c->problems++;
                berth_error_clear(&e);
        } else if (cfg.n_diff_ids != rec->n_layers) {
                c->report(c->data, "image %s: %zu layers recorded, the config has %zu", rec->id, rec->n_layers,
                          cfg.n_diff_ids);
                c->problems++;
        }
        if (!store_blob_exists(s, rec->manifest_digest)) {
                c->report(c->data, "image %s: manifest blob %s missing", rec->id, rec->manifest_digest);
                c->problems++;
        }
        for (size_t i = 0; i < rec->n_layers; i++) {
                const struct image_layer_record *l = &rec->layers[i];
                cleanup_free char *dir = layer_diff_relpath(l->diff_id);
                cleanup_free char *link = xasprintf("l/%s", l->link);
                struct stat st;

                if (cfg.diff_ids != NULL && i < cfg.n_diff_ids && strcmp(cfg.diff_ids[i], l->diff_id) != 0) {
                        c->report(c->data, "image %s: layer %zu: diff id %s, the config says %s", rec->id, i, l->diff_id,
                                  cfg.diff_ids[i]);
                        c->problems++;
                }
                if (store_blob_size(s, l->blob_digest) != l->blob_size) {
                        c->report(c->data, "image %s: layer blob %s missing or of the wrong size", rec->id, l->blob_digest);
                        c->problems++;
                }
                if (l->link[0] == '\0') {
                        c->report(c->data, "image %s: layer %s has no layer record", rec->id, l->diff_id);
                        c->problems++;
                        continue;
                }
                if (fstatat(s->rootfd, dir, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
                        c->report(c->data, "layer %s: directory %s/%s missing", l->diff_id, s->root, dir);
                        c->problems++;
                }
                if (fstatat(s->rootfd, link, &st, 0) < 0 || !S_ISDIR(st.st_mode)) {
                        c->report(c->data, "layer %s: short link %s/%s broken", l->diff_id, s->root, link);
                        c->problems++;
                }
        }
}

static int check_sql(struct image_store *s, struct check_ctx *c, const char *sql, const char *what, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(s, sql, &st, err)) < 0)
                return r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                const char *t = (const char *) sqlite3_column_text(st, 0);
                if (t != NULL && strcmp(t, "ok") == 0)
                        continue;
                c->report(c->data, "database: %s: %s", what, t ? t : "(row)");
                c->problems++;
        }
        return r == SQLITE_DONE ? 0 : store_sql_fail(s, what, err);
}

int store_check(struct image_store *s, check_report_fn report, void *data, uint64_t *blobs, uint64_t *problems,
                berth_error *err)
{
        struct check_ctx c = {.report = report, .data = data};
        struct image_record *recs = NULL;
        size_t n = 0;
        int r;

        if ((r = check_sql(s, &c, "PRAGMA integrity_check", "integrity check", err)) < 0 ||
            (r = check_sql(s, &c, "SELECT \"table\" || ' row ' || rowid || ' references a missing ' || parent FROM pragma_foreign_key_check",
                           "foreign keys", err)) < 0 ||
            (r = check_sql(s, &c, "SELECT 'names: ' || name || ' points to missing image ' || image_id FROM names WHERE image_id NOT IN (SELECT id FROM images)",
                           "names", err)) < 0)
                return r;
        if ((r = for_each_entry(s, "blobs/sha256", check_blob, &c, err)) < 0)
                return r;
        if ((r = imagedb_list(s, &recs, &n, err)) < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                check_image(s, &recs[i], &c);
        image_records_free(recs, n);
        *blobs = c.blobs;
        *problems = c.problems;
        return 0;
}

static int count_blob(struct image_store *s, const char *hex, void *data, berth_error *err)
{
        struct store_usage *u = data;
        cleanup_free char *digest = xasprintf("sha256:%s", hex);
        int64_t size = store_blob_size(s, digest);

        u->blobs++;
        u->blobs_size += size > 0 ? (uint64_t) size : 0;
        return 0;
}

static int count_snapshot(struct image_store *s, const char *name, void *data, berth_error *err)
{
        struct store_usage *u = data;
        cleanup_free char *rel = xasprintf("snapshots/%s", name);
        uint64_t size = 0;
        berth_error e = {0};

        u->snapshots++;
        /* A container's own data: the upper (overlay) or the flattened copy. */
        cleanup_free char *upper = xasprintf("%s/%s", rel, strcmp(s->driver, "overlay") == 0 ? "upper" : "rootfs");
        if (fs_tree_size_at(s->rootfd, upper, &size, &e) == 0)
                u->snapshots_size += size;
        berth_error_clear(&e);
        return 0;
}

int store_usage(struct image_store *s, struct store_usage *u, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        memset(u, 0, sizeof(*u));
        if ((r = store_prepare(s,
                               "SELECT (SELECT count(*) FROM images),"
                               " (SELECT count(DISTINCT image_id) FROM (SELECT image_id FROM containers UNION SELECT image_id FROM snapshots)),"
                               " (SELECT coalesce(sum(size), 0) FROM layers),"
                               " (SELECT coalesce(sum(size), 0) FROM layers l WHERE NOT EXISTS (SELECT 1 FROM image_layers il"
                               "   WHERE il.diff_id = l.diff_id AND il.image_id IN (SELECT image_id FROM containers UNION SELECT image_id FROM snapshots)))",
                               &st, err)) < 0)
                return r;
        if (sqlite3_step(st) != SQLITE_ROW)
                return store_sql_fail(s, "usage", err);
        u->images = (uint64_t) sqlite3_column_int64(st, 0);
        u->active_images = (uint64_t) sqlite3_column_int64(st, 1);
        u->images_size = (uint64_t) sqlite3_column_int64(st, 2);
        u->reclaimable = (uint64_t) sqlite3_column_int64(st, 3);
        if ((r = for_each_entry(s, "blobs/sha256", count_blob, u, err)) < 0)
                return r;
        return for_each_entry(s, "snapshots", count_snapshot, u, err);
}

void store_discard_unreferenced(struct image_store *s)
{
        berth_error e = {0};
        uint64_t reclaimed = 0;

        if (store_lock(s, STORE_LOCK_EXCLUSIVE, &e) == 0)
                store_collect_garbage(s, &reclaimed, &e);
        berth_error_clear(&e);
}
