/* The build cache's records (cache.h): one small file per key and one marker per intermediate image, under
 * the image store's directory, each written atomically. */
#include "build/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/fsutil.h"
#include "image/gc.h"
#include "image/imagedb.h"
#include "lib/cleanup.h"
#include "lib/util.h"

static char *cache_path(struct image_store *s, const char *kind, const char *digest)
{
        const char *hex = strncmp(digest, "sha256:", 7) == 0 ? digest + 7 : digest;

        return xasprintf("%s/build-cache/%s/%s", s->root, kind, hex);
}

int build_cache_get(struct image_store *s, const char *key, char **image_id)
{
        cleanup_free char *path = cache_path(s, "keys", key), *text = NULL;
        struct image_record rec = {0};
        size_t len = 0;

        if (read_file_at(AT_FDCWD, path, &text, &len, NULL) < 0)
                return -ENOENT;
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
                text[--len] = '\0';
        if (!digest_is_valid(text) || imagedb_get(s, text, &rec, NULL) < 0) {
                unlink(path);
                return -ENOENT;
        }
        image_record_clear(&rec);
        *image_id = steal_pointer(&text);
        return 0;
}

int build_cache_put(struct image_store *s, const char *key, const char *image_id, bool hidden, berth_error *err)
{
        cleanup_free char *dir = xasprintf("%s/build-cache", s->root);
        cleanup_free char *keys = xasprintf("%s/keys", dir), *images = xasprintf("%s/images", dir);
        cleanup_free char *path = cache_path(s, "keys", key);
        int r;

        if ((r = mkdir_parents(keys, 0700, err)) < 0 || (r = mkdir_parents(images, 0700, err)) < 0)
                return r;
        if ((r = write_file_atomic_at(AT_FDCWD, path, image_id, strlen(image_id), 0600, false, err)) < 0)
                return r;
        if (hidden) {
                cleanup_free char *marker = cache_path(s, "images", image_id);
                if ((r = write_file_atomic_at(AT_FDCWD, marker, "", 0, 0600, false, err)) < 0)
                        return r;
        }
        return 0;
}

bool build_cache_hides(struct image_store *s, const char *image_id)
{
        cleanup_free char *marker = cache_path(s, "images", image_id);

        return access(marker, F_OK) == 0;
}

/* Every entry of STORE/build-cache/KIND, removed; for "images", each image removed first when it is kept
 * only by the cache. */
static int prune_dir(struct image_store *s, const char *kind, struct build_cache_prune_report *rep, berth_error *err)
{
        cleanup_free char *dir = xasprintf("%s/build-cache/%s", s->root, kind);
        cleanup_closedir DIR *d = opendir(dir);
        struct dirent *de;

        if (d == NULL)
                return errno == ENOENT ? 0 : berth_fail(err, errno, "open %s", dir);
        while ((de = readdir(d)) != NULL) {
                cleanup_free char *path = NULL;
                if (de->d_name[0] == '.')
                        continue;
                path = xasprintf("%s/%s", dir, de->d_name);
                if (strcmp(kind, "images") == 0) {
                        cleanup_free char *id = xasprintf("sha256:%s", de->d_name);
                        struct image_record rec = {0};
                        if (imagedb_get(s, id, &rec, NULL) == 0) {
                                bool named = rec.names != NULL && rec.names[0] != NULL;
                                image_record_clear(&rec);
                                if (!named) {
                                        struct removal_report rr = {0};
                                        berth_error ignored = {0};
                                        /* An image a container uses stays (the error says why; not ours). */
                                        if (image_remove(s, id, false, &rr, &ignored) == 0) {
                                                rep->images++;
                                                rep->reclaimed += rr.reclaimed;
                                        }
                                        removal_report_clear(&rr);
                                        berth_error_clear(&ignored);
                                }
                        }
                } else {
                        rep->entries++;
                }
                if (unlink(path) < 0 && errno != ENOENT)
                        return berth_fail(err, errno, "remove %s", path);
        }
        return 0;
}

int build_cache_prune(struct image_store *s, struct build_cache_prune_report *rep, berth_error *err)
{
        int r;

        memset(rep, 0, sizeof(*rep));
        if ((r = prune_dir(s, "keys", rep, err)) < 0 || (r = prune_dir(s, "images", rep, err)) < 0)
                return r;
        /* RUN --mount=type=cache directories go too, as docker's builder prune removes its cache mounts. */
        if (faccessat(s->rootfd, "build-cache/mounts", F_OK, 0) == 0)
                return fs_remove_tree_at(s->rootfd, "build-cache/mounts", err);
        return 0;
}

/* An image only the cache keeps: hidden and without a name. */
static bool cache_only(struct image_store *s, const struct image_record *rec)
{
        return (rec->names == NULL || rec->names[0] == NULL) && build_cache_hides(s, rec->id);
}

/* Each directory of build-cache/mounts: one record, its bytes. */
static int mounts_usage(struct image_store *s, uint64_t *entries, uint64_t *size, void (*each)(const struct build_cache_record *rec, void *data),
                        void *data, berth_error *err)
{
        cleanup_free char *dir = xasprintf("%s/build-cache/mounts", s->root);
        cleanup_closedir DIR *d = opendir(dir);
        struct dirent *de;
        int r;

        if (d == NULL)
                return errno == ENOENT ? 0 : berth_fail(err, errno, "open %s", dir);
        while ((de = readdir(d)) != NULL) {
                cleanup_free char *rel = NULL;
                uint64_t bytes = 0;
                if (de->d_name[0] == '.')
                        continue;
                rel = xasprintf("build-cache/mounts/%s", de->d_name);
                if ((r = fs_tree_size_at(s->rootfd, rel, &bytes, err)) < 0)
                        return r;
                *size += bytes;
                (*entries)++;
                if (each != NULL)
                        each(&(struct build_cache_record){.id = de->d_name, .type = "exec.cachemount", .size = bytes}, data);
        }
        return 0;
}

int build_cache_usage(struct image_store *s, uint64_t *entries, uint64_t *size,
                      void (*each)(const struct build_cache_record *rec, void *data), void *data, berth_error *err)
{
        struct image_record *recs = NULL;
        char **elsewhere = xzalloc(sizeof(char *)), **counted = xzalloc(sizeof(char *));
        size_t n = 0;
        int r;

        *entries = *size = 0;
        if ((r = imagedb_list(s, &recs, &n, err)) < 0)
                goto out;
        for (size_t i = 0; i < n; i++)
                if (!cache_only(s, &recs[i]))
                        for (size_t l = 0; l < recs[i].n_layers; l++)
                                if (!strv_contains(elsewhere, recs[i].layers[l].diff_id))
                                        elsewhere = strv_append(elsewhere, recs[i].layers[l].diff_id);
        for (size_t i = 0; i < n; i++) {
                uint64_t own = 0;
                if (!cache_only(s, &recs[i]))
                        continue;
                for (size_t l = 0; l < recs[i].n_layers; l++) {
                        const struct image_layer_record *layer = &recs[i].layers[l];
                        if (strv_contains(elsewhere, layer->diff_id) || strv_contains(counted, layer->diff_id))
                                continue;
                        counted = strv_append(counted, layer->diff_id);
                        own += layer->size > 0 ? (uint64_t) layer->size : 0;
                }
                *size += own;
                (*entries)++;
                if (each != NULL)
                        each(&(struct build_cache_record){.id = recs[i].id, .type = "regular", .created = recs[i].created,
                                                          .size = own},
                             data);
        }
        r = mounts_usage(s, entries, size, each, data, err);
out:
        image_records_free(recs, n);
        strv_free(elsewhere);
        strv_free(counted);
        return r;
}
