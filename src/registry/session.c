#include "registry/session.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/cleanup.h"
#include "registry/errors.h"
#include "lib/util.h"

#define DOCKER_HUB_HOST "registry-1.docker.io"
#define DEFAULT_ATTEMPTS 5
#define DEFAULT_BACKOFF_MS 250
#define MAX_BACKOFF_MS 8000
/* Tokens are renewed this long before they expire: a request must not arrive with a token that just died. */
#define TOKEN_MARGIN_SECONDS 10

static int load_tls(const char *domain, const struct registry_options *o, struct http_tls *tls, berth_error *err)
{
        int r;

        if (o->cert_dir != NULL)
                return http_tls_load_dir(tls, o->cert_dir, err);
        /* podman's and docker's per-registry directories, both (containers/image reads both). */
        {
                cleanup_free char *a = xasprintf("/etc/containers/certs.d/%s", domain);
                cleanup_free char *b = xasprintf("/etc/docker/certs.d/%s", domain);
                if ((r = http_tls_load_dir(tls, a, err)) < 0 || (r = http_tls_load_dir(tls, b, err)) < 0)
                        return r;
        }
        return 0;
}

static int load_credentials(struct registry_session *s, const char *repository, berth_error *err)
{
        const struct registry_options *o = s->opts;
        cleanup_free char *path = NULL;
        bool found = false;

        if (o->creds != NULL) {
                const char *colon = strchr(o->creds, ':');
                if (colon == NULL || colon == o->creds)
                        return berth_failf(err, EINVAL, "--creds: expected USERNAME:PASSWORD");
                s->creds.username = xstrndup(o->creds, (size_t) (colon - o->creds));
                s->creds.password = xstrdup(colon + 1);
                return 0;
        }
        path = authfile_path(o->authfile);
        return authfile_lookup(path, repository, &s->creds, &found, err);
}

int registry_session_open(const char *domain, const char *repository, const struct registry_options *o,
                          const struct registries_conf *conf, struct registry_session **out, berth_error *err)
{
        struct registry_session *s = xzalloc(sizeof(*s));
        struct http_tls tls = {.verify = true};
        const struct registry_entry *entry = conf ? registries_conf_find(conf, repository) : NULL;
        int r;

        s->opts = o;
        s->domain = xstrdup(domain);
        s->host = xstrdup(strcmp(domain, "docker.io") == 0 ? DOCKER_HUB_HOST : domain);
        s->attempts = o->attempts ? o->attempts : DEFAULT_ATTEMPTS;
        s->backoff_ms = o->backoff_ms ? o->backoff_ms : DEFAULT_BACKOFF_MS;
        /* TLS verification is off only by --tls-verify=false or an insecure registry in the configuration. */
        s->insecure = o->tls_verify == 0 || (o->tls_verify < 0 && entry != NULL && entry->insecure);
        tls.verify = !s->insecure;
        if ((r = load_tls(domain, o, &tls, err)) < 0 || (r = load_credentials(s, repository, err)) < 0 ||
            (r = http_client_new(&tls, o->cancel, &s->http, err)) < 0) {
                http_tls_clear(&tls);
                registry_session_free(s);
                return r;
        }
        http_tls_clear(&tls);
        *out = s;
        return 0;
}

void registry_session_free(struct registry_session *s)
{
        if (s == NULL)
                return;
        http_client_free(s->http);
        for (size_t i = 0; i < s->n_tokens; i++) {
                free(s->tokens[i].scope);
                if (s->tokens[i].token != NULL)
                        explicit_bzero(s->tokens[i].token, strlen(s->tokens[i].token));
                free(s->tokens[i].token);
        }
        free(s->tokens);
        registry_credentials_clear(&s->creds);
        free(s->domain);
        free(s->host);
        free(s->base_url);
        free(s->realm);
        free(s->service);
        free(s);
}

bool registry_cancelled(const struct registry_session *s)
{
        return http_client_cancelled(s->http);
}

unsigned registry_backoff(const struct registry_session *s, unsigned attempt)
{
        unsigned ms = s->backoff_ms;

        for (unsigned i = 1; i < attempt && ms < MAX_BACKOFF_MS; i++)
                ms *= 2;
        return ms < MAX_BACKOFF_MS ? ms : MAX_BACKOFF_MS;
}

int registry_sleep(struct registry_session *s, unsigned ms, berth_error *err)
{
        while (ms > 0) {
                unsigned slice = ms < 50 ? ms : 50;
                struct timespec ts = {.tv_sec = 0, .tv_nsec = (long) slice * 1000000L};
                if (registry_cancelled(s))
                        return berth_failf(err, ECANCELED, "interrupted");
                nanosleep(&ts, NULL);
                ms -= slice;
        }
        return registry_cancelled(s) ? berth_failf(err, ECANCELED, "interrupted") : 0;
}

char *registry_url(struct registry_session *s, const char *fmt, ...)
{
        cleanup_free char *path = NULL;
        va_list ap;

        va_start(ap, fmt);
        path = xvasprintf(fmt, ap);
        va_end(ap);
        return xasprintf("%s%s", s->base_url, path);
}

static void learn_challenge(struct registry_session *s, char *const *headers)
{
        cleanup_challenge struct auth_challenge c = {0};

        if (!auth_challenge_pick(headers, &c))
                return;
        s->auth = c.scheme;
        if (c.scheme == AUTH_SCHEME_BEARER) {
                free(s->realm);
                free(s->service);
                s->realm = steal_pointer(&c.realm);
                s->service = c.service ? steal_pointer(&c.service) : NULL;
        }
}

/* One GET /v2/ on a base URL; transport failures are returned. */
static int ping_one(struct registry_session *s, const char *base, struct http_response *resp, berth_error *err)
{
        cleanup_free char *url = xasprintf("%s/v2/", base);
        struct http_request req = {.method = "GET", .url = url, .max_body = 1 << 20};
        bool transport = false;
        int r;

        for (unsigned attempt = 1;; attempt++) {
                r = http_perform(s->http, &req, resp, &transport, err);
                /* A reset or a 5xx is retried; a refused connection or an unknown host is an answer. */
                bool again = (r < 0 && transport && (-r == ECONNRESET || -r == ETIMEDOUT)) ||
                             (r == 0 && registry_status_is_transient(resp->status));
                if (!again || attempt >= s->attempts)
                        return r;
                berth_error_clear(err);
                if ((r = registry_sleep(s, registry_backoff(s, attempt), err)) < 0)
                        return r;
        }
}

int registry_ping(struct registry_session *s, berth_error *err)
{
        cleanup_http_response struct http_response resp = {0};
        cleanup_free char *https = xasprintf("https://%s", s->host);
        int r;

        r = ping_one(s, https, &resp, err);
        if (r < 0 && s->insecure && -r != ECANCELED) {
                /* Insecure registry: HTTPS (unverified) first, plain HTTP when TLS is not spoken at all. The HTTPS
                 * error is the one reported when HTTP fails too. */
                berth_error http_err = {0};
                cleanup_free char *http = xasprintf("http://%s", s->host);
                http_response_clear(&resp);
                if (ping_one(s, http, &resp, &http_err) == 0) {
                        berth_error_clear(err);
                        s->base_url = steal_pointer(&http);
                        r = 0;
                }
                berth_error_clear(&http_err);
        } else if (r == 0) {
                s->base_url = steal_pointer(&https);
        }
        if (r < 0)
                return r;
        if (resp.status == 401)
                learn_challenge(s, resp.www_authenticate);
        else
                s->auth = AUTH_SCHEME_NONE;
        return 0;
}

static struct registry_token *token_find(struct registry_session *s, const char *scope)
{
        for (size_t i = 0; i < s->n_tokens; i++)
                if (strcmp(s->tokens[i].scope, scope) == 0)
                        return &s->tokens[i];
        return NULL;
}

static void token_drop(struct registry_session *s, const char *scope)
{
        struct registry_token *t = token_find(s, scope);

        if (t != NULL)
                t->expires = (struct timespec){0};
}

static bool token_fresh(const struct registry_token *t)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return t->token != NULL && now.tv_sec + TOKEN_MARGIN_SECONDS < t->expires.tv_sec;
}

static int bearer_token(struct registry_session *s, const char *scope, const char **out, berth_error *err)
{
        struct registry_token *t = token_find(s, scope ? scope : "");
        char *token = NULL;
        int64_t expires_in = 0;
        int r;

        if (t != NULL && token_fresh(t)) {
                *out = t->token;
                return 0;
        }
        if ((r = registry_token_fetch(s, scope, false, &token, &expires_in, NULL, err)) < 0)
                return r;
        if (t == NULL) {
                s->tokens = xrealloc(s->tokens, (s->n_tokens + 1) * sizeof(*s->tokens));
                t = &s->tokens[s->n_tokens++];
                memset(t, 0, sizeof(*t));
                t->scope = xstrdup(scope ? scope : "");
        }
        if (t->token != NULL)
                explicit_bzero(t->token, strlen(t->token));
        free(t->token);
        t->token = token;
        clock_gettime(CLOCK_MONOTONIC, &t->expires);
        t->expires.tv_sec += expires_in;
        *out = t->token;
        return 0;
}

int registry_authorization(struct registry_session *s, const char *scope, char **out, berth_error *err)
{
        const char *token = NULL;
        int r;

        *out = NULL;
        switch (s->auth) {
        case AUTH_SCHEME_BASIC:
                if (s->creds.username != NULL && s->creds.password != NULL) {
                        cleanup_free char *plain = xasprintf("%s:%s", s->creds.username, s->creds.password);
                        cleanup_free char *b64 = base64_encode(plain, strlen(plain));
                        *out = xasprintf("Basic %s", b64);
                        explicit_bzero(plain, strlen(plain));
                        explicit_bzero(b64, strlen(b64));
                }
                return 0;
        case AUTH_SCHEME_BEARER:
                if ((r = bearer_token(s, scope, &token, err)) < 0)
                        return r;
                *out = xasprintf("Bearer %s", token);
                return 0;
        default:
                return 0;
        }
}

int registry_reauthenticate(struct registry_session *s, const char *scope, const struct http_response *resp,
                            berth_error *err)
{
        enum auth_scheme before = s->auth;

        learn_challenge(s, resp->www_authenticate);
        if (s->auth == AUTH_SCHEME_BASIC)
                return before != AUTH_SCHEME_BASIC && s->creds.username != NULL && s->creds.password != NULL ? 1 : 0;
        if (s->auth == AUTH_SCHEME_BEARER) {
                struct registry_token *t = token_find(s, scope ? scope : "");
                /* A token fetched for this very request was refused: asking again would not help. */
                bool had = t != NULL && token_fresh(t);
                token_drop(s, scope ? scope : "");
                return before != AUTH_SCHEME_BEARER || !had ? 1 : 0;
        }
        (void) err;
        return 0;
}

static void free_secret_header(char *h)
{
        if (h != NULL) {
                explicit_bzero(h, strlen(h));
                free(h);
        }
}

int registry_call(struct registry_session *s, const struct registry_request *rq, struct http_response *resp,
                  berth_error *err)
{
        bool reauthed = false, transport = false;
        unsigned attempt = 1;
        int r;

        for (;;) {
                char *auth = NULL;
                struct http_request req = {
                        .method = rq->method,
                        .url = rq->url,
                        .headers = rq->headers,
                        .body = rq->body,
                        .body_len = rq->body_len,
                        .file_body = rq->file_body,
                        .max_body = rq->max_body ? rq->max_body : (1u << 20),
                        .progress = rq->progress,
                        .progress_data = rq->progress_data,
                };
                if ((r = registry_authorization(s, rq->scope, &auth, err)) < 0)
                        return r;
                req.authorization = auth;
                http_response_clear(resp);
                r = http_perform(s->http, &req, resp, &transport, err);
                free_secret_header(auth);
                if (r < 0) {
                        if (!transport || !rq->retry || attempt >= s->attempts || -r == EHOSTUNREACH || -r == ECONNREFUSED ||
                            -r == EPROTO)
                                return r;
                        berth_error_clear(err);
                } else if (resp->status == 401 && !reauthed) {
                        reauthed = true;
                        if ((r = registry_reauthenticate(s, rq->scope, resp, err)) < 0)
                                return r;
                        if (r == 0)
                                return 0;
                        continue;
                } else if (!(rq->retry && registry_status_is_transient(resp->status) && attempt < s->attempts)) {
                        return 0;
                }
                if ((r = registry_sleep(s, registry_backoff(s, attempt), err)) < 0)
                        return r;
                attempt++;
        }
}
