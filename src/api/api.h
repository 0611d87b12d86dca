/* The Docker Engine API server (`berth system service`, docs/api.md): a thin front end over the engine library,
 * as src/cli/berth is. Each handler reads its request (path, query, JSON body), calls one engine operation
 * and encodes the result in docker's schema; what the values mean is the engine's to check.
 *
 * libmicrohttpd serves the HTTP, one thread per connection (a slow or stuck client blocks only itself);
 * every request opens its own engine (its own SQLite connection), as every berth command does. */
#pragma once

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "engine/engine.h"

/* The API versions served: 1.24 (docker 1.12) up to the one docker CLI 28 negotiates. */
#define API_VERSION_MAX_MINOR 50
#define API_VERSION_MIN_MINOR 24
#define API_VERSION_MAX "1.50"
#define API_VERSION_MIN "1.24"
/* A request body larger than this is refused (413) before it is read. */
#define API_BODY_MAX (16u * 1024 * 1024)

struct api_pending_attach;
struct api_exec;

struct api_server {
        const char *root;   /* --root, or NULL: the store's default */
        const char *driver; /* --storage-driver, or NULL */
        struct MHD_Daemon *mhd;
        pthread_mutex_t lock; /* guards what follows */
        unsigned active;      /* open connections and hijacked sessions */
        int64_t last_active_ms; /* CLOCK_MONOTONIC, when the last one ended */
        struct api_pending_attach *pending; /* attaches waiting for their container's start */
        struct api_exec *execs; /* exec instances (exec.c), newest first */
        pid_t *monitors;      /* monitors we forked (our children until they exit): reaped by main's loop */
        size_t n_monitors;
        volatile bool stopping; /* set by main's loop: streamed replies end */
        bool tls;             /* tcp:// with client certificates: each request's is verified first */
};

struct api_request {
        struct api_server *srv;
        struct MHD_Connection *conn;
        const char *method;
        char *url;
        unsigned minor;      /* the API version asked for: 1.<minor> */
        char **parts;        /* the path after the version, split on '/' */
        size_t n_parts;
        char *name;          /* what a route's "**" matched (an image name with its slashes) */
        int route;           /* the route table's entry, matched once at the request's start; -1: none */
        bool path_known;     /* some route has this path (another method: 405) */
        const char *rest;    /* the path after the version, in url */
        berth_error version_err; /* a version prefix refused (400 once the body is in) */
        char *body;
        size_t body_len;
        int body_fd;         /* a spooled route's body (an unnamed file in the store's tmp), else -1 */
        bool refused;        /* a reply was queued while the body came (too large): the rest is dropped */
        struct engine *engine;
};

/* http.c: replies. Each returns MHD's result of queueing the response. */
enum MHD_Result api_reply_json(struct api_request *req, unsigned status, json_t *body /* stolen */);
enum MHD_Result api_reply_text(struct api_request *req, unsigned status, const char *content_type, const char *text,
                               size_t len);
enum MHD_Result api_reply_empty(struct api_request *req, unsigned status);
/* docker's error body {"message": ...}, with the status the error's code means (ENOENT: 404, EEXIST and EBUSY:
 * 409, EINVAL: 400, else 500). */
enum MHD_Result api_reply_error(struct api_request *req, const berth_error *err);
enum MHD_Result api_reply_message(struct api_request *req, unsigned status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Adds the headers every response of dockerd has (Api-Version, Server, Ostype, Docker-Experimental). */
void api_add_common_headers(struct MHD_Response *resp);

/* The request's engine, opened on first use (closed when the request ends). */
int api_engine(struct api_request *req, struct engine **out, berth_error *err);
/* A query parameter, or NULL. */
const char *api_query(struct api_request *req, const char *key);
/* docker's boolean query values: "1", "true", "True" (anything else but "", "0", "false", "False" is true). */
bool api_query_bool(struct api_request *req, const char *key, bool dflt);
/* An integer query parameter; EINVAL (400) when it is not one. */
int api_query_int(struct api_request *req, const char *key, long dflt, long *out, berth_error *err);
/* The body as JSON (NULL when empty): EINVAL for a Content-Type other than JSON or malformed JSON. */
int api_body_json(struct api_request *req, json_t **out, berth_error *err);
/* docker's filters query parameter ({"key": ["v", ...]} or the old {"key": {"v": true}}) as "key=value" strings
 * (NULL-terminated, NULL when absent); EINVAL when malformed. */
int api_query_filters(struct api_request *req, char ***out, berth_error *err);

/* Handlers: the path's parts after the version (parts[0] is "containers", ...). */
typedef enum MHD_Result (*api_handler)(struct api_request *req);

/* system.c */
enum MHD_Result api_ping(struct api_request *req);
enum MHD_Result api_version(struct api_request *req);
enum MHD_Result api_info(struct api_request *req);
enum MHD_Result api_system_df(struct api_request *req);

/* containers.c */
enum MHD_Result api_container_create(struct api_request *req);
enum MHD_Result api_container_list(struct api_request *req);
enum MHD_Result api_container_inspect(struct api_request *req);
enum MHD_Result api_container_start(struct api_request *req);
enum MHD_Result api_container_stop(struct api_request *req);
enum MHD_Result api_container_restart(struct api_request *req);
enum MHD_Result api_container_kill(struct api_request *req);
enum MHD_Result api_container_wait(struct api_request *req);
enum MHD_Result api_container_remove(struct api_request *req);
enum MHD_Result api_container_pause(struct api_request *req);
enum MHD_Result api_container_unpause(struct api_request *req);
enum MHD_Result api_container_rename(struct api_request *req);
enum MHD_Result api_container_resize(struct api_request *req);

/* containers_info.c */
enum MHD_Result api_container_top(struct api_request *req);
enum MHD_Result api_container_changes(struct api_request *req);
enum MHD_Result api_container_export(struct api_request *req);
enum MHD_Result api_container_prune(struct api_request *req);
/* stats.c */
enum MHD_Result api_container_stats(struct api_request *req);
/* A prune's filters ("key=value", NULL when none): EINVAL for a key not in known (NULL-terminated). */
int api_prune_filters(struct api_request *req, const char *const *known, char ***out, berth_error *err);
/* A boolean filter's value among "key=value" filters ("1", "true": true; "0", "false": false; the last one
 * given wins), dflt when absent. */
bool api_filter_bool(char *const *filters, const char *key, bool dflt);

/* images.c */
enum MHD_Result api_image_list(struct api_request *req);
enum MHD_Result api_image_inspect(struct api_request *req);
enum MHD_Result api_image_history(struct api_request *req);
enum MHD_Result api_image_push(struct api_request *req);
enum MHD_Result api_auth(struct api_request *req);
/* imageio.c: docker save and load. */
enum MHD_Result api_image_get(struct api_request *req);
enum MHD_Result api_image_load(struct api_request *req);
enum MHD_Result api_commit(struct api_request *req);
enum MHD_Result api_image_tag(struct api_request *req);
enum MHD_Result api_image_remove(struct api_request *req);
enum MHD_Result api_image_create(struct api_request *req);
enum MHD_Result api_image_prune(struct api_request *req);

/* events.c */
enum MHD_Result api_events(struct api_request *req);

/* volumes.c */
enum MHD_Result api_volume_list(struct api_request *req);
enum MHD_Result api_volume_inspect(struct api_request *req);
enum MHD_Result api_volume_create(struct api_request *req);
enum MHD_Result api_volume_remove(struct api_request *req);
enum MHD_Result api_volume_prune(struct api_request *req);

/* exec.c */
enum MHD_Result api_exec_create(struct api_request *req);
enum MHD_Result api_exec_start(struct api_request *req);
enum MHD_Result api_exec_inspect(struct api_request *req);
enum MHD_Result api_exec_resize(struct api_request *req);
/* The exec instances, when the service ends. */
void api_execs_free(struct api_server *srv);

/* networks.c */
enum MHD_Result api_network_list(struct api_request *req);
enum MHD_Result api_network_inspect(struct api_request *req);
enum MHD_Result api_network_create(struct api_request *req);
enum MHD_Result api_network_remove(struct api_request *req);
enum MHD_Result api_network_connect(struct api_request *req);
enum MHD_Result api_network_disconnect(struct api_request *req);
enum MHD_Result api_network_prune(struct api_request *req);

/* streams.c: logs, attach (hijacked). */
enum MHD_Result api_container_logs(struct api_request *req);
enum MHD_Result api_container_attach(struct api_request *req);
/* The monitor's end of an attach made before the container started (start hands it to the monitor), or -1. */
int api_pending_attach_take(struct api_server *srv, const char *id);
/* A monitor the server forked (engine_container_start): reaped when it exits. */
void api_monitor_started(struct api_server *srv, pid_t pid);
/* A streamed reply: produce(fd, data) runs in a thread of its own and writes the body to fd; done(data) then
 * frees data. The client going away makes fd's writes fail (EPIPE). */
enum MHD_Result api_reply_stream(struct api_request *req, const char *content_type,
                                 void (*produce)(int fd, void *data), void (*done)(void *data), void *data);
/* A tar streamed from the engine (export, cp's GET, save): the request's engine, taken over for the stream's
 * thread, and what its produce callback needs (a container, a path in it, image names). api_tar_job_done,
 * the stream's done callback, closes and frees it all. */
struct api_tar_job {
        struct engine *e;
        char *id;
        char *path;
        char **refs;
};
struct api_tar_job *api_tar_job_new(struct api_request *req);
void api_tar_job_done(void *data);

/* The same with one more header (header NULL: none). */
enum MHD_Result api_reply_stream_header(struct api_request *req, const char *content_type, const char *header,
                                        const char *value, void (*produce)(int fd, void *data), void (*done)(void *data),
                                        void *data);

/* archive.c: docker cp's endpoints (HEAD, GET and PUT /containers/ID/archive). */
enum MHD_Result api_container_archive_stat(struct api_request *req);
enum MHD_Result api_container_archive_get(struct api_request *req);
enum MHD_Result api_container_archive_put(struct api_request *req);

/* One JSON document and its line end (eol: "\n", or "\r\n" as dockerd's jsonmessage) in one write to a
 * streamed reply's fd: written apart, the end may reach the client as a chunk of its own, which clients that
 * split the stream on JSON values (docker-py's json_stream) take for a document. -1 when the write fails. */
int api_write_json_line(int fd, const json_t *doc, const char *eol);

/* docker's multiplexed stream frame header: stream (1 stdout, 2 stderr), then the length, big-endian. */
void api_frame_header(unsigned char hdr[8], int stream, size_t len);
