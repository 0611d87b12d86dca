/* Load, import, save, pull and push as engine operations (images.h): the image store's archive side and the
 * registry client, with docker's events. Only in libberth-engine-registry (libarchive, libcurl). */
#include "engine/images.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/events.h"
#include "image/imagedb.h"
#include "image/reference.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "registry/registry.h"

int engine_image_load(struct engine *e, int fd, const char *what, const char *platform, struct load_result *res,
                      berth_error *err)
{
        int r;

        if ((r = store_lock(e->store, STORE_LOCK_SHARED, err)) < 0 ||
            (r = image_load(e->store, fd, what, platform, res, err)) < 0)
                return r;
        /* docker: a load event per image (its ID; berth names it by its first name when it has one). */
        for (size_t i = 0; i < res->n; i++) {
                const char *first = res->images[i].names[0];
                engine_event_image(e->store->root, "load", res->images[i].id, first ? first : res->images[i].id);
        }
        return 0;
}

int engine_image_import(struct engine *e, int fd, const struct import_options *o, char **id_out, berth_error *err)
{
        int r;

        if ((r = store_lock(e->store, STORE_LOCK_SHARED, err)) < 0 || (r = image_import(e->store, fd, o, id_out, err)) < 0)
                return r;
        engine_event_image(e->store->root, "import", *id_out, *id_out);
        return 0;
}

int engine_image_save(struct engine *e, char *const *refs, size_t n, enum save_format format, int fd,
                      berth_error *err)
{
        struct save_item *items = xzalloc((n ? n : 1) * sizeof(*items));
        size_t got = 0;
        int r;

        if ((r = store_lock(e->store, STORE_LOCK_SHARED, err)) < 0)
                goto out;
        for (; got < n; got++)
                if ((r = imagedb_resolve(e->store, refs[got], &items[got].id, &items[got].name, err)) < 0)
                        goto out;
        if ((r = image_save(e->store, items, n, format, fd, err)) < 0)
                goto out;
        /* docker: a save event per image once the archive is written (the image ID as ID and name). */
        for (size_t i = 0; i < n; i++) {
                bool seen = false;
                for (size_t j = 0; j < i && !seen; j++)
                        seen = strcmp(items[i].id, items[j].id) == 0;
                if (!seen)
                        engine_event_image(e->store->root, "save", items[i].id, items[i].id);
        }
out:
        for (size_t i = 0; i < n; i++) {
                free(items[i].id);
                free(items[i].name);
        }
        free(items);
        return r;
}

int engine_image_pull(struct engine *e, const char *name, const struct registry_options *o,
                      struct registry_pull_result **results, size_t *n, berth_error *err)
{
        struct registry_options ro = *o;
        int r;

        if (ro.store_root == NULL)
                ro.store_root = e->store->root;
        if ((r = store_lock(e->store, STORE_LOCK_SHARED, err)) < 0 ||
            (r = registry_pull(e->store, name, &ro, results, n, err)) < 0)
                return r;
        for (size_t i = 0; i < *n; i++)
                engine_event_image_reference(e->store->root, "pull", (*results)[i].name);
        return 0;
}

int engine_image_push(struct engine *e, const char *name, const struct registry_options *o,
                      struct registry_push_result **results, size_t *n, berth_error *err)
{
        cleanup_image_ref struct image_ref ref = {0};
        struct registry_options ro = *o;
        int r;

        if (ro.store_root == NULL)
                ro.store_root = e->store->root;
        if ((r = store_lock(e->store, STORE_LOCK_SHARED, err)) < 0 ||
            (r = registry_push(e->store, name, &ro, results, n, err)) < 0)
                return r;
        /* docker: a push event per tag pushed, named as pull's (the reference with that tag). */
        if (image_ref_parse(name, true, &ref, NULL) < 0)
                return 0;
        for (size_t i = 0; i < *n; i++) {
                cleanup_free char *pushed = NULL;
                free(ref.tag);
                ref.tag = xstrdup((*results)[i].tag);
                free(ref.digest);
                ref.digest = NULL;
                pushed = image_ref_string(&ref);
                engine_event_image_reference(e->store->root, "push", pushed);
        }
        return 0;
}
