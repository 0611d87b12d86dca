/* A container's streams: logs (docker's multiplexed frames without a TTY, raw bytes with one; follow streams
 * until the container stops or the client goes away) and attach (hijacked over HTTP Upgrade, relayed to the
 * container's monitor by engine_attach_relay). An attach to a container not started yet is held, as dockerd
 * holds it, until the start hands its end to the new monitor. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "api/api.h"
#include "api/sessions.h"
#include "engine/attach.h"
#include "engine/list.h"
#include "engine/logs.h"
#include "engine/monitor/protocol.h"

#define RAW_STREAM "application/vnd.docker.raw-stream"
#define MULTIPLEXED_STREAM "application/vnd.docker.multiplexed-stream"

void api_frame_header(unsigned char hdr[8], int stream, size_t len)
{
        memset(hdr, 0, 8);
        hdr[0] = (unsigned char) stream;
        hdr[4] = (unsigned char) (len >> 24);
        hdr[5] = (unsigned char) (len >> 16);
        hdr[6] = (unsigned char) (len >> 8);
        hdr[7] = (unsigned char) len;
}

/* One piece of output to the client: framed unless the container has a TTY. */
static int send_output(int fd, bool tty, int stream, const char *prefix, const char *bytes, size_t len)
{
        size_t plen = prefix ? strlen(prefix) : 0;
        unsigned char hdr[8];

        if (!tty) {
                api_frame_header(hdr, stream, plen + len);
                if (write_all(fd, hdr, sizeof(hdr)) < 0)
                        return -1;
        }
        if ((plen > 0 && write_all(fd, prefix, plen) < 0) || write_all(fd, bytes, len) < 0)
                return -1;
        return 0;
}

/* The media type of a container's stream (API 1.42 tells the two apart; before, always raw). */
static const char *stream_type(struct api_request *req, bool tty)
{
        return tty || req->minor < 42 ? RAW_STREAM : MULTIPLEXED_STREAM;
}

/* ---- logs ---- */

struct logs_job {
        struct engine *e;
        char *id;
        struct engine_logs_options o;
        bool tty, stdout_wanted, stderr_wanted, timestamps;
        int fd;
        bool gone; /* a write failed: the client went away */
};

static void logs_sink(const char *stream, const char *time, const char *bytes, size_t len, void *data)
{
        struct logs_job *j = data;
        bool is_err = stream != NULL && strcmp(stream, "stderr") == 0;
        cleanup_free char *prefix = j->timestamps ? xasprintf("%s ", time) : NULL;

        if (j->gone || (is_err ? !j->stderr_wanted : !j->stdout_wanted))
                return;
        if (send_output(j->fd, j->tty, is_err ? 2 : 1, prefix, bytes, len) < 0)
                j->gone = true;
}

static bool logs_cancelled(void *data)
{
        struct logs_job *j = data;
        struct pollfd p = {.fd = j->fd, .events = 0};

        /* The pipe's reader (libmicrohttpd's side) closed: the client is gone. */
        return j->gone || (poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP)));
}

static void logs_produce(int fd, void *data)
{
        struct logs_job *j = data;
        berth_error err = {0};

        j->fd = fd;
        engine_container_logs(j->e, j->id, &j->o, logs_sink, j, &err);
        berth_error_clear(&err);
}

static void logs_done(void *data)
{
        struct logs_job *j = data;

        engine_close(j->e);
        free(j->id);
        free(j);
}

static int parse_time(struct api_request *req, const char *key, double *out, berth_error *err)
{
        const char *v = api_query(req, key);
        char *end = NULL;

        *out = 0;
        if (v == NULL || *v == '\0')
                return 0;
        *out = strtod(v, &end);
        if (end == v || *end != '\0' || *out < 0)
                return berth_failf(err, EINVAL, "invalid value for %s: %s (seconds since the epoch)", key, v);
        return 0;
}

enum MHD_Result api_container_logs(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_engine_container struct engine_container *c = NULL;
        const char *tail = api_query(req, "tail");
        struct logs_job *j;
        struct engine *e;
        int64_t n;

        if (api_engine(req, &e, &err) < 0 || engine_container_find(e, req->parts[1], &c, &err) < 0)
                return api_reply_error(req, &err);
        j = xzalloc(sizeof(*j));
        j->stdout_wanted = api_query_bool(req, "stdout", false);
        j->stderr_wanted = api_query_bool(req, "stderr", false);
        j->timestamps = api_query_bool(req, "timestamps", false);
        j->tty = json_is_true(json_object_get(c->config, "Tty"));
        j->o.follow = api_query_bool(req, "follow", false);
        j->o.tail = -1;
        j->o.cancelled = logs_cancelled;
        if (tail != NULL && *tail != '\0' && strcmp(tail, "all") != 0) {
                if (parse_i64(tail, &n) < 0 || n < 0) {
                        free(j);
                        return api_reply_message(req, 400, "invalid value for tail: %s", tail);
                }
                j->o.tail = (long) n;
        }
        if (parse_time(req, "since", &j->o.since, &err) < 0 || parse_time(req, "until", &j->o.until, &err) < 0) {
                free(j);
                return api_reply_error(req, &err);
        }
        if (!j->stdout_wanted && !j->stderr_wanted) {
                free(j);
                return api_reply_message(req, 400, "Bad parameters: you must choose at least one stream");
        }
        j->id = xstrdup(c->id);
        j->e = steal_pointer(&req->engine);
        return api_reply_stream(req, stream_type(req, j->tty), logs_produce, logs_done, j);
}

/* ---- attach ---- */

struct api_pending_attach {
        char *id;
        int monitor_end;
        struct api_pending_attach *next;
};

static void pending_add(struct api_server *srv, const char *id, int fd)
{
        struct api_pending_attach *p = xzalloc(sizeof(*p));

        p->id = xstrdup(id);
        p->monitor_end = fd;
        pthread_mutex_lock(&srv->lock);
        p->next = srv->pending;
        srv->pending = p;
        pthread_mutex_unlock(&srv->lock);
}

int api_pending_attach_take(struct api_server *srv, const char *id)
{
        int fd = -1;

        pthread_mutex_lock(&srv->lock);
        for (struct api_pending_attach **p = &srv->pending; *p != NULL; p = &(*p)->next)
                if (strcmp((*p)->id, id) == 0) {
                        struct api_pending_attach *found = *p;
                        *p = found->next;
                        fd = found->monitor_end;
                        free(found->id);
                        free(found);
                        break;
                }
        pthread_mutex_unlock(&srv->lock);
        return fd;
}

struct attach_job {
        struct api_server *srv;
        struct engine_attach a;
        char *id;
        bool tty, want_stdin, pending;
        int sock;
};

static int attach_output(int stream, const char *bytes, size_t len, void *data)
{
        struct attach_job *j = data;

        return send_output(j->sock, j->tty, stream, NULL, bytes, len);
}

static void attach_session(struct api_session *s, void *data)
{
        struct attach_job *j = data;
        berth_error err = {0};
        size_t n_extra = 0;
        const char *extra = api_session_extra(s, &n_extra);
        int code;

        j->sock = api_session_fd(s);
        if (engine_attach_relay(&j->a, j->sock, j->want_stdin ? extra : NULL, j->want_stdin ? n_extra : 0, attach_output, j,
                                &code, &err) < 0)
                berth_error_clear(&err);
}

static void attach_done(void *data)
{
        struct attach_job *j = data;

        /* Never started: the monitor's end is still ours to close. */
        if (j->pending) {
                int fd = api_pending_attach_take(j->srv, j->id);
                if (fd >= 0)
                        close(fd);
        }
        if (j->a.fd >= 0)
                close(j->a.fd);
        free(j->id);
        free(j);
}

enum MHD_Result api_container_attach(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_engine_container struct engine_container *c = NULL;
        struct attach_job *j;
        struct engine *e;
        int monitor_end = -1;

        if (api_engine(req, &e, &err) < 0 || engine_container_find(e, req->parts[1], &c, &err) < 0)
                return api_reply_error(req, &err);
        if (api_query_bool(req, "logs", false))
                return api_reply_message(req, 400, "attach with logs=1 is not supported yet: read /containers/%s/logs",
                                         req->parts[1]);
        if (c->status != ENGINE_CREATED && c->status != ENGINE_RUNNING && c->status != ENGINE_PAUSED)
                return api_reply_message(req, 409, "You cannot attach to a stopped container, start it first");
        j = xzalloc(sizeof(*j));
        j->srv = req->srv;
        j->id = xstrdup(c->id);
        j->a.fd = -1;
        j->tty = json_is_true(json_object_get(c->config, "Tty"));
        j->want_stdin = api_query_bool(req, "stdin", false);
        j->a.flags = (j->want_stdin ? ATTACH_WANT_STDIN : 0) | (api_query_bool(req, "stdout", false) ? ATTACH_WANT_STDOUT : 0) |
                     (api_query_bool(req, "stderr", false) ? ATTACH_WANT_STDERR : 0) |
                     (json_is_true(json_object_get(c->config, "StdinOnce")) ? ATTACH_STDIN_ONCE : 0);
        if (c->status == ENGINE_CREATED) {
                /* docker run: attached before the start, from the container's first byte. */
                if (engine_attach_pair(&j->a, &monitor_end, &err) < 0) {
                        attach_done(j);
                        return api_reply_error(req, &err);
                }
                pending_add(req->srv, c->id, monitor_end);
                j->pending = true;
        } else if (engine_attach_connect(e, c->id, &j->a.fd, &err) < 0) {
                attach_done(j);
                return api_reply_error(req, &err);
        }
        return api_reply_upgrade(req, stream_type(req, j->tty), attach_session, attach_done, j);
}
