/* HTTP for the registry client, on libcurl: one multi handle per registry connection pool, requests run
 * synchronously (http_perform) or several at once (http_transfer_start + http_client_wait), with TLS
 * settings per registry and a cancel flag checked at least every 100 ms (Ctrl-C during a pull).
 *
 * Credentials travel only in the Authorization header given per request: never in URLs, so no URL that
 * reaches an error message can hold one. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

/* TLS as podman configures it: the system CAs plus the *.crt of a certificates directory
 * (/etc/containers/certs.d/HOST:PORT or --cert-dir), a client certificate from its NAME.cert and NAME.key pair, or no
 * verification at all (--tls-verify=false, insecure registries). */
struct http_tls {
        bool verify;
        char *ca_pem;      /* extra CAs, PEM, appended to the system bundle; NULL: system CAs only */
        size_t ca_pem_len;
        char *client_cert; /* paths */
        char *client_key;
};
void http_tls_clear(struct http_tls *t);
/* Reads a certificates directory: every *.crt is a CA; NAME.cert with NAME.key is the client pair. A missing
 * directory is not an error (the defaults may not exist). */
int http_tls_load_dir(struct http_tls *t, const char *dir, berth_error *err);

struct http_response {
        long status;           /* 0 until a status line arrived */
        char *reason;          /* "Internal Server Error" */
        char *content_type;
        char *location;
        char *docker_digest;   /* Docker-Content-Digest */
        char *range;           /* Range (upload status) */
        char *content_range;
        char *link;            /* Link (tags/list pagination) */
        char **www_authenticate;
        int64_t content_length; /* -1: not announced */
        char *body;            /* NUL-terminated; for non-2xx answers or when no sink is set */
        size_t body_len;
        char *url;             /* the effective URL (after redirects) */
};
void http_response_clear(struct http_response *r);
#define cleanup_http_response __attribute__((cleanup(http_response_clear)))

/* Streaming consumer of a 2xx answer's body. Returning < 0 aborts the transfer with that error. */
typedef int (*http_sink_fn)(void *data, const struct http_response *resp, const void *buf, size_t len,
                            berth_error *err);
typedef void (*http_progress_fn)(void *data, uint64_t done, uint64_t total);

struct http_file_body {
        int fd;
        uint64_t offset;
        uint64_t length;
};

struct http_request {
        const char *method;            /* GET (default), HEAD, POST, PUT, PATCH */
        const char *url;
        char *const *headers;          /* "Name: value", NULL-terminated, may be NULL */
        const char *authorization;     /* the Authorization header's value, or NULL */
        const void *body;              /* a body in memory ... */
        size_t body_len;
        const struct http_file_body *file_body; /* ... or a range of a file */
        bool follow_redirects;         /* blob downloads: storage backends redirect */
        size_t max_body;               /* a 2xx body kept in memory is refused beyond this (no sink) */
        http_sink_fn sink;
        void *sink_data;
        http_progress_fn progress;     /* upload and download progress */
        void *progress_data;
};

struct http_client;
struct http_transfer;

/* cancel: when it becomes non-zero, running requests fail with -ECANCELED ("interrupted"). */
int http_client_new(const struct http_tls *tls, const volatile sig_atomic_t *cancel, struct http_client **out,
                    berth_error *err);
void http_client_free(struct http_client *c);
/* Changes TLS verification for later requests (the insecure fallback of a registry ping). */
void http_client_set_verify(struct http_client *c, bool verify);
bool http_client_cancelled(const struct http_client *c);

/* Runs one request to its end. Only transport failures are errors (err holds Go-style text such as
 * `Get "URL": dial tcp 127.0.0.1:1: connect: connection refused`, and *transport is set when given); an
 * HTTP error status is a response like any other. Completions of other running transfers are kept for
 * http_client_wait. */
int http_perform(struct http_client *c, const struct http_request *req, struct http_response *resp,
                 bool *transport, berth_error *err);

/* Concurrent requests: start several, then collect them as they finish. The request and its strings must
 * live until the transfer is freed. */
int http_transfer_start(struct http_client *c, const struct http_request *req, void *user,
                        struct http_transfer **out, berth_error *err);
/* Waits up to timeout_ms for a transfer to finish: 1 and *done set, 0 on timeout, -ECANCELED when
 * cancelled. */
int http_client_wait(struct http_client *c, int timeout_ms, struct http_transfer **done, berth_error *err);
void *http_transfer_user(const struct http_transfer *t);
struct http_response *http_transfer_response(struct http_transfer *t);
/* The outcome of a finished transfer: 0, or < 0 with err (transport failure or the sink's own error);
 * *transport tells which (a transport failure is worth a retry, a sink error is not). */
int http_transfer_result(struct http_transfer *t, bool *transport, berth_error *err);
/* Stops (when running) and frees. */
void http_transfer_free(struct http_transfer *t);

/* "https://host/v2/x" + "/v2/y?z" or an absolute URL: the target of a Location header. */
char *http_resolve_url(const char *base, const char *location);
/* Percent-encoding for query values. */
char *http_query_escape(const char *s);
