/* /networks: list (docker's filters), inspect, create, remove, connect, disconnect, prune; each one engine
 * operation (engine/network.h), the bodies decoded by request.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "api/api.h"
#include "api/request.h"
#include "engine/network.h"

enum MHD_Result api_network_list(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_strv char **filters = NULL;
        struct engine *e;
        json_t *all = NULL;

        if (api_query_filters(req, &filters, &err) < 0 || api_engine(req, &e, &err) < 0 ||
            engine_network_list(e, &all, &err) < 0)
                return api_reply_error(req, &err);
        if (engine_network_filter(all, filters, &err) < 0) {
                json_decref(all);
                return api_reply_error(req, &err);
        }
        return api_reply_json(req, 200, all);
}

enum MHD_Result api_network_inspect(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        const char *scope = api_query(req, "scope");
        struct engine *e;
        json_t *out = NULL;

        if (api_engine(req, &e, &err) < 0 || engine_network_inspect(e, req->parts[1], &out, &err) < 0)
                return api_reply_error(req, &err);
        /* Every berth network is local: one asked for in another scope is not there (dockerd's 404). */
        if (scope != NULL && *scope != '\0' && strcmp(scope, "local") != 0) {
                json_decref(out);
                return api_reply_message(req, 404, "network %s not found", req->parts[1]);
        }
        return api_reply_json(req, 200, out);
}

enum MHD_Result api_network_create(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_json json_t *body = NULL;
        cleanup_free char *id = NULL;
        struct engine_network_create_options o;
        struct engine *e;

        if (api_body_json(req, &body, &err) < 0 || api_network_create_decode(body, &o, &err) < 0 ||
            api_engine(req, &e, &err) < 0 || engine_network_create(e, &o, &id, &err) < 0)
                return api_reply_error(req, &err);
        return api_reply_json(req, 201, json_pack("{s:s,s:s}", "Id", id, "Warning", ""));
}

enum MHD_Result api_network_remove(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        struct engine *e;

        if (api_engine(req, &e, &err) < 0 || engine_network_remove(e, req->parts[1], &err) < 0) {
                /* dockerd answers 403 for a pre-defined network and for one with endpoints. */
                if (err.code == EPERM || err.code == EBUSY)
                        return api_reply_message(req, 403, "%s", berth_error_message(&err));
                return api_reply_error(req, &err);
        }
        return api_reply_empty(req, 204);
}

static enum MHD_Result member(struct api_request *req, bool connect)
{
        cleanup_error berth_error err = {0};
        cleanup_json json_t *body = NULL;
        const char *container, *ip;
        struct engine *e;
        bool force;

        if (api_body_json(req, &body, &err) < 0 || api_network_member_decode(body, connect, &container, &ip, &force, &err) < 0)
                return api_reply_error(req, &err);
        /* Force changes nothing: a disconnect removes the endpoint whatever the container's state. */
        (void) force;
        if (api_engine(req, &e, &err) < 0 ||
            (connect ? engine_network_connect(e, req->parts[1], container, ip, &err)
                     : engine_network_disconnect(e, req->parts[1], container, &err)) < 0)
                return api_reply_error(req, &err);
        return api_reply_empty(req, 200);
}

enum MHD_Result api_network_connect(struct api_request *req)
{
        return member(req, true);
}

enum MHD_Result api_network_disconnect(struct api_request *req)
{
        return member(req, false);
}

/* docker network prune: the user networks no container is on. */
enum MHD_Result api_network_prune(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_strv char **filters = NULL;
        cleanup_strv char **names = NULL;
        struct engine_prune_filter f = {0};
        struct engine *e;
        json_t *deleted;
        int r;

        if (api_query_filters(req, &filters, &err) < 0 || engine_prune_filter_parse(filters, true, &f, &err) < 0)
                return api_reply_error(req, &err);
        r = api_engine(req, &e, &err) < 0 ? -1 : engine_network_prune(e, &f, &names, &err);
        engine_prune_filter_clear(&f);
        if (r < 0)
                return api_reply_error(req, &err);
        deleted = names && names[0] ? json_array() : json_null();
        for (char **n = names; n && *n; n++)
                json_array_append_new(deleted, json_string(*n));
        return api_reply_json(req, 200, json_pack("{s:o}", "NetworksDeleted", deleted));
}
