#include "registry/fetch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/blob.h"
#include "lib/cleanup.h"
#include "registry/errors.h"
#include "registry/progress.h"
#include "lib/util.h"

#define DEFAULT_PARALLEL 3
#define PROGRESS_INTERVAL_MS 100

enum fetch_phase { FETCH_QUEUED, FETCH_RUNNING, FETCH_BACKOFF, FETCH_DONE };

struct fetch {
        struct fetch_item *item;
        struct registry_session *s;
        struct image_store *store;
        const char *scope;
        enum fetch_phase phase;
        struct blob_writer *w;
        struct http_transfer *t;
        char *url;
        char *auth;
        char *range;
        char *headers[2];
        unsigned attempts;  /* failed attempts so far */
        bool reauthed;
        bool checked;       /* the current response's headers were checked */
        uint64_t retry_at;  /* ms, monotonic */
        uint64_t last_event;
        berth_error last_err; /* the last transient failure, for the final message */
};

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

static void emit(struct fetch *f, enum registry_layer_state st, uint64_t cur, const char *text)
{
        if (f->item->layer)
                registry_emit_layer(f->s->opts, f->item->desc->digest, st, cur, (uint64_t) f->item->desc->size, text);
}

static void free_secret(char **p)
{
        if (*p != NULL) {
                explicit_bzero(*p, strlen(*p));
                free(*p);
                *p = NULL;
        }
}

static void fetch_release(struct fetch *f)
{
        http_transfer_free(f->t);
        f->t = NULL;
        free_secret(&f->auth);
        free(f->range);
        f->range = NULL;
}

static void fetch_clear(struct fetch *f)
{
        fetch_release(f);
        blob_writer_abort(f->w);
        f->w = NULL;
        free(f->url);
        berth_error_clear(&f->last_err);
}

static int restart_writer(struct fetch *f, berth_error *err)
{
        blob_writer_abort(f->w);
        f->w = NULL;
        return blob_writer_open(f->store, f->item->desc->digest, f->item->desc->size, &f->w, err);
}

/* "bytes START-END/TOTAL" */
static int parse_content_range(const char *s, uint64_t *start, int64_t *total)
{
        unsigned long long a, b;
        char tot[32];

        if (s == NULL || sscanf(s, "bytes %llu-%llu/%31s", &a, &b, tot) != 3)
                return -EINVAL;
        *start = a;
        *total = strcmp(tot, "*") == 0 ? -1 : strtoll(tot, NULL, 10);
        return 0;
}

/* The first bytes of a response: is it the blob we asked for, from where we asked? */
static int check_response(struct fetch *f, const struct http_response *resp, berth_error *err)
{
        const struct descriptor *d = f->item->desc;
        uint64_t have = blob_writer_size(f->w);

        if (resp->status == 206) {
                uint64_t start = 0;
                int64_t total = -1;
                if (parse_content_range(resp->content_range, &start, &total) < 0 || start != have)
                        return berth_failf(err, EPROTO, "blob %s: the registry answered the range request from byte %s",
                                           d->digest, resp->content_range ? resp->content_range : "(none)");
                if (total >= 0 && total != d->size)
                        return berth_failf(err, EBADMSG, "blob %s: size mismatch: the registry has %" PRId64 " bytes, the manifest says %" PRId64,
                                           d->digest, total, d->size);
                return 0;
        }
        /* A full answer: the registry ignored the Range header; start over. */
        if (have > 0) {
                int r = restart_writer(f, err);
                if (r < 0)
                        return r;
        }
        if (resp->content_length >= 0 && resp->content_length != d->size)
                return berth_failf(err, EBADMSG, "blob %s: size mismatch: the registry has %" PRId64 " bytes, the manifest says %" PRId64,
                                   d->digest, resp->content_length, d->size);
        return 0;
}

static int fetch_sink(void *data, const struct http_response *resp, const void *buf, size_t len, berth_error *err)
{
        struct fetch *f = data;
        uint64_t now;
        int r;

        if (!f->checked) {
                f->checked = true;
                if ((r = check_response(f, resp, err)) < 0)
                        return r;
        }
        if ((r = blob_writer_write(f->w, buf, len, err)) < 0)
                return r;
        now = now_ms();
        if (now - f->last_event >= PROGRESS_INTERVAL_MS) {
                f->last_event = now;
                emit(f, LAYER_DOWNLOADING, blob_writer_size(f->w), NULL);
        }
        return 0;
}

static int fetch_start(struct fetch *f, berth_error *err)
{
        uint64_t have;
        int r;

        if (f->w == NULL && (r = blob_writer_open(f->store, f->item->desc->digest, f->item->desc->size, &f->w, err)) < 0)
                return r;
        fetch_release(f);
        if ((r = registry_authorization(f->s, f->scope, &f->auth, err)) < 0)
                return r;
        have = blob_writer_size(f->w);
        f->headers[0] = NULL;
        if (have > 0) {
                /* Resume after a broken connection (RFC 9110 14.2); a registry that ignores it answers 200. */
                f->range = xasprintf("Range: bytes=%" PRIu64 "-", have);
                f->headers[0] = f->range;
        }
        f->checked = false;
        struct http_request req = {
                .method = "GET",
                .url = f->url,
                .headers = f->headers,
                .authorization = f->auth,
                .follow_redirects = true,
                .sink = fetch_sink,
                .sink_data = f,
        };
        if ((r = http_transfer_start(f->s->http, &req, f, &f->t, err)) < 0)
                return r;
        f->phase = FETCH_RUNNING;
        emit(f, LAYER_DOWNLOADING, have, NULL);
        return 0;
}

/* A failure worth another attempt: later, after a backoff, resuming from what arrived. */
static int fetch_retry(struct fetch *f, berth_error *cause, berth_error *err)
{
        unsigned delay;

        berth_error_clear(&f->last_err);
        f->last_err = *cause;
        *cause = (berth_error){0};
        f->attempts++;
        fetch_release(f);
        if (f->attempts >= f->s->attempts)
                return berth_failf(err, f->last_err.code, "%s %s: download failed after %u attempts: %s",
                                   f->item->layer ? "layer" : "image configuration", f->item->desc->digest, f->attempts,
                                   berth_error_message(&f->last_err));
        delay = registry_backoff(f->s, f->attempts);
        f->retry_at = now_ms() + delay;
        f->phase = FETCH_BACKOFF;
        {
                char secs[16];
                snprintf(secs, sizeof(secs), "%u", (delay + 999) / 1000);
                emit(f, LAYER_RETRYING, 0, secs);
        }
        return 0;
}

static int fetch_commit(struct fetch *f, berth_error *err)
{
        berth_error e = {0};
        char digest[DIGEST_STRING_LEN + 1];
        struct blob_writer *w = steal_pointer(&f->w);
        int r;

        emit(f, LAYER_VERIFYING, 0, NULL);
        if ((r = blob_writer_commit(w, digest, &e)) < 0) {
                /* The store says "blob D: digest mismatch: content has X"; docker's words name the digest once. */
                const char *msg = berth_error_message(&e);
                cleanup_free char *own = xasprintf("blob %s: ", f->item->desc->digest);
                if (str_has_prefix(msg, own))
                        msg += strlen(own);
                if (r == -EBADMSG)
                        r = berth_failf(err, EBADMSG, "filesystem layer verification failed for digest %s: %s",
                                        f->item->desc->digest, msg);
                else
                        r = berth_failf(err, -r, "%s", berth_error_message(&e));
                berth_error_clear(&e);
                return r;
        }
        fetch_release(f);
        f->phase = FETCH_DONE;
        emit(f, LAYER_DOWNLOAD_COMPLETE, 0, NULL);
        return 0;
}

static int fetch_finished(struct fetch *f, berth_error *err)
{
        struct http_response *resp = http_transfer_response(f->t);
        berth_error e = {0};
        bool transport = false;
        int r;

        r = http_transfer_result(f->t, &transport, &e);
        if (r < 0 && !transport) {
                berth_failf(err, e.code, "%s", berth_error_message(&e));
                berth_error_clear(&e);
                return r;
        }
        if (r < 0)
                return fetch_retry(f, &e, err);
        if (resp->status >= 200 && resp->status < 300) {
                if (blob_writer_size(f->w) == (uint64_t) f->item->desc->size)
                        return fetch_commit(f, err);
                /* The connection ended early without libcurl noticing (no Content-Length): resume. */
                berth_failf(&e, ECONNRESET, "GET %s: unexpected EOF after %" PRIu64 " of %" PRId64 " bytes", f->url,
                            blob_writer_size(f->w), f->item->desc->size);
                return fetch_retry(f, &e, err);
        }
        if (resp->status == 401 && !f->reauthed) {
                f->reauthed = true;
                if ((r = registry_reauthenticate(f->s, f->scope, resp, err)) < 0)
                        return r;
                if (r == 1) {
                        fetch_release(f);
                        f->phase = FETCH_QUEUED;
                        return 0;
                }
        }
        if (resp->status == 416) {
                /* Range not satisfiable: what we hold is not a prefix the registry agrees on. Start over. */
                if ((r = restart_writer(f, err)) < 0)
                        return r;
                berth_failf(&e, EPROTO, "GET %s: range not satisfiable", f->url);
                return fetch_retry(f, &e, err);
        }
        {
                cleanup_free char *text = registry_error_text(resp);
                if (registry_status_is_transient(resp->status)) {
                        berth_failf(&e, EIO, "%s", text);
                        return fetch_retry(f, &e, err);
                }
                return berth_failf(err, resp->status == 404 ? ENOENT : resp->status == 401 || resp->status == 403 ? EACCES : EIO,
                                   "%s %s: %s", f->item->layer ? "layer" : "image configuration", f->item->desc->digest, text);
        }
}

static size_t count_running(struct fetch *fs, size_t n)
{
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                k += fs[i].phase == FETCH_RUNNING;
        return k;
}

/* Starts what may start: queued items in order, then backoffs whose time has come. */
static int start_ready(struct fetch *fs, size_t n, unsigned parallel, int *wait_ms, berth_error *err)
{
        uint64_t now = now_ms();
        size_t running = count_running(fs, n);
        int r;

        *wait_ms = 100;
        for (size_t i = 0; i < n; i++) {
                struct fetch *f = &fs[i];
                if (f->phase == FETCH_BACKOFF && f->retry_at > now) {
                        uint64_t left = f->retry_at - now;
                        if (left < (uint64_t) *wait_ms)
                                *wait_ms = (int) left;
                        continue;
                }
                if ((f->phase != FETCH_QUEUED && f->phase != FETCH_BACKOFF) || running >= parallel)
                        continue;
                if ((r = fetch_start(f, err)) < 0)
                        return r;
                running++;
        }
        return 0;
}

int registry_fetch_blobs(struct registry_session *s, struct image_store *store, const char *path, const char *scope,
                         struct fetch_item *items, size_t n, berth_error *err)
{
        unsigned parallel = s->opts->parallel ? s->opts->parallel : DEFAULT_PARALLEL;
        struct fetch *fs = xzalloc((n + 1) * sizeof(*fs));
        size_t left = 0, waiting = 0;
        int r = 0;

        for (size_t i = 0; i < n; i++) {
                struct fetch *f = &fs[i];
                f->item = &items[i];
                f->s = s;
                f->store = store;
                f->scope = scope;
                f->url = registry_url(s, "/v2/%s/blobs/%s", path, items[i].desc->digest);
                items[i].present = store_blob_exists(store, items[i].desc->digest);
                if (items[i].present) {
                        f->phase = FETCH_DONE;
                        emit(f, LAYER_ALREADY_EXISTS, 0, NULL);
                        continue;
                }
                f->phase = FETCH_QUEUED;
                left++;
                emit(f, LAYER_PULLING_FS_LAYER, 0, NULL);
        }
        for (size_t i = 0; i < n; i++)
                if (fs[i].phase == FETCH_QUEUED && fs[i].item->layer && ++waiting > parallel)
                        emit(&fs[i], LAYER_WAITING, 0, NULL);
        while (left > 0) {
                struct http_transfer *t = NULL;
                int wait_ms;

                if ((r = start_ready(fs, n, parallel, &wait_ms, err)) < 0)
                        break;
                r = http_client_wait(s->http, wait_ms, &t, err);
                if (r < 0)
                        break;
                if (r == 0)
                        continue;
                struct fetch *f = http_transfer_user(t);
                if ((r = fetch_finished(f, err)) < 0)
                        break;
                if (f->phase == FETCH_DONE)
                        left--;
        }
        /* On failure every other transfer stops and every unfinished blob is dropped (O_TMPFILE: no trace). */
        for (size_t i = 0; i < n; i++)
                fetch_clear(&fs[i]);
        free(fs);
        return r < 0 ? r : 0;
}
