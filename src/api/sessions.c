/* Replies that outlive the request callback: streamed bodies (logs, pull progress: a thread writes into a pipe
 * that libmicrohttpd reads) and hijacked connections (attach: HTTP Upgrade, then the raw socket is ours). The
 * server counts both as activity (idle timeout) and shuts hijacked sockets down when it stops. Also the record of
 * the monitors the server forked, which main.c's loop reaps. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "api/api.h"
#include "api/sessions.h"

struct stream {
        struct api_server *srv;
        int rfd, wfd;
        void (*produce)(int fd, void *data);
        void (*done)(void *data);
        void *data;
};

static void activity(struct api_server *srv, int delta)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        pthread_mutex_lock(&srv->lock);
        srv->active = (unsigned) ((int) srv->active + delta);
        srv->last_active_ms = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        pthread_mutex_unlock(&srv->lock);
}

static void *stream_thread(void *arg)
{
        struct stream *s = arg;

        s->produce(s->wfd, s->data);
        close(s->wfd);
        if (s->done != NULL)
                s->done(s->data);
        activity(s->srv, -1);
        free(s);
        return NULL;
}

struct stream_reader {
        struct api_server *srv;
        int rfd;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
        struct stream_reader *rd = cls;
        ssize_t n;

        (void) pos;
        /* A stream that would outlast the service (a wait, a follow) ends when the service stops. */
        for (;;) {
                struct pollfd p = {.fd = rd->rfd, .events = POLLIN};
                if (rd->srv->stopping)
                        return MHD_CONTENT_READER_END_WITH_ERROR;
                if (poll(&p, 1, 200) > 0)
                        break;
        }
        do
                n = read(rd->rfd, buf, max);
        while (n < 0 && errno == EINTR);
        if (n == 0)
                return MHD_CONTENT_READER_END_OF_STREAM;
        return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void stream_free(void *cls)
{
        struct stream_reader *rd = cls;

        close(rd->rfd);
        free(rd);
}

enum MHD_Result api_reply_stream(struct api_request *req, const char *content_type, void (*produce)(int fd, void *data),
                                 void (*done)(void *data), void *data)
{
        return api_reply_stream_header(req, content_type, NULL, NULL, produce, done, data);
}

enum MHD_Result api_reply_stream_header(struct api_request *req, const char *content_type, const char *header,
                                        const char *value, void (*produce)(int fd, void *data), void (*done)(void *data),
                                        void *data)
{
        struct stream *s = xzalloc(sizeof(*s));
        struct MHD_Response *resp;
        struct stream_reader *rd;
        int fds[2];
        pthread_t th;
        enum MHD_Result r;

        if (pipe2(fds, O_CLOEXEC) < 0) {
                berth_error err = {0};
                free(s);
                if (done != NULL)
                        done(data);
                berth_fail(&err, errno, "pipe");
                r = api_reply_error(req, &err);
                berth_error_clear(&err);
                return r;
        }
        *s = (struct stream){.srv = req->srv, .rfd = fds[0], .wfd = fds[1], .produce = produce, .done = done, .data = data};
        rd = xmalloc(sizeof(*rd));
        rd->srv = req->srv;
        rd->rfd = fds[0];
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, rd, stream_free);
        if (resp == NULL) {
                close(fds[0]);
                free(rd);
                close(fds[1]);
                if (done != NULL)
                        done(data);
                free(s);
                return MHD_NO;
        }
        activity(req->srv, 1);
        if (pthread_create(&th, NULL, stream_thread, s) != 0) {
                close(fds[1]);
                if (done != NULL)
                        done(data);
                free(s);
                activity(req->srv, -1);
        } else {
                pthread_detach(th);
        }
        api_add_common_headers(resp);
        if (content_type != NULL)
                MHD_add_response_header(resp, "Content-Type", content_type);
        if (header != NULL)
                MHD_add_response_header(resp, header, value);
        r = MHD_queue_response(req->conn, 200, resp);
        MHD_destroy_response(resp);
        return r;
}

/* ---- hijacked connections ---- */

struct api_session {
        struct api_server *srv;
        struct MHD_UpgradeResponseHandle *urh;
        int sock;
        char *extra; /* bytes the client sent after the request, read by libmicrohttpd already */
        size_t n_extra;
        api_session_fn run;
        void (*done)(void *data);
        void *data;
        struct api_session *next;
};

/* Every hijacked session, for the shutdown. */
static pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;
static struct api_session *sessions;

int api_session_fd(const struct api_session *s)
{
        return s->sock;
}

const char *api_session_extra(const struct api_session *s, size_t *len)
{
        *len = s->n_extra;
        return s->extra;
}

static void *session_thread(void *arg)
{
        struct api_session *s = arg;

        s->run(s, s->data);
        pthread_mutex_lock(&sessions_lock);
        for (struct api_session **p = &sessions; *p != NULL; p = &(*p)->next)
                if (*p == s) {
                        *p = s->next;
                        break;
                }
        pthread_mutex_unlock(&sessions_lock);
        MHD_upgrade_action(s->urh, MHD_UPGRADE_ACTION_CLOSE);
        if (s->done != NULL)
                s->done(s->data);
        activity(s->srv, -1);
        free(s->extra);
        free(s);
        return NULL;
}

static void upgraded(void *cls, struct MHD_Connection *conn, void *req_cls, const char *extra_in, size_t extra_in_size,
                     MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
        struct api_session *s = cls;
        pthread_t th;
        int flags;

        (void) conn;
        (void) req_cls;
        s->urh = urh;
        s->sock = sock;
        if (extra_in_size > 0) {
                s->extra = xmalloc(extra_in_size);
                memcpy(s->extra, extra_in, extra_in_size);
                s->n_extra = extra_in_size;
        }
        /* Ours now, and blocking: the session's thread polls it. */
        flags = fcntl(sock, F_GETFL);
        if (flags >= 0)
                fcntl(sock, F_SETFL, flags & ~O_NONBLOCK);
        activity(s->srv, 1);
        pthread_mutex_lock(&sessions_lock);
        s->next = sessions;
        sessions = s;
        pthread_mutex_unlock(&sessions_lock);
        if (pthread_create(&th, NULL, session_thread, s) != 0) {
                pthread_mutex_lock(&sessions_lock);
                sessions = s->next;
                pthread_mutex_unlock(&sessions_lock);
                MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
                if (s->done != NULL)
                        s->done(s->data);
                activity(s->srv, -1);
                free(s->extra);
                free(s);
                return;
        }
        pthread_detach(th);
}

enum MHD_Result api_reply_upgrade(struct api_request *req, const char *content_type, api_session_fn run,
                                  void (*done)(void *data), void *data)
{
        struct api_session *s = xzalloc(sizeof(*s));
        struct MHD_Response *resp;
        enum MHD_Result r;

        *s = (struct api_session){.srv = req->srv, .sock = -1, .run = run, .done = done, .data = data};
        resp = MHD_create_response_for_upgrade(upgraded, s);
        if (resp == NULL) {
                if (done != NULL)
                        done(data);
                free(s);
                return MHD_NO;
        }
        api_add_common_headers(resp);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "tcp");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "Upgrade");
        if (content_type != NULL)
                MHD_add_response_header(resp, "Content-Type", content_type);
        r = MHD_queue_response(req->conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
        MHD_destroy_response(resp);
        /* Queued but never upgraded (the connection failed first): libmicrohttpd never calls upgraded(). The
         * session then leaks its small struct; done() was the caller's to run, so run it here on failure. */
        if (r != MHD_YES) {
                if (done != NULL)
                        done(data);
                free(s);
        }
        return r;
}

void api_sessions_shutdown(struct api_server *srv)
{
        (void) srv;
        for (int i = 0; i < 500; i++) {
                bool empty;
                pthread_mutex_lock(&sessions_lock);
                for (struct api_session *s = sessions; s != NULL; s = s->next)
                        shutdown(s->sock, SHUT_RDWR);
                empty = sessions == NULL;
                pthread_mutex_unlock(&sessions_lock);
                if (empty)
                        return;
                usleep(10000);
        }
}

/* Recorded for main.c's loop, which reaps them (they are our children until they exit). */
void api_monitor_started(struct api_server *srv, pid_t pid)
{
        pthread_mutex_lock(&srv->lock);
        srv->monitors = xrealloc(srv->monitors, (srv->n_monitors + 1) * sizeof(pid_t));
        srv->monitors[srv->n_monitors++] = pid;
        pthread_mutex_unlock(&srv->lock);
}

int api_write_json_line(int fd, const json_t *doc, const char *eol)
{
        cleanup_free char *text = json_dumps(doc, JSON_COMPACT);
        cleanup_free char *line = NULL;

        if (text == NULL)
                return 0;
        line = xasprintf("%s%s", text, eol);
        return write_all(fd, line, strlen(line));
}

struct api_tar_job *api_tar_job_new(struct api_request *req)
{
        struct api_tar_job *j = xzalloc(sizeof(*j));

        j->e = steal_pointer(&req->engine);
        return j;
}

void api_tar_job_done(void *data)
{
        struct api_tar_job *j = data;

        engine_close(j->e);
        free(j->id);
        free(j->path);
        strv_free(j->refs);
        free(j);
}
