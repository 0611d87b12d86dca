#include "engine/imageinfo.h"

#include <string.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "engine/logs.h"
#include "image/commit.h"
#include "image/digest.h"
#include "image/imagedb.h"
#include "image/layer.h"
#include "image/manifest.h"
#include "image/reference.h"

void engine_image_split_name(const char *stored, char **repository, char **tag)
{
        const char *at = strchr(stored, '@');
        const char *slash = strrchr(stored, '/');
        const char *colon = strrchr(slash ? slash : stored, ':');
        cleanup_free char *repo = NULL;

        if (at != NULL && (colon == NULL || colon > at))
                colon = NULL;
        if (colon != NULL) {
                repo = xstrndup(stored, (size_t) (colon - stored));
                *tag = at ? xstrndup(colon + 1, (size_t) (at - colon - 1)) : xstrdup(colon + 1);
        } else {
                repo = at ? xstrndup(stored, (size_t) (at - stored)) : xstrdup(stored);
                *tag = xstrdup("<none>");
        }
        *repository = reference_familiar_name(repo);
}

char *engine_image_display_name(const char *stored)
{
        cleanup_free char *repo = NULL, *tag = NULL;

        engine_image_split_name(stored, &repo, &tag);
        return xasprintf("%s:%s", repo, tag);
}

static json_t *graph_driver(struct image_store *s, const struct image_record *rec)
{
        json_t *data = json_object();
        char *lower = xstrdup("");

        for (size_t i = rec->n_layers; i-- > 0;) {
                cleanup_free char *dir = xasprintf("%s/layers/%s/diff", s->root, digest_hex(rec->layers[i].diff_id));
                char *n = xasprintf("%s%s%s", lower, lower[0] ? ":" : "", dir);
                free(lower);
                lower = n;
        }
        json_object_set_new(data, "LowerDir", json_string(lower));
        free(lower);
        return json_pack("{s:o, s:s}", "Data", data, "Name", strcmp(s->driver, "overlay") == 0 ? "overlay2" : "vfs");
}

json_t *engine_image_inspect_id(struct image_store *s, const char *id, berth_error *err)
{
        cleanup_image_record struct image_record rec = {0};
        cleanup_config struct image_config cfg = {0};
        json_t *tags = json_array(), *digests = json_array(), *layers = json_array(), *out;
        json_t *config;

        if (imagedb_get(s, id, &rec, err) < 0 || image_config_read(s, id, &cfg, err) < 0) {
                json_decref(tags);
                json_decref(digests);
                json_decref(layers);
                return NULL;
        }
        for (char **n = rec.names; *n; n++) {
                cleanup_free char *repo = NULL, *tag = NULL, *display = engine_image_display_name(*n);
                cleanup_free char *rd = NULL;
                engine_image_split_name(*n, &repo, &tag);
                json_array_append_new(tags, json_string(display));
                rd = xasprintf("%s@%s", repo, rec.manifest_digest);
                bool seen = false;
                for (size_t i = 0; i < json_array_size(digests); i++)
                        seen |= strcmp(json_string_value(json_array_get(digests, i)), rd) == 0;
                if (!seen)
                        json_array_append_new(digests, json_string(rd));
        }
        for (size_t i = 0; i < rec.n_layers; i++)
                json_array_append_new(layers, json_string(rec.layers[i].diff_id));
        config = json_object_get(cfg.json, "config");
        out = json_pack("{s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:I, s:o, s:{s:s, s:o}, s:{s:s}}",
                        "Id", rec.id, "RepoTags", tags, "RepoDigests", digests, "Parent", "", "Comment",
                        /* The config's own comment (commit's message), else the first history entry's (import's). */
                        json_string_value(json_object_get(cfg.json, "comment"))
                                ?: json_string_value(json_object_get(json_array_get(json_object_get(cfg.json, "history"), 0), "comment"))
                                ?: "",
                        "Created", cfg.created, "DockerVersion",
                        json_string_value(json_object_get(cfg.json, "docker_version")) ?: "", "Author", cfg.author,
                        "Config", config ? config : json_null(), "Architecture", cfg.architecture, "Os", cfg.os, "Size",
                        (json_int_t) rec.size, "GraphDriver", graph_driver(s, &rec), "RootFS", "Type", "layers",
                        "Layers", layers, "Metadata", "LastTagTime", "0001-01-01T00:00:00Z");
        if (out != NULL && cfg.variant != NULL)
                json_object_set_new(out, "Variant", json_string(cfg.variant));
        return out;
}

int engine_image_inspect(struct engine *e, const char *ref, json_t **out, berth_error *err)
{
        cleanup_free char *id = NULL;
        int r;

        if ((r = imagedb_resolve(e->store, ref, &id, NULL, err)) < 0)
                return r;
        *out = engine_image_inspect_id(e->store, id, err);
        return *out != NULL ? 0 : -(err->code ? err->code : EIO);
}

int engine_image_summaries(struct engine *e, json_t **out, berth_error *err)
{
        struct image_record *recs = NULL;
        size_t n = 0;
        int r;

        if ((r = imagedb_list(e->store, &recs, &n, err)) < 0)
                return r;
        *out = json_array();
        for (size_t i = 0; i < n; i++) {
                cleanup_config struct image_config cfg = {0};
                berth_error ignored = {0};
                json_t *tags = json_array(), *digests = json_array(), *labels = NULL;
                double created;

                if (image_config_read(e->store, recs[i].id, &cfg, &ignored) == 0)
                        labels = json_object_get(json_object_get(cfg.json, "config"), "Labels");
                berth_error_clear(&ignored);
                for (char **nm = recs[i].names; nm && *nm; nm++) {
                        cleanup_free char *repo = NULL, *tag = NULL, *display = engine_image_display_name(*nm);
                        cleanup_free char *rd = NULL;
                        bool seen = false;
                        engine_image_split_name(*nm, &repo, &tag);
                        json_array_append_new(tags, json_string(display));
                        if (recs[i].manifest_digest == NULL || *recs[i].manifest_digest == '\0')
                                continue;
                        rd = xasprintf("%s@%s", repo, recs[i].manifest_digest);
                        for (size_t k = 0; k < json_array_size(digests); k++)
                                seen |= strcmp(json_string_value(json_array_get(digests, k)), rd) == 0;
                        if (!seen)
                                json_array_append_new(digests, json_string(rd));
                }
                created = engine_log_time(cfg.created && *cfg.created ? cfg.created : (recs[i].created ?: ""));
                json_array_append_new(*out, json_pack("{s:s,s:s,s:o,s:o,s:I,s:I,s:I,s:o,s:I}", "Id", recs[i].id, "ParentId", "",
                                                      "RepoTags", tags, "RepoDigests", digests, "Created",
                                                      (json_int_t) (created > 0 ? created : 0), "Size",
                                                      (json_int_t) recs[i].size, "SharedSize", (json_int_t) -1, "Labels",
                                                      json_is_object(labels) ? json_incref(labels) : json_object(),
                                                      "Containers", (json_int_t) -1));
        }
        image_records_free(recs, n);
        return 0;
}

int engine_image_history(struct image_store *s, const char *ref, struct engine_history_entry **out, size_t *n,
                         berth_error *err)
{
        cleanup_free char *id = NULL;
        cleanup_image_record struct image_record rec = {0};
        cleanup_config struct image_config cfg = {0};
        struct engine_history_entry *list;
        json_t *history;
        size_t layer = 0, count;
        int r;

        *out = NULL;
        *n = 0;
        if ((r = imagedb_resolve(s, ref, &id, NULL, err)) < 0 || (r = imagedb_get(s, id, &rec, err)) < 0 ||
            (r = image_config_read(s, id, &cfg, err)) < 0)
                return r;
        history = json_object_get(cfg.json, "history");
        count = json_array_size(history);
        /* The non-empty history entries are the layers, in order: counted first, then given out newest first. */
        for (size_t i = 0; i < count; i++)
                if (!json_is_true(json_object_get(json_array_get(history, i), "empty_layer")))
                        layer++;
        list = xzalloc((count ? count : 1) * sizeof(*list));
        for (size_t k = count, i = 0; k-- > 0; i++) {
                json_t *h = json_array_get(history, k);
                const char *created = json_string_value(json_object_get(h, "created"));
                const char *by = json_string_value(json_object_get(h, "created_by"));
                const char *comment = json_string_value(json_object_get(h, "comment"));
                struct engine_history_entry *entry = &list[i];

                entry->id = xstrdup(k == count - 1 ? rec.id : "<missing>");
                entry->created = created ? xstrdup(created) : NULL;
                entry->created_by = xstrdup(by ? by : "");
                entry->comment = xstrdup(comment ? comment : "");
                if (!json_is_true(json_object_get(h, "empty_layer")) && layer > 0 && --layer < rec.n_layers)
                        entry->size = rec.layers[layer].size;
                if (k == count - 1)
                        entry->tags = strv_dup(rec.names);
        }
        *out = list;
        *n = count;
        return 0;
}

void engine_image_history_free(struct engine_history_entry *h, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(h[i].id);
                free(h[i].created);
                free(h[i].created_by);
                free(h[i].comment);
                strv_free(h[i].tags);
        }
        free(h);
}
