/* /containers: create, list, inspect, start, stop, restart, kill, wait, remove. Each is one engine operation;
 * the JSON is docker's (engine/summary.h, engine/inspect.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "api/api.h"
#include "api/request.h"
#include "engine/attach.h"
#include "engine/create.h"
#include "engine/inspect.h"
#include "engine/launch.h"
#include "engine/lifecycle.h"
#include "engine/list.h"
#include "engine/summary.h"
#include "engine/wait.h"

/* parts[1]: the container's reference, resolved to its id. */
static int resolve(struct api_request *req, struct engine **e, char **id, berth_error *err)
{
        int r;

        if ((r = api_engine(req, e, err)) < 0)
                return r;
        return engine_container_resolve(*e, req->parts[1], id, err);
}

enum MHD_Result api_container_create(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_json json_t *body = NULL, *config = NULL;
        cleanup_free char *id = NULL;
        struct engine_create_request cr = {0};
        const char *name = api_query(req, "name");
        struct engine *e;

        if (api_body_json(req, &body, &err) < 0 || api_create_request_decode(body, name, &cr, &config, &err) < 0)
                return api_reply_error(req, &err);
        if (api_engine(req, &e, &err) < 0 || engine_container_create(e, &cr, &id, &err) < 0)
                return api_reply_error(req, &err);
        return api_reply_json(req, 201, json_pack("{s:s,s:[]}", "Id", id, "Warnings"));
}

enum MHD_Result api_container_list(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_strv char **filters = NULL;
        struct engine_container **list = NULL;
        struct engine_list_options lo = {.all = api_query_bool(req, "all", false)};
        struct engine *e;
        size_t n = 0;
        long limit;
        json_t *out;

        if (api_query_int(req, "limit", -1, &limit, &err) < 0 || api_query_filters(req, &filters, &err) < 0 ||
            (filters != NULL && engine_list_filters_check(filters, &err) < 0))
                return api_reply_error(req, &err);
        lo.last = limit > 0 ? (int) limit : -1;
        lo.filters = filters;
        if (api_engine(req, &e, &err) < 0 || engine_container_list(e, &lo, &list, &n, &err) < 0)
                return api_reply_error(req, &err);
        out = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(out, engine_container_summary(e, list[i]));
        engine_container_list_free(list, n);
        return api_reply_json(req, 200, out);
}

enum MHD_Result api_container_inspect(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        struct engine *e;
        json_t *doc = NULL;

        if (api_engine(req, &e, &err) < 0 || engine_container_inspect(e, req->parts[1], &doc, &err) < 0)
                return api_reply_error(req, &err);
        return api_reply_json(req, 200, doc);
}

enum MHD_Result api_container_start(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_free char *id = NULL;
        cleanup_close int attach_fd = -1;
        pid_t monitor = 0;
        struct engine_start_options so = {.attach_fd = -1, .monitor_pid = &monitor};
        bool already = false;
        struct engine *e;
        int r;

        if (resolve(req, &e, &id, &err) < 0)
                return api_reply_error(req, &err);
        /* A client attached before the start (docker run): the monitor gets its end from the first byte. */
        attach_fd = api_pending_attach_take(req->srv, id);
        so.attach_fd = attach_fd;
        r = engine_container_start_or_remove(e, id, &so, &already, &err);
        if (monitor > 0)
                api_monitor_started(req->srv, monitor);
        if (r < 0) {
                /* docker answers a start that failed (the command not found, ...) with 500; its CLI picks its exit
                 * code from the message's words (runc's, lower case): 127 for "executable file not found" or "no
                 * such file or directory", 126 for "permission denied". The engine's code says which. */
                int code = engine_exit_code_for_error(&err);
                const char *msg = berth_error_message(&err);
                const char *words = code == 127 && strstr(msg, "executable file not found") == NULL &&
                                                    strstr(msg, "no such file or directory") == NULL
                                            ? ": no such file or directory"
                                    : code == 126 && strstr(msg, "permission denied") == NULL ? ": permission denied"
                                                                                              : "";
                return api_reply_message(req, err.code == EINVAL ? 400 : 500, "%s%s", msg, words);
        }
        return api_reply_empty(req, already ? 304 : 204);
}

static enum MHD_Result stop_or_restart(struct api_request *req, bool restart)
{
        cleanup_error berth_error err = {0};
        cleanup_free char *id = NULL;
        cleanup_engine_container struct engine_container *c = NULL;
        struct engine *e;
        long t;

        if (api_query_int(req, "t", -1, &t, &err) < 0 || resolve(req, &e, &id, &err) < 0)
                return api_reply_error(req, &err);
        if (!restart) {
                if (engine_container_find(e, id, &c, &err) < 0)
                        return api_reply_error(req, &err);
                if (c->status != ENGINE_RUNNING && c->status != ENGINE_PAUSED && c->status != ENGINE_RESTARTING)
                        return api_reply_empty(req, 304);
        }
        if ((restart ? engine_container_restart(e, id, (int) t, &err) : engine_container_stop(e, id, (int) t, &err)) < 0)
                return api_reply_error(req, &err);
        return api_reply_empty(req, 204);
}

enum MHD_Result api_container_stop(struct api_request *req)
{
        return stop_or_restart(req, false);
}

enum MHD_Result api_container_restart(struct api_request *req)
{
        return stop_or_restart(req, true);
}

enum MHD_Result api_container_kill(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_free char *id = NULL;
        const char *name = api_query(req, "signal");
        struct engine *e;
        int sig = SIGKILL;

        if (name != NULL && *name != '\0' && signal_parse(name, &sig) < 0)
                return api_reply_message(req, 400, "Invalid signal: %s", name);
        if (resolve(req, &e, &id, &err) < 0 || engine_container_kill(e, id, sig, &err) < 0)
                return api_reply_error(req, &err);
        return api_reply_empty(req, 204);
}

struct wait_job {
        struct engine *e;
        struct engine_wait w;
};

static void wait_produce(int fd, void *data)
{
        struct wait_job *j = data;
        cleanup_error berth_error err = {0};
        cleanup_json json_t *reply = NULL;
        int code = 0;

        if (engine_container_wait_end(j->e, &j->w, &code, &err) < 0)
                reply = json_pack("{s:i,s:{s:s}}", "StatusCode", -1, "Error", "Message", berth_error_message(&err));
        else
                reply = json_pack("{s:i,s:n}", "StatusCode", code, "Error");
        (void) api_write_json_line(fd, reply, "\n");
}

static void wait_done(void *data)
{
        struct wait_job *j = data;

        engine_close(j->e);
        engine_wait_clear(&j->w);
        free(j);
}

/* The headers go out at once (docker's client waits for them before it starts the container); the body when
 * the condition holds. */
enum MHD_Result api_container_wait(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        enum engine_wait_condition cond;
        struct wait_job *j;
        struct engine *e;

        if (engine_wait_condition_parse(api_query(req, "condition"), &cond, &err) < 0 || api_engine(req, &e, &err) < 0)
                return api_reply_error(req, &err);
        j = xzalloc(sizeof(*j));
        if (engine_container_wait_begin(e, req->parts[1], cond, &j->w, &err) < 0) {
                free(j);
                return api_reply_error(req, &err);
        }
        /* The engine goes with the job: the request may end before the wait does. */
        j->e = steal_pointer(&req->engine);
        return api_reply_stream(req, "application/json", wait_produce, wait_done, j);
}

enum MHD_Result api_container_remove(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_free char *id = NULL;
        struct engine *e;

        if (api_query_bool(req, "link", false))
                return api_reply_message(req, 400, "links are not supported");
        if (resolve(req, &e, &id, &err) < 0 ||
            engine_container_remove(e, id, api_query_bool(req, "force", false), api_query_bool(req, "v", false), &err) < 0)
                return api_reply_error(req, &err);
        return api_reply_empty(req, 204);
}

static enum MHD_Result pause_or_unpause(struct api_request *req, bool pause)
{
        cleanup_error berth_error err = {0};
        cleanup_free char *id = NULL;
        struct engine *e;

        if (resolve(req, &e, &id, &err) < 0 || engine_container_pause(e, id, pause, &err) < 0)
                return api_reply_error(req, &err);
        return api_reply_empty(req, 204);
}

enum MHD_Result api_container_pause(struct api_request *req)
{
        return pause_or_unpause(req, true);
}

enum MHD_Result api_container_unpause(struct api_request *req)
{
        return pause_or_unpause(req, false);
}

enum MHD_Result api_container_rename(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        const char *name = api_query(req, "name");
        struct engine *e;

        if (name == NULL || *name == '\0')
                return api_reply_message(req, 400, "the new name (name) must be given");
        if (api_engine(req, &e, &err) < 0 || engine_container_rename(e, req->parts[1], name, &err) < 0)
                return api_reply_error(req, &err);
        return api_reply_empty(req, 204);
}

enum MHD_Result api_container_resize(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        long h = 0, w = 0;
        struct engine *e;

        if (api_query_int(req, "h", 0, &h, &err) < 0 || api_query_int(req, "w", 0, &w, &err) < 0)
                return api_reply_error(req, &err);
        if (h < 0 || h > 65535 || w < 0 || w > 65535)
                return api_reply_message(req, 400, "invalid terminal size %ldx%ld", h, w);
        if (api_engine(req, &e, &err) < 0 ||
            engine_container_resize(e, req->parts[1], (unsigned) h, (unsigned) w, &err) < 0)
                return api_reply_error(req, &err);
        return api_reply_empty(req, 200);
}
