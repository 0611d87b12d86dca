#include "registry/upload.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image/blob.h"
#include "registry/blobsource.h"
#include "lib/cleanup.h"
#include "registry/errors.h"
#include "registry/progress.h"
#include "lib/util.h"

struct upload {
        struct registry_session *s;
        struct image_store *store;
        const char *path;
        const struct descriptor *d;
        bool report;
        char *scope;
        int fd;
        uint64_t base;     /* bytes sent by earlier chunks */
        uint64_t last_ms;
};

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

static void on_progress(void *data, uint64_t done, uint64_t total)
{
        struct upload *u = data;
        uint64_t now = now_ms();

        if (!u->report || now - u->last_ms < 100)
                return;
        u->last_ms = now;
        registry_emit_layer(u->s->opts, u->d->digest, LAYER_PUSHING, u->base + done, (uint64_t) u->d->size, NULL);
        (void) total;
}

static int call_failed(const char *what, const char *method, const char *url, const struct http_response *resp,
                       berth_error *err)
{
        cleanup_free char *text = registry_error_text(resp);
        int code = resp->status == 401 || resp->status == 403 ? EACCES
                   : resp->status == 404                      ? ENOENT
                   : registry_status_is_transient(resp->status) ? EAGAIN
                                                                : EPROTO;

        return berth_failf(err, code, "blob %s: %s \"%s\": %s", what, method, url, text);
}

/* HEAD /v2/PATH/blobs/DIGEST: 200 when the repository holds it. */
static int blob_exists(struct upload *u, bool *exists, berth_error *err)
{
        cleanup_http_response struct http_response resp = {0};
        cleanup_free char *url = registry_url(u->s, "/v2/%s/blobs/%s", u->path, u->d->digest);
        struct registry_request rq = {.method = "HEAD", .url = url, .scope = u->scope, .retry = true};
        int r;

        *exists = false;
        if ((r = registry_call(u->s, &rq, &resp, err)) < 0)
                return r;
        if (resp.status == 200) {
                *exists = true;
                return 0;
        }
        if (resp.status == 404)
                return 0;
        return call_failed(u->d->digest, "Head", url, &resp, err);
}

/* POST .../blobs/uploads/[?mount=&from=]: 201 mounted, 202 an upload session at *location. */
static int start_upload(struct upload *u, const char *from, bool *mounted, char **location, berth_error *err)
{
        static char *const headers[] = {"Content-Length: 0", NULL};
        cleanup_http_response struct http_response resp = {0};
        cleanup_free char *url = NULL, *scope = NULL;
        int r;

        *mounted = false;
        *location = NULL;
        if (from != NULL) {
                cleanup_free char *esc = http_query_escape(from);
                url = registry_url(u->s, "/v2/%s/blobs/uploads/?mount=%s&from=%s", u->path, u->d->digest, esc);
                /* The token must allow pulling from the source repository too. */
                scope = xasprintf("%s repository:%s:pull", u->scope, from);
        } else {
                url = registry_url(u->s, "/v2/%s/blobs/uploads/", u->path);
        }
        struct registry_request rq = {.method = "POST", .url = url, .scope = scope ? scope : u->scope,
                                      .headers = headers, .retry = true};
        if ((r = registry_call(u->s, &rq, &resp, err)) < 0)
                return r;
        if (resp.status == 201 && from != NULL) {
                *mounted = true;
                return 0;
        }
        if (resp.status != 202 || resp.location == NULL)
                return call_failed(u->d->digest, "Post", url, &resp, err);
        *location = http_resolve_url(resp.url ? resp.url : url, resp.location);
        return 0;
}

static char *with_digest(const char *location, const char *digest)
{
        return xasprintf("%s%cdigest=%s", location, strchr(location, '?') ? '&' : '?', digest);
}

/* The closing PUT: the whole blob (monolithic) or nothing after the chunks. */
static int finish_upload(struct upload *u, const char *location, const struct http_file_body *body, berth_error *err)
{
        static char *const headers[] = {"Content-Type: application/octet-stream", NULL};
        cleanup_http_response struct http_response resp = {0};
        cleanup_free char *url = with_digest(location, u->d->digest);
        struct registry_request rq = {.method = "PUT", .url = url, .scope = u->scope, .headers = headers,
                                      .file_body = body, .progress = on_progress, .progress_data = u};
        int r;

        if ((r = registry_call(u->s, &rq, &resp, err)) < 0)
                return r;
        if (resp.status != 201)
                return call_failed(u->d->digest, "Put", location, &resp, err);
        if (resp.docker_digest != NULL && strcmp(resp.docker_digest, u->d->digest) != 0)
                return berth_failf(err, EBADMSG, "%s: the registry stored it as %s", u->d->digest, resp.docker_digest);
        return 0;
}

static int upload_chunks(struct upload *u, char **location, uint64_t chunk, berth_error *err)
{
        uint64_t size = (uint64_t) u->d->size;
        int r;

        for (uint64_t off = 0; off < size; off += chunk) {
                cleanup_http_response struct http_response resp = {0};
                uint64_t len = size - off < chunk ? size - off : chunk;
                cleanup_free char *range = xasprintf("Content-Range: %" PRIu64 "-%" PRIu64, off, off + len - 1);
                char *headers[] = {"Content-Type: application/octet-stream", range, NULL};
                struct http_file_body body = {.fd = u->fd, .offset = off, .length = len};
                struct registry_request rq = {.method = "PATCH", .url = *location, .scope = u->scope, .headers = headers,
                                              .file_body = &body, .progress = on_progress, .progress_data = u};

                u->base = off;
                if ((r = registry_call(u->s, &rq, &resp, err)) < 0)
                        return r;
                if (resp.status != 202 || resp.location == NULL)
                        return call_failed(u->d->digest, "Patch", *location, &resp, err);
                char *next = http_resolve_url(resp.url ? resp.url : *location, resp.location);
                free(*location);
                *location = next;
        }
        u->base = size;
        return finish_upload(u, *location, NULL, err);
}

static int upload_once(struct upload *u, const char *from, enum upload_outcome *outcome, berth_error *err)
{
        uint64_t chunk = u->s->opts->chunk_size ? u->s->opts->chunk_size : UPLOAD_DEFAULT_CHUNK;
        cleanup_free char *location = NULL;
        bool mounted = false;
        int r;

        if ((r = start_upload(u, from, &mounted, &location, err)) < 0)
                return r;
        if (mounted) {
                *outcome = UPLOAD_MOUNTED;
                return 0;
        }
        u->base = 0;
        if (u->report)
                registry_emit_layer(u->s->opts, u->d->digest, LAYER_PUSHING, 0, (uint64_t) u->d->size, NULL);
        if ((uint64_t) u->d->size <= chunk) {
                struct http_file_body body = {.fd = u->fd, .offset = 0, .length = (uint64_t) u->d->size};
                r = finish_upload(u, location, &body, err);
        } else {
                r = upload_chunks(u, &location, chunk, err);
        }
        if (r == 0)
                *outcome = UPLOAD_PUSHED;
        return r;
}

static bool worth_retry(int r)
{
        /* Resets, timeouts, other transport failures (EIO) and 5xx answers: the upload starts again. */
        return r == -ECONNRESET || r == -ETIMEDOUT || r == -EIO || r == -EAGAIN;
}

int registry_upload_blob(struct registry_session *s, struct image_store *store, const char *path,
                         const struct descriptor *d, bool report, enum upload_outcome *outcome, char **mounted_from,
                         berth_error *err)
{
        cleanup_free char *hint = NULL;
        berth_error ignored = {0};

        /* A mount is a hint: an error finding one is a plain upload. */
        if (blob_sources_find(store, s->domain, d->digest, path, &hint, &ignored) < 0) {
                berth_error_clear(&ignored);
                hint = NULL;
        }
        return registry_upload_blob_hinted(s, store, path, d, report, hint, outcome, mounted_from, err);
}

int registry_upload_blob_hinted(struct registry_session *s, struct image_store *store, const char *path,
                                const struct descriptor *d, bool report, const char *hint,
                                enum upload_outcome *outcome, char **mounted_from, berth_error *err)
{
        struct upload u = {.s = s, .store = store, .path = path, .d = d, .report = report, .fd = -1};
        cleanup_free char *from = hint ? xstrdup(hint) : NULL;
        bool exists = false;
        int r;

        *mounted_from = NULL;
        u.scope = xasprintf("repository:%s:pull,push", path);
        if ((r = blob_exists(&u, &exists, err)) < 0)
                goto out;
        if (exists) {
                *outcome = UPLOAD_EXISTED;
                goto out;
        }
        /* A mount is a hint: a refusal (202) falls back to the upload it opened. */
        if ((u.fd = store_blob_open(store, d->digest, err)) < 0) {
                r = u.fd;
                goto out;
        }
        if (store_blob_size(store, d->digest) != d->size) {
                r = berth_failf(err, EBADMSG, "blob %s: the stored blob is not %" PRId64 " bytes", d->digest, d->size);
                goto out;
        }
        for (unsigned attempt = 1;; attempt++) {
                r = upload_once(&u, from, outcome, err);
                if (r == 0 || !worth_retry(r) || attempt >= s->attempts)
                        break;
                berth_error_clear(err);
                if ((r = registry_sleep(s, registry_backoff(s, attempt), err)) < 0)
                        break;
        }
        if (r == 0 && *outcome == UPLOAD_MOUNTED)
                *mounted_from = steal_pointer(&from);
out:
        if (u.fd >= 0)
                close(u.fd);
        free(u.scope);
        return r;
}
