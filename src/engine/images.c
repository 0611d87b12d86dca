/* Tag, rmi and prune as engine operations (images.h): the store's operations with docker's events. */
#include "engine/images.h"

#include <errno.h>

#include "engine/events.h"
#include "image/imagedb.h"
#include "image/reference.h"
#include "lib/cleanup.h"
#include "lib/util.h"

int engine_image_tag(struct engine *e, const char *source, const char *target, char **id_out, berth_error *err)
{
        cleanup_image_ref struct image_ref ref = {0};
        cleanup_free char *id = NULL, *name = NULL;
        int r;

        if ((r = image_ref_parse(target, true, &ref, err)) < 0)
                return r;
        if (ref.digest != NULL)
                return berth_failf(err, EINVAL, "refusing to create a tag with a digest reference");
        name = image_ref_string(&ref);
        if ((r = store_lock(e->store, STORE_LOCK_SHARED, err)) < 0 ||
            (r = imagedb_resolve(e->store, source, &id, NULL, err)) < 0 || (r = imagedb_tag(e->store, name, id, err)) < 0)
                return r;
        engine_event_image(e->store->root, "tag", id, name);
        if (id_out != NULL)
                *id_out = steal_pointer(&id);
        return 0;
}

int engine_image_remove(struct engine *e, const char *ref, bool force, struct removal_report *rep, berth_error *err)
{
        cleanup_free char *id = NULL;
        int r;

        if ((r = store_lock(e->store, STORE_LOCK_EXCLUSIVE, err)) < 0)
                return r;
        /* The ID first: once removed, the name no longer resolves (the events name the image by its ID). */
        if (imagedb_resolve(e->store, ref, &id, NULL, NULL) < 0)
                id = NULL;
        r = image_remove(e->store, ref, force, rep, err);
        if (id != NULL)
                engine_event_image_removal(e->store->root, id, rep->untagged, rep->deleted);
        return r;
}

int engine_image_prune(struct engine *e, bool all, struct removal_report *rep, berth_error *err)
{
        struct image_record *before = NULL;
        size_t n = 0;
        int r;

        /* The records before: prune's report lists the names it untagged and the IDs it deleted, not which
         * name was whose. */
        if ((r = store_lock(e->store, STORE_LOCK_EXCLUSIVE, err)) < 0 || (r = imagedb_list(e->store, &before, &n, err)) < 0)
                return r;
        r = image_prune(e->store, all, rep, err);
        /* docker: each image removed is an untag per name and a delete, then the prune. */
        for (size_t i = 0; i < n; i++) {
                char *one[] = {before[i].id, NULL};
                if (!strv_contains(rep->deleted, before[i].id))
                        continue;
                engine_event_image_removal(e->store->root, before[i].id, before[i].names, one);
        }
        image_records_free(before, n);
        if (r == 0)
                engine_event_prune(e->store->root, "image", rep->reclaimed);
        return r;
}
