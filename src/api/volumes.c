/* /volumes: list, inspect, create, remove, each one engine operation (engine/volumes.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "api/api.h"
#include "engine/create.h"
#include "engine/volumes.h"

enum MHD_Result api_volume_list(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_strv char **filters = NULL;
        struct engine_volume *list = NULL;
        struct engine *e;
        size_t n = 0;
        json_t *vols;

        if (api_query_filters(req, &filters, &err) < 0 || api_engine(req, &e, &err) < 0 ||
            engine_volume_list(e, &list, &n, &err) < 0)
                return api_reply_error(req, &err);
        if (engine_volume_filter(e, list, &n, filters, &err) < 0) {
                for (size_t i = 0; i < n; i++)
                        engine_volume_clear(&list[i]);
                free(list);
                return api_reply_error(req, &err);
        }
        vols = json_array();
        for (size_t i = 0; i < n; i++) {
                json_array_append_new(vols, engine_volume_json(e, &list[i]));
                engine_volume_clear(&list[i]);
        }
        free(list);
        return api_reply_json(req, 200, json_pack("{s:o,s:[]}", "Volumes", vols, "Warnings"));
}

enum MHD_Result api_volume_inspect(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        struct engine_volume v = {0};
        struct engine *e;
        json_t *out;

        if (api_engine(req, &e, &err) < 0 || engine_volume_get(e, req->parts[1], &v, &err) < 0)
                return api_reply_error(req, &err);
        out = engine_volume_json(e, &v);
        engine_volume_clear(&v);
        return api_reply_json(req, 200, out);
}

enum MHD_Result api_volume_create(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_json json_t *body = NULL;
        cleanup_free char *name = NULL;
        struct engine_volume v = {0};
        const char *given, *driver;
        json_t *labels;
        struct engine *e;
        json_t *out;

        if (api_body_json(req, &body, &err) < 0)
                return api_reply_error(req, &err);
        if (body != NULL && !json_is_object(body))
                return api_reply_message(req, 400, "the volume's options must be a JSON object");
        given = json_string_value(json_object_get(body, "Name"));
        driver = json_string_value(json_object_get(body, "Driver"));
        if (driver != NULL && *driver != '\0' && strcmp(driver, "local") != 0)
                return api_reply_message(req, 400, "volume driver %s is not supported (only local)", driver);
        labels = json_object_get(body, "Labels");
        /* No name: an anonymous volume, named by 64 hex digits as docker names it. */
        name = given != NULL && *given != '\0' ? xstrdup(given) : engine_new_id();
        if (api_engine(req, &e, &err) < 0 ||
            engine_volume_create(e, name, json_is_object(labels) ? labels : NULL, given == NULL || *given == '\0', &err) < 0 ||
            engine_volume_get(e, name, &v, &err) < 0)
                return api_reply_error(req, &err);
        out = engine_volume_json(e, &v);
        engine_volume_clear(&v);
        return api_reply_json(req, 201, out);
}

enum MHD_Result api_volume_remove(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        struct engine *e;

        if (api_engine(req, &e, &err) < 0 || engine_volume_rm(e, req->parts[1], api_query_bool(req, "force", false), &err) < 0)
                return api_reply_error(req, &err);
        return api_reply_empty(req, 204);
}

/* docker volume prune: unused anonymous volumes, every unused one with all=true (`-a`). */
enum MHD_Result api_volume_prune(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_strv char **filters = NULL;
        cleanup_strv char **names = NULL;
        cleanup_strv char **others = xzalloc(sizeof(char *));
        struct engine_prune_filter f = {0};
        uint64_t reclaimed = 0;
        struct engine *e;
        bool all;
        json_t *deleted;
        int r;

        if (api_query_filters(req, &filters, &err) < 0)
                return api_reply_error(req, &err);
        all = api_filter_bool(filters, "all", false);
        /* all is the volume prune's own; label and label! the prune filter's (no until, as dockerd). */
        for (char **p = filters; p && *p; p++)
                if (strncmp(*p, "all=", 4) != 0)
                        others = strv_append(others, *p);
        if (engine_prune_filter_parse(others, false, &f, &err) < 0)
                return api_reply_error(req, &err);
        r = api_engine(req, &e, &err) < 0 ? -1 : engine_volume_prune(e, all, &f, &names, &reclaimed, &err);
        engine_prune_filter_clear(&f);
        if (r < 0)
                return api_reply_error(req, &err);
        deleted = names && names[0] ? json_array() : json_null();
        for (char **n = names; n && *n; n++)
                json_array_append_new(deleted, json_string(*n));
        return api_reply_json(req, 200, json_pack("{s:o,s:I}", "VolumesDeleted", deleted, "SpaceReclaimed",
                                                  (json_int_t) reclaimed));
}
