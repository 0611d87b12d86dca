#include "engine/diskusage.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "engine/db.h"
#include "engine/imageinfo.h"
#include "engine/list.h"
#include "engine/summary.h"
#include "engine/volumes.h"
#include "image/fsutil.h"
#include "image/gc.h"
#include "image/imagedb.h"
#include "image/snapshot.h"

/* The bytes of a container's writable layer (0 when it has none on disk). */
static uint64_t writable_layer_size(struct engine *e, const char *id)
{
        struct snapshot_paths paths = {0};
        berth_error ignored = {0};
        uint64_t size = 0;

        if (snapshot_paths_get(e->store, id, &paths, &ignored) < 0 || fs_tree_size_at(AT_FDCWD, paths.upper, &size, &ignored) < 0)
                size = 0;
        berth_error_clear(&ignored);
        snapshot_paths_clear(&paths);
        return size;
}

static int containers_usage(struct engine *e, struct engine_disk_usage *u, berth_error *err)
{
        struct engine_list_options all = {.all = true, .last = -1};
        struct engine_container **list = NULL;
        size_t n = 0;
        int r;

        if ((r = engine_container_list(e, &all, &list, &n, err)) < 0)
                return r;
        u->containers = json_array();
        for (size_t i = 0; i < n; i++) {
                const struct engine_container *c = list[i];
                json_t *summary = engine_container_summary(e, c);
                uint64_t rw = writable_layer_size(e, c->id);
                bool running = c->status == ENGINE_RUNNING || c->status == ENGINE_PAUSED;
                json_int_t image_size = 0;
                size_t k;
                json_t *img;

                json_array_foreach(u->images, k, img) {
                        if (c->image_id != NULL && strcmp(json_string_value(json_object_get(img, "Id")) ?: "", c->image_id) == 0) {
                                image_size = json_integer_value(json_object_get(img, "Size"));
                                json_object_set_new(img, "Containers",
                                                    json_integer(json_integer_value(json_object_get(img, "Containers")) + 1));
                        }
                }
                json_object_set_new(summary, "SizeRw", json_integer((json_int_t) rw));
                json_object_set_new(summary, "SizeRootFs", json_integer((json_int_t) rw + image_size));
                json_array_append_new(u->containers, summary);
                u->container_totals.total++;
                u->container_totals.size += rw;
                if (running)
                        u->container_totals.active++;
                else
                        u->container_totals.reclaimable += rw;
        }
        engine_container_list_free(list, n);
        return 0;
}

static int volumes_usage(struct engine *e, struct engine_disk_usage *u, berth_error *err)
{
        struct engine_volume *list = NULL;
        size_t n = 0;
        int r;

        if ((r = engine_volume_list(e, &list, &n, err)) < 0)
                return r;
        u->volumes = json_array();
        for (size_t i = 0; i < n; i++) {
                cleanup_free char *dir = xasprintf("volumes/%s/_data", list[i].name);
                berth_error ignored = {0};
                char **users = NULL;
                uint64_t size = 0, refs = 0;
                json_t *v = engine_volume_json(e, &list[i]);

                if (fs_tree_size_at(e->store->rootfd, dir, &size, &ignored) < 0)
                        size = 0;
                if (engine_db_volume_users(e, list[i].name, &users, &ignored) == 0)
                        refs = strv_length(users);
                berth_error_clear(&ignored);
                strv_free(users);
                json_object_set_new(v, "UsageData", json_pack("{s:I,s:I}", "Size", (json_int_t) size, "RefCount", (json_int_t) refs));
                json_array_append_new(u->volumes, v);
                u->volume_totals.total++;
                u->volume_totals.size += size;
                if (refs > 0)
                        u->volume_totals.active++;
                else
                        u->volume_totals.reclaimable += size;
        }
        for (size_t i = 0; i < n; i++)
                engine_volume_clear(&list[i]);
        free(list);
        return 0;
}

/* docker's SharedSize: the bytes of an image's layers that another image has too. */
static int set_shared_sizes(struct engine *e, json_t *images, berth_error *err)
{
        struct image_record *recs = NULL;
        size_t n = 0, k;
        json_t *img;
        int r;

        if ((r = imagedb_list(e->store, &recs, &n, err)) < 0)
                return r;
        json_array_foreach(images, k, img) {
                const char *id = json_string_value(json_object_get(img, "Id")) ?: "";
                json_int_t shared = 0;
                for (size_t i = 0; i < n; i++) {
                        if (strcmp(recs[i].id, id) != 0)
                                continue;
                        for (size_t l = 0; l < recs[i].n_layers; l++) {
                                bool elsewhere = false;
                                for (size_t j = 0; j < n && !elsewhere; j++)
                                        for (size_t m = 0; j != i && m < recs[j].n_layers && !elsewhere; m++)
                                                elsewhere = strcmp(recs[j].layers[m].diff_id, recs[i].layers[l].diff_id) == 0;
                                if (elsewhere)
                                        shared += recs[i].layers[l].size;
                        }
                }
                json_object_set_new(img, "SharedSize", json_integer(shared));
        }
        image_records_free(recs, n);
        return 0;
}

int engine_disk_usage(struct engine *e, struct engine_disk_usage *out, berth_error *err)
{
        struct store_usage su;
        size_t k;
        json_t *img;
        int r;

        *out = (struct engine_disk_usage){0};
        if ((r = store_usage(e->store, &su, err)) < 0 || (r = engine_image_summaries(e, &out->images, err)) < 0)
                goto fail;
        /* Containers counts the users of each image below (the list's summaries say -1: not counted). */
        json_array_foreach(out->images, k, img) json_object_set_new(img, "Containers", json_integer(0));
        if ((r = set_shared_sizes(e, out->images, err)) < 0 || (r = containers_usage(e, out, err)) < 0 ||
            (r = volumes_usage(e, out, err)) < 0)
                goto fail;
        out->layers_size = su.images_size;
        out->image_totals = (struct engine_usage_totals){.total = su.images, .active = su.active_images,
                                                         .size = su.images_size, .reclaimable = su.reclaimable};
        return 0;
fail:
        engine_disk_usage_clear(out);
        return r;
}

void engine_disk_usage_clear(struct engine_disk_usage *u)
{
        json_decref(u->images);
        json_decref(u->containers);
        json_decref(u->volumes);
        *u = (struct engine_disk_usage){0};
}
