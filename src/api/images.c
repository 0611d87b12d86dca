/* /images: list, inspect, create (pull, with docker's JSON progress lines), tag, remove. Image names hold
 * slashes ("localhost:5000/busybox"), which docker's clients do not escape: the route's "**" takes them whole
 * (req->name). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "api/api.h"
#include "api/http.h"
#include "engine/imageinfo.h"
#include "engine/images.h"
#include "engine/logs.h"
#include "image/reference.h"
#include "registry/authfile.h"
#include "registry/registry.h"

enum MHD_Result api_image_list(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        struct engine *e;
        json_t *out = NULL;

        if (api_engine(req, &e, &err) < 0 || engine_image_summaries(e, &out, &err) < 0)
                return api_reply_error(req, &err);
        return api_reply_json(req, 200, out);
}

enum MHD_Result api_image_inspect(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        struct engine *e;
        json_t *out = NULL;

        if (api_engine(req, &e, &err) < 0 || engine_image_inspect(e, req->name, &out, &err) < 0)
                return api_reply_error(req, &err);
        return api_reply_json(req, 200, out);
}

/* docker's HistoryResponseItem per entry: Id, Created (Unix seconds), CreatedBy, Tags, Size, Comment. */
enum MHD_Result api_image_history(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        struct engine_history_entry *entries = NULL;
        struct engine *e;
        size_t n = 0;
        json_t *out;

        if (api_engine(req, &e, &err) < 0 || engine_image_history(e->store, req->name, &entries, &n, &err) < 0)
                return api_reply_error(req, &err);
        out = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *tags = json_null();
                if (entries[i].tags != NULL) {
                        tags = json_array();
                        for (char **t = entries[i].tags; *t != NULL; t++) {
                                cleanup_free char *shown = engine_image_display_name(*t);
                                json_array_append_new(tags, json_string(shown));
                        }
                }
                double created = entries[i].created ? engine_log_time(entries[i].created) : 0;
                json_array_append_new(out, json_pack("{s:s,s:I,s:s,s:o,s:I,s:s}", "Id", entries[i].id, "Created",
                                                     (json_int_t) (created > 0 ? created : 0), "CreatedBy",
                                                     entries[i].created_by, "Tags", tags, "Size", (json_int_t) entries[i].size,
                                                     "Comment", entries[i].comment));
        }
        engine_image_history_free(entries, n);
        return api_reply_json(req, 200, out);
}

enum MHD_Result api_image_tag(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_free char *target = NULL;
        const char *repo = api_query(req, "repo"), *tag = api_query(req, "tag");
        struct engine *e;

        if (repo == NULL || *repo == '\0')
                return api_reply_message(req, 400, "repository name (repo) must be given");
        target = tag != NULL && *tag != '\0' ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
        if (api_engine(req, &e, &err) < 0 || engine_image_tag(e, req->name, target, NULL, &err) < 0)
                return api_reply_error(req, &err);
        return api_reply_empty(req, 201);
}

/* docker's list of what a removal did: {"Untagged": name} entries, then {"Deleted": id} ones. */
static json_t *removal_json(const struct removal_report *rep)
{
        json_t *out = json_array();

        for (char **u = rep->untagged; u && *u; u++)
                json_array_append_new(out, json_pack("{s:s}", "Untagged", *u));
        for (char **d = rep->deleted; d && *d; d++)
                json_array_append_new(out, json_pack("{s:s}", "Deleted", *d));
        return out;
}

enum MHD_Result api_image_remove(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        struct removal_report rep = {0};
        struct engine *e;
        json_t *out;
        int r;

        if ((r = api_engine(req, &e, &err)) == 0)
                r = engine_image_remove(e, req->name, api_query_bool(req, "force", false), &rep, &err);
        if (r < 0) {
                removal_report_clear(&rep);
                return api_reply_error(req, &err);
        }
        out = removal_json(&rep);
        removal_report_clear(&rep);
        return api_reply_json(req, 200, out);
}

/* docker image prune: dangling images, or (dangling=false, `-a`) every image no container uses. */
enum MHD_Result api_image_prune(struct api_request *req)
{
        static const char *const known[] = {"dangling", NULL};
        cleanup_error berth_error err = {0};
        cleanup_strv char **filters = NULL;
        struct removal_report rep = {0};
        struct engine *e;
        bool all;
        json_t *deleted;

        if (api_prune_filters(req, known, &filters, &err) < 0)
                return api_reply_error(req, &err);
        all = !api_filter_bool(filters, "dangling", true);
        if (api_engine(req, &e, &err) < 0 || engine_image_prune(e, all, &rep, &err) < 0) {
                removal_report_clear(&rep);
                return api_reply_error(req, &err);
        }
        deleted = removal_json(&rep);
        if (json_array_size(deleted) == 0) {
                json_decref(deleted);
                deleted = json_null();
        }
        {
                json_t *out = json_pack("{s:o,s:I}", "ImagesDeleted", deleted, "SpaceReclaimed", (json_int_t) rep.reclaimed);
                removal_report_clear(&rep);
                return api_reply_json(req, 200, out);
        }
}

/* ---- pull ---- */

/* A pull or a push, streamed: docker's JSON progress messages while it runs. */
struct pull_job {
        struct engine *e;
        char *ref;
        char *platform;
        char *creds; /* "user:password" from X-Registry-Auth, or NULL: the service's auth file */
        int fd;
        bool insecure;
        bool push;
};

static const char *const LAYER_WORDS[] = {
        [LAYER_PULLING_FS_LAYER] = "Pulling fs layer", [LAYER_WAITING] = "Waiting",
        [LAYER_DOWNLOADING] = "Downloading",           [LAYER_RETRYING] = "Retrying",
        [LAYER_VERIFYING] = "Verifying Checksum",      [LAYER_DOWNLOAD_COMPLETE] = "Download complete",
        [LAYER_EXTRACTING] = "Extracting",             [LAYER_PULL_COMPLETE] = "Pull complete",
        [LAYER_ALREADY_EXISTS] = "Already exists",     [LAYER_PREPARING] = "Preparing",
        [LAYER_PUSHING] = "Pushing",                   [LAYER_PUSHED] = "Pushed",
        [LAYER_EXISTS_REMOTE] = "Layer already exists", [LAYER_MOUNTED] = "Mounted from",
};

static void write_line(int fd, json_t *msg /* stolen */)
{
        cleanup_json json_t *owned = msg;

        (void) api_write_json_line(fd, owned, "\r\n");
}

/* docker's jsonmessage: {"status", "id", "progressDetail": {"current", "total"}} per event. */
static void pull_event(void *data, const struct registry_event *ev)
{
        struct pull_job *j = data;

        if (ev->kind == REGISTRY_EVENT_LINE) {
                write_line(j->fd, json_pack("{s:s}", "status", ev->text ? ev->text : ""));
                return;
        }
        if ((size_t) ev->state >= ARRAY_SIZE(LAYER_WORDS) || LAYER_WORDS[ev->state] == NULL)
                return;
        if (ev->state == LAYER_DOWNLOADING || ev->state == LAYER_EXTRACTING || ev->state == LAYER_PUSHING)
                write_line(j->fd, json_pack("{s:s,s:{s:I,s:I},s:s}", "status", LAYER_WORDS[ev->state], "progressDetail",
                                            "current", (json_int_t) ev->current, "total", (json_int_t) ev->total, "id",
                                            ev->id ? ev->id : ""));
        else
                write_line(j->fd, json_pack("{s:s,s:{},s:s}", "status", LAYER_WORDS[ev->state], "progressDetail", "id",
                                            ev->id ? ev->id : ""));
}

/* docker push's last messages per tag: "TAG: digest: D size: N", then the same as aux. */
static void push_results(int fd, struct registry_push_result *res, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                cleanup_free char *status = xasprintf("%s: digest: %s size: %lld", res[i].tag ? res[i].tag : "",
                                                      res[i].digest ? res[i].digest : "", (long long) res[i].size);
                write_line(fd, json_pack("{s:s}", "status", status));
                write_line(fd, json_pack("{s:{},s:{s:s,s:s,s:I}}", "progressDetail", "aux", "Tag", res[i].tag ? res[i].tag : "",
                                         "Digest", res[i].digest ? res[i].digest : "", "Size", (json_int_t) res[i].size));
        }
}

static void pull_produce(int fd, void *data)
{
        struct pull_job *j = data;
        cleanup_error berth_error err = {0};
        struct registry_options o = {.tls_verify = -1};
        struct registry_pull_result *res = NULL;
        struct registry_push_result *pushed = NULL;
        size_t n = 0;
        int r;

        j->fd = fd;
        o.store_root = j->e->store->root;
        o.platform = j->platform;
        o.creds = j->creds;
        o.event = pull_event;
        o.event_data = j;
        if (j->insecure)
                o.tls_verify = 0;
        r = j->push ? engine_image_push(j->e, j->ref, &o, &pushed, &n, &err) : engine_image_pull(j->e, j->ref, &o, &res, &n, &err);
        if (r < 0) {
                /* The status is sent already: docker's error is the stream's last message. */
                write_line(fd, json_pack("{s:{s:s},s:s}", "errorDetail", "message", berth_error_message(&err), "error",
                                         berth_error_message(&err)));
        } else if (j->push) {
                push_results(fd, pushed, n);
        }
        for (size_t i = 0; i < n && res != NULL; i++)
                registry_pull_result_clear(&res[i]);
        for (size_t i = 0; i < n && pushed != NULL; i++)
                registry_push_result_clear(&pushed[i]);
        free(res);
        free(pushed);
}

static void pull_done(void *data)
{
        struct pull_job *j = data;

        engine_close(j->e);
        free(j->ref);
        free(j->platform);
        if (j->creds != NULL)
                explicit_bzero(j->creds, strlen(j->creds));
        free(j->creds);
        free(j);
}

/* docker's X-Registry-Auth: base64url of {"username", "password", "serveraddress", ...}; "user:password" in
 * *creds (NULL when the header is absent or names no user: the service's auth file then). Identity and
 * registry tokens are refused: berth's registry client takes a user and a password. */
static int registry_auth(struct api_request *req, char **creds, berth_error *err)
{
        const char *header = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Registry-Auth");
        cleanup_free char *b64 = NULL, *plain = NULL;
        cleanup_json json_t *auth = NULL;
        const char *user, *password;
        size_t len = 0, n;

        *creds = NULL;
        if (header == NULL || *header == '\0')
                return 0;
        /* URL-safe alphabet, padding optional: made standard and padded for the decoder. */
        n = strlen(header);
        b64 = xzalloc(n + 4);
        for (size_t i = 0; i < n; i++)
                b64[i] = header[i] == '-' ? '+' : header[i] == '_' ? '/' : header[i];
        while (n % 4 != 0)
                b64[n++] = '=';
        if (base64_decode(b64, &plain, &len) < 0 || (auth = json_loadb(plain, len, 0, NULL)) == NULL || !json_is_object(auth))
                return berth_failf(err, EINVAL, "invalid X-Registry-Auth header: not base64url of a JSON object");
        if (json_string_value(json_object_get(auth, "identitytoken")) != NULL &&
            *json_string_value(json_object_get(auth, "identitytoken")) != '\0')
                return berth_failf(err, EINVAL, "identity tokens in X-Registry-Auth are not supported: log in with a password");
        user = json_string_value(json_object_get(auth, "username"));
        password = json_string_value(json_object_get(auth, "password"));
        if (user != NULL && *user != '\0')
                *creds = xasprintf("%s:%s", user, password ? password : "");
        explicit_bzero(plain, len);
        return 0;
}

/* dockerd's default insecure registries: 127.0.0.0/8 (and localhost), where plain HTTP is allowed. */
static bool loopback_domain(const char *domain)
{
        return str_has_prefix(domain, "127.") || strcmp(domain, "localhost") == 0 || str_has_prefix(domain, "localhost:");
}

static bool loopback_registry(const char *ref)
{
        cleanup_image_ref struct image_ref r = {0};
        berth_error ignored = {0};
        bool loopback;

        if (image_ref_parse(ref, false, &r, &ignored) < 0) {
                berth_error_clear(&ignored);
                return false;
        }
        loopback = loopback_domain(r.domain);
        return loopback;
}

/* A pull or push of REF (stolen) streamed with docker's progress; the credentials from X-Registry-Auth, plain
 * HTTP for the loopback registries. */
static enum MHD_Result registry_stream(struct api_request *req, char *ref, const char *platform, bool push)
{
        cleanup_error berth_error err = {0};
        cleanup_free char *owned = ref, *creds = NULL;
        struct pull_job *j;
        struct engine *e;

        if (registry_auth(req, &creds, &err) < 0 || api_engine(req, &e, &err) < 0)
                return api_reply_error(req, &err);
        if (push) {
                /* A name the store lacks is a 404 before the stream starts. */
                json_t *doc = NULL;
                if (engine_image_inspect(e, ref, &doc, &err) < 0)
                        return api_reply_error(req, &err);
                json_decref(doc);
        }
        j = xzalloc(sizeof(*j));
        j->ref = steal_pointer(&owned);
        j->creds = steal_pointer(&creds);
        j->platform = platform != NULL && *platform != '\0' ? xstrdup(platform) : NULL;
        j->push = push;
        j->insecure = loopback_registry(j->ref);
        j->e = steal_pointer(&req->engine);
        return api_reply_stream(req, "application/json", pull_produce, pull_done, j);
}

enum MHD_Result api_image_create(struct api_request *req)
{
        const char *from = api_query(req, "fromImage"), *tag = api_query(req, "tag");

        if (api_query(req, "fromSrc") != NULL)
                return api_reply_message(req, 501, "import through the API (fromSrc) is not supported yet");
        if (from == NULL || *from == '\0')
                return api_reply_message(req, 400, "fromImage must be given");
        /* tag: a tag or a digest ("sha256:..."), appended as docker's client splits them. */
        return registry_stream(req,
                               tag != NULL && *tag != '\0' ? xasprintf("%s%s%s", from, strchr(tag, ':') ? "@" : ":", tag)
                                                           : xstrdup(from),
                               api_query(req, "platform"), false);
}

/* docker push: POST /images/NAME/push?tag=TAG, the progress streamed, the digest last. */
enum MHD_Result api_image_push(struct api_request *req)
{
        const char *tag = api_query(req, "tag");

        return registry_stream(req, tag != NULL && *tag != '\0' ? xasprintf("%s:%s", req->name, tag) : xstrdup(req->name),
                               NULL, true);
}

/* docker login's POST /auth: the credentials verified against the registry, as registry_login does; what it
 * saves goes to a scratch auth file in the store's tmp, removed at once (the client keeps the credentials,
 * the service none, as with dockerd). 200 "Login Succeeded", 401 when the registry refuses them. */
enum MHD_Result api_auth(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_json json_t *body = NULL;
        cleanup_free char *scratch = NULL, *saved = NULL;
        struct registry_options o = {.tls_verify = -1};
        const char *user, *password, *server;
        struct engine *e;
        int fd, r;

        if (api_body_json(req, &body, &err) < 0)
                return api_reply_error(req, &err);
        user = json_string_value(json_object_get(body, "username"));
        password = json_string_value(json_object_get(body, "password"));
        server = json_string_value(json_object_get(body, "serveraddress"));
        if (user == NULL || *user == '\0' || password == NULL)
                return api_reply_message(req, 400, "username and password must be given");
        if (api_engine(req, &e, &err) < 0)
                return api_reply_error(req, &err);
        scratch = xasprintf("%s/tmp/auth-XXXXXX", e->store->root);
        if ((fd = mkstemp(scratch)) < 0)
                return api_reply_message(req, 500, "create %s: %s", scratch, strerror(errno));
        r = write_all(fd, "{}\n", 3);
        close(fd);
        if (r < 0) {
                unlink(scratch);
                return api_reply_message(req, 500, "write %s: %s", scratch, strerror(errno));
        }
        o.authfile = scratch;
        o.store_root = e->store->root;
        if (server != NULL && *server != '\0') {
                cleanup_free char *domain = registry_server_domain(server);
                if (loopback_domain(domain))
                        o.tls_verify = 0;
        }
        r = registry_login(server != NULL && *server != '\0' ? server : NULL, user, password, &o, &saved, &err);
        unlink(scratch);
        if (r < 0)
                return api_reply_message(req, r == -EACCES || r == -EPERM ? 401 : api_status_for(err.code), "%s",
                                         berth_error_message(&err));
        return api_reply_json(req, 200, json_pack("{s:s,s:s}", "Status", "Login Succeeded", "IdentityToken", ""));
}
