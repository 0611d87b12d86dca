#include "image/imagedb.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/cleanup.h"
#include "image/digest.h"
#include "image/reference.h"
#include "lib/util.h"

static char *column_dup(sqlite3_stmt *st, int i)
{
        const unsigned char *t = sqlite3_column_text(st, i);
        return xstrdup(t ? (const char *) t : "");
}

void image_record_clear(struct image_record *rec)
{
        free(rec->id);
        free(rec->manifest_digest);
        free(rec->manifest_media_type);
        free(rec->created);
        free(rec->architecture);
        free(rec->os);
        strv_free(rec->names);
        for (size_t i = 0; i < rec->n_layers; i++) {
                struct image_layer_record *l = &rec->layers[i];
                free(l->diff_id);
                free(l->chain_id);
                free(l->blob_digest);
                free(l->media_type);
                free(l->link);
        }
        free(rec->layers);
        memset(rec, 0, sizeof(*rec));
}

void image_records_free(struct image_record *recs, size_t n)
{
        for (size_t i = 0; i < n; i++)
                image_record_clear(&recs[i]);
        free(recs);
}

static int put_names(struct image_store *s, const struct image_record *rec, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if (rec->names == NULL || rec->names[0] == NULL)
                return 0;
        if ((r = store_prepare(s, "INSERT OR REPLACE INTO names(name, image_id, created) VALUES(?,?,?)", &st, err)) < 0)
                return r;
        for (char **n = rec->names; *n != NULL; n++) {
                sqlite3_reset(st);
                sqlite3_bind_text(st, 1, *n, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, rec->id, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 3, (int64_t) time(NULL));
                if (sqlite3_step(st) != SQLITE_DONE)
                        return store_sql_fail(s, "tag image", err);
        }
        return 0;
}

static int put_tx(struct image_store *s, void *data, berth_error *err)
{
        const struct image_record *rec = data;
        cleanup_stmt sqlite3_stmt *img = NULL, *lay = NULL;
        int r;

        if ((r = store_prepare(s,
                               "INSERT OR IGNORE INTO images(id, manifest_digest, manifest_media_type, created, size,"
                               " architecture, os, loaded) VALUES(?,?,?,?,?,?,?,?)",
                               &img, err)) < 0)
                return r;
        sqlite3_bind_text(img, 1, rec->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(img, 2, rec->manifest_digest, -1, SQLITE_STATIC);
        sqlite3_bind_text(img, 3, rec->manifest_media_type, -1, SQLITE_STATIC);
        sqlite3_bind_text(img, 4, rec->created ? rec->created : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(img, 5, rec->size);
        sqlite3_bind_text(img, 6, rec->architecture ? rec->architecture : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(img, 7, rec->os ? rec->os : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(img, 8, rec->loaded ? rec->loaded : (int64_t) time(NULL));
        if (sqlite3_step(img) != SQLITE_DONE)
                return store_sql_fail(s, "add image", err);
        if (sqlite3_changes(s->db) == 0)
                return put_names(s, rec, err); /* present: its layer list is the same (the ID is its config) */
        if ((r = store_prepare(s,
                               "INSERT INTO image_layers(image_id, idx, diff_id, chain_id, blob_digest, media_type,"
                               " blob_size) VALUES(?,?,?,?,?,?,?)",
                               &lay, err)) < 0)
                return r;
        for (size_t i = 0; i < rec->n_layers; i++) {
                const struct image_layer_record *l = &rec->layers[i];
                sqlite3_reset(lay);
                sqlite3_bind_text(lay, 1, rec->id, -1, SQLITE_STATIC);
                sqlite3_bind_int64(lay, 2, (int64_t) i);
                sqlite3_bind_text(lay, 3, l->diff_id, -1, SQLITE_STATIC);
                sqlite3_bind_text(lay, 4, l->chain_id, -1, SQLITE_STATIC);
                sqlite3_bind_text(lay, 5, l->blob_digest, -1, SQLITE_STATIC);
                sqlite3_bind_text(lay, 6, l->media_type, -1, SQLITE_STATIC);
                sqlite3_bind_int64(lay, 7, l->blob_size);
                if (sqlite3_step(lay) != SQLITE_DONE)
                        return store_sql_fail(s, "add image layer", err);
        }
        return put_names(s, rec, err);
}

int imagedb_put(struct image_store *s, const struct image_record *rec, berth_error *err)
{
        return store_transaction(s, put_tx, (void *) rec, err);
}

int imagedb_tag(struct image_store *s, const char *name, const char *image_id, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(s, "INSERT OR REPLACE INTO names(name, image_id, created) VALUES(?,?,?)", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, image_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t) time(NULL));
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_fail(s, "tag image", err);
        return 0;
}

int imagedb_untag(struct image_store *s, const char *name, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(s, "DELETE FROM names WHERE name = ?", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_fail(s, "untag image", err);
        if (sqlite3_changes(s->db) == 0)
                return berth_failf(err, ENOENT, "No such image: %s", name);
        return 0;
}

static int load_names(struct image_store *s, struct image_record *rec, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        rec->names = xzalloc(sizeof(char *));
        if ((r = store_prepare(s, "SELECT name FROM names WHERE image_id = ? ORDER BY name", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, rec->id, -1, SQLITE_STATIC);
        while ((r = sqlite3_step(st)) == SQLITE_ROW)
                rec->names = strv_append(rec->names, (const char *) sqlite3_column_text(st, 0));
        return r == SQLITE_DONE ? 0 : store_sql_fail(s, "read names", err);
}

static int load_layers(struct image_store *s, struct image_record *rec, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        size_t cap = 0;
        int r;

        if ((r = store_prepare(s,
                               "SELECT il.diff_id, il.chain_id, il.blob_digest, il.media_type, il.blob_size,"
                               " l.size, l.link FROM image_layers il LEFT JOIN layers l ON l.diff_id = il.diff_id"
                               " WHERE il.image_id = ? ORDER BY il.idx",
                               &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, rec->id, -1, SQLITE_STATIC);
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                struct image_layer_record *l;
                if (rec->n_layers == cap) {
                        cap = cap ? 2 * cap : 8;
                        rec->layers = xrealloc(rec->layers, cap * sizeof(*rec->layers));
                }
                l = &rec->layers[rec->n_layers++];
                l->diff_id = column_dup(st, 0);
                l->chain_id = column_dup(st, 1);
                l->blob_digest = column_dup(st, 2);
                l->media_type = column_dup(st, 3);
                l->blob_size = sqlite3_column_int64(st, 4);
                l->size = sqlite3_column_int64(st, 5);
                l->link = column_dup(st, 6);
        }
        return r == SQLITE_DONE ? 0 : store_sql_fail(s, "read image layers", err);
}

static void row_to_record(sqlite3_stmt *st, struct image_record *rec)
{
        rec->id = column_dup(st, 0);
        rec->manifest_digest = column_dup(st, 1);
        rec->manifest_media_type = column_dup(st, 2);
        rec->created = column_dup(st, 3);
        rec->size = sqlite3_column_int64(st, 4);
        rec->architecture = column_dup(st, 5);
        rec->os = column_dup(st, 6);
        rec->loaded = sqlite3_column_int64(st, 7);
}

#define IMAGE_COLUMNS "id, manifest_digest, manifest_media_type, created, size, architecture, os, loaded"

int imagedb_get(struct image_store *s, const char *id, struct image_record *rec, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        memset(rec, 0, sizeof(*rec));
        if ((r = store_prepare(s, "SELECT " IMAGE_COLUMNS " FROM images WHERE id = ?", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return berth_failf(err, ENOENT, "No such image: %s", id);
        if (r != SQLITE_ROW)
                return store_sql_fail(s, "read image", err);
        row_to_record(st, rec);
        if ((r = load_names(s, rec, err)) < 0 || (r = load_layers(s, rec, err)) < 0) {
                image_record_clear(rec);
                return r;
        }
        return 0;
}

int imagedb_list(struct image_store *s, struct image_record **recs, size_t *n, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        struct image_record *out = NULL;
        size_t count = 0, cap = 0;
        int r;

        if ((r = store_prepare(s, "SELECT " IMAGE_COLUMNS " FROM images ORDER BY created DESC, loaded DESC, id", &st,
                               err)) < 0)
                return r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                if (count == cap) {
                        cap = cap ? 2 * cap : 16;
                        out = xrealloc(out, cap * sizeof(*out));
                }
                memset(&out[count], 0, sizeof(out[count]));
                row_to_record(st, &out[count++]);
        }
        if (r != SQLITE_DONE) {
                image_records_free(out, count);
                return store_sql_fail(s, "list images", err);
        }
        for (size_t i = 0; i < count; i++) {
                if ((r = load_names(s, &out[i], err)) < 0 || (r = load_layers(s, &out[i], err)) < 0) {
                        image_records_free(out, count);
                        return r;
                }
        }
        *recs = out;
        *n = count;
        return 0;
}

static bool is_hex_prefix(const char *s)
{
        if (*s == '\0' || strlen(s) > DIGEST_HEX_LEN)
                return false;
        for (; *s; s++)
                if (!isxdigit((unsigned char) *s) || isupper((unsigned char) *s))
                        return false;
        return true;
}

static int resolve_id_prefix(struct image_store *s, const char *hex, char **id_out, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        cleanup_free char *pattern = xasprintf("sha256:%s*", hex);
        int r;

        if ((r = store_prepare(s, "SELECT id FROM images WHERE id GLOB ? LIMIT 2", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, pattern, -1, SQLITE_STATIC);
        r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return -ENOENT;
        if (r != SQLITE_ROW)
                return store_sql_fail(s, "find image", err);
        *id_out = column_dup(st, 0);
        if (sqlite3_step(st) == SQLITE_ROW) {
                free(*id_out);
                *id_out = NULL;
                return berth_failf(err, EINVAL, "image ID prefix %s is ambiguous", hex);
        }
        return 0;
}

static int resolve_name(struct image_store *s, const struct image_ref *ref, char **id_out, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        cleanup_free char *repo = image_ref_repository(ref);
        int r;

        if (ref->digest != NULL) {
                /* name@digest: an image of that repository whose manifest has that digest, or one recorded under
                 * exactly that name: a pull by the digest of an index records REPO@INDEX_DIGEST, while the
                 * image's own manifest is the platform's. */
                if ((r = store_prepare(s,
                                       "SELECT i.id FROM images i WHERE (i.manifest_digest = ?1 AND EXISTS (SELECT 1 FROM"
                                       " names n WHERE n.image_id = i.id AND (n.name GLOB ?2 || ':*' OR n.name = ?2 ||"
                                       " '@' || ?1))) OR EXISTS (SELECT 1 FROM names n WHERE n.image_id = i.id AND"
                                       " n.name = ?2 || '@' || ?1) LIMIT 1",
                                       &st, err)) < 0)
                        return r;
                sqlite3_bind_text(st, 1, ref->digest, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, repo, -1, SQLITE_STATIC);
        } else {
                cleanup_free char *name = image_ref_string(ref);
                if ((r = store_prepare(s, "SELECT image_id FROM names WHERE name = ?", &st, err)) < 0)
                        return r;
                sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        }
        r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return -ENOENT;
        if (r != SQLITE_ROW)
                return store_sql_fail(s, "find image", err);
        *id_out = column_dup(st, 0);
        return 0;
}

int imagedb_resolve(struct image_store *s, const char *ref, char **id_out, char **name_out, berth_error *err)
{
        cleanup_image_ref struct image_ref parsed = {0};
        berth_error perr = {0};
        int r;

        *id_out = NULL;
        if (name_out != NULL)
                *name_out = NULL;
        if (str_has_prefix(ref, "sha256:")) {
                if (!is_hex_prefix(ref + 7))
                        return berth_failf(err, EINVAL, "invalid image ID %s", ref);
                r = resolve_id_prefix(s, ref + 7, id_out, err);
                return r == -ENOENT ? berth_failf(err, ENOENT, "No such image: %s", ref) : r;
        }
        if (image_ref_parse(ref, true, &parsed, &perr) == 0) {
                r = resolve_name(s, &parsed, id_out, err);
                if (r != -ENOENT) {
                        if (r == 0 && name_out != NULL && parsed.digest == NULL)
                                *name_out = image_ref_string(&parsed);
                        berth_error_clear(&perr);
                        return r;
                }
        }
        /* docker tries a name first, then an ID prefix ("abc" could be either). */
        if (is_hex_prefix(ref)) {
                r = resolve_id_prefix(s, ref, id_out, err);
                if (r != -ENOENT) {
                        berth_error_clear(&perr);
                        return r;
                }
        }
        if (perr.code != 0) {
                r = berth_failf(err, perr.code, "%s", berth_error_message(&perr));
                berth_error_clear(&perr);
                return r;
        }
        return berth_failf(err, ENOENT, "No such image: %s", ref);
}

static int count_rows(struct image_store *s, const char *sql, const char *arg, int64_t *out, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(s, sql, &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
                return store_sql_fail(s, "count", err);
        *out = sqlite3_column_int64(st, 0);
        return 0;
}

int imagedb_users(struct image_store *s, const char *id, int64_t *containers, int64_t *snapshots, berth_error *err)
{
        int r;

        if ((r = count_rows(s, "SELECT count(*) FROM containers WHERE image_id = ?", id, containers, err)) < 0)
                return r;
        return count_rows(s, "SELECT count(*) FROM snapshots WHERE image_id = ?", id, snapshots, err);
}

static int delete_tx(struct image_store *s, void *data, berth_error *err)
{
        const char *id = data;
        cleanup_stmt sqlite3_stmt *st = NULL;
        int64_t containers = 0, snapshots = 0;
        int r;

        if ((r = imagedb_users(s, id, &containers, &snapshots, err)) < 0)
                return r;
        if (containers > 0)
                return berth_failf(err, EBUSY, "image %.19s is being used by %lld container(s)", digest_hex(id),
                                   (long long) containers);
        if (snapshots > 0)
                return berth_failf(err, EBUSY, "image %.19s is mounted (berth image unmount)", digest_hex(id));
        if ((r = store_prepare(s, "DELETE FROM images WHERE id = ?", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_fail(s, "delete image", err);
        return 0;
}

int imagedb_delete(struct image_store *s, const char *id, berth_error *err)
{
        return store_transaction(s, delete_tx, (void *) id, err);
}

static int collect_strings(struct image_store *s, const char *sql, const char *arg, char ***out, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        char **v = xzalloc(sizeof(char *));
        int r;

        if ((r = store_prepare(s, sql, &st, err)) < 0) {
                strv_free(v);
                return r;
        }
        if (arg != NULL)
                sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
        while ((r = sqlite3_step(st)) == SQLITE_ROW)
                v = strv_append(v, (const char *) sqlite3_column_text(st, 0));
        if (r != SQLITE_DONE) {
                strv_free(v);
                return store_sql_fail(s, "query", err);
        }
        *out = v;
        return 0;
}

int imagedb_unused_layers(struct image_store *s, char ***diff_ids, berth_error *err)
{
        return collect_strings(s,
                               "SELECT diff_id FROM layers l WHERE NOT EXISTS (SELECT 1 FROM image_layers il WHERE"
                               " il.diff_id = l.diff_id)",
                               NULL, diff_ids, err);
}

int imagedb_layer_list(struct image_store *s, char ***diff_ids, berth_error *err)
{
        return collect_strings(s, "SELECT diff_id FROM layers ORDER BY diff_id", NULL, diff_ids, err);
}

int imagedb_blob_in_use(struct image_store *s, const char *digest, bool *used, berth_error *err)
{
        int64_t n = 0;
        int r = count_rows(s,
                           "SELECT (SELECT count(*) FROM images WHERE id = ?1 OR manifest_digest = ?1) + (SELECT"
                           " count(*) FROM image_layers WHERE blob_digest = ?1)",
                           digest, &n, err);
        *used = n > 0;
        return r;
}

int imagedb_layer_get(struct image_store *s, const char *diff_id, char **link, int64_t *size, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(s, "SELECT link, size FROM layers WHERE diff_id = ?", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, diff_id, -1, SQLITE_STATIC);
        r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return -ENOENT;
        if (r != SQLITE_ROW)
                return store_sql_fail(s, "read layer", err);
        if (link != NULL)
                *link = column_dup(st, 0);
        if (size != NULL)
                *size = sqlite3_column_int64(st, 1);
        return 0;
}

int imagedb_layer_put(struct image_store *s, const char *diff_id, const char *link, int64_t size, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(s, "INSERT OR IGNORE INTO layers(diff_id, link, size, created) VALUES(?,?,?,?)", &st,
                               err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, diff_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, link, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, size);
        sqlite3_bind_int64(st, 4, (int64_t) time(NULL));
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_fail(s, "add layer", err);
        return 0;
}

int imagedb_layer_delete(struct image_store *s, const char *diff_id, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(s, "DELETE FROM layers WHERE diff_id = ?", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, diff_id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_fail(s, "delete layer", err);
        return 0;
}
