/* The HTTP side of the API server: libmicrohttpd's request callback (the body gathered, bounded), the route
 * table (matched by request.c), and docker's replies and errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "api/api.h"
#include "api/http.h"
#include "api/request.h"
#include "api/tls.h"

struct route {
        const char *method;
        const char *pattern; /* parts separated by '/', "*" matches one part */
        api_handler handler;
        /* The body is spooled to an unnamed file (req->body_fd), unbounded but by the disk: tar uploads. */
        bool spool;
};

static const struct route ROUTES[] = {
        {"GET", "_ping", api_ping},
        {"HEAD", "_ping", api_ping},
        {"GET", "version", api_version},
        {"GET", "info", api_info},
        {"GET", "system/df", api_system_df},
        {"POST", "containers/create", api_container_create},
        {"GET", "containers/json", api_container_list},
        {"GET", "containers/*/json", api_container_inspect},
        {"POST", "containers/*/start", api_container_start},
        {"POST", "containers/*/stop", api_container_stop},
        {"POST", "containers/*/restart", api_container_restart},
        {"POST", "containers/*/kill", api_container_kill},
        {"POST", "containers/*/wait", api_container_wait},
        {"DELETE", "containers/*", api_container_remove},
        {"POST", "containers/*/pause", api_container_pause},
        {"POST", "containers/*/unpause", api_container_unpause},
        {"POST", "containers/*/rename", api_container_rename},
        {"POST", "containers/*/resize", api_container_resize},
        {"HEAD", "containers/*/archive", api_container_archive_stat},
        {"GET", "containers/*/archive", api_container_archive_get},
        {"PUT", "containers/*/archive", api_container_archive_put, true},
        {"GET", "containers/*/top", api_container_top},
        {"GET", "containers/*/stats", api_container_stats},
        {"GET", "containers/*/changes", api_container_changes},
        {"GET", "containers/*/export", api_container_export},
        {"POST", "containers/prune", api_container_prune},
        {"GET", "containers/*/logs", api_container_logs},
        {"POST", "containers/*/attach", api_container_attach},
        {"POST", "containers/*/exec", api_exec_create},
        {"POST", "exec/*/start", api_exec_start},
        {"POST", "exec/*/resize", api_exec_resize},
        {"GET", "exec/*/json", api_exec_inspect},
        {"GET", "images/json", api_image_list},
        {"POST", "images/create", api_image_create},
        {"GET", "images/**/json", api_image_inspect},
        {"GET", "images/**/history", api_image_history},
        {"GET", "images/get", api_image_get},
        {"GET", "images/**/get", api_image_get},
        {"POST", "images/load", api_image_load, true},
        {"POST", "commit", api_commit},
        {"POST", "auth", api_auth},
        {"POST", "images/**/tag", api_image_tag},
        {"POST", "images/**/push", api_image_push},
        {"DELETE", "images/**", api_image_remove},
        {"POST", "images/prune", api_image_prune},
        {"GET", "events", api_events},
        {"GET", "volumes", api_volume_list},
        {"POST", "volumes/create", api_volume_create},
        {"GET", "volumes/*", api_volume_inspect},
        {"DELETE", "volumes/*", api_volume_remove},
        {"POST", "volumes/prune", api_volume_prune},
        {"GET", "networks", api_network_list},
        {"POST", "networks/create", api_network_create},
        {"POST", "networks/prune", api_network_prune},
        {"GET", "networks/*", api_network_inspect},
        {"DELETE", "networks/*", api_network_remove},
        {"POST", "networks/*/connect", api_network_connect},
        {"POST", "networks/*/disconnect", api_network_disconnect},
};

void api_add_common_headers(struct MHD_Response *resp)
{
        MHD_add_response_header(resp, "Api-Version", API_VERSION_MAX);
        MHD_add_response_header(resp, "Server", "Docker/" BERTH_VERSION " (linux) berth");
        MHD_add_response_header(resp, "Ostype", "linux");
        MHD_add_response_header(resp, "Docker-Experimental", "false");
}

static enum MHD_Result queue(struct api_request *req, unsigned status, struct MHD_Response *resp)
{
        enum MHD_Result r;

        if (resp == NULL)
                return MHD_NO;
        api_add_common_headers(resp);
        r = MHD_queue_response(req->conn, status, resp);
        MHD_destroy_response(resp);
        return r;
}

enum MHD_Result api_reply_text(struct api_request *req, unsigned status, const char *content_type, const char *text,
                               size_t len)
{
        struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *) text, MHD_RESPMEM_MUST_COPY);

        if (resp != NULL && content_type != NULL)
                MHD_add_response_header(resp, "Content-Type", content_type);
        return queue(req, status, resp);
}

enum MHD_Result api_reply_json(struct api_request *req, unsigned status, json_t *body)
{
        cleanup_json json_t *owned = body;
        cleanup_free char *text = json_dumps(owned, JSON_COMPACT | JSON_ENCODE_ANY);
        size_t len = text ? strlen(text) : 0;

        if (text == NULL)
                return api_reply_message(req, 500, "cannot encode the reply");
        /* docker's encoder ends every document with a newline. */
        text = xrealloc(text, len + 2);
        text[len] = '\n';
        text[len + 1] = '\0';
        return api_reply_text(req, status, "application/json", text, len + 1);
}

enum MHD_Result api_reply_empty(struct api_request *req, unsigned status)
{
        return queue(req, status, MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT));
}

enum MHD_Result api_reply_message(struct api_request *req, unsigned status, const char *fmt, ...)
{
        cleanup_free char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        return api_reply_json(req, status, json_pack("{s:s}", "message", msg));
}

unsigned api_status_for(int code)
{
        switch (code) {
        case ENOENT: return 404;
        case EEXIST:
        case EBUSY:
        case ENOTEMPTY: return 409;
        case EINVAL:
        case ENOTDIR:
        case EISDIR:
        case E2BIG:
        case ERANGE: return 400;
        case ENOTSUP: return 501;
        default: return 500;
        }
}

enum MHD_Result api_reply_error(struct api_request *req, const berth_error *err)
{
        return api_reply_message(req, api_status_for(err->code), "%s", berth_error_message(err));
}

int api_engine(struct api_request *req, struct engine **out, berth_error *err)
{
        int r;

        if (req->engine == NULL && (r = engine_open(req->srv->root, req->srv->driver, &req->engine, err)) < 0)
                return r;
        *out = req->engine;
        return 0;
}

const char *api_query(struct api_request *req, const char *key)
{
        return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool api_query_bool(struct api_request *req, const char *key, bool dflt)
{
        const char *v = api_query(req, key);

        if (v == NULL)
                return dflt;
        return !(*v == '\0' || strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0);
}

int api_query_int(struct api_request *req, const char *key, long dflt, long *out, berth_error *err)
{
        const char *v = api_query(req, key);
        int64_t n;

        *out = dflt;
        if (v == NULL || *v == '\0')
                return 0;
        if (parse_i64(v, &n) < 0)
                return berth_failf(err, EINVAL, "invalid value for %s: %s", key, v);
        *out = (long) n;
        return 0;
}

int api_body_json(struct api_request *req, json_t **out, berth_error *err)
{
        const char *ct = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");

        *out = NULL;
        if (req->body_len == 0)
                return 0;
        /* dockerd's CheckForJSON: a body is JSON and says so. */
        if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 || (ct[16] != '\0' && ct[16] != ';'))
                return berth_failf(err, EINVAL, "unsupported Content-Type header (%s): must be 'application/json'",
                                   ct ? ct : "");
        *out = json_load_text("the request body", req->body, req->body_len, err);
        if (*out == NULL) {
                err->code = EINVAL;
                return -EINVAL;
        }
        return 0;
}

int api_query_filters(struct api_request *req, char ***out, berth_error *err)
{
        return api_filters_decode(api_query(req, "filters"), out, err);
}

int api_route_find(const char *method, char *const *parts, size_t n_parts, char **name, bool *path_known)
{
        *path_known = false;
        for (size_t i = 0; i < ARRAY_SIZE(ROUTES); i++) {
                if (!api_route_match(ROUTES[i].pattern, parts, n_parts, name))
                        continue;
                *path_known = true;
                if (strcmp(ROUTES[i].method, method) == 0)
                        return (int) i;
        }
        return -1;
}

/* The version, the path and the route, once, when the request starts: whether its body is spooled is the
 * route's to say before any of the body comes; dispatch uses the same match. */
static void route_request(struct api_request *req)
{
        req->route = -1;
        req->rest = "";
        if (api_parse_version(req->url, &req->minor, &req->rest, &req->version_err) < 0)
                return;
        req->parts = api_split_path(req->rest, &req->n_parts);
        req->route = api_route_find(req->method, req->parts, req->n_parts, &req->name, &req->path_known);
}

static enum MHD_Result dispatch(struct api_request *req)
{
        if (req->version_err.code != 0)
                return api_reply_error(req, &req->version_err);
        if (req->route >= 0)
                return ROUTES[req->route].handler(req);
        if (req->path_known)
                return api_reply_message(req, 405, "method %s not allowed on %s", req->method, req->rest);
        return api_reply_message(req, 404, "page not found");
}

enum MHD_Result api_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
                           const char *upload_data, size_t *upload_data_size, void **con_cls)
{
        struct api_request *req = *con_cls;

        (void) version;
        if (req == NULL) {
                const char *len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
                uint64_t n = 0;
                req = xzalloc(sizeof(*req));
                req->srv = cls;
                req->conn = conn;
                req->method = method;
                req->url = xstrdup(url);
                req->body_fd = -1;
                *con_cls = req;
                /* Nothing of a request is read before its client's certificate verifies (tcp:// only). */
                if (req->srv->tls && !api_tls_client_verified(conn)) {
                        req->refused = true;
                        return api_reply_message(req, 403, "a client certificate signed by the service's CA is required");
                }
                route_request(req);
                if (req->route >= 0 && ROUTES[req->route].spool) {
                        cleanup_error berth_error err = {0};
                        struct engine *e;
                        if (api_engine(req, &e, &err) < 0 || (req->body_fd = engine_tmpfile(e, &err)) < 0) {
                                req->refused = true;
                                return api_reply_error(req, &err);
                        }
                        return MHD_YES;
                }
                /* A body announced too large is refused before any of it is read. */
                if (len != NULL && parse_u64(len, &n) == 0 && n > API_BODY_MAX) {
                        req->refused = true;
                        return api_reply_message(req, 413, "request body too large (%llu bytes, at most %u)",
                                                 (unsigned long long) n, API_BODY_MAX);
                }
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                size_t n = *upload_data_size;
                *upload_data_size = 0;
                if (req->refused)
                        return MHD_YES;
                if (req->body_fd >= 0) {
                        if (write_all(req->body_fd, upload_data, n) < 0) {
                                req->refused = true;
                                return api_reply_message(req, 500, "keep the request body: %s", strerror(errno));
                        }
                        return MHD_YES;
                }
                if (req->body_len + n > API_BODY_MAX) {
                        /* A chunked body that goes on and on: refused at the bound. */
                        req->refused = true;
                        return api_reply_message(req, 413, "request body too large (over %u bytes)", API_BODY_MAX);
                }
                req->body = xrealloc(req->body, req->body_len + n + 1);
                memcpy(req->body + req->body_len, upload_data, n);
                req->body_len += n;
                req->body[req->body_len] = '\0';
                return MHD_YES;
        }
        if (req->refused)
                return MHD_YES;
        return dispatch(req);
}

void api_request_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
        struct api_request *req = *con_cls;

        (void) cls;
        (void) conn;
        (void) toe;
        if (req == NULL)
                return;
        engine_close(req->engine);
        berth_error_clear(&req->version_err);
        if (req->body_fd >= 0)
                close(req->body_fd);
        strv_free(req->parts);
        free(req->name);
        free(req->body);
        free(req->url);
        free(req);
        *con_cls = NULL;
}
