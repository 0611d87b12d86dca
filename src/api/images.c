/* /images: list, inspect, create (pull, with docker's JSON progress lines), tag, remove. Image names hold
 * slashes ("localhost:5000/busybox"), which docker's clients do not escape: the route's "**" takes them whole
 * (req->name). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "api/api.h"
#include "engine/imageinfo.h"
#include "engine/images.h"
#include "engine/logs.h"
#include "image/reference.h"
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

struct pull_job {
        struct engine *e;
        char *ref;
        char *platform;
        int fd;
        bool insecure;
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

static void pull_produce(int fd, void *data)
{
        struct pull_job *j = data;
        cleanup_error berth_error err = {0};
        struct registry_options o = {.tls_verify = -1};
        struct registry_pull_result *res = NULL;
        size_t n = 0;

        j->fd = fd;
        o.store_root = j->e->store->root;
        o.platform = j->platform;
        o.event = pull_event;
        o.event_data = j;
        if (j->insecure)
                o.tls_verify = 0;
        if (engine_image_pull(j->e, j->ref, &o, &res, &n, &err) < 0) {
                /* The status is sent already: docker's error is the stream's last message. */
                write_line(fd, json_pack("{s:{s:s},s:s}", "errorDetail", "message", berth_error_message(&err), "error",
                                         berth_error_message(&err)));
        }
        for (size_t i = 0; i < n; i++)
                registry_pull_result_clear(&res[i]);
        free(res);
}

static void pull_done(void *data)
{
        struct pull_job *j = data;

        engine_close(j->e);
        free(j->ref);
        free(j->platform);
        free(j);
}

/* dockerd's default insecure registries: 127.0.0.0/8 (and localhost), where plain HTTP is allowed. */
static bool loopback_registry(const char *ref)
{
        cleanup_image_ref struct image_ref r = {0};
        berth_error ignored = {0};
        bool loopback;

        if (image_ref_parse(ref, false, &r, &ignored) < 0) {
                berth_error_clear(&ignored);
                return false;
        }
        loopback = str_has_prefix(r.domain, "127.") || strcmp(r.domain, "localhost") == 0 ||
                   str_has_prefix(r.domain, "localhost:");
        return loopback;
}

enum MHD_Result api_image_create(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        const char *from = api_query(req, "fromImage"), *tag = api_query(req, "tag"), *platform = api_query(req, "platform");
        struct pull_job *j;
        struct engine *e;

        if (api_query(req, "fromSrc") != NULL)
                return api_reply_message(req, 501, "import through the API (fromSrc) is not supported yet");
        if (from == NULL || *from == '\0')
                return api_reply_message(req, 400, "fromImage must be given");
        if (api_engine(req, &e, &err) < 0)
                return api_reply_error(req, &err);
        j = xzalloc(sizeof(*j));
        /* tag: a tag or a digest ("sha256:..."), appended as docker's client splits them. */
        if (tag != NULL && *tag != '\0')
                j->ref = xasprintf("%s%s%s", from, strchr(tag, ':') ? "@" : ":", tag);
        else
                j->ref = xstrdup(from);
        j->platform = platform != NULL && *platform != '\0' ? xstrdup(platform) : NULL;
        j->insecure = loopback_registry(j->ref);
        j->e = steal_pointer(&req->engine);
        return api_reply_stream(req, "application/json", pull_produce, pull_done, j);
}
