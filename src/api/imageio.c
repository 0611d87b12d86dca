/* docker save, load and commit over the API: GET /images/NAME/get and GET /images/get?names=... stream a
 * docker-archive (engine_image_save); POST /images/load takes one (spooled by http.c, so bounded by the disk
 * only) and answers docker's JSON messages, one "Loaded image: NAME" per name (engine_image_load); POST
 * /commit makes an image of a container's layer (engine_container_commit). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "api/api.h"
#include "engine/containerdiff.h"
#include "engine/imageinfo.h"
#include "engine/images.h"
#include "engine/list.h"
#include "image/load.h"

static void save_produce(int fd, void *data)
{
        struct api_tar_job *j = data;
        berth_error err = {0};

        /* A failure midway ends the stream early: the client sees a truncated tar, as with dockerd. */
        engine_image_save(j->e, j->refs, strv_length(j->refs), SAVE_DOCKER_ARCHIVE, fd, &err);
        berth_error_clear(&err);
}

static enum MHD_Result collect_name(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
        char ***refs = cls;

        (void) kind;
        if (strcmp(key, "names") == 0 && value != NULL && *value != '\0')
                *refs = strv_append(*refs, value);
        return MHD_YES;
}

enum MHD_Result api_image_get(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_strv char **refs = xzalloc(sizeof(char *));
        struct api_tar_job *j;
        struct engine *e;

        /* GET /images/NAME/get names one image; GET /images/get takes names=... repeated. */
        if (req->name != NULL && strcmp(req->name, "") != 0)
                refs = strv_append(refs, req->name);
        else
                MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_name, &refs);
        if (refs[0] == NULL)
                return api_reply_message(req, 400, "no image named: give names=NAME");
        if (api_engine(req, &e, &err) < 0)
                return api_reply_error(req, &err);
        /* Every name is checked before the stream starts: a missing one is a 404, not a truncated tar. */
        for (char **r = refs; *r != NULL; r++) {
                json_t *doc = NULL;
                if (engine_image_inspect(e, *r, &doc, &err) < 0)
                        return api_reply_error(req, &err);
                json_decref(doc);
        }
        j = api_tar_job_new(req);
        j->refs = steal_pointer(&refs);
        return api_reply_stream(req, "application/x-tar", save_produce, api_tar_job_done, j);
}

enum MHD_Result api_image_load(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        struct load_result res = {0};
        struct engine *e;
        json_t *lines;
        cleanup_free char *text = NULL;
        size_t len = 0;

        if (lseek(req->body_fd, 0, SEEK_SET) < 0)
                return api_reply_message(req, 500, "read the request body back: %s", strerror(errno));
        if (api_engine(req, &e, &err) < 0 || engine_image_load(e, req->body_fd, "the request body", NULL, &res, &err) < 0)
                return api_reply_error(req, &err);
        lines = json_array();
        for (size_t i = 0; i < res.n; i++) {
                if (res.images[i].names[0] == NULL) {
                        cleanup_free char *msg = xasprintf("Loaded image ID: %s\n", res.images[i].id);
                        json_array_append_new(lines, json_pack("{s:s}", "stream", msg));
                        continue;
                }
                for (char **n = res.images[i].names; *n != NULL; n++) {
                        cleanup_free char *display = engine_image_display_name(*n);
                        cleanup_free char *msg = xasprintf("Loaded image: %s\n", display);
                        json_array_append_new(lines, json_pack("{s:s}", "stream", msg));
                }
        }
        load_result_clear(&res);
        /* docker's jsonmessage stream: one object per line (quiet or not: the CLI prints the stream field). */
        {
                size_t i;
                json_t *msg;
                json_array_foreach(lines, i, msg) {
                        cleanup_free char *one = json_dumps(msg, JSON_COMPACT);
                        char *joined = xasprintf("%s%s\n", text ? text : "", one);
                        free(text);
                        text = joined;
                }
        }
        json_decref(lines);
        len = text ? strlen(text) : 0;
        return api_reply_text(req, 200, "application/json", text ? text : "", len);
}

static enum MHD_Result collect_change(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
        char ***changes = cls;

        (void) kind;
        if (strcmp(key, "changes") == 0 && value != NULL && *value != '\0')
                *changes = strv_append(*changes, value);
        return MHD_YES;
}

/* docker commit: POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=..., 201 {"Id"}. The
 * body is a container config to apply; the CLI sends none (null), and one that says anything is refused:
 * berth's commit takes Dockerfile instructions (changes) for that. */
enum MHD_Result api_commit(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_strv char **changes = xzalloc(sizeof(char *));
        cleanup_free char *id = NULL, *image = NULL, *reference = NULL;
        cleanup_json json_t *body = NULL;
        const char *container = api_query(req, "container"), *repo = api_query(req, "repo"), *tag = api_query(req, "tag");
        struct engine_commit_request c = {.author = api_query(req, "author"), .message = api_query(req, "comment"),
                                          .pause = api_query_bool(req, "pause", true)};
        struct engine *e;

        if (container == NULL || *container == '\0')
                return api_reply_message(req, 400, "no container given: container=ID");
        if (api_body_json(req, &body, &err) < 0)
                return api_reply_error(req, &err);
        if (body != NULL && !json_is_null(body) && !(json_is_object(body) && json_object_size(body) == 0))
                return api_reply_message(req, 400, "a container config in the commit body is not supported: give changes "
                                                   "(Dockerfile instructions) instead");
        if (tag != NULL && *tag != '\0' && (repo == NULL || *repo == '\0'))
                return api_reply_message(req, 400, "a tag needs a repository (repo=)");
        if (repo != NULL && *repo != '\0')
                reference = tag != NULL && *tag != '\0' ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_change, &changes);
        c.reference = reference;
        c.changes = changes;
        if (api_engine(req, &e, &err) < 0 || engine_container_resolve(e, container, &id, &err) < 0 ||
            engine_container_commit(e, id, &c, &image, &err) < 0)
                return api_reply_error(req, &err);
        return api_reply_json(req, 201, json_pack("{s:s}", "Id", image));
}
