/* Containers as a set (list.h). The one "list, then refresh each" loop: ps, stats, prune and the API's
 * container list all read state through it. */
#include "engine/list.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "engine/db.h"
#include "engine/events.h"
#include "engine/health.h"
#include "engine/lifecycle.h"
#include "image/fsutil.h"
#include "image/imagedb.h"
#include "image/snapshot.h"
#include "lib/cleanup.h"
#include "lib/util.h"

int engine_container_resolve(struct engine *e, const char *ref, char **id_out, berth_error *err)
{
        return engine_db_resolve(e, ref, id_out, err);
}

int engine_container_find(struct engine *e, const char *ref, struct engine_container **out, berth_error *err)
{
        cleanup_free char *id = NULL;
        int r;

        if ((r = engine_db_resolve(e, ref, &id, err)) < 0)
                return r;
        return engine_container_load(e, id, out, err);
}

static const char *const FILTER_KEYS[] = {"status", "name", "label", "ancestor", "id", "health"};

int engine_list_filters_check(char *const *filters, berth_error *err)
{
        static const char *const statuses[] = {"created", "restarting", "running", "removing", "paused", "exited", "dead"};

        for (char *const *f = filters; f && *f; f++) {
                const char *eq = strchr(*f, '=');
                bool known = false;
                if (eq == NULL)
                        return berth_failf(err, EINVAL, "bad format of filter (expected name=value): %s", *f);
                for (size_t k = 0; k < ARRAY_SIZE(FILTER_KEYS); k++)
                        known |= strlen(FILTER_KEYS[k]) == (size_t) (eq - *f) && strncmp(*f, FILTER_KEYS[k], (size_t) (eq - *f)) == 0;
                if (!known)
                        return berth_failf(err, EINVAL, "invalid filter '%.*s'", (int) (eq - *f), *f);
                if (str_has_prefix(*f, "status=")) {
                        known = false;
                        for (size_t i = 0; i < ARRAY_SIZE(statuses); i++)
                                known |= strcmp(eq + 1, statuses[i]) == 0;
                        if (!known)
                                return berth_failf(err, EINVAL, "invalid filter 'status=%s'", eq + 1);
                }
                if (str_has_prefix(*f, "health=") && strcmp(eq + 1, "starting") != 0 && strcmp(eq + 1, "healthy") != 0 &&
                    strcmp(eq + 1, "unhealthy") != 0 && strcmp(eq + 1, "none") != 0)
                        return berth_failf(err, EINVAL, "Unrecognised filter value for health: %s", eq + 1);
        }
        return 0;
}

static bool filter_value_matches(struct engine *e, size_t key, const struct engine_container *c, const char *v)
{
        switch (key) {
        case 0:
                return strcmp(v, engine_status_name(c->status)) == 0;
        case 1: {
                regex_t re;
                bool ok = false;
                if (regcomp(&re, v, REG_EXTENDED | REG_NOSUB) == 0) {
                        ok = regexec(&re, c->name, 0, NULL, 0) == 0;
                        regfree(&re);
                }
                return ok;
        }
        case 2:
                return engine_labels_match(json_object_get(c->config, "Labels"), v);
        case 3: {
                cleanup_free char *image = NULL;
                berth_error ignored = {0};
                bool ok = strcmp(v, c->image_ref) == 0 ||
                          (imagedb_resolve(e->store, v, &image, NULL, &ignored) == 0 && strcmp(image, c->image_id) == 0);
                berth_error_clear(&ignored);
                return ok;
        }
        case 4:
                return str_has_prefix(c->id, v);
        default: {
                /* docker: a container without a health check (or not running) is "none". */
                const char *h = engine_container_health_status(e, c);
                return strcmp(v, h ? h : "none") == 0;
        }
        }
}

/* Filters of the same key are ORed, different keys ANDed (docker's filters.Args), except labels: every label
 * asked for must be there (Args.MatchKVList), which compose relies on (project AND service AND oneoff). */
static bool filters_match(struct engine *e, const struct engine_container *c, char *const *filters)
{
        for (size_t k = 0; k < ARRAY_SIZE(FILTER_KEYS); k++) {
                bool seen = false, any = false, all = true;
                size_t klen = strlen(FILTER_KEYS[k]);
                for (char *const *f = filters; f && *f; f++) {
                        bool m;
                        if (strncmp(*f, FILTER_KEYS[k], klen) != 0 || (*f)[klen] != '=')
                                continue;
                        seen = true;
                        m = filter_value_matches(e, k, c, *f + klen + 1);
                        any |= m;
                        all &= m;
                }
                if (seen && !(strcmp(FILTER_KEYS[k], "label") == 0 ? all : any))
                        return false;
        }
        return true;
}

static bool is_up(const struct engine_container *c)
{
        return c->status == ENGINE_RUNNING || c->status == ENGINE_PAUSED || c->status == ENGINE_RESTARTING;
}

static bool selected(struct engine *e, const struct engine_list_options *o, const struct engine_container *c)
{
        if (!o->all && o->last < 0 && !is_up(c)) {
                /* docker: a status filter shows containers of that status even without -a. */
                bool status_filter = false;
                for (char *const *f = o->filters; f && *f; f++)
                        status_filter |= str_has_prefix(*f, "status=");
                if (!status_filter)
                        return false;
        }
        return filters_match(e, c, o->filters);
}

int engine_container_list(struct engine *e, const struct engine_list_options *opts, struct engine_container ***out,
                          size_t *n_out, berth_error *err)
{
        static const struct engine_list_options every = {.all = true, .last = -1};
        const struct engine_list_options *o = opts ? opts : &every;
        struct engine_container **list = NULL;
        size_t n = 0, kept = 0;
        int r;

        if ((r = engine_list_filters_check(o->filters, err)) < 0)
                return r;
        if ((r = engine_db_list(e, &list, &n, err)) < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                berth_error ignored = {0};
                /* -n counts the last containers created, whatever their state (docker). */
                if (o->last >= 0 && i >= (size_t) o->last) {
                        engine_container_free(list[i]);
                        continue;
                }
                /* A record that cannot be refreshed is shown as it was recorded. */
                engine_container_refresh(e, list[i], &ignored);
                berth_error_clear(&ignored);
                if (!selected(e, o, list[i])) {
                        engine_container_free(list[i]);
                        continue;
                }
                list[kept++] = list[i];
        }
        *out = list;
        *n_out = kept;
        return 0;
}

int engine_container_prune(struct engine *e, const struct engine_prune_filter *f, char ***ids, uint64_t *reclaimed,
                           void (*warn)(const berth_error *err, void *data), void *data, berth_error *err)
{
        struct engine_container **list = NULL;
        char **removed = xzalloc(sizeof(char *));
        size_t n = 0;
        int r;

        if ((r = engine_container_list(e, NULL, &list, &n, err)) < 0) {
                free(removed);
                return r;
        }
        *reclaimed = 0;
        for (size_t i = 0; i < n; i++) {
                berth_error e2 = {0};
                struct snapshot_paths paths = {0};
                uint64_t size = 0;
                if (list[i]->status != ENGINE_EXITED && list[i]->status != ENGINE_DEAD && list[i]->status != ENGINE_CREATED)
                        continue;
                if (!engine_prune_filter_match(f, json_object_get(list[i]->config, "Labels"), list[i]->created))
                        continue;
                /* The writable layer's bytes, measured before it goes (none: 0). */
                if (snapshot_paths_get(e->store, list[i]->id, &paths, &e2) < 0 ||
                    fs_tree_size_at(AT_FDCWD, paths.upper, &size, &e2) < 0) {
                        berth_error_clear(&e2);
                        size = 0;
                }
                snapshot_paths_clear(&paths);
                if (engine_container_remove(e, list[i]->id, false, false, &e2) < 0) {
                        if (warn != NULL)
                                warn(&e2, data);
                        berth_error_clear(&e2);
                        continue;
                }
                removed = strv_append(removed, list[i]->id);
                *reclaimed += size;
        }
        engine_container_list_free(list, n);
        *ids = removed;
        engine_event_prune(e->store->root, "container", *reclaimed);
        return 0;
}
