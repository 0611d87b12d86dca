#include "registry/http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"

/* Error bodies (registry JSON errors) are kept up to this size; the rest is drained. */
#define HTTP_ERROR_BODY_MAX (64u << 10)
/* A stalled connection (less than 1 byte/s for this long) fails and is retried by the caller. */
#define HTTP_STALL_SECONDS 60L
#define HTTP_CONNECT_TIMEOUT 30L
#define HTTP_POLL_MS 100

struct http_transfer {
        struct http_client *client;
        CURL *easy;
        struct curl_slist *headers;
        struct http_request req;
        struct http_response resp;
        berth_error sink_err;
        char errbuf[CURL_ERROR_SIZE];
        CURLcode result;
        bool running;   /* in the multi handle */
        bool finished;
        uint64_t upload_pos;
        struct http_transfer *next_done;
        void *user;
};

struct http_client {
        CURLM *multi;
        CURLSH *share;
        struct http_tls tls;
        struct curl_blob ca_blob; /* system bundle + extra CAs, when there are extra CAs */
        char *ca_blob_data;
        const volatile sig_atomic_t *cancel;
        struct http_transfer *done_head, *done_tail;
};

static int global_init(berth_error *err)
{
        /* curl_global_init is idempotent after the first call; the CLI is single-threaded at this point. */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return berth_failf(err, EIO, "initialise libcurl");
        return 0;
}

void http_tls_clear(struct http_tls *t)
{
        free(t->ca_pem);
        free(t->client_cert);
        free(t->client_key);
        memset(t, 0, sizeof(*t));
}

static int append_ca_file(struct http_tls *t, int dirfd, const char *dir, const char *name, berth_error *err)
{
        cleanup_free char *data = NULL;
        size_t len = 0;
        int r;

        if ((r = read_file_at(dirfd, name, &data, &len, err)) < 0)
                return berth_error_prefix(err, "certificates directory %s: ", dir);
        t->ca_pem = xrealloc(t->ca_pem, t->ca_pem_len + len + 2);
        memcpy(t->ca_pem + t->ca_pem_len, data, len);
        t->ca_pem_len += len;
        t->ca_pem[t->ca_pem_len++] = '\n';
        t->ca_pem[t->ca_pem_len] = '\0';
        return 0;
}

/* containers/image's rule: NAME.crt is a CA; NAME.cert needs NAME.key and the other way round. */
static int add_client_pair(struct http_tls *t, int dirfd, const char *dir, const char *name, bool is_cert,
                           berth_error *err)
{
        size_t base = strlen(name) - (is_cert ? 5 : 4);
        cleanup_free char *other = xasprintf("%.*s%s", (int) base, name, is_cert ? ".key" : ".cert");

        if (faccessat(dirfd, other, R_OK, 0) < 0)
                return berth_failf(err, ENOENT, "certificates directory %s: missing %s %s for %s %s", dir,
                                   is_cert ? "key" : "client certificate", other, is_cert ? "client certificate" : "key",
                                   name);
        if (!is_cert)
                return 0;
        if (t->client_cert != NULL)
                return berth_failf(err, EINVAL, "certificates directory %s: more than one client certificate", dir);
        t->client_cert = xasprintf("%s/%s", dir, name);
        t->client_key = xasprintf("%s/%s", dir, other);
        return 0;
}

int http_tls_load_dir(struct http_tls *t, const char *dir, berth_error *err)
{
        cleanup_closedir DIR *d = NULL;
        cleanup_strv char **names = xzalloc(sizeof(char *));
        struct dirent *de;
        int r, fd;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : berth_fail(err, errno, "certificates directory %s", dir);
        d = fdopendir(fd);
        if (d == NULL) {
                close(fd);
                return berth_fail(err, errno, "certificates directory %s", dir);
        }
        while ((de = readdir(d)) != NULL)
                if (de->d_name[0] != '.')
                        names = strv_append(names, de->d_name);
        /* Sorted: the resulting bundle does not depend on directory order. */
        qsort(names, strv_length(names), sizeof(char *), (int (*)(const void *, const void *)) strcmp);
        for (char **n = names; *n != NULL; n++) {
                if (str_has_suffix(*n, ".crt"))
                        r = append_ca_file(t, dirfd(d), dir, *n, err);
                else if (str_has_suffix(*n, ".cert"))
                        r = add_client_pair(t, dirfd(d), dir, *n, true, err);
                else if (str_has_suffix(*n, ".key"))
                        r = add_client_pair(t, dirfd(d), dir, *n, false, err);
                else
                        r = 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

static void http_response_reset(struct http_response *r)
{
        char *url = r->url;

        r->url = NULL;
        http_response_clear(r);
        r->url = url;
        r->content_length = -1;
}

void http_response_clear(struct http_response *r)
{
        free(r->reason);
        free(r->content_type);
        free(r->location);
        free(r->docker_digest);
        free(r->range);
        free(r->content_range);
        free(r->link);
        strv_free(r->www_authenticate);
        free(r->body);
        free(r->url);
        memset(r, 0, sizeof(*r));
        r->content_length = -1;
}

/* The system bundle that libcurl was built to use, followed by the extra CAs: a private CA adds to the
 * system's trust, it does not replace it (as Go's x509.SystemCertPool + AppendCertsFromPEM in docker). */
static int build_ca_blob(struct http_client *c, berth_error *err)
{
        const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
        const char *system = v->cainfo ? v->cainfo : "/etc/ssl/certs/ca-certificates.crt";
        cleanup_free char *bundle = NULL;
        size_t len = 0;
        berth_error ignored = {0};

        if (c->tls.ca_pem == NULL)
                return 0;
        if (read_file_at(AT_FDCWD, system, &bundle, &len, &ignored) < 0)
                len = 0; /* no system bundle: the extra CAs alone */
        berth_error_clear(&ignored);
        c->ca_blob_data = xmalloc(len + c->tls.ca_pem_len + 2);
        if (len > 0)
                memcpy(c->ca_blob_data, bundle, len);
        c->ca_blob_data[len++] = '\n';
        memcpy(c->ca_blob_data + len, c->tls.ca_pem, c->tls.ca_pem_len);
        len += c->tls.ca_pem_len;
        c->ca_blob.data = c->ca_blob_data;
        c->ca_blob.len = len;
        c->ca_blob.flags = CURL_BLOB_NOCOPY;
        (void) err;
        return 0;
}

int http_client_new(const struct http_tls *tls, const volatile sig_atomic_t *cancel, struct http_client **out,
                    berth_error *err)
{
        struct http_client *c;
        int r;

        if ((r = global_init(err)) < 0)
                return r;
        c = xzalloc(sizeof(*c));
        c->cancel = cancel;
        c->tls.verify = tls ? tls->verify : true;
        if (tls != NULL && tls->ca_pem != NULL) {
                c->tls.ca_pem = xmalloc(tls->ca_pem_len + 1);
                memcpy(c->tls.ca_pem, tls->ca_pem, tls->ca_pem_len + 1);
                c->tls.ca_pem_len = tls->ca_pem_len;
        }
        c->tls.client_cert = tls && tls->client_cert ? xstrdup(tls->client_cert) : NULL;
        c->tls.client_key = tls && tls->client_key ? xstrdup(tls->client_key) : NULL;
        c->multi = curl_multi_init();
        c->share = curl_share_init();
        if (c->multi == NULL || c->share == NULL) {
                http_client_free(c);
                return berth_failf(err, ENOMEM, "initialise libcurl");
        }
        /* One connection pool, DNS cache and TLS session cache for every request to the registry. */
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
        if ((r = build_ca_blob(c, err)) < 0) {
                http_client_free(c);
                return r;
        }
        *out = c;
        return 0;
}

void http_client_free(struct http_client *c)
{
        if (c == NULL)
                return;
        /* Transfers belong to their callers, who free them before the client. */
        c->done_head = c->done_tail = NULL;
        if (c->multi != NULL)
                curl_multi_cleanup(c->multi);
        if (c->share != NULL)
                curl_share_cleanup(c->share);
        http_tls_clear(&c->tls);
        free(c->ca_blob_data);
        free(c);
}

void http_client_set_verify(struct http_client *c, bool verify)
{
        c->tls.verify = verify;
}

bool http_client_cancelled(const struct http_client *c)
{
        return c->cancel != NULL && *c->cancel != 0;
}

static char *trimmed(const char *s, size_t n)
{
        while (n > 0 && isspace((unsigned char) *s)) {
                s++;
                n--;
        }
        while (n > 0 && isspace((unsigned char) s[n - 1]))
                n--;
        return xstrndup(s, n);
}

static void set_field(char **field, char *value)
{
        free(*field);
        *field = value;
}

static size_t header_cb(char *buf, size_t size, size_t n, void *data)
{
        struct http_transfer *t = data;
        struct http_response *r = &t->resp;
        size_t len = size * n;
        const char *colon;
        cleanup_free char *name = NULL;

        if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
                /* A new response (after a redirect or a 100 Continue): forget the previous one's headers. */
                const char *sp = memchr(buf, ' ', len);
                http_response_reset(r);
                if (sp != NULL) {
                        r->status = strtol(sp + 1, NULL, 10);
                        const char *reason = memchr(sp + 1, ' ', len - (size_t) (sp + 1 - buf));
                        r->reason = reason ? trimmed(reason + 1, len - (size_t) (reason + 1 - buf)) : xstrdup("");
                }
                return len;
        }
        colon = memchr(buf, ':', len);
        if (colon == NULL)
                return len;
        name = xstrndup(buf, (size_t) (colon - buf));
        char *value = trimmed(colon + 1, len - (size_t) (colon + 1 - buf));
        if (strcasecmp(name, "Content-Type") == 0)
                set_field(&r->content_type, value);
        else if (strcasecmp(name, "Location") == 0)
                set_field(&r->location, value);
        else if (strcasecmp(name, "Docker-Content-Digest") == 0)
                set_field(&r->docker_digest, value);
        else if (strcasecmp(name, "Range") == 0)
                set_field(&r->range, value);
        else if (strcasecmp(name, "Content-Range") == 0)
                set_field(&r->content_range, value);
        else if (strcasecmp(name, "Link") == 0)
                set_field(&r->link, value);
        else if (strcasecmp(name, "Content-Length") == 0) {
                int64_t v;
                if (parse_i64(value, &v) == 0)
                        r->content_length = v;
                free(value);
        } else if (strcasecmp(name, "WWW-Authenticate") == 0) {
                if (r->www_authenticate == NULL)
                        r->www_authenticate = xzalloc(sizeof(char *));
                r->www_authenticate = strv_append(r->www_authenticate, value);
                free(value);
        } else {
                free(value);
        }
        return len;
}

static bool is_redirect(long status)
{
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static size_t write_cb(char *buf, size_t size, size_t n, void *data)
{
        struct http_transfer *t = data;
        struct http_response *r = &t->resp;
        size_t len = size * n;
        bool ok = r->status >= 200 && r->status < 300;

        if (t->req.follow_redirects && is_redirect(r->status))
                return len; /* the body of a redirect that libcurl follows */
        if (ok && t->req.sink != NULL)
                return t->req.sink(t->req.sink_data, r, buf, len, &t->sink_err) < 0 ? 0 : len;
        if (ok && r->body_len + len > t->req.max_body) {
                berth_failf(&t->sink_err, EFBIG, "%s: response larger than %zu bytes", t->req.url, t->req.max_body);
                return 0;
        }
        if (!ok && r->body_len >= HTTP_ERROR_BODY_MAX)
                return len;
        if (!ok && r->body_len + len > HTTP_ERROR_BODY_MAX)
                len = HTTP_ERROR_BODY_MAX - r->body_len;
        r->body = xrealloc(r->body, r->body_len + len + 1);
        memcpy(r->body + r->body_len, buf, len);
        r->body_len += len;
        r->body[r->body_len] = '\0';
        return size * n;
}

static size_t read_cb(char *buf, size_t size, size_t n, void *data)
{
        struct http_transfer *t = data;
        uint64_t total = t->req.file_body ? t->req.file_body->length : t->req.body_len;
        size_t want = size * n;

        if (t->upload_pos >= total)
                return 0;
        if (want > total - t->upload_pos)
                want = (size_t) (total - t->upload_pos);
        if (t->req.file_body != NULL) {
                ssize_t got = pread(t->req.file_body->fd, buf, want, (off_t) (t->req.file_body->offset + t->upload_pos));
                if (got < 0) {
                        berth_fail(&t->sink_err, errno, "read upload body");
                        return CURL_READFUNC_ABORT;
                }
                if (got == 0) {
                        berth_failf(&t->sink_err, EIO, "read upload body: unexpected end of file");
                        return CURL_READFUNC_ABORT;
                }
                want = (size_t) got;
        } else {
                memcpy(buf, (const char *) t->req.body + t->upload_pos, want);
        }
        t->upload_pos += want;
        return want;
}

/* libcurl rewinds the body when it must send it again (a redirect, an authentication round). */
static int seek_cb(void *data, curl_off_t offset, int origin)
{
        struct http_transfer *t = data;

        if (origin != SEEK_SET || offset < 0)
                return CURL_SEEKFUNC_CANTSEEK;
        t->upload_pos = (uint64_t) offset;
        return CURL_SEEKFUNC_OK;
}

static int xferinfo_cb(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
        struct http_transfer *t = data;

        if (http_client_cancelled(t->client))
                return 1;
        if (t->req.progress != NULL) {
                if (ultotal > 0)
                        t->req.progress(t->req.progress_data, (uint64_t) ulnow, (uint64_t) ultotal);
        }
        (void) dltotal;
        (void) dlnow;
        return 0;
}

static int setup_easy(struct http_transfer *t, berth_error *err)
{
        const struct http_request *req = &t->req;
        struct http_client *c = t->client;
        const char *method = req->method ? req->method : "GET";
        bool has_body = req->file_body != NULL || req->body != NULL;
        uint64_t body_len = req->file_body ? req->file_body->length : req->body_len;
        CURL *e = t->easy;

        for (char *const *h = req->headers; h != NULL && *h != NULL; h++)
                t->headers = curl_slist_append(t->headers, *h);
        if (req->authorization != NULL) {
                cleanup_free char *h = xasprintf("Authorization: %s", req->authorization);
                t->headers = curl_slist_append(t->headers, h);
        }
        /* No "Expect: 100-continue" round trip before bodies: registries answer uploads directly. */
        t->headers = curl_slist_append(t->headers, "Expect:");

        curl_easy_setopt(e, CURLOPT_URL, req->url);
        curl_easy_setopt(e, CURLOPT_SHARE, c->share);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, HTTP_CONNECT_TIMEOUT);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, HTTP_STALL_SECONDS);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
        curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
        curl_easy_setopt(e, CURLOPT_XFERINFODATA, t);
        /* Redirects (blob storage) are followed only where asked; libcurl then drops the Authorization header
         * when the host, port or scheme changes: a storage backend never sees the registry's credentials. */
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, req->follow_redirects ? 1L : 0L);
        curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->tls.verify ? 1L : 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->tls.verify ? 2L : 0L);
        if (c->ca_blob_data != NULL)
                curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &c->ca_blob);
        if (c->tls.client_cert != NULL) {
                curl_easy_setopt(e, CURLOPT_SSLCERT, c->tls.client_cert);
                curl_easy_setopt(e, CURLOPT_SSLKEY, c->tls.client_key);
        }

        if (strcmp(method, "HEAD") == 0) {
                curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        } else if (strcmp(method, "GET") == 0) {
                curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        } else if (strcmp(method, "POST") == 0) {
                curl_easy_setopt(e, CURLOPT_POST, 1L);
                curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) (has_body ? body_len : 0));
        } else if (strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) {
                curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
                curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t) (has_body ? body_len : 0));
                if (strcmp(method, "PATCH") == 0)
                        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PATCH");
        } else {
                return berth_failf(err, EINVAL, "unsupported HTTP method %s", method);
        }
        if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) {
                curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
                curl_easy_setopt(e, CURLOPT_READDATA, t);
                curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, seek_cb);
                curl_easy_setopt(e, CURLOPT_SEEKDATA, t);
        }
        return 0;
}

int http_transfer_start(struct http_client *c, const struct http_request *req, void *user,
                        struct http_transfer **out, berth_error *err)
{
        struct http_transfer *t = xzalloc(sizeof(*t));
        int r;

        t->client = c;
        t->req = *req;
        t->user = user;
        t->resp.content_length = -1;
        t->easy = curl_easy_init();
        if (t->easy == NULL) {
                free(t);
                return berth_failf(err, ENOMEM, "initialise libcurl");
        }
        if ((r = setup_easy(t, err)) < 0) {
                http_transfer_free(t);
                return r;
        }
        curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
        if (curl_multi_add_handle(c->multi, t->easy) != CURLM_OK) {
                http_transfer_free(t);
                return berth_failf(err, EIO, "start a request to %s", req->url);
        }
        t->running = true;
        *out = t;
        return 0;
}

static void unlink_done(struct http_client *c, struct http_transfer *t)
{
        struct http_transfer **p = &c->done_head, *prev = NULL;

        while (*p != NULL && *p != t) {
                prev = *p;
                p = &(*p)->next_done;
        }
        if (*p == NULL)
                return;
        *p = t->next_done;
        if (c->done_tail == t)
                c->done_tail = prev;
        t->next_done = NULL;
}

void http_transfer_free(struct http_transfer *t)
{
        if (t == NULL)
                return;
        if (t->finished)
                unlink_done(t->client, t);
        if (t->running)
                curl_multi_remove_handle(t->client->multi, t->easy);
        if (t->easy != NULL)
                curl_easy_cleanup(t->easy);
        curl_slist_free_all(t->headers);
        http_response_clear(&t->resp);
        berth_error_clear(&t->sink_err);
        free(t);
}

/* Runs the multi handle once (waiting up to timeout_ms for activity) and queues what finished. */
static int drive(struct http_client *c, int timeout_ms, berth_error *err)
{
        CURLMsg *msg;
        int running = 0, left = 0;

        if (curl_multi_poll(c->multi, NULL, 0, timeout_ms, NULL) != CURLM_OK)
                return berth_failf(err, EIO, "libcurl: poll failed");
        if (curl_multi_perform(c->multi, &running) != CURLM_OK)
                return berth_failf(err, EIO, "libcurl: transfer failed");
        while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
                struct http_transfer *t = NULL;
                char *url = NULL;
                if (msg->msg != CURLMSG_DONE)
                        continue;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &t);
                t->result = msg->data.result;
                curl_multi_remove_handle(c->multi, t->easy);
                t->running = false;
                t->finished = true;
                if (curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url != NULL)
                        set_field(&t->resp.url, xstrdup(url));
                if (c->done_tail != NULL)
                        c->done_tail->next_done = t;
                else
                        c->done_head = t;
                c->done_tail = t;
        }
        return 0;
}

int http_client_wait(struct http_client *c, int timeout_ms, struct http_transfer **done, berth_error *err)
{
        int waited = 0, r;

        for (;;) {
                if (c->done_head != NULL) {
                        *done = c->done_head;
                        unlink_done(c, *done);
                        return 1;
                }
                if (http_client_cancelled(c))
                        return berth_failf(err, ECANCELED, "interrupted");
                if (waited >= timeout_ms)
                        return 0;
                int slice = timeout_ms - waited < HTTP_POLL_MS ? timeout_ms - waited : HTTP_POLL_MS;
                if ((r = drive(c, slice, err)) < 0)
                        return r;
                waited += slice;
        }
}

void *http_transfer_user(const struct http_transfer *t)
{
        return t->user;
}

struct http_response *http_transfer_response(struct http_transfer *t)
{
        return &t->resp;
}

/* Go's method spelling in net/http errors: Get "URL": ... */
static const char *go_method(const char *method)
{
        static const char *const names[][2] = {{"GET", "Get"}, {"HEAD", "Head"}, {"POST", "Post"},
                                               {"PUT", "Put"}, {"PATCH", "Patch"}, {"DELETE", "Delete"}};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (strcmp(method, names[i][0]) == 0)
                        return names[i][1];
        return method;
}

/* host:port of a URL, for dial errors. */
static char *url_hostport(const char *url)
{
        CURLU *u = curl_url();
        char *host = NULL, *port = NULL, *out;

        if (u == NULL)
                return xstrdup(url);
        if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
                curl_url_cleanup(u);
                return xstrdup(url);
        }
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
        out = port ? xasprintf("%s:%s", host, port) : xstrdup(host);
        curl_free(host);
        curl_free(port);
        curl_url_cleanup(u);
        return out;
}

static char *url_host(const char *url)
{
        CURLU *u = curl_url();
        char *host = NULL, *out;

        if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
                curl_url_cleanup(u);
                return xstrdup(url);
        }
        out = xstrdup(host);
        curl_free(host);
        curl_url_cleanup(u);
        return out;
}

static int transport_error(struct http_transfer *t, berth_error *err)
{
        const char *method = go_method(t->req.method ? t->req.method : "GET");
        const char *url = t->resp.url ? t->resp.url : t->req.url;
        long os_errno = 0;
        CURLcode rc = t->result;

        curl_easy_getinfo(t->easy, CURLINFO_OS_ERRNO, &os_errno);
        switch (rc) {
        case CURLE_ABORTED_BY_CALLBACK:
                if (http_client_cancelled(t->client))
                        return berth_failf(err, ECANCELED, "interrupted");
                break;
        case CURLE_COULDNT_RESOLVE_HOST: {
                cleanup_free char *host = url_host(url);
                return berth_failf(err, EHOSTUNREACH, "%s \"%s\": dial tcp: lookup %s: no such host", method, url, host);
        }
        case CURLE_COULDNT_CONNECT: {
                cleanup_free char *hp = url_hostport(url);
                cleanup_free char *why = xstrdup(strerror(os_errno ? (int) os_errno : ECONNREFUSED));
                why[0] = (char) tolower((unsigned char) why[0]); /* Go's spelling: "connection refused" */
                return berth_failf(err, os_errno ? (int) os_errno : ECONNREFUSED, "%s \"%s\": dial tcp %s: connect: %s",
                                   method, url, hp, why);
        }
        case CURLE_OPERATION_TIMEDOUT:
                return berth_failf(err, ETIMEDOUT, "%s \"%s\": i/o timeout (%s)", method, url, t->errbuf);
        case CURLE_PEER_FAILED_VERIFICATION:
                return berth_failf(err, EPROTO, "%s \"%s\": tls: failed to verify certificate: %s", method, url,
                                   t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
        case CURLE_SSL_CONNECT_ERROR:
                /* A TLS hello answered in plain HTTP: OpenSSL sees a bogus record version. */
                if (strstr(t->errbuf, "wrong version number") != NULL)
                        return berth_failf(err, EPROTO, "%s \"%s\": http: server gave HTTP response to HTTPS client", method, url);
                return berth_failf(err, EPROTO, "%s \"%s\": tls: %s", method, url,
                                   t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
        case CURLE_GOT_NOTHING:
                return berth_failf(err, ECONNRESET, "%s \"%s\": EOF", method, url);
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
                /* A TLS alert from the server (a client certificate it wants, one it refuses) is an answer,
                 * not a broken connection: say what OpenSSL says, and do not retry it. */
                if (strstr(t->errbuf, "alert") != NULL || strstr(t->errbuf, "SSL") != NULL)
                        return berth_failf(err, EPROTO, "%s \"%s\": tls: %s", method, url, t->errbuf);
                /* fall through */
        case CURLE_PARTIAL_FILE:
                return berth_failf(err, ECONNRESET, "%s \"%s\": %s", method, url,
                                   os_errno ? strerror((int) os_errno) : "unexpected EOF");
        default:
                break;
        }
        return berth_failf(err, EIO, "%s \"%s\": %s", method, url, t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
}

int http_transfer_result(struct http_transfer *t, bool *transport, berth_error *err)
{
        if (transport != NULL)
                *transport = false;
        if (t->sink_err.code != 0) {
                berth_failf(err, t->sink_err.code, "%s", berth_error_message(&t->sink_err));
                return -t->sink_err.code;
        }
        if (t->result == CURLE_OK)
                return 0;
        if (transport != NULL)
                *transport = !(t->result == CURLE_ABORTED_BY_CALLBACK && http_client_cancelled(t->client));
        return transport_error(t, err);
}

int http_perform(struct http_client *c, const struct http_request *req, struct http_response *resp,
                 bool *transport, berth_error *err)
{
        struct http_transfer *t = NULL;
        int r;

        if (transport != NULL)
                *transport = false;
        if (http_client_cancelled(c))
                return berth_failf(err, ECANCELED, "interrupted");
        if ((r = http_transfer_start(c, req, NULL, &t, err)) < 0)
                return r;
        while (!t->finished) {
                if (http_client_cancelled(c)) {
                        http_transfer_free(t);
                        return berth_failf(err, ECANCELED, "interrupted");
                }
                if ((r = drive(c, HTTP_POLL_MS, err)) < 0) {
                        http_transfer_free(t);
                        return r;
                }
        }
        r = http_transfer_result(t, transport, err);
        if (r == 0) {
                http_response_clear(resp);
                *resp = t->resp;
                memset(&t->resp, 0, sizeof(t->resp));
        }
        http_transfer_free(t);
        return r;
}

char *http_resolve_url(const char *base, const char *location)
{
        CURLU *u = curl_url();
        char *s = NULL, *out;

        if (u == NULL)
                return xstrdup(location);
        if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
            curl_url_set(u, CURLUPART_URL, location, 0) != CURLUE_OK || curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK) {
                curl_url_cleanup(u);
                return xstrdup(location);
        }
        out = xstrdup(s);
        curl_free(s);
        curl_url_cleanup(u);
        return out;
}

char *http_query_escape(const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        char *out = xmalloc(strlen(s) * 3 + 1), *p = out;

        for (; *s; s++) {
                unsigned char ch = (unsigned char) *s;
                if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
                        *p++ = (char) ch;
                } else {
                        *p++ = '%';
                        *p++ = hex[ch >> 4];
                        *p++ = hex[ch & 15];
                }
        }
        *p = '\0';
        return out;
}
